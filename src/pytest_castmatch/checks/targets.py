"""Pointer target size, WCAG 2.5.5 Target Size (Enhanced, AAA): at least 44 x 44 CSS px.

axe only checks the 24 px AA rule (2.5.8). The criterion's exceptions, as the W3C states them:

- Equivalent: the target is available through an equivalent link or control on the same page that
  is at least 44 x 44 (here: a link to the same URL, a control with the same role, name and form, or
  an author-declared ``data-target-equivalent="<selector>"``);
- Inline: the target is in a sentence or block of text;
- User agent control: its size is determined by the user agent and not modified by the author
  (compared with a pristine element of the same kind in a blank frame);
- Essential: a particular presentation is essential (only the author knows: ``data-target-essential``).

The size measured is the part of the target a pointer can actually hit: transforms are applied,
the box is clipped by overflow-hiding ancestors, and points covered by other elements are removed
(sampled with ``elementFromPoint``). Targets no pointer can reach are not targets: display none,
visibility hidden, ``pointer-events: none``, inert, disabled, fully clipped or off the page, or
``aria-hidden`` and not focusable.
"""

# ruff: noqa: E501 - the page scripts below are JavaScript, kept readable on long lines

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Page

from pytest_castmatch.checks.evidence import SELECTOR_JS, Evidence, page_path, shoot
from pytest_castmatch.model import Finding

MINIMUM = 44.0

