"""Keyboard operation: every control reachable by Tab and Shift+Tab in an order that follows the
layout, no keyboard trap, a way past repeated blocks and a working skip link where there is one
(WCAG 2.1.1, 2.1.2, 2.4.1, 2.4.3), and custom controls operable with Enter/Space and closable with
Escape. Whether focus can be seen is :mod:`focus`'s.

A walk goes on when focus falls to the document mid-page (an element that drops focus is reported,
and Tab goes on from where it fell, as a user's next press would); "unreachable" means never reached.
Focus that cannot move on is a trap unless the page says how to leave it and that works: a key named
in its text ("Press Ctrl+M to exit"), shown at once or behind a help control inside the trap.
"""

# ruff: noqa: E501 - the page scripts below are JavaScript, kept readable on long lines

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from pytest_castmatch.checks.evidence import IS_HTML_PAGE_JS, SELECTOR_JS, Evidence, page_path, shoot
from pytest_castmatch.checks.focus import MAX_STEPS, Stop, active, focus_appearance, reset
from pytest_castmatch.model import Finding

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

_CUSTOM = SELECTOR_JS + r"""
() => Array.from(document.querySelectorAll('[role=button],[role=link],[role=checkbox],[role=switch],[role=tab],[role=menuitem]'))
  .filter((e) => !e.matches('a[href],button,input,select,textarea,summary') && e.tabIndex >= 0 && e.getClientRects().length)
  .map((e) => window.__cmSelector(e))
"""


#: How focus is left, when a page says how: "press Ctrl+M", "use Alt + Shift + X", "press Escape".
_INSTRUCTION = re.compile(
    r"\b(?:press|use|hit|type)\s+(?:the\s+)?((?:(?:ctrl|control|alt|option|shift|meta|cmd|command)\s*\+\s*)*"
    r"(?:esc(?:ape)?\b|f\d{1,2}\b|tab\b|enter\b|[a-z0-9]\b))", re.I)
_MODIFIERS = {"ctrl": "Control", "control": "Control", "alt": "Alt", "option": "Alt", "shift": "Shift",
              "meta": "Meta", "cmd": "Meta", "command": "Meta"}
_HELP = re.compile(r"\b(help|how to|instructions?|keyboard|shortcuts?)\b", re.I)


def key_from_instruction(text: str) -> str | None:
    """``"Ctrl+M"`` -> ``"Control+m"`` (a Playwright key), or None when ``text`` names no key."""
    parts = [p.strip().lower() for p in text.split("+") if p.strip()]
    if not parts:
        return None
    *mods, key = parts
    if any(m not in _MODIFIERS for m in mods):
        return None
    named = {"esc": "Escape", "escape": "Escape", "tab": "Tab", "enter": "Enter"}
    main = named.get(key) or (key.upper() if re.fullmatch(r"f\d{1,2}", key) else key)
    return "+".join([*(_MODIFIERS[m] for m in mods), main])


@dataclass
class Walk:
    """A Tab (or Shift+Tab) walk: the stops in order, how it ended, and where focus fell to the
    document on the way (the stop after which it fell)."""

    stops: list[Stop] = field(default_factory=list)
    end: str = "left"
    drops: list[str] = field(default_factory=list)
    #: Where focus went round and round (a trap): the stops it kept coming back to.
    loop: list[str] = field(default_factory=list)


