"""One Chromium per session for the content, localisation, token and sitemap check tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from pytest_castmatch import sut


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium with the flags an offline container needs."""
    try:
        return sut.chromium_launch_args(browser_type_launch_args)
    except sut.SutError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def base_url() -> str | None:
    """Pages here are set with ``page.set_content``; no server to resolve against."""
    return None


@pytest.fixture(scope="module")
def cpage(browser: Browser) -> Iterator[Page]:
    """One page per module: set_content replaces the document, so tests do not see each other."""
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()
