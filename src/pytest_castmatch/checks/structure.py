"""Page structure: landmarks (1.3.1), one h1 and heading order (1.3.1, 2.4.6 best practice),
accessible names for controls (4.1.2) and the language of the page and of its parts (3.1.1, 3.1.2).
"""

# ruff: noqa: E501 - the page scripts below are JavaScript, kept readable on long lines

from __future__ import annotations

from playwright.sync_api import Page

from pytest_castmatch.checks.evidence import SELECTOR_JS, Evidence, page_path, shoot
from pytest_castmatch.model import Finding

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
                   text: el.textContent.trim().slice(0, 60), selector: window.__cmSelector(el)}));
  // Content outside every landmark, ignoring skip links and live regions that sit there by design.
  const stray = [];
  for (const el of document.body.children) {
    if (!visible(el) || el.matches('script, style, template, [role=status], [role=alert], [aria-live], .skip-link, a[href^="#"]')) continue;
    if (landmarks.some((l) => { const n = document.querySelector(l.selector); return n && (n === el || n.contains(el) || el.contains(n)); })) continue;
    if ((el.textContent || '').trim()) stray.push(window.__cmSelector(el));
  }
  return {landmarks, headings, stray};
}
"""

_NAMES = SELECTOR_JS + r"""
() => {
  const text = (el) => (el.innerText || el.textContent || '').replace(/\s+/g, ' ').trim();
  const byIds = (ids) => ids.split(/\s+/).map((id) => document.getElementById(id)).filter(Boolean).map(text).join(' ').trim();
  const nameOf = (el) => {
    if (el.getAttribute('aria-labelledby')) { const n = byIds(el.getAttribute('aria-labelledby')); if (n) return n; }
    if ((el.getAttribute('aria-label') || '').trim()) return el.getAttribute('aria-label').trim();
    if (el.labels && el.labels.length) { const n = Array.from(el.labels).map(text).join(' ').trim(); if (n) return n; }
    if (el.matches('input[type=submit], input[type=reset], input[type=button]')) return el.value || el.type;
    if (el.matches('input[type=image], img')) return el.alt || '';
    if (el.matches('a, button, summary, [role=button], [role=link], [role=tab], [role=menuitem]')) {
      const t = text(el);
      if (t) return t;
      const alts = Array.from(el.querySelectorAll('img[alt], svg[aria-label], [aria-label]')).map((n) => n.getAttribute('alt') || n.getAttribute('aria-label')).join(' ').trim();
      if (alts) return alts;
    }
    return (el.getAttribute('title') || el.getAttribute('placeholder') || '').trim();
  };
  const out = [];
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [role=link], [role=checkbox], [role=tab], [role=menuitem]')) {
    if (!el.getClientRects().length || el.closest('[aria-hidden=true], [inert]')) continue;
    if (!nameOf(el)) out.push({selector: window.__cmSelector(el), html: el.outerHTML.slice(0, 120)});
  }
  return out;
}
"""

_LANG = SELECTOR_JS + r"""
() => {
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
    """One main, one banner and one contentinfo, navigation present (and labelled when repeated),
    all content inside landmarks, exactly one h1, no skipped heading levels."""
    path = page_path(page)
    data = page.evaluate(_OUTLINE)
    out: list[Finding] = []
    roles = [str(lm["role"]) for lm in data["landmarks"]]
    for role, low, high in (("main", 1, 1), ("banner", 1, 1), ("contentinfo", 1, 1), ("navigation", 1, 99)):
        n = roles.count(role)
        if not low <= n <= high:
            want = f"exactly {low}" if low == high else f"at least {low}"
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
    if h1 != 1:
        out.append(Finding(rule="one-h1", criterion="WCAG 1.3.1", page=path,
                           message=f"{h1} level-1 headings; a page needs exactly one",
                           evidence=shoot(evidence, page, None, f"h1-{path}")))
    prev = 0
    for h, level in zip(data["headings"], levels, strict=True):
        if prev and level > prev + 1:
            out.append(Finding(rule="heading-order", criterion="WCAG 1.3.1", page=path, selector=str(h["selector"]),
                               message=f"heading level jumps from h{prev} to h{level} ({h['text']!r})"))
        prev = level
    if levels and levels[0] != 1 and h1:
        out.append(Finding(rule="heading-order", criterion="WCAG 1.3.1", page=path, selector=str(data["headings"][0]["selector"]),
                           message=f"the first heading is h{levels[0]}, not the h1"))
    return out


def accessible_names(page: Page, *, evidence: Evidence | None = None) -> list[Finding]:
    """Every link, button and form control has an accessible name (4.1.2)."""
    path = page_path(page)
    return [Finding(rule="accessible-name", criterion="WCAG 4.1.2", page=path, selector=str(d["selector"]),
                    message="control has no accessible name", context=str(d["html"]),
                    evidence=shoot(evidence, page, str(d["selector"]), f"name-{path}"))
            for d in page.evaluate(_NAMES)]


def language(page: Page, expected: str | None = None, *, rtl: bool | None = None) -> list[Finding]:
    """The page declares its language (``expected`` when given, with ``dir=rtl`` when ``rtl``), and
    Devanagari or Arabic-script text is marked with a matching ``lang`` (3.1.1, 3.1.2)."""
    path = page_path(page)
    data = page.evaluate(_LANG)
    out: list[Finding] = []
    lang = str(data["lang"])
    if not lang:
        out.append(Finding(rule="page-language", criterion="WCAG 3.1.1", page=path, selector="html",
                           message="<html> has no lang attribute"))
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