def tab_walk(page: Page, key: str = "Tab", max_steps: int = MAX_STEPS, start: str | None = None) -> Walk:
    """Press ``key`` until focus leaves the page or comes back round.

    Focus that falls to the document mid-walk is not the end: the next press goes on from where it
    fell (and, if that lands on the document again, from the last focused element). Only a press
    that finds nothing new ends the walk. ``start`` names the element focused before the first press,
    which counts as already reached.
    """
    walk = Walk()
    seen: dict[str, int] = {start: 0} if start else {}
    presses = 0
    while presses < max_steps:
        page.keyboard.press(key)
        presses += 1
        stop = active(page)
        if stop is None:
            page.keyboard.press(key)
            presses += 1
            stop = active(page)
            if stop is None and walk.stops:
                try:
                    page.focus(walk.stops[-1].selector, timeout=1000)
                except PlaywrightError:
                    return walk
                page.keyboard.press(key)
                presses += 1
                stop = active(page)
            if stop is None or stop.selector in seen:
                return walk  # past the last control: focus left the page
            if walk.stops and not _went_round(page, walk.stops[-1].selector, stop.selector, backwards=key != "Tab"):
                walk.drops.append(walk.stops[-1].selector)
        if walk.stops and stop.selector == walk.stops[-1].selector:
            walk.end, walk.loop = "stuck", [stop.selector]
            return walk
        if stop.selector in seen:
            # Back at the first stop by one move of focus is the sequence wrapping round; anywhere
            # else, or after a script moved focus again, it is focus pulled round: a cycle.
            pulled = len(stop.data.get("moved") or []) > 1
            if seen[stop.selector] == 0 and not pulled:
                walk.end = "wrapped"
                return walk
            walk.end, walk.loop = "cycle", [s.selector for s in walk.stops[seen[stop.selector]:]]
            return walk
        seen[stop.selector] = len(walk.stops)
        walk.stops.append(stop)
    walk.end = "limit"
    return walk


def _went_round(page: Page, before: str, after: str, *, backwards: bool) -> bool:
    """Whether focus that left the page between ``before`` and ``after`` went round the document's
    end (back to its start, as past the last control) rather than falling mid-page."""
    return bool(page.evaluate(
        "([a, b, back]) => { const x = document.querySelector(a), y = document.querySelector(b); if (!x || !y) return false; "
        "const p = x.compareDocumentPosition(y); return back ? !!(p & Node.DOCUMENT_POSITION_FOLLOWING) "
        ": !!(p & Node.DOCUMENT_POSITION_PRECEDING); }", [before, after, backwards]))


def escape(page: Page, trapped: list[str]) -> str | None:
    """How focus leaves the ``trapped`` elements, when the page says how and it works; else None.

    Escape (a standard way out) is tried first; then each key the page's text names, with focus in
    the trap; then the same after activating a help control inside the trap (instructions shown on
    demand).
    """
    inside = set(trapped)

    def tried(key: str) -> bool:
        try:
            page.focus(trapped[-1], timeout=1000)
            page.keyboard.press(key)
        except PlaywrightError:
            return False
        now = active(page)
        return now is not None and now.selector not in inside

    if tried("Escape"):
        return "Escape"
    for attempt in range(2):
        text = str(page.evaluate("() => document.body ? document.body.innerText : ''"))
        for match in _INSTRUCTION.finditer(text):
            key = key_from_instruction(match.group(1))
            if key and tried(key):
                return f"{key} (the page says: {match.group(0)!r})"
        if attempt:
            break
        names = page.evaluate("(sels) => sels.map((s) => { const e = document.querySelector(s); "
                              "return e ? e.textContent + ' ' + (e.getAttribute('aria-label') || '') : ''; })", trapped)
        helpers = [sel for sel, name in zip(trapped, names, strict=True) if _HELP.search(str(name))]
        if not helpers:
            break
        for sel in helpers:
            try:
                page.focus(str(sel), timeout=1000)
                page.keyboard.press("Enter")
            except PlaywrightError:
                continue
    return None


