"""What the accessibility gates share: the accepted axe baseline (pages and themes come from the profile)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_castmatch import GateConfig
from pytest_castmatch.checks import axe


@pytest.fixture(scope="session")
def axe_baseline(castmatch_config: GateConfig) -> list[axe.BaselineEntry]:
    """Known axe violations accepted per page, rule and selector (baselines/axe-baseline.toml)."""
    path = Path(castmatch_config.path).with_name("axe-baseline.toml")
    try:
        return axe.load_baseline(path, castmatch_config.owners)
    except axe.BaselineError as exc:
        pytest.fail(str(exc), pytrace=False)
