"""Reflow and responsive layout: no horizontal scrolling at 320 CSS px (WCAG 1.4.10); at each
breakpoint and orientation nothing overlaps or spills out of its container; text resized to 200 %
still fits (1.4.4).
"""

# ruff: noqa: E501 - the page scripts below are JavaScript, kept readable on long lines

from __future__ import annotations

from collections.abc import Sequence

from playwright.sync_api import Page

from pytest_castmatch.checks import navigation
from pytest_castmatch.checks.evidence import SELECTOR_JS, Evidence, page_path, shoot
from pytest_castmatch.model import Finding

#: 1.4.10: content reflows at 320 CSS px wide (1280 px at 400 % zoom).
REFLOW = (320, 640)
#: The plan's breakpoints, each in portrait and landscape.
BREAKPOINTS: tuple[tuple[int, int], ...] = (
    (360, 740), (740, 360), (768, 1024), (1024, 768), (1024, 1366), (1366, 1024), (1440, 900), (900, 1440),
)

# Whether the page scrolls sideways, and the elements that make it: each element that reaches past
# the window's edge (outside any box that scrolls or clips it) is taken out of the layout for a
# moment, and it widens the page when the page then narrows. Content parked before the start edge
# (a skip link at left: -1000em) cannot make a page scroll and is never blamed.
_OVERFLOW = SELECTOR_JS + r"""
() => {
  const doc = document.documentElement;
  const width = doc.clientWidth;
  const rtl = getComputedStyle(doc).direction === 'rtl';
  const offenders = [];
  const wide = doc.scrollWidth;
  if (wide > width + 1) {
    const past = (r) => (rtl ? r.left < -1 : r.right > width + 1) && r.width > 0;
    const candidates = [];
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (!past(r)) continue;
      // Inside a box that scrolls or clips horizontally: that box's business, not the page's.
      let contained = false;
      for (let n = el.parentElement; n && n !== document.body; n = n.parentElement) {
        if (getComputedStyle(n).overflowX !== 'visible') { contained = true; break; }
      }
      if (contained) continue;
      // The outermost element that sticks out, not each of its children.
      const parent = el.parentElement;
      if (parent && parent !== document.body && past(parent.getBoundingClientRect())) continue;
      candidates.push(el);
    }
    for (const el of candidates.slice(0, 12)) {
      const old = el.getAttribute('style');
      el.style.setProperty('display', 'none', 'important');
      const without = doc.scrollWidth;
      if (old === null) el.removeAttribute('style'); else el.setAttribute('style', old);
      const r = el.getBoundingClientRect();
      if (without < wide) offenders.push({selector: window.__cmSelector(el), right: Math.round(rtl ? width - r.left : r.right)});
    }
    if (!offenders.length) for (const el of candidates.slice(0, 3)) {
      const r = el.getBoundingClientRect();
      offenders.push({selector: window.__cmSelector(el), right: Math.round(rtl ? width - r.left : r.right)});
    }
  }
  return {scrollWidth: doc.scrollWidth, width, offenders: offenders.slice(0, 10)};
}
"""

