"""Page structure: landmarks (1.3.1), headings (an h1 for the main content, no skipped levels, no
empty heading, no text styled as a heading without being one), accessible names for controls (4.1.2)
and the language of the page and of its parts (3.1.1, 3.1.2).

Names and heading roles are the browser's own (:mod:`axtree`). Level-1 headings outside the main
content (a site wrapper's title, a logo heading in the banner) do not count against the one h1 of
the main content. Text that only looks like a heading is a needs-review item: whether it titles a
section is for a person to say.
"""

# ruff: noqa: E501 - the page scripts below are JavaScript, kept readable on long lines

from __future__ import annotations

from playwright.sync_api import Page

from pytest_castmatch.checks import axtree
from pytest_castmatch.checks.evidence import IS_HTML_PAGE_JS, SELECTOR_JS, Evidence, page_path, shoot
from pytest_castmatch.model import Finding, Severity

#: Roles of controls that need an accessible name (WCAG 4.1.2).
#: The link roles of the digital publishing module (a citation, footnote or glossary reference is a link).
LINK_ROLES = frozenset({"link", "doc-backlink", "doc-biblioref", "doc-glossref", "doc-noteref"})
NAMED_ROLES = LINK_ROLES | {"button", "textbox", "searchbox", "combobox", "checkbox", "radio", "switch", "tab",
                            "menuitem", "menuitemcheckbox", "menuitemradio", "listbox", "slider", "spinbutton"}

_OUTLINE = SELECTOR_JS + r"""
() => {
  const visible = (el) => { const cs = getComputedStyle(el); return cs.display !== 'none' && cs.visibility !== 'hidden' && !el.closest('[hidden],[aria-hidden=true]'); };
  const role = (el) => {
    const r = el.getAttribute('role');
    if (r) return r;
    const inSection = el.parentElement && el.parentElement.closest('article, aside, main, nav, section');
    return ({main: 'main', nav: 'navigation', aside: 'complementary', search: 'search',
             header: inSection ? '' : 'banner', footer: inSection ? '' : 'contentinfo'})[el.localName] || '';
  };
  const landmarks = Array.from(document.querySelectorAll('main, nav, aside, header, footer, search, [role]'))
    .filter(visible).map((el) => ({role: role(el), label: el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || '',
                                   selector: window.__cmSelector(el)}))
    .filter((l) => ['main', 'navigation', 'banner', 'contentinfo', 'complementary', 'search', 'region', 'form'].includes(l.role));
  const headings = Array.from(document.querySelectorAll('h1, h2, h3, h4, h5, h6, [role=heading]')).filter(visible)
    .map((el) => ({level: el.getAttribute('role') === 'heading' ? Number(el.getAttribute('aria-level') || 2) : Number(el.localName[1]),
                   text: el.textContent.trim().slice(0, 60), selector: window.__cmSelector(el),
                   main: (() => { const m = el.closest('main, [role=main]'); return m ? window.__cmSelector(m) : ''; })()}));
  // Content outside every landmark, ignoring skip links and live regions that sit there by design.
  const stray = [];
  // Skip links (alone or in a wrapper of their own) sit outside landmarks on purpose.
  const skipOnly = (el) => { const links = Array.from(el.querySelectorAll('a[href^="#"]')); return links.length > 0 &&
    links.map((a) => a.textContent).join('').replace(/\s+/g, '') === (el.textContent || '').replace(/\s+/g, ''); };
  for (const el of document.body.children) {
    if (!visible(el) || el.matches('script, style, template, [role=status], [role=alert], [aria-live], .skip-link, a[href^="#"]') || skipOnly(el)) continue;
    if (landmarks.some((l) => { const n = document.querySelector(l.selector); return n && (n === el || n.contains(el) || el.contains(n)); })) continue;
    if ((el.textContent || '').trim()) stray.push(window.__cmSelector(el));
  }
  return {landmarks, headings, stray};
}
"""

