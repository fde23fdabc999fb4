"""Keyboard operation: every control reachable by Tab and Shift+Tab in an order that follows the
layout, no keyboard trap, a working skip link (WCAG 2.1.1, 2.1.2, 2.4.1, 2.4.3), custom controls
operable with Enter/Space and closable with Escape, and a visible focus indicator that meets
2.4.13 Focus Appearance (AAA): a changed area at least as large as a 2 CSS px perimeter of the
control, with a 3:1 contrast between its focused and unfocused pixels.
"""

# ruff: noqa: E501 - the page scripts below are JavaScript, kept readable on long lines

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from typing import Any

from PIL import Image
from playwright._impl._api_structures import Clip
from playwright.sync_api import Page

from pytest_castmatch.checks.evidence import SELECTOR_JS, Evidence, page_path, shoot
from pytest_castmatch.model import Finding

#: Most Tab presses spent on one page before the walk is cut short (reported, never silently).
MAX_STEPS = 150

_FOCUSABLES = SELECTOR_JS + r"""
() => {
  const sel = 'a[href], area[href], button, input:not([type=hidden]), select, textarea, summary, iframe, ' +
              '[tabindex], [contenteditable=""], [contenteditable=true]';
  const out = [];
  for (const el of document.querySelectorAll(sel)) {
    if (el.tabIndex < 0 || el.disabled || el.closest('[inert]')) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility !== 'visible' || !el.getClientRects().length) continue;
    let hidden = false;
    for (let n = el; n; n = n.parentElement) if (getComputedStyle(n).display === 'none') { hidden = true; break; }
    if (hidden) continue;
    // One stop per radio group: only the checked (or first) radio of a named group is in the tab order.
    if (el.type === 'radio' && el.name) {
      const group = Array.from(document.querySelectorAll(`input[type=radio][name="${CSS.escape(el.name)}"]`));
      const stop = group.find((r) => r.checked) || group[0];
      if (stop !== el) continue;
    }
    out.push({selector: window.__cmSelector(el), tabindex: el.tabIndex});
  }
  return out;
}
"""

_ACTIVE = SELECTOR_JS + r"""
() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const r = el.getBoundingClientRect();
  return {selector: window.__cmSelector(el), x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height,
          tag: el.localName, kind: el.localName + '|' + (el.type || '') + '|' + (el.getAttribute('class') || '') + '|' +
          (el.getAttribute('role') || ''), role: el.getAttribute('role') || '', native: el.matches(
          'a[href], button, input, select, textarea, summary'), expanded: el.getAttribute('aria-expanded'),
          href: el.getAttribute('href') || ''};
}
"""


_CUSTOM = SELECTOR_JS + r"""
() => Array.from(document.querySelectorAll('[role=button],[role=link],[role=checkbox],[role=switch],[role=tab],[role=menuitem]'))
  .filter((e) => !e.matches('a[href],button,input,select,textarea,summary') && e.tabIndex >= 0 && e.getClientRects().length)
  .map((e) => window.__cmSelector(e))
"""


@dataclass(frozen=True)
class Stop:
    """One focus stop of the Tab walk (document coordinates)."""

    selector: str
    x: float
    y: float
    w: float
    h: float
    kind: str
    data: dict[str, Any]


def _active(page: Page) -> Stop | None:
    d: dict[str, Any] | None = page.evaluate(_ACTIVE)
    if d is None:
        return None
    return Stop(str(d["selector"]), float(d["x"]), float(d["y"]), float(d["w"]), float(d["h"]), str(d["kind"]), d)


def _reset(page: Page) -> None:
    # Start the sequential navigation from the top of the document, as a fresh page load does.
    # A focused-then-removed marker at the top of <body> moves the sequential focus navigation
    # starting point there; blur() alone leaves it where the last focus was.
    page.evaluate("() => { const m = document.createElement('span'); m.tabIndex = -1; "
                  "document.body.prepend(m); m.focus(); m.remove(); window.scrollTo(0, 0); }")


def tab_walk(page: Page, key: str = "Tab", max_steps: int = MAX_STEPS) -> tuple[list[Stop], str]:
    """Press ``key`` until focus leaves the page or comes back round; returns the stops and how it ended."""
    stops: list[Stop] = []
    seen: dict[str, int] = {}
    for _ in range(max_steps):
        page.keyboard.press(key)
        stop = _active(page)
        if stop is None:
            return stops, "left"
        if stops and stop.selector == stops[-1].selector:
            return stops, "stuck"
        if stop.selector in seen:
            return stops, "cycle" if seen[stop.selector] > 0 else "wrapped"
        seen[stop.selector] = len(stops)
        stops.append(stop)
    return stops, "limit"


