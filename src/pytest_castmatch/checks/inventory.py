"""Which pages a browser gate visits: the profile's list, the site's sitemap, or a bounded crawl."""

from __future__ import annotations

import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from pytest_castmatch.checks import sitemap as links
from pytest_castmatch.deployment import Pages

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
#: At most this many pages from a sitemap (a catalogue's sitemap can list thousands).
SITEMAP_LIMIT = 20


class InventoryError(RuntimeError):
    """The pages cannot be listed (no sitemap, nothing reachable); the message says what to set."""


def _get(base_url: str, path: str, timeout: float) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(base_url + path, timeout=timeout) as resp:
            return int(resp.status), resp.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def from_sitemap(base_url: str, path: str = "/sitemap.xml", limit: int = SITEMAP_LIMIT,
                 timeout: float = 10.0) -> list[str]:
    """Paths listed in the sitemap at ``base_url + path`` (the first ``limit``); raises if there is none."""
    try:
        status, body = _get(base_url, path, timeout)
        root = ET.fromstring(body) if status == 200 else None
    except (OSError, ET.ParseError) as exc:
        raise InventoryError(f"{base_url}{path} cannot be read as a sitemap ({exc})") from None
    if root is None:
        raise InventoryError(f"{base_url}{path} answers {status}: list the pages in [deployment.pages] list instead")
    paths = []
    for loc in root.iter(f"{SITEMAP_NS}loc"):
        parts = urlsplit((loc.text or "").strip())
        paths.append((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
    return list(dict.fromkeys(paths))[:limit]


def crawl(base_url: str, max_pages: int, max_depth: int, timeout: float = 10.0) -> list[str]:
    """Same-origin pages reached from the home page, breadth first, within the bounds."""
    found = links.crawl(lambda path: _get(base_url, path, timeout), max_depth=max_depth, max_pages=max_pages)
    return [p for p in found.depth if p not in found.broken][:max_pages]


def pages(spec: Pages, base_url: str, sitemap_path: str = "/sitemap.xml") -> list[str]:
    """The pages of the profile: its list, its sitemap's, or a bounded crawl's."""
    if spec.listed:
        found = list(spec.listed)
    elif spec.sitemap:
        found = from_sitemap(base_url, sitemap_path)
    else:
        found = crawl(base_url, spec.crawl_pages, spec.crawl_depth)
    if not found:
        raise InventoryError(f"no pages found at {base_url}: list them in [deployment.pages] list")
    return found