# Text set apart like a heading: a short run of text on a line of its own, much larger or larger and
# bolder than the page's body text, with content after it, and no heading role. The body text size is
# the size most of the page's characters are set in.
_HEADING_LIKE = SELECTOR_JS + r"""
() => {
  const SKIP = 'h1, h2, h3, h4, h5, h6, [role=heading], a, button, label, legend, caption, th, summary, figcaption, ' +
               'select, option, textarea, input, nav, [role=navigation], [aria-hidden=true], [hidden], script, style, noscript, template';
  const weight = {};
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.textContent.replace(/\s+/g, ' ').trim();
    const el = n.parentElement;
    if (!t || !el) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility !== 'visible') continue;
    weight[cs.fontSize] = (weight[cs.fontSize] || 0) + t.length;
    texts.push([el, t]);
  }
  const base = parseFloat(Object.entries(weight).sort((a, b) => b[1] - a[1])[0]?.[0] || '16');
  const blockOf = (el) => { let b = el; while (b && getComputedStyle(b).display === 'inline') b = b.parentElement; return b; };
  const out = [];
  const seen = new Set();
  for (const [el, t] of texts) {
    if (seen.has(el) || el.closest(SKIP)) continue;
    seen.add(el);
    const cs = getComputedStyle(el);
    const size = parseFloat(cs.fontSize), bold = (parseInt(cs.fontWeight, 10) || 400) >= 600;
    if (!(size >= 1.5 * base || (size >= 1.2 * base && bold))) continue;
    if (t.length > 80 || t.split(' ').length > 10 || /[.!?,;]$/.test(t)) continue;
    // A line of its own: the whole text of its block.
    const block = blockOf(el);
    if (!block || block === document.body || (block.innerText || '').replace(/\s+/g, ' ').trim() !== t) continue;
    if (block.closest(SKIP)) continue;
    const r = block.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) continue;
    // Content follows it, as content follows a heading.
    let next = block, follows = false;
    while (next && !follows) {
      let sib = next.nextElementSibling;
      while (sib && !follows) { if ((sib.innerText || '').trim() || sib.querySelector('input, select, textarea, button, img')) follows = true; sib = sib.nextElementSibling; }
      next = next.parentElement;
      if (next === document.body) break;
    }
    if (!follows) continue;
    out.push({selector: window.__cmSelector(block), text: t.slice(0, 60), size: Math.round(size * 10) / 10, base, bold});
  }
  return out.slice(0, 20);
}
"""

_LANG = SELECTOR_JS + r"""
() => {
  if (!""" + IS_HTML_PAGE_JS + r""") return null;
  const scripts = [['hi', /[\u0900-\u097F]/, /^(hi|mr|ne|sa|kok|mai)\b/i], ['ur', /[\u0600-\u06FF]/, /^(ur|ar|fa|ps|sd)\b/i]];
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || seen.has(el) || el.closest('script, style, [aria-hidden=true]')) continue;
    const t = n.textContent;
    for (const [code, letters, ok] of scripts) {
      const count = (t.match(new RegExp(letters.source, 'g')) || []).length;
      if (count < 2) continue;
      const holder = el.closest('[lang]');
      const lang = holder ? holder.getAttribute('lang') : '';
      if (!ok.test(lang)) { seen.add(el); out.push({selector: window.__cmSelector(el), script: code, lang, text: t.trim().slice(0, 40)}); }
    }
  }
  const html = document.documentElement;
  return {lang: html.getAttribute('lang') || '', dir: html.getAttribute('dir') || getComputedStyle(html).direction, parts: out.slice(0, 20)};
}
"""


