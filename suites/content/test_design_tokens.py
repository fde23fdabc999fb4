"""Visual-system gate: every colour on the page is a design token of the current theme, and the
stylesheets reach colours only through var(--token). Checked in the light and the dark theme.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from pytest_castmatch.checks import navigation, tokens

TOKEN_PAGES = ("/", "/talent", "/talent/1", "/join", "/signin", "/no-such-page")


@pytest.mark.p0
@pytest.mark.owner("visual-systems")
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_colours_come_from_tokens(page: Page, gate: Any, scheme: str,
                                  declared_status: dict[str, tuple[int, ...]]) -> None:
    """Computed colours of every rendered element are token values; no literal colours in stylesheets."""
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    for path in TOKEN_PAGES:
        if gate.check(navigation.visit(page, path, expect=declared_status.get(path, ()))):
            continue
        gate.check(tokens.computed_colours(page))
        if scheme == "light":  # stylesheet rules do not depend on the theme: read them once
            gate.check(tokens.authored_colours(page))