def reachability(page: Page, *, evidence: Evidence | None = None) -> list[Finding]:
    """Tab and Shift+Tab reach every focusable element, never get stuck, and follow the layout."""
    path = page_path(page)
    expected = [str(d["selector"]) for d in page.evaluate(_FOCUSABLES)]
    out: list[Finding] = []
    reset(page)
    walk = tab_walk(page)
    forward, end = walk.stops, walk.end
    if end in ("stuck", "cycle"):
        where = forward[-1].selector if forward else "body"
        way_out = escape(page, walk.loop or [where])
        if way_out is None:
            out.append(Finding(rule="keyboard-trap", criterion="WCAG 2.1.2", page=path, selector=where,
                               message=f"focus cannot move on from {where} with Tab ({end} after {len(forward)} stops) "
                                       "and the page says of no other way out that works",
                               evidence=shoot(evidence, page, where, f"trap-{path}")))
            out.extend(_order(forward, path, evidence, page))
            return out
        out.append(Finding(rule="keyboard-trap-documented", severity="note", page=path, selector=where,
                           message=f"Tab cannot move on from {where}; the page's own way out works: {way_out}"))
        return out + _order(forward, path, evidence, page)
    if end == "limit":
        out.append(Finding(rule="keyboard-walk-limit", severity="warning", page=path,
                           message=f"stopped after {MAX_STEPS} Tab presses; later controls were not checked"))
        return out + _order(forward, path, evidence, page)
    for after in walk.drops:
        out.append(Finding(rule="focus-lost", severity="warning", criterion="WCAG 2.4.3", page=path, selector=after or None,
                           message=f"focus fell to the page itself after {after or 'the start'}; Tab went on from there"))
    reached = {s.selector for s in forward}
    for sel in expected:
        if sel not in reached:
            out.append(Finding(rule="keyboard-unreachable", criterion="WCAG 2.1.1", page=path, selector=sel,
                               message="focusable element is never reached with Tab",
                               evidence=shoot(evidence, page, sel, f"unreachable-{path}")))
    # Walk back from the last stop (Tab past the end may leave the page or wrap round).
    back = Walk()
    if forward:
        page.focus(forward[-1].selector)
        back = tab_walk(page, "Shift+Tab", start=forward[-1].selector)
    if back.end in ("stuck", "cycle"):
        where = back.stops[-1].selector if back.stops else "body"
        out.append(Finding(rule="keyboard-trap", criterion="WCAG 2.1.2", page=path, selector=where,
                           message=f"focus cannot move back from {where} with Shift+Tab"))
    else:
        want = [s.selector for s in reversed(forward[:-1])]
        got = [s.selector for s in back.stops][: len(want)]
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


# How a page lets its users past the blocks it repeats on every page (WCAG 2.4.1), as the input rules
# of ACT's composite rule cf77f2 accept it: the page's first text is already its own content (nothing
# repeated comes before it), a main landmark, a heading outside the repeated blocks, a link to a part
# of the page, a control named as a skip, or a control that collapses a block. The first one found is
# named; "" when there is none; None for a document that is not an HTML page (the rule does not apply).
_BYPASS = r"""
() => {
  if (!""" + IS_HTML_PAGE_JS + r""") return null;
  const shown = (el) => {
    for (let n = el; n; n = n.parentElement) {
      const cs = getComputedStyle(n);
      if (cs.display === 'none' || n.hidden || n.getAttribute('aria-hidden') === 'true') return false;
    }
    return getComputedStyle(el).visibility !== 'hidden' && el.getClientRects().length > 0;
  };
  const repeated = 'a[href], button, select, input, textarea, nav, aside, header, footer, [role=navigation], '
    + '[role=complementary], [role=banner], [role=contentinfo], [role=link], [role=button]';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || !el || el.closest('script, style, noscript, template') || !shown(el)) continue;
    if (!el.closest(repeated)) return 'the content comes before any repeated block';
    break;
  }
  if ([...document.querySelectorAll('main, [role=main]')].some(shown)) return 'a main landmark';
  const outside = 'nav, aside, header, footer, [role=navigation], [role=complementary], [role=banner], [role=contentinfo]';
  if ([...document.querySelectorAll('h1, h2, h3, h4, h5, h6, [role=heading]')].some(
      (h) => shown(h) && h.textContent.trim() && !h.closest(outside))) return 'a heading for the content';
  for (const a of document.querySelectorAll('a[href^="#"]')) {
    const id = decodeURIComponent(a.getAttribute('href').slice(1));
    const target = id && (document.getElementById(id) || document.getElementsByName(id)[0]);
    if (target && target !== a && shown(a)) return 'a link to a part of the page';
  }
  const controls = [...document.querySelectorAll('a[href], button, [role=button], [role=link], [onclick]')].filter(shown);
  const name = (el) => (el.getAttribute('aria-label') || el.textContent || '').trim();
  if (controls.some((el) => /\b(skip|jump)\b/i.test(name(el)))) return 'a control that skips';
  if (controls.some((el) => el.hasAttribute('aria-expanded') || (el.hasAttribute('onclick')
      && /\b(toggle|hide|show|collapse|expand)\b/i.test(name(el))))) return 'a control that collapses a block';
  return '';
}
"""


