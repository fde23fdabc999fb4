"""Asset budgets from the network log of one page load, and the front-end rules that go with them.

``record(page, url)`` loads a page in a fresh context (nothing cached) and keeps every
request with its compressed transfer size (``request.sizes()``) and response headers; the
DOM facts the rules need (images, @font-face rules, render-blocking status) are read from
the same load. The other functions are pure over that record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import field
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Request

from pytest_castmatch.checks import navigation
from pytest_castmatch.model import Finding
from pytest_castmatch.record import Record
from pytest_castmatch.record import record as value_type  # this module has its own record()

STATIC_TYPES = frozenset({"script", "stylesheet", "image", "font"})
MODERN_IMAGES = ("image/webp", "image/avif", "image/svg+xml")
#: A day: anything shorter makes repeat visits refetch versioned assets.
MIN_STATIC_MAX_AGE = 86_400

_DOM = """
() => {
  const vh = window.innerHeight;
  const timing = {};
  for (const e of performance.getEntriesByType("resource")) timing[e.name] = e.renderBlockingStatus || "";
  const images = Array.from(document.images).map((img) => {
    const r = img.getBoundingClientRect();
    return {src: img.currentSrc || img.src, width: img.getAttribute("width"), height: img.getAttribute("height"),
            loading: img.getAttribute("loading") || "", top: r.top + window.scrollY, visible: r.width > 0,
            selector: img.id ? "#" + img.id : (img.className ? "img." + String(img.className).split(" ")[0] : "img")};
  });
  const faces = [];
  const sheets = [];
  for (const sheet of Array.from(document.styleSheets)) {
    let rules;
    try { rules = sheet.cssRules; } catch (e) { sheets.push(sheet.href || "inline"); continue; }
    for (const rule of Array.from(rules)) {
      if (rule.type === CSSRule.FONT_FACE_RULE) {
        const style = rule.style;
        faces.push({family: style.getPropertyValue("font-family"), display: style.getPropertyValue("font-display"),
                    src: style.getPropertyValue("src"), sheet: sheet.href || "inline"});
      }
    }
  }
  const preloads = Array.from(document.querySelectorAll("link[rel=preload][as=font]")).map((l) => l.href);
  const syncScripts = Array.from(document.querySelectorAll("head script[src]"))
    .filter((s) => !s.async && !s.defer && s.type !== "module").map((s) => s.src);
  return {viewport: vh, timing, images, faces, unreadable: sheets, preloads, syncScripts};
}
"""


@value_type
class Resource(Record):
    """One request of a page load."""

    url: str
    kind: str  # Playwright resource type: document, script, stylesheet, image, font, ...
    status: int
    headers: dict[str, str]
    transfer_bytes: int  # encoded (compressed) body size, as sent over the wire
    render_blocking: str = ""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@value_type
class PageLoad(Record):
    """What one load of a page fetched and what its DOM looked like once loaded."""

    url: str
    resources: tuple[Resource, ...]
    dom: dict[str, Any] = field(default_factory=dict)
    #: Set when the page did not answer as it should: nothing else was measured, every rule reports this.
    page_status: tuple[Finding, ...] = ()

    def of_kind(self, kind: str) -> list[Resource]:
        return [r for r in self.resources if r.kind == kind]

    def same_origin(self, resource: Resource) -> bool:
        a, b = urlsplit(self.url), urlsplit(resource.url)
        return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def _size(request: Request) -> int:
    try:
        return int(request.sizes()["responseBodySize"])
    except (PlaywrightError, KeyError, TypeError, ValueError):
        return 0


def listen(page: Page) -> list[Request]:
    """Start keeping every finished request of ``page``; call before navigating."""
    requests: list[Request] = []

    def keep(request: Request) -> None:
        requests.append(request)

    page.on("requestfinished", keep)
    return requests


def snapshot(page: Page, requests: list[Request]) -> PageLoad:
    """The load so far: requests with sizes and headers, and the DOM facts the rules read."""
    dom: dict[str, Any] = page.evaluate(_DOM)
    timing: Mapping[str, str] = dom.get("timing", {})
    out = []
    for req in list(requests):
        if not req.url.startswith(("http://", "https://")):
            continue
        resp = req.response()
        headers = {k.lower(): v for k, v in (resp.all_headers() if resp else {}).items()}
        out.append(Resource(req.url, req.resource_type, resp.status if resp else 0, headers, _size(req),
                            timing.get(req.url, "")))
    return PageLoad(page.url, tuple(out), dom)


def record(page: Page, url: str, *, settle_ms: int = 300, timeout_ms: int = 30_000) -> PageLoad:
    """Load ``url`` in ``page`` (use a fresh context: a warm cache hides transfer sizes)."""
    requests = listen(page)
    if missing := navigation.visit(page, url, timeout=timeout_ms):
        return PageLoad(page.url, (), page_status=tuple(missing))
    page.wait_for_timeout(settle_ms)
    return snapshot(page, requests)


def budgets(load: PageLoad) -> dict[str, float]:
    """Compressed JS and CSS kilobytes, image kilobytes and the request count of one load."""
    if load.page_status:
        return {}

    def kb(kind: str) -> float:
        return round(sum(r.transfer_bytes for r in load.of_kind(kind)) / 1024, 2)

    return {"page_js_kb": kb("script"), "page_css_kb": kb("stylesheet"), "page_image_kb": kb("image"),
            "page_requests": float(len(load.resources))}


def render_blocking(load: PageLoad, label: str, *, max_stylesheets: int = 1) -> list[Finding]:
    """Scripts must never block the first paint; at most ``max_stylesheets`` same-origin CSS files may."""
    if load.page_status:
        return list(load.page_status)
    out: list[Finding] = []
    sync = set(load.dom.get("syncScripts", ()))
    for r in load.resources:
        blocking = r.render_blocking == "blocking" or r.url in sync
        if blocking and r.kind == "script":
            out.append(Finding(
                rule="render-blocking-script", page=label, selector=f'script[src="{urlsplit(r.url).path}"]',
                criterion="Lighthouse render-blocking-resources",
                message=f"{r.url} is a synchronous script in <head>: it blocks the first paint "
                        f"({r.transfer_bytes} B); load it with defer or async",
            ))
    sheets = [r for r in load.of_kind("stylesheet") if r.render_blocking == "blocking"]
    foreign = [r for r in sheets if not load.same_origin(r)]
    for r in foreign:
        out.append(Finding(rule="render-blocking-css", criterion="Lighthouse render-blocking-resources", page=label,
                           message=f"{r.url} is a render-blocking stylesheet from another origin"))
    if len(sheets) > max_stylesheets:
        out.append(Finding(rule="render-blocking-css", criterion="Lighthouse render-blocking-resources", page=label,
                           message=f"{len(sheets)} render-blocking stylesheets (budget {max_stylesheets}): "
                                   + ", ".join(r.url for r in sheets)))
    return out


def images(load: PageLoad, label: str, *, max_image_kb: float = 150.0) -> list[Finding]:
    """Images are WebP/AVIF (or SVG), carry width and height, and stay within a byte budget."""
    if load.page_status:
        return list(load.page_status)
    out: list[Finding] = []
    by_url = {r.url: r for r in load.of_kind("image")}
    for img in load.dom.get("images", ()):
        src, selector = str(img["src"]), str(img["selector"])
        if not src or src.startswith("data:"):
            continue
        if not img.get("width") or not img.get("height"):
            out.append(Finding(rule="image-dimensions", page=label, selector=selector, criterion="CLS",
                               message=f"{src} has no width and height attributes: the layout shifts when it loads"))
        res = by_url.get(src)
        if res is None:
            continue  # not fetched in this load (lazy, below the fold): judged by lazy_loading
        if res.content_type not in MODERN_IMAGES:
            out.append(Finding(rule="image-format", page=label, selector=selector,
                               criterion="Lighthouse modern-image-formats",
                               message=f"{src} is {res.content_type or 'untyped'}; serve WebP or AVIF"))
        if res.transfer_bytes > max_image_kb * 1024:
            out.append(Finding(rule="image-bytes", page=label, selector=selector,
                               criterion="Lighthouse uses-optimized-images",
                               message=f"{src} is {res.transfer_bytes / 1024:.0f} KB (budget {max_image_kb:g} KB)"))
    return out


def lazy_loading(load: PageLoad, label: str) -> list[Finding]:
    """Images below the fold load lazily; images in the first viewport must not (it delays LCP)."""
    if load.page_status:
        return list(load.page_status)
    out: list[Finding] = []
    fold = float(load.dom.get("viewport", 0))
    for img in load.dom.get("images", ()):
        if not img.get("visible"):
            continue
        below = float(img["top"]) >= fold
        lazy = str(img.get("loading", "")).lower() == "lazy"
        if below and not lazy:
            out.append(Finding(rule="image-not-lazy", page=label, selector=str(img["selector"]),
                               criterion="Lighthouse offscreen-images",
                               message=f"{img['src']} is below the fold ({img['top']:.0f} px, fold {fold:.0f} px) "
                                       "but has no loading=\"lazy\""))
        elif not below and lazy:
            out.append(Finding(rule="image-lazy-above-fold", page=label, severity="warning",
                               criterion="Lighthouse lcp-lazy-loaded",
                               selector=str(img["selector"]),
                               message=f"{img['src']} is in the first viewport but lazy: it delays LCP"))
    return out


def fonts(load: PageLoad, label: str) -> list[Finding]:
    """Every @font-face sets font-display (swap/optional/fallback); web fonts fetched are preloaded."""
    if load.page_status:
        return list(load.page_status)
    out: list[Finding] = []
    for face in load.dom.get("faces", ()):
        display = str(face.get("display") or "").strip()
        if display not in ("swap", "optional", "fallback"):
            out.append(Finding(
                rule="font-display", page=label, selector=f"@font-face {face.get('family')}",
                criterion="Lighthouse font-display",
                context=str(face.get("sheet")),
                message=f"@font-face {face.get('family')} has font-display {display or '(unset, i.e. auto)'}: "
                        "text stays invisible while the font loads; use font-display: swap",
            ))
    for sheet in load.dom.get("unreadable", ()):
        out.append(Finding(rule="font-display", criterion="Lighthouse font-display", page=label, severity="note",
                           message=f"stylesheet {sheet} is cross-origin; its @font-face rules were not read"))
    preloaded = set(load.dom.get("preloads", ()))
    for r in load.of_kind("font"):
        if r.url not in preloaded:
            out.append(Finding(rule="font-preload", criterion="Lighthouse preload-fonts", page=label,
                               message=f"web font {r.url} is not preloaded (<link rel=preload as=font crossorigin>)"))
    return out


def _max_age(cache_control: str) -> int | None:
    m = re.search(r"(?:^|[,\s])(?:s-)?max-age=(\d+)", cache_control)
    return int(m.group(1)) if m else None


def cache_headers(load: PageLoad, label: str, *, exclude: Iterable[str] = ("/sw.js",)) -> list[Finding]:
    """Same-origin static assets carry a long-lived Cache-Control (a day or more, or immutable)."""
    if load.page_status:
        return list(load.page_status)
    out: list[Finding] = []
    skip = tuple(exclude)
    for r in load.resources:
        if r.kind not in STATIC_TYPES or not load.same_origin(r) or urlsplit(r.url).path.endswith(skip):
            continue
        cc = r.headers.get("cache-control", "").lower()
        age = _max_age(cc)
        if "no-store" in cc or "no-cache" in cc or age is None or (age < MIN_STATIC_MAX_AGE and "immutable" not in cc):
            out.append(Finding(rule="static-cache-headers", page=label, context=f"Cache-Control: {cc or '(none)'}",
                               criterion="Lighthouse uses-long-cache-ttl",
                               message=f"{urlsplit(r.url).path} ({r.kind}) is not cacheable for a day or more"))
    return out


def code_split(load: PageLoad, label: str, matched: Mapping[str, bool]) -> list[Finding]:
    """A page loads only its own code: each script named in ``matched`` (path fragment -> does the page
    have the element that script drives) may load only where that element exists."""
    if load.page_status:
        return list(load.page_status)
    out: list[Finding] = []
    for r in load.of_kind("script"):
        path = urlsplit(r.url).path
        for fragment, used in matched.items():
            if path.endswith(fragment) and not used:
                out.append(Finding(rule="code-split", page=label, context=path,
                                   criterion="Lighthouse unused-javascript",
                                   message=f"{path} loads on a page without the element it drives: "
                                           "split it so this page ships only its own code"))
    return out


def owned_scripts(page: Page, owners: Mapping[str, str]) -> dict[str, bool]:
    """For ``{script path fragment: CSS selector of the element it drives}``, whether the page has it."""
    return {frag: page.locator(sel).count() > 0 for frag, sel in owners.items()}