_SCRIPT = SELECTOR_JS + r"""
(minimum) => {
  const CANDIDATES = 'a[href], area[href], button, input:not([type=hidden]), select, textarea, summary, ' +
    '[role=button], [role=link], [role=checkbox], [role=radio], [role=switch], [role=tab], [role=menuitem], ' +
    '[role=menuitemcheckbox], [role=menuitemradio], [role=option], [role=slider], [role=spinbutton], ' +
    '[onclick], [tabindex]:not([tabindex="-1"])';
  const UA_KINDS = new Set(['input', 'select', 'textarea']);
  const BUTTONISH = new Set(['button', 'submit', 'reset', 'image', 'file']);
  const doc = document.documentElement;
  const focusable = (el) => el.tabIndex >= 0 && !el.disabled;
  const rectOf = (r) => ({left: r.left, top: r.top, right: r.right, bottom: r.bottom});
  const area = (r) => Math.max(0, r.right - r.left) * Math.max(0, r.bottom - r.top);
  const meet = (a, b) => ({left: Math.max(a.left, b.left), top: Math.max(a.top, b.top),
                           right: Math.min(a.right, b.right), bottom: Math.min(a.bottom, b.bottom)});

  function reachable(el) {
    if (el.closest('[inert]')) return 'inert';
    if (el.disabled || el.getAttribute('aria-disabled') === 'true') return 'disabled';
    const cs = getComputedStyle(el);
    if (cs.visibility !== 'visible') return 'visibility';
    if (cs.pointerEvents === 'none') return 'pointer-events';
    if (!el.getClientRects().length) return 'not rendered';
    if (el.closest('[aria-hidden=true]') && !focusable(el)) return 'aria-hidden';
    for (let n = el; n && n !== doc; n = n.parentElement) {
      const s = getComputedStyle(n);
      if (s.display === 'none') return 'hidden';
      if (s.clip && s.clip.startsWith('rect(') && /rect\(0(px)?,? 0(px)?,? 0(px)?,? 0(px)?\)/.test(s.clip)) return 'clipped';
    }
    return '';
  }
  // The box a pointer sees: transformed, clipped by ancestors that hide overflow, inside the page.
  function visibleBox(el) {
    let box = rectOf(el.getBoundingClientRect());
    for (let n = el.parentElement; n && n !== doc; n = n.parentElement) {
      const s = getComputedStyle(n);
      const hideX = s.overflowX === 'hidden' || s.overflowX === 'clip' || s.contain.includes('paint');
      const hideY = s.overflowY === 'hidden' || s.overflowY === 'clip' || s.contain.includes('paint');
      if (hideX || hideY) {
        const r = n.getBoundingClientRect();
        const clip = {left: r.left + n.clientLeft, top: r.top + n.clientTop, right: r.left + n.clientLeft + n.clientWidth,
                      bottom: r.top + n.clientTop + n.clientHeight};
        box = {left: hideX ? Math.max(box.left, clip.left) : box.left,
               right: hideX ? Math.min(box.right, clip.right) : box.right,
               top: hideY ? Math.max(box.top, clip.top) : box.top,
               bottom: hideY ? Math.min(box.bottom, clip.bottom) : box.bottom};
      }
      if (s.position === 'fixed') break;
    }
    const sx = window.scrollX, sy = window.scrollY;
    const pageBox = {left: -sx, top: -sy, right: doc.scrollWidth - sx, bottom: doc.scrollHeight - sy};
    return meet(box, pageBox);
  }
  const scrolled = [];
  // Centre the target in its scrollable ancestors and the window (never in overflow:hidden boxes,
  // which a user cannot scroll): elementFromPoint only sees what is on screen.
  function bringIntoView(el) {
    for (let n = el.parentElement; n && n !== doc && n !== document.body; n = n.parentElement) {
      const s = getComputedStyle(n);
      const sx = s.overflowX === 'auto' || s.overflowX === 'scroll', sy = s.overflowY === 'auto' || s.overflowY === 'scroll';
      if (!sx && !sy) continue;
      scrolled.push([n, n.scrollLeft, n.scrollTop]);
      const r = el.getBoundingClientRect(), c = n.getBoundingClientRect();
      if (sx) n.scrollLeft += (r.left + r.right) / 2 - (c.left + c.right) / 2;
      if (sy) n.scrollTop += (r.top + r.bottom) / 2 - (c.top + c.bottom) / 2;
    }
    const r = el.getBoundingClientRect();
    window.scrollTo(window.scrollX + (r.left + r.right) / 2 - innerWidth / 2, window.scrollY + (r.top + r.bottom) / 2 - innerHeight / 2);
  }
  function labelsOf(el) {
    return el.labels ? Array.from(el.labels) : [];
  }
  // Points of the visible box that a click would deliver to the target (or one of its labels).
  function targetBox(el) {
    let box = visibleBox(el);
    if (el.localName === 'input' || el.localName === 'select' || el.localName === 'textarea') {
      for (const label of labelsOf(el)) {
        if (!reachable(label)) box = union(box, visibleBox(label));
      }
    }
    return box;
  }
  function hitBox(el, box) {
    const hits = (node) => node && (el === node || el.contains(node) || labelsOf(el).some((l) => l === node || l.contains(node)));
    const width = box.right - box.left, height = box.bottom - box.top;
    bringIntoView(el);
    const r0 = targetBox(el);
    const N = 9;
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity, count = 0;
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        const x = r0.left + (r0.right - r0.left) * (i + 0.5) / N, y = r0.top + (r0.bottom - r0.top) * (j + 0.5) / N;
        if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) continue;
        if (hits(document.elementFromPoint(x, y))) {
          count++;
          minX = Math.min(minX, i); maxX = Math.max(maxX, i); minY = Math.min(minY, j); maxY = Math.max(maxY, j);
        }
      }
    }
    if (!count) return {width: 0, height: 0, covered: true};
    const cw = (r0.right - r0.left) / N, ch = (r0.bottom - r0.top) / N;
    // The sampled hit area, scaled back to CSS px (each sample stands for one cell of the grid).
    return {width: Math.min(width, (maxX - minX + 1) * cw), height: Math.min(height, (maxY - minY + 1) * ch),
            covered: count < N * N};
  }
  function union(a, b) {
    return {left: Math.min(a.left, b.left), top: Math.min(a.top, b.top), right: Math.max(a.right, b.right),
            bottom: Math.max(a.bottom, b.bottom)};
  }
  // In a sentence or block of text: the target flows as text (display: inline) and its block holds
  // other running text on the same lines, not just other controls.
  function inline(el) {
    if (getComputedStyle(el).display !== 'inline') return false;
    let block = el.parentElement;
    while (block && getComputedStyle(block).display === 'inline') block = block.parentElement;
    if (!block) return false;
    let text = 0;
    const walk = (node) => {
      for (const child of node.childNodes) {
        if (child.nodeType === 3) text += child.textContent.replace(/\s+/g, '').length;
        else if (child.nodeType === 1 && child !== el && !child.matches(CANDIDATES)
                 && getComputedStyle(child).display === 'inline') walk(child);
      }
    };
    walk(block);
    return text >= 10;
  }
  let frame = null;
  // Rendered the same as a copy of itself in a blank document, with no author styles: its size is
  // the user agent's.
  function uaSized(el) {
    const kind = el.localName;
    if (!UA_KINDS.has(kind) || (kind === 'input' && BUTTONISH.has(el.type))) return false;
    if (!frame) {
      frame = document.createElement('iframe');
      frame.style.cssText = 'position:absolute;left:-9999px;top:0;width:600px;height:200px;border:0';
      document.body.appendChild(frame);
      frame.contentDocument.open();
      frame.contentDocument.write('<!doctype html><html><body></body></html>');
      frame.contentDocument.close();
    }
    const fdoc = frame.contentDocument;
    const probe = fdoc.importNode(el, true);
    for (const attr of ['style', 'class', 'id', 'width', 'height', 'size']) probe.removeAttribute(attr);
    fdoc.body.replaceChildren(probe);
    return Math.abs(el.offsetWidth - probe.offsetWidth) < 0.5 && Math.abs(el.offsetHeight - probe.offsetHeight) < 0.5;
  }
  function roleOf(el) {
    return el.getAttribute('role') || el.localName + (el.type ? ':' + el.type : '');
  }
  function nameOf(el) {
    return (el.getAttribute('aria-label') || el.textContent || el.value || el.title || '').replace(/\s+/g, ' ').trim();
  }
  const start = [window.scrollX, window.scrollY];
  const targets = [];
  for (const el of document.querySelectorAll(CANDIDATES)) {
    if (reachable(el)) continue;
    // A target inside another target is one target to the pointer: the outer one is measured.
    if (el.parentElement && el.parentElement.closest('a[href], button, [role=button], [role=link]')) continue;
    const box = targetBox(el);
    if (area(box) <= 0) continue;
    targets.push({el, box});
  }
  const results = [];
  const passing = [];
  for (const t of targets) {
    const hit = hitBox(t.el, t.box);
    if (hit.width === 0 && hit.height === 0) continue;  // wholly covered: no pointer can reach it
    t.width = hit.width; t.height = hit.height; t.covered = hit.covered;
    t.ok = hit.width >= minimum - 0.5 && hit.height >= minimum - 0.5;
    if (t.ok) passing.push(t.el);
  }
  const sameTarget = (a, b) => {
    if (a === b) return false;
    if (a.href && b.href) return a.href === b.href;
    return roleOf(a) === roleOf(b) && nameOf(a) !== '' && nameOf(a) === nameOf(b) && (a.form || null) === (b.form || null);
  };
  for (const t of targets) {
    if (t.width === undefined || t.ok) continue;
    const el = t.el;
    let exception = '';
    if (el.closest('[data-target-essential]')) exception = 'essential';
    else if (inline(el)) exception = 'inline';
    else if (uaSized(el)) exception = 'user-agent';
    else {
      const declared = el.getAttribute('data-target-equivalent');
      const others = declared ? Array.from(document.querySelectorAll(declared)) : passing;
      if (others.some((o) => passing.includes(o) && (declared || sameTarget(el, o)))) exception = 'equivalent';
    }
    results.push({selector: window.__cmSelector(el), width: Math.round(t.width * 10) / 10,
                  height: Math.round(t.height * 10) / 10, covered: t.covered, exception,
                  html: el.outerHTML.slice(0, 160)});
  }
  if (frame) frame.remove();
  for (const [n, x, y] of scrolled.reverse()) { n.scrollLeft = x; n.scrollTop = y; }
  window.scrollTo(start[0], start[1]);
  return results;
}
"""


