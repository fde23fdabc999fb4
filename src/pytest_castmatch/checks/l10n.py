"""Localisation: complete catalogues, consistent placeholders, no English showing through on a
translated page, right-to-left layout that neither overflows nor clips, and real glyphs (no tofu).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Any

from playwright.sync_api import Page

from pytest_castmatch.model import Finding

# Shorter English strings ("Age", "Khar") are names or are too likely to be shared between languages.
MIN_UNTRANSLATED_CHARS = 6


def placeholders(template: str) -> frozenset[str]:
    """The ``{name}`` fields of a str.format template."""
    try:
        return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)
    except ValueError:
        return frozenset({"<malformed template>"})


def catalogue_findings(catalogues: Mapping[str, Mapping[str, str]], reference: str = "en") -> list[Finding]:
    """Every key of the reference catalogue present and non-empty in the others, with the same placeholders."""
    base = catalogues[reference]
    findings = []
    for lang, messages in sorted(catalogues.items()):
        if lang == reference:
            continue
        for key in sorted(set(base) - set(messages)):
            findings.append(Finding(rule="missing-translation", selector=f"{lang}:{key}",
                                    message=f"{lang} catalogue has no translation of {key!r}", context=base[key]))
        for key in sorted(set(messages) - set(base)):
            findings.append(Finding(rule="orphan-translation", severity="warning", selector=f"{lang}:{key}",
                                    message=f"{lang} catalogue has {key!r}, which {reference} does not define"))
        for key in sorted(set(base) & set(messages)):
            if not str(messages[key]).strip():
                findings.append(Finding(rule="empty-translation", selector=f"{lang}:{key}",
                                        message=f"{lang} translation of {key!r} is empty"))
            elif placeholders(messages[key]) != placeholders(base[key]):
                findings.append(Finding(
                    rule="placeholder-mismatch", selector=f"{lang}:{key}", context=messages[key],
                    message=(f"{lang} {key!r} has placeholders {sorted(placeholders(messages[key]))}, "
                             f"{reference} has {sorted(placeholders(base[key]))}"),
                ))
    return findings


def untranslated_on_page(text: str, lang: str, catalogues: Mapping[str, Mapping[str, str]],
                         reference: str = "en", *, page: str | None = None) -> list[Finding]:
    """English catalogue strings shown on a page in another language (a key that fell back to English).

    A reference string counts only when the page's own catalogue translates it differently; the
    longest literal piece of a template stands for the template.
    """
    if lang == reference:
        return []
    own = catalogues.get(lang, {})
    own_text = "\n".join(own.values())
    findings = []
    for key, english in sorted(catalogues[reference].items()):
        pieces = [p for p in re.split(r"\{[^}]*\}", english) if p.strip()]
        probe = max(pieces, key=len).strip() if pieces else ""
        if len(probe) < MIN_UNTRANSLATED_CHARS or probe in own_text or own.get(key) == english:
            continue
        if probe in text:
            findings.append(Finding(rule="untranslated-text", page=page, selector=key, context=probe,
                                    message=f"{reference} text of {key!r} ({probe!r}) shows on the {lang} page"))
    return findings


_LAYOUT_JS = """
() => {
  const root = document.documentElement;
  const out = {dir: root.getAttribute('dir') || '', computed: getComputedStyle(document.body).direction,
    lang: root.lang, scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, clipped: [], outside: []};
  const sel = (el) => el.id ? '#' + el.id : el.tagName.toLowerCase() +
    (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  for (const el of document.querySelectorAll('body *')) {
    const s = getComputedStyle(el); const r = el.getBoundingClientRect();
    if (s.display === 'none' || s.visibility === 'hidden' || r.width <= 2 || r.height <= 2) continue;
    if (el.closest('[aria-hidden=true],.visually-hidden,[hidden]')) continue;
    const ownText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!ownText) continue;
    const clips = s.overflowX !== 'visible' || s.overflowY !== 'visible' || s.textOverflow === 'ellipsis';
    if (clips && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1))
      out.clipped.push({selector: sel(el), text: el.textContent.trim().slice(0, 60)});
    if (r.right > root.clientWidth + 1 || r.left < -1) {
      // a carousel slide parked off-screen inside a clipping viewport is not overflow
      let p = el.parentElement; let inClip = false;
      while (p && p !== document.body) { const ps = getComputedStyle(p);
        if (ps.overflowX !== 'visible') { inClip = true; break; } p = p.parentElement; }
      if (!inClip) out.outside.push({selector: sel(el), text: el.textContent.trim().slice(0, 60)});
    }
  }
  return out;
}
"""


def rtl_layout(page: Page, *, expect_dir: str = "rtl") -> list[Finding]:
    """The page declares and renders ``dir=rtl``, does not scroll sideways, and clips no text."""
    data: dict[str, Any] = page.evaluate(_LAYOUT_JS)
    url = page.url
    findings = []
    if data["dir"] != expect_dir or data["computed"] != expect_dir:
        findings.append(Finding(rule="wrong-direction", page=url, selector="html", criterion="WCAG 1.3.2",
                                message=f"{data['lang']} page has dir={data['dir'] or '(none)'} and renders "
                                        f"{data['computed']}; expected {expect_dir}"))
    if data["scrollWidth"] > data["clientWidth"] + 1:
        findings.append(Finding(rule="horizontal-overflow", page=url, criterion="WCAG 1.4.10",
                                message=f"page is {data['scrollWidth']} px wide in a {data['clientWidth']} px "
                                        "viewport (sideways scrolling)"))
    for item in data["clipped"][:10]:
        findings.append(Finding(rule="clipped-text", page=url, selector=item["selector"], context=item["text"],
                                message="text is cut off by its box"))
    for item in data["outside"][:10]:
        findings.append(Finding(rule="text-off-screen", page=url, selector=item["selector"], context=item["text"],
                                message="text lies outside the viewport"))
    return findings


_GLYPH_JS = """
([selector, sample]) => {
  const el = selector ? document.querySelector(selector) : null;
  const font = getComputedStyle(el || document.body).font;
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = font;
  const tofu = ctx.measureText('\\uFFFF').width;
  const chars = [...sample].filter((c) => c.trim() && !/\\p{M}/u.test(c));
  const widths = chars.map((c) => ctx.measureText(c).width);
  const boxed = widths.filter((w) => Math.abs(w - tofu) < 0.01).length;
  const family = getComputedStyle(el || document.body).fontFamily;
  return {font, family, tofu, widths, boxed, count: chars.length,
          fontsCheck: document.fonts.check(font, sample)};
}
"""


def glyph_coverage(page: Page, sample: str, *, selector: str | None = None,
                   max_tofu_share: float = 0.2) -> list[Finding]:
    """``sample`` renders with real glyphs in the element's font, not the missing-glyph box.

    Every missing glyph is drawn as the same .notdef box, the width of U+FFFF; real Devanagari
    letters have varied widths. More than ``max_tofu_share`` of the letters box-wide is tofu.
    """
    data: dict[str, Any] = page.evaluate(_GLYPH_JS, [selector, sample])
    if not data["count"]:
        return [Finding(rule="glyph-sample-empty", page=page.url, message="no letters to check in the sample")]
    share = data["boxed"] / data["count"]
    findings = []
    if share > max_tofu_share:
        findings.append(Finding(
            rule="tofu", page=page.url, selector=selector, context=sample[:60],
            message=(f"{data['boxed']} of {data['count']} letters of {sample[:20]!r} render as missing-glyph boxes "
                     f"in font {data['family']}: install or load a font that covers this script"),
        ))
    if not data["fontsCheck"]:
        findings.append(Finding(rule="font-not-loaded", page=page.url, selector=selector, severity="warning",
                                message=f"document.fonts.check({data['font']!r}) is false for {sample[:20]!r}"))
    return findings
