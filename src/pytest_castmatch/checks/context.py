"""Changes of context on input: WCAG 3.2.2 On Input.

Changing the setting of a control must not change the context (load another page, submit a form,
open a window, move focus) unless the user was told so before using it. Each select, radio button
and checkbox on the page is changed as a user would change it (a select's next option, an unchecked
radio or checkbox ticked) and put back afterwards. Navigations that a change starts are answered
with "204 No Content", so the page stays put and nothing is sent on; one that a service worker
answers (requests it handles pass no route) replaces the document, which is how it is seen, and the
page is loaded again to go on. New windows are closed.

A control whose label or description says what it will do ("goes to", "opens", "submits") may have
told the user: a needs-review item. Any other change of context is an error.
"""

# ruff: noqa: E501 - the page scripts below are JavaScript, kept readable on long lines

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Frame, Page, Route

from pytest_castmatch.checks.evidence import SELECTOR_JS, Evidence, page_path, shoot
from pytest_castmatch.model import Finding, Severity

#: How long after a change its handlers may take to start a navigation (a fetch before a redirect).
WAIT_MS = 150
#: Words in a control's label or description that warn of a change of context.
_WARNS = re.compile(r"\b(go(?:es)? to|opens?|navigat\w*|reloads?|takes? you|jumps? to|loads?|submits?|new (?:window|tab|page))\b", re.I)

# The controls to change: visible, enabled selects with another option to pick, and one unchecked
# radio per group and unchecked checkboxes; with their label and description text.
_CONTROLS = SELECTOR_JS + r"""
() => {
  const text = (n) => (n ? (n.innerText || n.textContent || '') : '').replace(/\s+/g, ' ').trim();
  const shown = (el) => { const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && cs.visibility === 'visible' && !el.closest('[inert], [hidden]'); };
  const out = [];
  const groups = new Set();
  for (const el of document.querySelectorAll('select, input[type=radio], input[type=checkbox]')) {
    if (el.matches(':disabled') || !shown(el)) continue;
    let value = null;
    if (el.localName === 'select') {
      if (el.multiple) continue;
      const other = Array.from(el.options).find((o) => !o.disabled && o.index !== el.selectedIndex);
      if (!other) continue;
      value = other.value;
    } else {
      if (el.checked) continue;
      if (el.type === 'radio' && el.name) { const key = (el.form ? 'f' : '') + el.name; if (groups.has(key)) continue; groups.add(key); }
    }
    const described = (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean).map((id) => text(document.getElementById(id)));
    const labels = Array.from(el.labels || []).map(text);
    out.push({selector: window.__cmSelector(el), kind: el.localName === 'select' ? 'select' : el.type, value,
              said: [...labels, el.getAttribute('aria-label') || '', el.title || '', ...described].join(' ')});
  }
  return out;
}
"""

# Put a control back as it was, firing nothing.
_RESTORE = """([sel, state]) => { const el = document.querySelector(sel); if (!el) return;
  if (el.localName === 'select') el.selectedIndex = state; else el.checked = state; }"""
_STATE = """(sel) => { const el = document.querySelector(sel); return el.localName === 'select' ? el.selectedIndex : el.checked; }"""


def on_input(page: Page, *, evidence: Evidence | None = None) -> list[Finding]:
    """3.2.2 findings for the page as it is now: each control whose change changes the context."""
    path = page_path(page)
    controls: list[dict[str, Any]] = page.evaluate(_CONTROLS)
    if not controls:
        return []
    navigations: list[str] = []
    windows: list[str] = []

    def stay(route: Route) -> None:
        request = route.request
        if request.is_navigation_request() and request.frame == page.main_frame:
            navigations.append(f"{request.method} {request.url}")
            route.fulfill(status=204)
        else:
            route.fallback()

    def opened(popup: Page) -> None:
        windows.append(popup.url)
        popup.close()

    committed: list[str] = []

    def navigated(frame: Frame) -> None:
        if frame == page.main_frame:
            committed.append(frame.url)

    page.route("**/*", stay)
    page.on("popup", opened)
    page.on("framenavigated", navigated)
    out: list[Finding] = []
    url = page.url
    try:
        for control in controls:
            sel = str(control["selector"])
            before = page.evaluate(_STATE, sel)
            mark = page.evaluate("() => (window.__cmStays = String(Math.random()))")
            navigations.clear()
            windows.clear()
            committed.clear()
            if control["kind"] == "select":
                page.locator(sel).select_option(str(control["value"]), timeout=2000)
            else:
                page.locator(sel).check(timeout=2000, force=True)
            page.wait_for_timeout(WAIT_MS)
            try:
                replaced = not page.evaluate("(m) => window.__cmStays === m", mark)
            except PlaywrightError:  # the document is being replaced
                replaced = True
            changes = [*(f"loads {n}" for n in navigations), *(f"opens a window at {w}" for w in windows)]
            if replaced:
                # The old document can be gone before the new one commits: the URL is the committed one's.
                if not committed:
                    frame = page.wait_for_event("framenavigated", lambda f: f == page.main_frame, timeout=10_000)
                    committed.append(frame.url)
                page.wait_for_load_state("load")
                changes.append(f"loads {committed[-1] if committed else page.url}")
                page.goto(url, wait_until="load")
            else:
                if page.evaluate("(s) => { const a = document.activeElement; const el = document.querySelector(s); "
                                 "return !!(a && el && a !== el && a !== document.body && !el.contains(a) && "
                                 "!(el.labels && Array.from(el.labels).includes(a))); }", sel):
                    changes.append("moves focus away")
                page.evaluate(_RESTORE, [sel, before])
            if not changes:
                continue
            warned = bool(_WARNS.search(str(control["said"])))
            what = f"changing this {control['kind']} {', '.join(changes)}"
            out.append(Finding(
                rule="change-on-input", criterion="WCAG 3.2.2", page=path, selector=sel,
                severity=Severity.REVIEW if warned else "error",
                message=(f"needs review: {what}; its label says so ({str(control['said'])[:80]!r}): check the user is told "
                         "before using it") if warned else f"{what}: a change of context on input, with no warning",
                evidence=shoot(evidence, page, sel, f"on-input-{path}")))
    finally:
        page.remove_listener("popup", opened)
        page.remove_listener("framenavigated", navigated)
        page.unroute("**/*", stay)
    return out