def reachability(page: Page, *, evidence: Evidence | None = None) -> list[Finding]:
    """Tab and Shift+Tab reach every focusable element, never get stuck, and follow the layout."""
    path = page_path(page)
    expected = [str(d["selector"]) for d in page.evaluate(_FOCUSABLES)]
    out: list[Finding] = []
    _reset(page)
    forward, end = tab_walk(page)
    if end in ("stuck", "cycle"):
        where = forward[-1].selector if forward else "body"
        out.append(Finding(rule="keyboard-trap", criterion="WCAG 2.1.2", page=path, selector=where,
                           message=f"focus cannot move on from {where} with Tab ({end} after {len(forward)} stops)",
                           evidence=shoot(evidence, page, where, f"trap-{path}")))
    elif end == "limit":
        out.append(Finding(rule="keyboard-walk-limit", severity="warning", page=path,
                           message=f"stopped after {MAX_STEPS} Tab presses; later controls were not checked"))
    reached = {s.selector for s in forward}
    if end not in ("stuck", "cycle", "limit"):
        for sel in expected:
            if sel not in reached:
                out.append(Finding(rule="keyboard-unreachable", criterion="WCAG 2.1.1", page=path, selector=sel,
                                   message="focusable element is never reached with Tab",
                                   evidence=shoot(evidence, page, sel, f"unreachable-{path}")))
        # Walk back from the last stop (Tab past the end may leave the page or wrap round).
        back: list[Stop] = []
        back_end = "left"
        if forward:
            page.focus(forward[-1].selector)
            back, back_end = tab_walk(page, "Shift+Tab")
        if back_end in ("stuck", "cycle"):
            where = back[-1].selector if back else "body"
            out.append(Finding(rule="keyboard-trap", criterion="WCAG 2.1.2", page=path, selector=where,
                               message=f"focus cannot move back from {where} with Shift+Tab"))
        else:
            want = [s.selector for s in reversed(forward[:-1])]
            got = [s.selector for s in back][: len(want)]
            if got != want:
                first = next((i for i, (g, w) in enumerate(zip(got, want, strict=False)) if g != w), len(got))
                out.append(Finding(
                    rule="keyboard-reverse-order", criterion="WCAG 2.4.3", page=path,
                    selector=got[first] if first < len(got) else None,
                    message=f"Shift+Tab does not retrace the Tab order: step {first + 1} goes to "
                            f"{got[first] if first < len(got) else 'nothing'}, expected {want[first]}"))
    out.extend(_order(forward, path, evidence, page))
    return out


def _order(stops: list[Stop], path: str, evidence: Evidence | None, page: Page) -> list[Finding]:
    out: list[Finding] = []
    for prev, cur in itertools.pairwise(stops):
        same_column = cur.x < prev.x + prev.w and prev.x < cur.x + cur.w
        # Entirely above the previous stop, in the same column: reading order would not go there next.
        if same_column and cur.y + cur.h <= prev.y + 1 and int(cur.data.get("tabindex", 0) or 0) >= 0:
            out.append(Finding(
                rule="focus-order", criterion="WCAG 2.4.3", page=path, selector=cur.selector,
                message=f"focus jumps back up the page from {prev.selector} to {cur.selector}",
                evidence=shoot(evidence, page, cur.selector, f"order-{path}")))
    positive = page.evaluate("() => Array.from(document.querySelectorAll('[tabindex]')).filter((e) => e.tabIndex > 0)"
                             ".map((e) => e.outerHTML.slice(0, 80))")
    for html in positive:
        out.append(Finding(rule="focus-order", criterion="WCAG 2.4.3", page=path, context=str(html),
                           message="positive tabindex overrides the layout's order"))
    return out


def skip_link(page: Page, *, evidence: Evidence | None = None) -> list[Finding]:
    """The first Tab stop is a link to the main content and following it moves focus there (2.4.1)."""
    path = page_path(page)
    _reset(page)
    page.keyboard.press("Tab")
    # Let a focus transition (even a 1 ms reduced-motion one) finish before judging visibility.
    page.wait_for_timeout(60)
    first = _active(page)
    href = str(first.data.get("href", "")) if first else ""
    if first is None or not href.startswith("#") or len(href) < 2:
        return [Finding(rule="skip-link", criterion="WCAG 2.4.1", page=path,
                        selector=first.selector if first else None,
                        message="the first Tab stop is not a link that skips to the main content")]
    target = page.evaluate("(id) => { const t = document.getElementById(id); return t ? "
                           "window.__cmSelector(t) : null; }", href[1:])
    if target is None:
        return [Finding(rule="skip-link", criterion="WCAG 2.4.1", page=path, selector=first.selector,
                        message=f"skip link points at {href}, which does not exist")]
    visible = first.w >= 1 and first.h >= 1 and page.evaluate(
        "(s) => { const r = document.querySelector(s).getBoundingClientRect(); "
        "return r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth; }", first.selector)
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    after = _active(page)
    inside = after is not None and bool(page.evaluate(
        "([t, a]) => { const tt = document.querySelector(t), aa = document.querySelector(a); "
        "return !!(tt && aa && (tt.contains(aa) || (tt.compareDocumentPosition(aa) & Node.DOCUMENT_POSITION_FOLLOWING))); }",
        [target, after.selector]))
    out = []
    if not visible:
        out.append(Finding(rule="skip-link", criterion="WCAG 2.4.7", page=path, selector=first.selector,
                           message="the skip link stays invisible when it has focus",
                           evidence=shoot(evidence, page, None, f"skip-{path}")))
    if not inside:
        out.append(Finding(rule="skip-link", criterion="WCAG 2.4.1", page=path, selector=first.selector,
                           message=f"after following the skip link, Tab goes to {after.selector if after else 'nothing'}"
                                   f", not into {target}"))
    return out


