"""Theme: which colour themes a page has, a saved colour theme painted from the first frame (no flash
of the other theme), and switching theme changes colours at once.

A page has a dark theme where its computed colours change under ``prefers-color-scheme: dark``; one
whose colours stay the same has a single theme, and scanning it "in dark" would only count each of
its problems twice.
"""

# ruff: noqa: E501 - the page scripts below are JavaScript, kept readable on long lines

from __future__ import annotations

from collections.abc import Sequence

from playwright.sync_api import BrowserContext, Page

from pytest_castmatch.checks import navigation
from pytest_castmatch.checks.evidence import Evidence, page_path, shoot
from pytest_castmatch.model import Finding

# The colours that paint the page: text, background, border and outline of the root, the body and the
# first elements of the body (a theme changes those; a page without one changes none).
_COLOURS = r"""
(limit) => {
  const els = [document.documentElement, document.body, ...Array.from(document.body.querySelectorAll('*')).slice(0, limit)];
  return els.map((el) => { const s = getComputedStyle(el);
    return [s.color, s.backgroundColor, s.backgroundImage, s.borderTopColor, s.outlineColor].join(' '); });
}
"""


def colours(page: Page, limit: int = 400) -> list[str]:
    """The computed colours of the page's first elements, in the colour scheme emulated now."""
    return list(page.evaluate(_COLOURS, limit))


def colours_differ(one: Sequence[str], other: Sequence[str]) -> bool:
    """Whether two :func:`colours` readings of the same page differ: the page has two themes."""
    return list(one) != list(other)


def has_dark_theme(page: Page) -> bool:
    """Whether the loaded page changes its colours under ``prefers-color-scheme: dark``.

    Leaves the page in the light scheme.
    """
    page.emulate_media(color_scheme="dark")
    dark = colours(page)
    page.emulate_media(color_scheme="light")
    return colours_differ(colours(page), dark)


# Runs before any of the page's scripts: samples the background when the document is parsed
# (DOMContentLoaded) and at the first animation frame. Either may come first, and a browser may
# paint as soon as the parser yields, so a theme still unset at either point can show.
_FIRST_FRAME = r"""
(() => {
  window.__cmEarly = [];
  const sample = (when) => {
    const el = document.body || document.documentElement;
    if (el) window.__cmEarly.push([when, getComputedStyle(el).backgroundColor]);
  };
  requestAnimationFrame(() => sample('first frame'));
  document.addEventListener('DOMContentLoaded', () => sample('parsed'));
})();
"""


def saved_theme_flash(context: BrowserContext, page: Page, url: str, theme: str, cookie: str = "theme",
                      *, system: str = "light", evidence: Evidence | None = None) -> list[Finding]:
    """With ``cookie=theme`` saved and the system in the other scheme, the first painted frame
    already has the settled page's background."""
    context.add_cookies([{"name": cookie, "value": theme, "url": url}])
    context.add_init_script(_FIRST_FRAME)
    page.emulate_media(color_scheme=system)  # type: ignore[arg-type]
    if missing := navigation.visit(page, url):
        return missing
    page.wait_for_timeout(50)  # let load handlers (a late theme repair) run and paint
    early: list[list[str]] = page.evaluate("() => window.__cmEarly || []")
    settled = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    path = page_path(page)
    if not early:
        return [Finding(rule="theme-flash", page=path, message="could not sample the page before it settled",
                        context=f"saved theme={theme}, system={system}")]
    wrong = [(when, colour) for when, colour in early if colour != settled]
    if not wrong:
        return []
    when, colour = wrong[0]
    return [Finding(rule="theme-flash", criterion=None, page=path, selector="body",
                    message=f"background was {colour} at {when}; the saved {theme} theme settles on {settled}: "
                            "the wrong theme flashes before the page is ready",
                    context=f"saved theme={theme}, system={system}",
                    evidence=shoot(evidence, page, None, f"theme-flash-{path}"))]