def landmarks_and_headings(page: Page, *, evidence: Evidence | None = None) -> list[Finding]:
    """One main landmark, at most one banner and one contentinfo, navigation landmarks labelled when
    there are several, all content inside landmarks, an h1 (and one only in the main content), no
    skipped heading levels, no empty heading. A page without a header or footer is not faulted for it:
    WCAG asks for neither, and a page of one part has no navigation to mark."""
    path = page_path(page)
    data = page.evaluate(_OUTLINE)
    out: list[Finding] = []
    roles = [str(lm["role"]) for lm in data["landmarks"]]
    for role, low, high in (("main", 1, 1), ("banner", 0, 1), ("contentinfo", 0, 1)):
        n = roles.count(role)
        if not low <= n <= high:
            want = f"exactly {low}" if low == high else f"at most {high}"
            out.append(Finding(rule="landmarks", criterion="WCAG 1.3.1", page=path,
                               message=f"{n} {role} landmark(s); a page needs {want}",
                               evidence=shoot(evidence, page, None, f"landmarks-{path}") if n < low else ()))
    navs = [lm for lm in data["landmarks"] if lm["role"] == "navigation"]
    if len(navs) > 1:
        for lm in navs:
            if not lm["label"]:
                out.append(Finding(rule="landmarks", criterion="WCAG 1.3.1", page=path, selector=str(lm["selector"]),
                                   message="several navigation landmarks, and this one has no label"))
    for sel in data["stray"]:
        out.append(Finding(rule="landmarks", criterion="WCAG 1.3.1", page=path, selector=str(sel),
                           message="content outside every landmark"))
    levels = [int(h["level"]) for h in data["headings"]]
    h1 = levels.count(1)
    if h1 == 0:
        out.append(Finding(rule="one-h1", criterion="WCAG 1.3.1", page=path,
                           message="no level-1 heading: the main content needs one that says what the page is",
                           evidence=shoot(evidence, page, None, f"h1-{path}")))
    in_main: dict[str, int] = {}
    for h in data["headings"]:
        if int(h["level"]) == 1 and h["main"]:
            in_main[str(h["main"])] = in_main.get(str(h["main"]), 0) + 1
    for main, count in in_main.items():
        if count > 1:
            out.append(Finding(rule="one-h1", criterion="WCAG 1.3.1", page=path, selector=main,
                               message=f"{count} level-1 headings in the main content; it needs exactly one",
                               evidence=shoot(evidence, page, None, f"h1-{path}")))
    prev = 0
    for h, level in zip(data["headings"], levels, strict=True):
        if prev and level > prev + 1:
            out.append(Finding(rule="heading-order", criterion="WCAG 1.3.1", page=path, selector=str(h["selector"]),
                               message=f"heading level jumps from h{prev} to h{level} ({h['text']!r})"))
        prev = level
    main_levels = [(h, int(h["level"])) for h in data["headings"] if h["main"]]
    if main_levels and main_levels[0][1] != 1 and any(level == 1 for _, level in main_levels):
        first = main_levels[0][0]
        out.append(Finding(rule="heading-order", criterion="WCAG 1.3.1", page=path, selector=str(first["selector"]),
                           message=f"the main content's first heading is h{main_levels[0][1]}, not its h1"))
    for node in axtree.nodes(page, {"heading"}):
        if not node.name:
            out.append(Finding(rule="heading-empty", page=path, selector=node.selector,
                               message="heading has no accessible name: it announces a section and says nothing",
                               evidence=shoot(evidence, page, node.selector, f"empty-heading-{path}")))
    return out


def heading_like_text(page: Page, *, evidence: Evidence | None = None) -> list[Finding]:
    """Text styled as a heading but without a heading role: a needs-review item each (1.3.1)."""
    path = page_path(page)
    return [Finding(rule="heading-like-text", criterion="WCAG 1.3.1", severity=Severity.REVIEW, page=path,
                    selector=str(d["selector"]),
                    message=f"{d['text']!r} looks like a heading ({d['size']:g} px{' bold' if d['bold'] else ''}, body text "
                            f"{d['base']:g} px) but is not marked up as one: make it a heading, or confirm it is not one",
                    evidence=shoot(evidence, page, str(d["selector"]), f"heading-like-{path}"))
            for d in page.evaluate(_HEADING_LIKE)]


def accessible_names(page: Page, *, evidence: Evidence | None = None) -> list[Finding]:
    """Every link, button and form control has an accessible name (4.1.2)."""
    path = page_path(page)
    return [Finding(rule="accessible-name", criterion="WCAG 4.1.2", page=path, selector=node.selector,
                    message=f"{node.role} has no accessible name",
                    evidence=shoot(evidence, page, node.selector, f"name-{path}"))
            for node in axtree.nodes(page, NAMED_ROLES) if not node.name]


def language(page: Page, expected: str | None = None, *, rtl: bool | None = None) -> list[Finding]:
    """The page declares its language (``expected`` when given, with ``dir=rtl`` when ``rtl``), and
    Devanagari or Arabic-script text is marked with a matching ``lang`` (3.1.1, 3.1.2)."""
    path = page_path(page)
    data = page.evaluate(_LANG)
    if data is None:
        return []  # not an HTML page (an SVG or XML document): its language is not declared on <html>
    out: list[Finding] = []
    lang = str(data["lang"]).strip()  # lang=" " declares no language
    if not lang:
        out.append(Finding(rule="page-language", criterion="WCAG 3.1.1", page=path, selector="html",
                           message="<html> declares no language: its lang attribute is missing or empty"))
    elif expected and lang.split("-")[0].lower() != expected.lower():
        out.append(Finding(rule="page-language", criterion="WCAG 3.1.1", page=path, selector="html",
                           message=f"page language is {lang!r}, expected {expected!r}"))
    if rtl is not None and (str(data["dir"]) == "rtl") != rtl:
        out.append(Finding(rule="page-direction", criterion="WCAG 1.3.2", page=path, selector="html",
                           message=f"text direction is {data['dir']!r}, expected {'rtl' if rtl else 'ltr'}"))
    for p in data["parts"]:
        out.append(Finding(rule="language-of-parts", criterion="WCAG 3.1.2", page=path, selector=str(p["selector"]),
                           message=f"{p['script']} text {p['text']!r} is marked lang={p['lang'] or 'none'!r}"))
    return out