def _luminance(rgb: bytes) -> float:
    def chan(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * chan(rgb[0]) + 0.7152 * chan(rgb[1]) + 0.0722 * chan(rgb[2])


def contrast_changed_pixels(before: bytes, after: bytes, ratio: float = 3.0) -> int:
    """How many pixels changed between two same-size PNGs with at least ``ratio`` contrast."""
    a = Image.open(io.BytesIO(before)).convert("RGB")
    b = Image.open(io.BytesIO(after)).convert("RGB")
    if a.size != b.size:
        return 0
    cache: dict[bytes, float] = {}
    count = 0
    da, db = a.tobytes(), b.tobytes()
    for i in range(0, len(da), 3):
        pa, pb = da[i:i + 3], db[i:i + 3]
        if pa == pb:
            continue
        la = cache.get(pa)
        if la is None:
            la = cache[pa] = _luminance(pa)
        lb = cache.get(pb)
        if lb is None:
            lb = cache[pb] = _luminance(pb)
        hi, lo = max(la, lb), min(la, lb)
        if (hi + 0.05) / (lo + 0.05) >= ratio:
            count += 1
    return count


def focus_appearance(page: Page, *, evidence: Evidence | None = None, margin: int = 8) -> list[Finding]:
    """WCAG 2.4.13 for one control of each kind reached by Tab: focused vs unfocused pixels."""
    path = page_path(page)
    out: list[Finding] = []
    checked: set[str] = set()
    seen: set[str] = set()
    _reset(page)
    for _ in range(MAX_STEPS):
        page.keyboard.press("Tab")
        cur = _active(page)
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
        # Refocus so the Tab sequence continues from here (the last input was a key press, so
        # :focus-visible still applies).
        page.focus(cur.selector)
        changed = contrast_changed_pixels(unfocused, focused)
        # The area of a 2 CSS px thick perimeter of the control, counting only the sides whose
        # indicator can be on screen: a control at the page's top-left corner has its outline cut
        # by the viewport edge there, which no page can avoid. At least two sides always count.
        w, h = box[2], box[3]
        sides_w = (box[1] - margin >= 0) + (box[1] + h + margin <= vh)
        sides_h = (box[0] - margin >= 0) + (box[0] + w + margin <= vw)
        needed = max(2 * (w * sides_w + h * sides_h), 2 * (w + h))
        if changed < needed:
            out.append(Finding(
                rule="focus-appearance", criterion="WCAG 2.4.13", page=path, selector=cur.selector,
                message=f"focus indicator changes {changed} px at 3:1 contrast; needs {needed:.0f} px "
                        f"(a 2 CSS px perimeter of {w:.0f} x {h:.0f}, sides on screen)",
                evidence=shoot(evidence, page, cur.selector, f"focus-{path}")))
    return out


def operable(page: Page) -> list[Finding]:
    """Custom controls (ARIA roles on non-native elements) respond to Enter/Space; an expanded
    disclosure closes with Escape."""
    path = page_path(page)
    out: list[Finding] = []
    controls: list[str] = page.evaluate(_CUSTOM)
    for sel in controls:
        for key in ("Enter", "Space"):
            page.evaluate("(s) => { const el = document.querySelector(s); window.__cmHit = 0; "
                          "const mo = new MutationObserver(() => { window.__cmHit++; }); "
                          "mo.observe(document.body, {subtree: true, attributes: true, childList: true, "
                          "characterData: true}); window.__cmMo = mo; "
                          "el.addEventListener('click', () => { window.__cmHit++; }, {once: true}); }", sel)
            page.focus(sel)
            page.keyboard.press(key)
            page.wait_for_timeout(50)
            hit = page.evaluate("() => { window.__cmMo.disconnect(); return window.__cmHit; }")
            if not hit:
                out.append(Finding(rule="keyboard-operable", criterion="WCAG 2.1.1", page=path, selector=sel,
                                   message=f"custom control does nothing when {key} is pressed"))
            expanded = page.evaluate("(s) => document.querySelector(s).getAttribute('aria-expanded')", sel)
            if expanded == "true":
                page.keyboard.press("Escape")
                if page.evaluate("(s) => document.querySelector(s).getAttribute('aria-expanded')", sel) == "true":
                    out.append(Finding(rule="keyboard-escape", criterion="WCAG 2.1.1", page=path, selector=sel,
                                       message="what this control opened does not close with Escape"))
    return out


def all_checks(page: Page, *, evidence: Evidence | None = None) -> list[Finding]:
    """Reachability, order, traps, skip link, custom controls and focus appearance on one page."""
    return [*skip_link(page, evidence=evidence), *reachability(page, evidence=evidence),
            *operable(page), *focus_appearance(page, evidence=evidence)]
