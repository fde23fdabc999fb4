"""Visual-system gate: every colour on the page is a design token of the current theme, and the
stylesheets reach colours only through var(--token). Checked in each theme the deployment has.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from pytest_castmatch import Gate
from pytest_castmatch.checks import navigation, tokens


@pytest.mark.p0
@pytest.mark.owner("visual-systems")
@pytest.mark.needs("pages", "design_tokens")
@pytest.mark.parametrize("scheme", ["light", pytest.param("dark", marks=pytest.mark.needs("themes.dark"))])
def test_colours_come_from_tokens(page: Page, gate: Gate, scheme: str, content_pages: tuple[str, ...],
                                  show_theme: Callable[[Page, str], None],
                                  declared_status: dict[str, tuple[int, ...]]) -> None:
    """Computed colours of every rendered element are token values; no literal colours in stylesheets."""
    for path in content_pages:
        if gate.check(navigation.visit(page, path, expect=declared_status.get(path, ()))):
            continue
        show_theme(page, scheme)
        gate.check(tokens.computed_colours(page))
        if scheme == "light":  # stylesheet rules do not depend on the theme: read them once
            gate.check(tokens.authored_colours(page))
