"""A saved theme is painted from the first frame: no flash of the other theme."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from pytest_castmatch import Deployment, Gate
from pytest_castmatch.checks import theme
from pytest_castmatch.checks.evidence import Evidence


@pytest.mark.p0
@pytest.mark.owner("visual-systems")
@pytest.mark.needs("pages", "themes.saved_cookie")
@pytest.mark.parametrize(("saved", "system"), [("dark", "light"), ("light", "dark")])
def test_saved_theme_without_flash(browser: Browser, castmatch_base_url: str, gate: Gate, inventory_pages: list[str],
                                   castmatch_deployment: Deployment, saved: str, system: str) -> None:
    """With a saved theme opposite to the system's, every page paints in the saved theme at once."""
    evidence = Evidence.for_gate(gate)
    cookie = castmatch_deployment.value("themes.saved_cookie", str)
    for path in inventory_pages:
        context = browser.new_context()
        try:
            page = context.new_page()
            gate.check(theme.saved_theme_flash(context, page, castmatch_base_url + path, saved, cookie, system=system,
                                               evidence=evidence))
        finally:
            context.close()
