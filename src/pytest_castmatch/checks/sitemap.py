"""Information architecture: the sitemap and the navigation agree, and every page is a few clicks
from home (breadth-first crawl of same-origin links over HTTP).
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests

from pytest_castmatch.model import Finding

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
# Links that lead to machine documents or alternates, not pages a person navigates to.
NOT_PAGES = (".xml", ".json", ".webmanifest", ".svg", ".png", ".webp", ".css", ".js", ".txt")


def sitemap_paths(xml_text: str) -> list[str]:
    """The path (with query) of every ``<loc>`` in a sitemap; raises ValueError on malformed XML."""
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as exc:
        raise ValueError(f"sitemap is not well-formed XML: {exc}") from exc
    locs = [el.text.strip() for el in root.iter(f"{SITEMAP_NS}loc") if el.text] or [
        el.text.strip() for el in root.iter("loc") if el.text]
    return [normalise(loc) for loc in locs]


def normalise(url: str, base: str = "http://x/") -> str:
    """Path plus query without the ``lang`` switch or a fragment; '/' for the site root."""
    parts = urlsplit(urljoin(base, url))
    query = "&".join(p for p in parts.query.split("&") if p and not p.startswith("lang="))
    return (parts.path or "/") + (f"?{query}" if query else "")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []  # (region, href)
        self.forms: list[tuple[str, str]] = []  # (method, action)
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("nav", "header", "footer", "main"):
            self.stack.append(tag)
        if tag == "a" and values.get("href"):
            self.links.append((self.stack[-1] if self.stack else "body", str(values["href"])))
        if tag == "form":
            self.forms.append(((values.get("method") or "get").lower(), values.get("action") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("nav", "header", "footer", "main") and self.stack and self.stack[-1] == tag:
            self.stack.pop()


def links(html: str) -> list[tuple[str, str]]:
    """(landmark region, href) of every link in document order."""
    parser = _Links()
    parser.feed(html)
    return parser.links


def navigation_paths(html: str) -> list[str]:
    """Same-site pages linked from the header navigation and the footer."""
    out = []
    for region, href in links(html):
        if region in ("nav", "header", "footer") and is_page_link(href):
            path = normalise(href)
            if path not in out:
                out.append(path)
    return out


def is_page_link(href: str) -> bool:
    """A same-origin link to an HTML page (not a fragment, mailto, asset or machine document)."""
    parts = urlsplit(href)
    if parts.scheme not in ("", "http", "https") or parts.netloc or href.startswith("#"):
        return False
    return not parts.path.endswith(NOT_PAGES) and not parts.path.startswith(("/static/", "/media/", "/api/"))


def agreement(sitemap: Iterable[str], navigation: Iterable[str], *, page: str = "/sitemap.xml") -> list[Finding]:
    """Pages the navigation offers that the sitemap does not list (exactly: a filtered view such as
    ``/talent?area=x`` does not stand for the unfiltered page, nor a profile for the search)."""
    listed = set(sitemap)
    return [
        Finding(rule="sitemap-missing-nav-page", page=page, selector=path,
                message=f"the navigation links to {path}, which sitemap.xml does not list")
        for path in navigation if path not in listed
    ]


@dataclass
class Crawl:
    """Breadth-first distances (in clicks) from the start page, and pages that did not load."""

    depth: dict[str, int] = field(default_factory=dict)
    broken: dict[str, int] = field(default_factory=dict)
    fetched: int = 0


Fetch = Callable[[str], tuple[int, str]]


def http_fetcher(base_url: str, session: requests.Session | None = None, timeout: float = 10.0) -> Fetch:
    """GET ``base_url + path`` -> (status, body), waiting out a 429 once as the server asks."""
    client = session or requests.Session()

    def fetch(path: str) -> tuple[int, str]:
        for _ in range(3):
            response = client.get(base_url + path, timeout=timeout)
            if response.status_code != 429:
                return response.status_code, response.text
            time.sleep(min(float(response.headers.get("Retry-After", "1")), 5.0))
        return response.status_code, response.text

    return fetch


def shape(path: str) -> str:
    """A path with its numeric parts blanked: ``/talent/1`` and ``/talent/2`` share ``/talent/#``."""
    return "/".join("#" if part.isdigit() else part for part in path.split("?")[0].split("/"))


def one_per_shape(paths: Iterable[str], per_shape: int = 2) -> list[str]:
    """``paths`` in order, at most ``per_shape`` of each shape (a catalogue's thousands of items stand as two)."""
    seen: dict[str, int] = {}
    out = []
    for path in paths:
        form = shape(path)
        if seen.get(form, 0) < per_shape:
            seen[form] = seen.get(form, 0) + 1
            out.append(path)
    return out


def crawl(fetch: Fetch, *, start: str = "/", max_depth: int = 3, targets: Iterable[str] = (),
          max_pages: int = 60, per_pattern: int = 2) -> Crawl:
    """BFS from ``start`` up to ``max_depth`` clicks; stops early once every target is reached.

    ``per_pattern`` caps pages sharing a path shape (``/talent/1``, ``/talent/2``...) so a catalogue of
    thousands of profiles costs two fetches, not thousands.
    """
    wanted = {t.split("?")[0] for t in targets}
    result = Crawl()
    queue: deque[tuple[str, int]] = deque([(normalise(start), 0)])
    result.depth[normalise(start)] = 0
    shapes: dict[str, int] = {}
    while queue and result.fetched < max_pages:
        path, depth = queue.popleft()
        status, body = fetch(path)
        result.fetched += 1
        if status >= 400:
            result.broken[path] = status
            continue
        if depth >= max_depth or (wanted and wanted <= {p.split("?")[0] for p in result.depth}):
            continue
        for _, href in links(body):
            if not is_page_link(href):
                continue
            target = normalise(urljoin(path, href))
            if target in result.depth:
                continue
            form = shape(target)
            if shapes.get(form, 0) >= per_pattern:
                continue
            shapes[form] = shapes.get(form, 0) + 1
            result.depth[target] = depth + 1
            queue.append((target, depth + 1))
    return result


def reachability(crawl_result: Crawl, required: Iterable[str], max_clicks: int) -> list[Finding]:
    """Required pages farther than ``max_clicks`` from home (or unreachable), and broken links found."""
    reached = {p.split("?")[0]: d for p, d in sorted(crawl_result.depth.items(), key=lambda i: i[1])
               if p not in crawl_result.broken}
    findings = []
    for path in required:
        depth = reached.get(path.split("?")[0])
        if depth is None or depth > max_clicks:
            where = "unreachable" if depth is None else f"{depth} clicks away"
            findings.append(Finding(rule="page-too-deep", page=path,
                                    message=f"{path} is {where} from home; at most {max_clicks} clicks allowed"))
    for path, status in sorted(crawl_result.broken.items()):
        findings.append(Finding(rule="broken-link", page=path,
                                message=f"a link leads to {path}, which answers {status}"))
    return findings


def depth_summary(crawl_result: Crawl) -> Mapping[str, int]:
    """Deepest click distance over the pages reached."""
    return {"pages": len(crawl_result.depth), "max_depth": max(crawl_result.depth.values(), default=0)}
