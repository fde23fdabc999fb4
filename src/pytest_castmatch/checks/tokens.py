"""Design tokens: every colour a visitor sees comes from a token of the current theme.

Two complementary rules, both required:

- *computed*: the computed colour, background, visible border and outline, and SVG fill/stroke of
  every rendered element must equal the value of some colour custom property on ``:root`` in the
  current theme (transparent is always allowed). This catches a stray colour however it got there
  (stylesheet, inline style, script), and is checked per theme.
- *authored*: outside custom-property definitions, no same-origin stylesheet rule may write a literal
  colour (hex, rgb(), hsl(), named colours); rules must say ``var(--token)``. This catches a stray
  colour on an element that is not on the visited page.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from pytest_castmatch.model import Finding

_COMPUTED_JS = """
() => {
  const probe = document.createElement('span');
  document.body.appendChild(probe);
  const norm = (value) => { probe.style.color = ''; probe.style.color = value;
    return probe.style.color ? getComputedStyle(probe).color : null; };
  const names = new Set();
  const walk = (rules) => { for (const r of rules) {
    if (r.style) for (const p of r.style) if (p.startsWith('--')) names.add(p);
    if (r.cssRules) walk(r.cssRules); } };
  for (const sheet of document.styleSheets) { try { walk(sheet.cssRules); } catch (e) { /* cross-origin */ } }
  const rootStyle = getComputedStyle(document.documentElement);
  const tokens = {};
  for (const n of names) { const v = rootStyle.getPropertyValue(n).trim();
    if (v && !/^[0-9.]/.test(v) && !v.includes(' ')) { const c = norm(v); if (c) tokens[n] = c; }
    else if (/^(rgb|hsl|#)/.test(v)) { const c = norm(v); if (c) tokens[n] = c; } }
  probe.remove();
  const sel = (el) => el.id ? '#' + el.id : el.tagName.toLowerCase() +
    (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const used = [];
  for (const el of document.querySelectorAll('body, body *')) {
    const s = getComputedStyle(el); const r = el.getBoundingClientRect();
    if (s.display === 'none' || (r.width === 0 && r.height === 0)) continue;
    const add = (prop, value) => used.push({selector: sel(el), prop, value});
    const hasText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (hasText) add('color', s.color);
    add('background-color', s.backgroundColor);
    for (const side of ['top', 'right', 'bottom', 'left'])
      if (s['border-' + side + '-style'] !== 'none' && parseFloat(s['border-' + side + '-width']) > 0)
        add('border-' + side + '-color', s['border-' + side + '-color']);
    if (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) add('outline-color', s.outlineColor);
    if (el instanceof SVGElement) { if (s.fill.startsWith('rgb')) add('fill', s.fill);
      if (s.stroke.startsWith('rgb')) add('stroke', s.stroke); }
  }
  return {tokens, used, theme: document.documentElement.getAttribute('data-theme') || '',
          scheme: matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'};
}
"""

_AUTHORED_JS = """
() => {
  const literal = new RegExp('#[0-9a-f]{3,8}\\\\b|\\\\b(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch)\\\\(|' +
    '\\\\b(?:red|blue|green|black|white|gray|grey|pink|orange|purple|yellow|navy|maroon|teal|silver|gold|' +
    'magenta|cyan|crimson|hotpink)\\\\b', 'i');
  const found = [];
  const walk = (rules, href) => { for (const r of rules) {
    if (r.style && r.selectorText !== undefined) for (const p of r.style) {
      if (p.startsWith('--')) continue;
      const v = r.style.getPropertyValue(p);
      if (literal.test(v) && !/^var\\(/.test(v.trim()))
        found.push({sheet: href, selector: r.selectorText, prop: p, value: v});
    }
    if (r.cssRules) walk(r.cssRules, href); } };
  for (const sheet of document.styleSheets) {
    if (sheet.href && new URL(sheet.href).origin !== location.origin) continue;
    try { walk(sheet.cssRules, sheet.href || 'inline <style>'); } catch (e) { /* unreadable */ }
  }
  return found;
}
"""

TRANSPARENT = frozenset({"rgba(0, 0, 0, 0)", "transparent"})


def token_colours(page: Page) -> dict[str, str]:
    """The colour tokens of the current theme: custom property name -> computed ``rgb(...)`` value."""
    data: dict[str, Any] = page.evaluate(_COMPUTED_JS)
    tokens: dict[str, str] = data["tokens"]
    return tokens


def computed_colours(page: Page, *, allowed: frozenset[str] = TRANSPARENT) -> list[Finding]:
    """Computed colours of rendered elements that are not a colour token of the current theme."""
    data: dict[str, Any] = page.evaluate(_COMPUTED_JS)
    palette = set(data["tokens"].values()) | allowed
    theme = data["theme"] or f"system {data['scheme']}"
    if not data["tokens"]:
        return [Finding(rule="no-colour-tokens", page=page.url,
                        message="no colour custom properties found on :root; the design tokens are not loaded")]
    stray: dict[tuple[str, str], list[str]] = {}
    for use in data["used"]:
        if use["value"] not in palette:
            stray.setdefault((use["value"], use["prop"]), []).append(use["selector"])
    return [
        Finding(rule="colour-not-token", page=page.url, selector=selectors[0],
                context=f"{len(selectors)} element(s): {', '.join(selectors[:5])}",
                message=f"{prop} {value} is not a design-token colour of the {theme} theme")
        for (value, prop), selectors in sorted(stray.items())
    ]


def authored_colours(page: Page) -> list[Finding]:
    """Stylesheet declarations that write a literal colour instead of ``var(--token)``."""
    found: list[dict[str, str]] = page.evaluate(_AUTHORED_JS)
    return [
        Finding(rule="literal-colour", page=page.url, selector=f["selector"], context=f["sheet"],
                message=f"{f['selector']} {{ {f['prop']}: {f['value']} }} uses a literal colour; use a var(--token)")
        for f in found
    ]