# Leaf content (text runs, controls, images) that is visible. Two pieces overlap when what they
# paint meets (text is measured by its line boxes, not its element's box, so a paragraph flowing
# beside a float overlaps nothing) and one of them is what is painted on top there. Text is cut
# off when a box that hides overflow ends before it does (WCAG 1.4.4's "clipped by overflow", with
# the cases that clip on purpose: a one-line box whose line height fills it, an ellipsis).
_COLLISIONS = SELECTOR_JS + r"""
() => {
  const LEAF = 'a, button, input, select, textarea, img, svg, video, label, h1, h2, h3, h4, h5, h6, p, li, dt, dd, td, th, span, strong, em, small, code, div';
  const CONTROL = 'a, button, input, select, textarea, img, svg, video';
  const doc = document.documentElement;
  const items = [];
  const clipped = [];
  const hides = (v) => v === 'hidden' || v === 'clip';
  // The part of the window the element's content can show in: inside every box (its own, for its
  // text) that does not let overflow show.
  function visibleClip(el, self) {
    let box = {l: -Infinity, t: -Infinity, r: Infinity, b: Infinity};
    for (let n = self ? el : el.parentElement; n && n !== doc; n = n.parentElement) {
      const s = getComputedStyle(n);
      if (s.overflowX !== 'visible' || s.overflowY !== 'visible') {
        const r = n.getBoundingClientRect();
        box = {l: Math.max(box.l, r.left), t: Math.max(box.t, r.top), r: Math.min(box.r, r.right), b: Math.min(box.b, r.bottom)};
      }
    }
    return box;
  }
  function textRects(el) {
    const out = [];
    const range = document.createRange();
    for (const node of el.childNodes) {
      if (node.nodeType !== 3 || !node.textContent.trim()) continue;
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) if (r.width > 0 && r.height > 0) out.push(r);
    }
    return out;
  }
  const hiddenAway = (el, cs) => cs.position === 'absolute' && (cs.clip.startsWith('rect') || el.getBoundingClientRect().width <= 1);
  // Which box that hides overflow cuts the text off, if one does.
  function cutBy(el, rects) {
    for (let n = el; n && n !== doc; n = n.parentElement) {
      const s = getComputedStyle(n);
      const hx = hides(s.overflowX), hy = hides(s.overflowY);
      // Text a box lets the user scroll to is not cut off in that direction (one hidden direction
      // makes the other "auto"); beyond a box that scrolls, what clips clips that box, not the text.
      const scrolls = /(auto|scroll)/.test(s.overflowX) || /(auto|scroll)/.test(s.overflowY);
      if (!hx && !hy) { if (scrolls) return null; continue; }
      const r = n.getBoundingClientRect();
      if (r.width <= 1 || r.height <= 1) return null;  // a visually hidden box, on purpose
      const box = {l: r.left + n.clientLeft, t: r.top + n.clientTop, r: r.left + n.clientLeft + n.clientWidth, b: r.top + n.clientTop + n.clientHeight};
      const ellipsis = s.whiteSpace.startsWith('nowrap') && s.textOverflow !== 'clip';
      const lineHeight = s.lineHeight === 'normal' ? 1.2 * parseFloat(s.fontSize) : parseFloat(s.lineHeight);
      // A one-line box on purpose: its line fills it and the text's letters fit in it.
      const oneLine = lineHeight >= r.height - 0.5 && parseFloat(s.fontSize) <= r.height + 1;
      for (const t of rects) {
        if (hx && !ellipsis && (t.right > box.r + 2 || t.left < box.l - 2)) return n;
        if (hy && !oneLine && (t.bottom > box.b + 2 || t.top < box.t - 2)) return n;
      }
      if (scrolls) return null;
    }
    return null;
  }
  for (const el of document.body.querySelectorAll(LEAF)) {
    if (el.closest('[aria-hidden=true], [inert], [hidden], svg') && el.localName !== 'svg') continue;
    const cs = getComputedStyle(el);
    if (cs.visibility !== 'visible' || Number(cs.opacity) === 0 || cs.display === 'none') continue;
    if (hiddenAway(el, cs)) continue;
    const text = textRects(el);
    const control = el.matches(CONTROL);
    if (!text.length && !control) continue;
    const clip = visibleClip(el, !control);
    const own = control ? Array.from(cs.display === 'inline' ? el.getClientRects() : [el.getBoundingClientRect()]) : text;
    const rects = own.map((r) => ({l: Math.max(r.left, clip.l), t: Math.max(r.top, clip.t), r: Math.min(r.right, clip.r), b: Math.min(r.bottom, clip.b)}))
      .filter((r) => r.r - r.l > 1 && r.b - r.t > 1);
    if (!rects.length) continue;
    items.push({el, rects});
    if (text.length && cutBy(el, text)) clipped.push({selector: window.__cmSelector(el), kind: 'clipped-text'});
  }
  // Text or controls that spill outside the visible box of a parent that does not scroll.
  for (const {el} of items) {
    const parent = el.parentElement;
    if (!parent || parent === document.body || el.localName === 'div') continue;
    const ps = getComputedStyle(parent);
    if (ps.display === 'inline' || ps.display === 'contents') continue;
    const pr = parent.getBoundingClientRect();
    const r = el.getBoundingClientRect();
    if (r.right > pr.right + 2 && ps.overflowX === 'visible' && r.left < pr.right && getComputedStyle(el).position !== 'absolute')
      clipped.push({selector: window.__cmSelector(el), kind: 'spills-out'});
  }
  const mine = (item, node) => !!node && (item.el === node || item.el.contains(node));
  const overlaps = [];
  for (let i = 0; i < items.length && overlaps.length < 10; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const a = items[i], b = items[j];
      if (a.el.contains(b.el) || b.el.contains(a.el)) continue;
      let hit = false;
      for (const ra of a.rects) for (const rb of b.rects) {
        const l = Math.max(ra.l, rb.l), r = Math.min(ra.r, rb.r), t = Math.max(ra.t, rb.t), bt = Math.min(ra.b, rb.b);
        if (hit || r - l <= 2 || bt - t <= 2) continue;
        const x = (l + r) / 2, y = (t + bt) / 2;
        if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) { hit = true; continue; }
        const top = document.elementFromPoint(x, y);
        if (mine(a, top) || mine(b, top)) hit = true;
      }
      if (hit) { overlaps.push({a: window.__cmSelector(a.el), b: window.__cmSelector(b.el)}); break; }
    }
  }
  return {overlaps, clipped: clipped.slice(0, 10)};
}
"""

