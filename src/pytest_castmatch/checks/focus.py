"""Where keyboard focus is, and whether a user can see it: WCAG 2.4.7 Focus Visible and 2.4.13 Focus
Appearance (AAA).

2.4.7 holds when any pixel of the window changes between the control focused and not focused. 2.4.13
needs a changed area at least as large as a 2 CSS px perimeter of the control, with 3:1 contrast
between its focused and unfocused pixels; the area is counted around the control, or over the whole
window where the indicator is drawn elsewhere. As 2.4.13 says, an indicator the browser draws on a
background the author left alone is exempt: only a styled indicator, or one on a styled background,
is measured.
"""

# ruff: noqa: E501 - the page scripts below are JavaScript, kept readable on long lines

from __future__ import annotations

import io
from typing import Any

from PIL import Image, ImageChops
from playwright._impl._api_structures import Clip
from playwright.sync_api import Page

from pytest_castmatch.checks.contrast import luminance
from pytest_castmatch.checks.evidence import SELECTOR_JS, Evidence, page_path, shoot
from pytest_castmatch.model import Finding
from pytest_castmatch.record import Record, record

#: Most Tab presses spent on one page before a walk is cut short (reported, never silently).
MAX_STEPS = 150
#: How long focus is left to settle after a key press: focus and blur handlers that move focus on
#: a timer (a trap that pulls focus back, a widget that hands it on) have run by then.
SETTLE_MS = 15

# The focused element after ``settle`` ms (null when focus is on the document itself), and every
# element that received focus since the last call (a key press moves focus once; more is a script).
_ACTIVE = SELECTOR_JS + r"""
async (settle) => {
  if (settle) await new Promise((r) => setTimeout(r, settle));
  const log = window.__cmFocusLog || [];
  window.__cmFocusLog = [];
  if (!window.__cmFocusWatch) {
    window.__cmFocusWatch = true;
    document.addEventListener('focusin', (e) => { (window.__cmFocusLog = window.__cmFocusLog || []).push(e.target); }, true);
  }
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const r = el.getBoundingClientRect();
  return {selector: window.__cmSelector(el), x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height,
          moved: log.map((n) => window.__cmSelector(n)),
          tag: el.localName, kind: el.localName + '|' + (el.type || '') + '|' + (el.getAttribute('class') || '') + '|' +
          (el.getAttribute('role') || ''), role: el.getAttribute('role') || '', native: el.matches(
          'a[href], button, input, select, textarea, summary'), expanded: el.getAttribute('aria-expanded'),
          href: el.getAttribute('href') || '', tabindex: el.tabIndex};
}
"""


@record
class Stop(Record):
    """One focus stop of a Tab walk (document coordinates)."""

    selector: str
    x: float
    y: float
    w: float
    h: float
    kind: str
    data: dict[str, Any]


# Whether the author styled the focus indicator of the control ``s`` or its background: a style rule
# that sets an outline, box shadow, border or background for a :focus state (or an outline or box
# shadow on a selector the control matches), an inline style on it or an ancestor, a background
# colour on an ancestor, or a stylesheet that cannot be read (counted as styled). 2.4.13 exempts an
# indicator the user agent draws on a background the author left alone.
_AUTHOR_STYLED = r"""
(s) => {
  const el = document.querySelector(s);
  if (!el) return true;
  const indicator = ['outline', 'outline-style', 'outline-width', 'outline-color', 'outline-offset', 'box-shadow'];
  const focusOnly = ['border', 'border-color', 'border-width', 'border-style', 'background', 'background-color'];
  const matches = (sel) => { try { return el.matches(sel); } catch (e) { return false; } };
  const styled = (rules) => {
    for (const r of rules) {
      if (!r.selectorText) { if (r.cssRules && styled(r.cssRules)) return true; continue; }
      const focus = /:focus/.test(r.selectorText);
      const sets = (props) => props.some((p) => r.style.getPropertyValue(p));
      if ((focus && sets([...indicator, ...focusOnly])) || (sets(indicator) && matches(r.selectorText))) return true;
    }
    return false;
  };
  for (const sheet of document.styleSheets) {
    let rules;
    try { rules = sheet.cssRules; } catch (e) { return true; }
    if (styled(rules)) return true;
  }
  // An empty style attribute styles nothing (a screenshot that hid the caret leaves one behind).
  const inline = (n) => !!(n.getAttribute('style') || '').trim();
  if (inline(el)) return true;
  for (let n = el.parentElement; n; n = n.parentElement) {
    const bg = getComputedStyle(n).backgroundColor;
    if (inline(n) || (bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent')) return true;
  }
  return false;
}
"""


def active(page: Page, settle: int = SETTLE_MS) -> Stop | None:
    """The focused element once focus has settled, or None when the document itself has focus."""
    d: dict[str, Any] | None = page.evaluate(_ACTIVE, settle)
    if d is None:
        return None
    return Stop(str(d["selector"]), float(d["x"]), float(d["y"]), float(d["w"]), float(d["h"]), str(d["kind"]), d)


def reset(page: Page) -> None:
    """Start sequential navigation from the top of the document, as a fresh page load does.

    A focused-then-removed marker at the top of <body> moves the sequential focus navigation
    starting point there; blur() alone leaves it where the last focus was. Focus changes are
    watched from then on (see :func:`active`).
    """
    page.evaluate("() => { const m = document.createElement('span'); m.tabIndex = -1; "
                  "document.body.prepend(m); m.focus(); m.remove(); window.scrollTo(0, 0); }")
    active(page, settle=0)


