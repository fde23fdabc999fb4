"""The pages a browser gate visits: a profile's list, its sitemap's pages, or a bounded same-origin crawl."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_castmatch.checks import inventory
from pytest_castmatch.deployment import Pages
from tests.loopback import serving_files

SITE = Path(__file__).resolve().parents[1] / "sample_site" / "site"


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with serving_files(SITE) as url:
        yield url


def test_a_list_is_taken_as_it_is(site: str) -> None:
    assert inventory.pages(Pages(listed=("/menu.html", "/")), site) == ["/menu.html", "/"]


def test_the_sitemap_gives_its_own_paths(site: str) -> None:
    assert inventory.pages(Pages(sitemap=True), site) == ["/", "/menu.html", "/about.html", "/visit.html"]


def test_a_crawl_stays_on_the_site_and_within_its_bounds(site: str) -> None:
    assert inventory.pages(Pages(crawl_pages=20, crawl_depth=2), site) == [
        "/", "/menu.html", "/about.html", "/visit.html"]
    assert inventory.pages(Pages(crawl_pages=2, crawl_depth=2), site) == ["/", "/menu.html"]
    assert inventory.pages(Pages(crawl_pages=20, crawl_depth=0), site) == ["/"]


def test_a_missing_sitemap_says_what_to_set(site: str) -> None:
    with pytest.raises(inventory.InventoryError, match=r"answers 404: list the pages in \[deployment.pages\] list"):
        inventory.pages(Pages(sitemap=True), site, "/no-sitemap.xml")
