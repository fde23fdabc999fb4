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

_OVERFLOW = SELECTOR_JS + r"""
() => {
  const doc = document.documentElement;
  const width = doc.clientWidth;
  const offenders = [];
  if (doc.scrollWidth > width + 1) {
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if ((r.right <= width + 1 && r.left >= -1) || r.width === 0) continue;
      // Inside a box that scrolls or clips horizontally: that box's business, not the page's.
      let contained = false;
      for (let n = el.parentElement; n && n !== document.body; n = n.parentElement) {
        const ox = getComputedStyle(n).overflowX;
        if (ox !== 'visible') { contained = true; break; }
      }
      if (contained) continue;
      // Report the outermost element that sticks out, not each of its children.
      const pr = el.parentElement ? el.parentElement.getBoundingClientRect() : null;
      if (pr && (pr.right > width + 1 || pr.left < -1) && el.parentElement !== document.body) continue;
      offenders.push({selector: window.__cmSelector(el), right: Math.round(r.left < -1 ? width - r.left : r.right)});
    }
  }
  return {scrollWidth: doc.scrollWidth, width, offenders: offenders.slice(0, 10)};
}
"""

# Leaf boxes (text, controls, images) that are visible; overlaps between two of them that are not
# nested, and text that spills out of a box that clips it.
_COLLISIONS = SELECTOR_JS + r"""
() => {
  const LEAF = 'a, button, input, select, textarea, img, svg, video, label, h1, h2, h3, h4, h5, h6, p, li, dt, dd, td, th, span, strong, em, small, code';
  const doc = document.documentElement;
  const items = [];
  const clipped = [];
  function visibleClip(el) {
    let box = {l: -Infinity, t: -Infinity, r: Infinity, b: Infinity};
    for (let n = el.parentElement; n && n !== doc; n = n.parentElement) {
      const s = getComputedStyle(n);
      if (s.overflowX !== 'visible' || s.overflowY !== 'visible') {
        const r = n.getBoundingClientRect();
        box = {l: Math.max(box.l, r.left), t: Math.max(box.t, r.top), r: Math.min(box.r, r.right), b: Math.min(box.b, r.bottom)};
      }
    }
    return box;
  }
  for (const el of document.body.querySelectorAll(LEAF)) {
    if (el.closest('[aria-hidden=true], [inert], [hidden], svg') && el.localName !== 'svg') continue;
    const cs = getComputedStyle(el);
    if (cs.visibility !== 'visible' || Number(cs.opacity) === 0) continue;
    if (cs.position === 'absolute' && (cs.clip.startsWith('rect') || el.getBoundingClientRect().width <= 1)) continue;
    const hasText = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    const isLeaf = hasText || el.matches('a, button, input, select, textarea, img, svg, video');
    if (!isLeaf) continue;
    const clip = visibleClip(el);
    const rects = Array.from(cs.display === 'inline' ? el.getClientRects() : [el.getBoundingClientRect()])
      .map((r) => ({l: Math.max(r.left, clip.l), t: Math.max(r.top, clip.t), r: Math.min(r.right, clip.r), b: Math.min(r.bottom, clip.b)}))
      .filter((r) => r.r - r.l > 1 && r.b - r.t > 1);
    if (!rects.length) continue;
    items.push({el, rects});
    // Text that its own box cuts off.
    if (hasText && (cs.overflowX !== 'visible' || cs.overflowY !== 'visible') && cs.textOverflow !== 'ellipsis'
        && (el.scrollWidth > el.clientWidth + 2 || el.scrollHeight > el.clientHeight + 2))
      clipped.push({selector: window.__cmSelector(el), kind: 'clipped-text'});
  }
  // Text or controls that spill outside the visible box of a parent that does not scroll.
  for (const {el, rects} of items) {
    const parent = el.parentElement;
    if (!parent || parent === document.body) continue;
    const ps = getComputedStyle(parent);
    if (ps.display === 'inline' || ps.display === 'contents') continue;
    const pr = parent.getBoundingClientRect();
    const r = el.getBoundingClientRect();
    if (r.right > pr.right + 2 && ps.overflowX === 'visible' && r.left < pr.right && getComputedStyle(el).position !== 'absolute')
      clipped.push({selector: window.__cmSelector(el), kind: 'spills-out'});
  }
  const overlaps = [];
  for (let i = 0; i < items.length && overlaps.length < 10; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const a = items[i], b = items[j];
      if (a.el.contains(b.el) || b.el.contains(a.el)) continue;
      let hit = false;
      for (const ra of a.rects) for (const rb of b.rects) {
        const w = Math.min(ra.r, rb.r) - Math.max(ra.l, rb.l), h = Math.min(ra.b, rb.b) - Math.max(ra.t, rb.t);
        if (w > 2 && h > 2) hit = true;
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
