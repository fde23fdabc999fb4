"""The page inventory every browser gate of this folder visits."""

from __future__ import annotations

import pytest

from pytest_castmatch.checks import inventory
from pytest_castmatch.config import GateConfig


@pytest.fixture(scope="session")
def inventory_pages(castmatch_config: GateConfig, castmatch_base_url: str) -> list[str]:
    """Pages every browser gate visits (gates.toml [inventory] pages, else the sitemap)."""
    return inventory.pages(castmatch_config.pages, castmatch_base_url)