def contrast_changed_pixels(before: bytes, after: bytes, ratio: float = 3.0) -> int:
    """How many pixels changed between two same-size PNGs with at least ``ratio`` contrast."""
    a = Image.open(io.BytesIO(before)).convert("RGB")
    b = Image.open(io.BytesIO(after)).convert("RGB")
    if a.size != b.size:
        return 0
    # Pixels outside the bounding box of the difference are equal and never count.
    changed = ImageChops.difference(a, b).getbbox()
    if changed is None:
        return 0
    cache: dict[bytes, float] = {}
    count = 0
    da, db = a.crop(changed).tobytes(), b.crop(changed).tobytes()
    for i in range(0, len(da), 3):
        pa, pb = da[i:i + 3], db[i:i + 3]
        if pa == pb:
            continue
        la = cache.get(pa)
        if la is None:
            la = cache[pa] = luminance((pa[0], pa[1], pa[2]))
        lb = cache.get(pb)
        if lb is None:
            lb = cache[pb] = luminance((pb[0], pb[1], pb[2]))
        hi, lo = max(la, lb), min(la, lb)
        if (hi + 0.05) / (lo + 0.05) >= ratio:
            count += 1
    return count


def _pixels_differ(before: bytes, after: bytes) -> bool:
    a = Image.open(io.BytesIO(before)).convert("RGB")
    b = Image.open(io.BytesIO(after)).convert("RGB")
    return a.size != b.size or a.tobytes() != b.tobytes()


def focus_appearance(page: Page, *, evidence: Evidence | None = None, margin: int = 8) -> list[Finding]:
    """WCAG 2.4.7 and 2.4.13 for one control of each kind reached by Tab: focused vs unfocused pixels."""
    path = page_path(page)
    out: list[Finding] = []
    checked: set[str] = set()
    seen: set[str] = set()
    reset(page)
    for _ in range(MAX_STEPS):
        page.keyboard.press("Tab")
        cur = active(page, settle=0)
        if cur is None or cur.selector in seen:
            break
        seen.add(cur.selector)
        if cur.kind in checked or cur.w < 1 or cur.h < 1:
            continue
        checked.add(cur.kind)
        page.wait_for_timeout(30)
        page.evaluate("(s) => document.querySelector(s).scrollIntoView({block: 'center', behavior: 'instant'})",
                      cur.selector)
        box = page.evaluate("(s) => { const r = document.querySelector(s).getBoundingClientRect(); "
                            "return [r.left, r.top, r.width, r.height]; }", cur.selector)
        vw, vh = page.evaluate("() => [innerWidth, innerHeight]")
        x0, y0 = max(0.0, box[0] - margin), max(0.0, box[1] - margin)
        clip = Clip(x=x0, y=y0, width=min(vw - x0, box[2] + 2 * margin), height=min(vh - y0, box[3] + 2 * margin))
        if clip["width"] < 1 or clip["height"] < 1:
            continue
        focused = page.screenshot(clip=clip, animations="disabled", caret="hide")
        page.evaluate("(s) => document.querySelector(s).blur()", cur.selector)
        unfocused = page.screenshot(clip=clip, animations="disabled", caret="hide")
        window = None
        if not _pixels_differ(unfocused, focused):
            # Nothing changed around the control: the indicator may be drawn elsewhere in the window.
            unfocused = page.screenshot(animations="disabled", caret="hide")
            page.focus(cur.selector)
            focused = page.screenshot(animations="disabled", caret="hide")
            window = _pixels_differ(unfocused, focused)
        # Refocus so the Tab sequence continues from here (the last input was a key press, so
        # :focus-visible still applies).
        page.focus(cur.selector)
        if window is False:
            out.append(Finding(
                rule="focus-visible", criterion="WCAG 2.4.7", page=path, selector=cur.selector,
                message="nothing on the page changes when this control has keyboard focus",
                evidence=shoot(evidence, page, cur.selector, f"focus-visible-{path}")))
        changed = contrast_changed_pixels(unfocused, focused)
        # The area of a 2 CSS px thick perimeter of the control, counting only the sides whose
        # indicator can be on screen: a control at the page's top-left corner has its outline cut
        # by the viewport edge there, which no page can avoid. At least two sides always count.
        w, h = box[2], box[3]
        sides_w = (box[1] - margin >= 0) + (box[1] + h + margin <= vh)
        sides_h = (box[0] - margin >= 0) + (box[0] + w + margin <= vw)
        needed = max(2 * (w * sides_w + h * sides_h), 2 * (w + h))
        if changed < needed and page.evaluate(_AUTHOR_STYLED, cur.selector):
            where = "in the window" if window else "around it"
            out.append(Finding(
                rule="focus-appearance", criterion="WCAG 2.4.13", page=path, selector=cur.selector,
                message=f"focus indicator changes {changed} px {where} at 3:1 contrast; needs {needed:.0f} px "
                        f"(a 2 CSS px perimeter of {w:.0f} x {h:.0f}, sides on screen)",
                evidence=shoot(evidence, page, cur.selector, f"focus-{path}")))
    return out