@dataclass(frozen=True)
class Measured:
    """One pointer target under 44 x 44 and whether an exception covers it."""

    selector: str
    width: float
    height: float
    covered: bool
    exception: str
    html: str


def measure(page: Page, minimum: float = MINIMUM) -> list[Measured]:
    """Every reachable pointer target on the page smaller than ``minimum``, with its exception if any."""
    raw: list[dict[str, Any]] = page.evaluate(_SCRIPT, minimum)
    return [Measured(str(r["selector"]), float(r["width"]), float(r["height"]), bool(r["covered"]),
                     str(r["exception"]), str(r["html"])) for r in raw]


def enhanced(page: Page, *, viewport: str = "", evidence: Evidence | None = None,
             minimum: float = MINIMUM) -> list[Finding]:
    """WCAG 2.5.5 findings for the page as it is now: errors for small targets, notes for exceptions."""
    path = page_path(page)
    where = f"viewport={viewport} " if viewport else ""
    out = []
    for m in measure(page, minimum):
        partly = " (partly covered by another element)" if m.covered else ""
        if m.exception:
            out.append(Finding(rule="target-size-enhanced", severity="note", criterion="WCAG 2.5.5", page=path,
                               selector=m.selector, context=f"{where}{m.html}",
                               message=f"{m.width:g} x {m.height:g} CSS px, allowed by the {m.exception} exception"))
            continue
        out.append(Finding(
            rule="target-size-enhanced", criterion="WCAG 2.5.5", page=path, selector=m.selector,
            message=f"pointer target is {m.width:g} x {m.height:g} CSS px{partly}; needs at least "
                    f"{minimum:g} x {minimum:g}",
            context=f"{where}{m.html}", evidence=shoot(evidence, page, m.selector, f"target-{path}-{m.selector}"),
        ))
    return out