def bypass_blocks(page: Page) -> list[Finding]:
    """WCAG 2.4.1: a finding when nothing lets a user past the blocks repeated before the content."""
    found: str | None = page.evaluate(_BYPASS)
    if found is None or found:
        return []
    return [Finding(rule="bypass-blocks", criterion="WCAG 2.4.1", page=page_path(page),
                    message="nothing bypasses the blocks repeated before the content: no skip link, no main "
                            "landmark, no heading for the content, no link to a part of the page")]


def skip_link(page: Page, *, evidence: Evidence | None = None) -> list[Finding]:
    """A skip link, when the first Tab stop is one, works: its target exists, it shows when focused and
    following it moves focus there. Without one, the page needs another way past its repeated blocks
    (:func:`bypass_blocks`: a main landmark or a heading is enough for 2.4.1)."""
    path = page_path(page)
    if not page.evaluate(f"() => {IS_HTML_PAGE_JS}"):
        return []  # not an HTML page (an SVG or XML document): it has no blocks to bypass
    reset(page)
    page.keyboard.press("Tab")
    # Let a focus transition (even a 1 ms reduced-motion one) finish before judging visibility.
    page.wait_for_timeout(60)
    first = active(page, settle=0)
    href = str(first.data.get("href", "")) if first else ""
    if first is None or not href.startswith("#") or len(href) < 2:
        return bypass_blocks(page)
    # A fragment names an element by id, or an <a name> anchor (HTML's indicated part of the document).
    target = page.evaluate("(id) => { const t = document.getElementById(id) || Array.from(document.getElementsByName(id))"
                           ".find((e) => e.localName === 'a'); return t ? window.__cmSelector(t) : null; }", href[1:])
    if target is None:
        return [Finding(rule="skip-link", criterion="WCAG 2.4.1", page=path, selector=first.selector,
                        message=f"skip link points at {href}, which does not exist")]
    visible = first.w >= 1 and first.h >= 1 and page.evaluate(
        "(s) => { const r = document.querySelector(s).getBoundingClientRect(); "
        "return r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth; }", first.selector)
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    after = active(page)
    if after is None:  # focus fell to the page on the way: the next press goes on from where it fell
        page.keyboard.press("Tab")
        after = active(page)
    inside = after is not None and bool(page.evaluate(
        "([t, a]) => { const tt = document.querySelector(t), aa = document.querySelector(a); "
        "return !!(tt && aa && (tt.contains(aa) || (tt.compareDocumentPosition(aa) & Node.DOCUMENT_POSITION_FOLLOWING))); }",
        [target, after.selector]))
    # With nothing focusable in or after the target, the next Tab has nowhere to show the move.
    beyond = bool(page.evaluate(
        "(t) => { const tt = document.querySelector(t); return !!tt && Array.from(document.querySelectorAll("
        "'a[href], area[href], button, input:not([type=hidden]), select, textarea, summary, iframe, "
        "[tabindex]:not([tabindex=\"-1\"])')).some((el) => tt.contains(el) || "
        "(tt.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING)); }", target))
    inside = inside or not beyond
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
