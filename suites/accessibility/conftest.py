"""What the accessibility, interaction and motion gates share: the page inventory and the baseline."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_castmatch.checks import axe, inventory
from pytest_castmatch.config import GateConfig


@pytest.fixture(scope="session")
def inventory_pages(castmatch_config: GateConfig, castmatch_base_url: str) -> list[str]:
    """Pages every browser gate visits (gates.toml [inventory] pages, else the sitemap)."""
    return inventory.pages(castmatch_config.pages, castmatch_base_url)


@pytest.fixture(scope="session")
def axe_baseline(castmatch_config: GateConfig) -> list[axe.BaselineEntry]:
    """Known axe violations accepted per page, rule and selector (baselines/axe-baseline.toml)."""
    path = Path(castmatch_config.path).with_name("axe-baseline.toml")
    try:
        return axe.load_baseline(path, castmatch_config.owners)
    except axe.BaselineError as exc:
        pytest.fail(str(exc), pytrace=False)
