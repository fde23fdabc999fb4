"""One Chromium per session for the content, localisation, token and sitemap check tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page


@pytest.fixture(scope="module")
def cpage(browser: Browser) -> Iterator[Page]:
    """One page per module: set_content replaces the document, so tests do not see each other."""
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()