_TEXT_200 = r"""
() => {
  const all = [document.documentElement, ...document.body.querySelectorAll('*')];
  const sizes = all.map((el) => parseFloat(getComputedStyle(el).fontSize));
  all.forEach((el, i) => {
    el.style.setProperty('font-size', (sizes[i] * 2) + 'px', 'important');
    // Transitions would report boxes half-way to their new size; this view is measured at once.
    // (Inline styles, not a <style> element: a Content-Security-Policy may forbid the latter.)
    el.style.setProperty('transition', 'none', 'important');
    el.style.setProperty('animation', 'none', 'important');
  });
}
"""


def reflow(page: Page, *, evidence: Evidence | None = None, width: int = REFLOW[0]) -> list[Finding]:
    """1.4.10: at ``width`` CSS px the page does not scroll sideways. Sets the viewport itself."""
    page.set_viewport_size({"width": width, "height": REFLOW[1]})
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => r(null)))")
    path = page_path(page)
    data = page.evaluate(_OVERFLOW)
    if data["scrollWidth"] <= data["width"] + 1:
        return []
    culprits = data["offenders"] or [{"selector": "html", "right": data["scrollWidth"]}]
    return [Finding(
        rule="reflow", criterion="WCAG 1.4.10", page=path, selector=str(c["selector"]),
        message=f"page is {data['scrollWidth']} px wide at a {width} px viewport; this element reaches {c['right']} px",
        context=f"viewport={width}x{REFLOW[1]}", evidence=shoot(evidence, page, str(c["selector"]), f"reflow-{path}"),
    ) for c in culprits[:3]]


def collisions(page: Page, *, viewport: str, evidence: Evidence | None = None) -> list[Finding]:
    """Overlapping text or controls, and content that spills out of its container, as the page is now."""
    path = page_path(page)
    data = page.evaluate(_COLLISIONS)
    out = []
    for o in data["overlaps"]:
        out.append(Finding(rule="layout-overlap", criterion="WCAG 1.4.10", page=path, selector=str(o["a"]),
                           message=f"{o['a']} overlaps {o['b']}", context=f"viewport={viewport}",
                           evidence=shoot(evidence, page, str(o["a"]), f"overlap-{viewport}-{path}")))
    for c in data["clipped"]:
        what = "text is cut off by its box" if c["kind"] == "clipped-text" else "content spills out of its container"
        out.append(Finding(rule=f"layout-{c['kind']}", criterion="WCAG 1.4.10", page=path, selector=str(c["selector"]),
                           message=what, context=f"viewport={viewport}",
                           evidence=shoot(evidence, page, str(c["selector"]), f"{c['kind']}-{viewport}-{path}")))
    return out


def breakpoints(page: Page, url: str, *, sizes: Sequence[tuple[int, int]] = BREAKPOINTS,
                evidence: Evidence | None = None) -> list[Finding]:
    """At each viewport: no sideways scroll, no overlaps, nothing spilling out.

    The page is loaded once and then resized, as a phone or tablet is rotated; media queries
    apply at once and the page's own resize handling is part of what is tested.
    """
    out: list[Finding] = []
    if missing := navigation.visit(page, url):
        return missing
    for w, h in sizes:
        page.set_viewport_size({"width": w, "height": h})
        page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null))))")
        label = f"{w}x{h}"
        data = page.evaluate(_OVERFLOW)
        if data["scrollWidth"] > data["width"] + 1:
            sel = str(data["offenders"][0]["selector"]) if data["offenders"] else "html"
            out.append(Finding(rule="layout-horizontal-scroll", criterion="WCAG 1.4.10", page=page_path(page),
                               selector=sel, context=f"viewport={label}",
                               message=f"page scrolls sideways: {data['scrollWidth']} px wide in a {w} px viewport",
                               evidence=shoot(evidence, page, sel, f"hscroll-{label}-{page_path(page)}")))
        out.extend(collisions(page, viewport=label, evidence=evidence))
    return out


def text_resize(page: Page, *, evidence: Evidence | None = None, width: int = 1280, height: int = 800) -> list[Finding]:
    """1.4.4: every font size doubled, nothing overlaps or is cut off. Changes the page; reload after."""
    page.set_viewport_size({"width": width, "height": height})
    page.evaluate(_TEXT_200)
    return [Finding(rule=f.rule.replace("layout-", "text-resize-"), criterion="WCAG 1.4.4", page=f.page,
                    selector=f.selector, message=f"at 200 % text: {f.message}", context=f.context, evidence=f.evidence)
            for f in collisions(page, viewport=f"{width}x{height} text=200%", evidence=evidence)]
