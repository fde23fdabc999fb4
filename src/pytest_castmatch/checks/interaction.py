"""Interaction under stress and feedback: rapid clicks submit a form once; the result of an action
is announced in a live region (WCAG 4.1.3 Status Messages).
"""

# ruff: noqa: E501 - the page scripts below are JavaScript, kept readable on long lines

from __future__ import annotations

import contextlib

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Route

from pytest_castmatch.checks.evidence import Evidence, page_path, shoot
from pytest_castmatch.model import Finding

_WATCH_LIVE = r"""
() => {
  window.__cmAnnounced = [];
  const live = Array.from(document.querySelectorAll('[aria-live]:not([aria-live=off]), [role=status], [role=alert], [role=log]'));
  const mo = new MutationObserver(() => {
    for (const el of live) {
      const text = (el.textContent || '').trim();
      if (text) window.__cmAnnounced.push(text);
    }
  });
  for (const el of live) mo.observe(el, {subtree: true, childList: true, characterData: true});
  return live.length;
}
"""


def submissions(page: Page, form: str, *, clicks: int = 3, evidence: Evidence | None = None) -> list[Finding]:
    """Click the form's submit button ``clicks`` times in quick succession; it must send one request.

    The form's requests are held (never answered) so the page stays put, as on a slow network,
    and each submission the browser starts is counted.
    """
    path = page_path(page)
    action = page.eval_on_selector(form, "(f) => f.action")
    method = str(page.eval_on_selector(form, "(f) => (f.method || 'get').toUpperCase()"))
    held: list[Route] = []

    def hold(route: Route) -> None:
        if route.request.method == method and route.request.url.split("?")[0] == str(action).split("?")[0]:
            held.append(route)
        else:
            route.fallback()

    page.route("**/*", hold)
    try:
        button = page.locator(f"{form} [type=submit], {form} button:not([type])").first
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        if box is None:
            return [Finding(rule="double-submit", page=path, selector=form, message="the form has no visible submit button")]
        # Mouse clicks at the button's position: a pending submission makes Playwright's own
        # locator clicks wait for the navigation, which a user's second click does not.
        for _ in range(clicks):
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.wait_for_timeout(120)
        page.wait_for_timeout(300)
        count = len(held)
    finally:
        page.unroute("**/*", hold)
        for route in held:
            # The browser may have dropped it already (a later submission replaced the navigation).
            with contextlib.suppress(PlaywrightError):
                route.abort()
    if count == 1:
        return []
    what = "no request at all" if count == 0 else f"{count} requests"
    return [Finding(rule="double-submit", criterion=None, page=path, selector=form,
                    message=f"{clicks} rapid clicks on submit sent {what} to {action}; expected exactly one",
                    evidence=shoot(evidence, page, form, f"double-submit-{path}"))]


def announced(page: Page, trigger: str, *, evidence: Evidence | None = None, wait_ms: int = 800) -> list[Finding]:
    """Activating ``trigger`` puts a message into a live region (WCAG 4.1.3)."""
    path = page_path(page)
    regions = int(page.evaluate(_WATCH_LIVE))
    page.click(trigger)
    page.wait_for_timeout(wait_ms)
    messages = list(page.evaluate("() => window.__cmAnnounced || []"))
    if messages:
        return []
    why = "the page has no live region" if regions == 0 else "no live region received a message"
    return [Finding(rule="status-message", criterion="WCAG 4.1.3", page=path, selector=trigger,
                    message=f"activating {trigger} announces nothing: {why}",
                    evidence=shoot(evidence, page, trigger, f"silent-{path}"))]
