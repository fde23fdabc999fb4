"""Which pages a browser gate visits: the configured inventory, else the site's sitemap."""

from __future__ import annotations

import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from urllib.parse import urlsplit

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def from_sitemap(base_url: str, limit: int = 20, timeout: float = 10.0) -> list[str]:
    """Paths listed in ``base_url``/sitemap.xml (first ``limit``); raises if there is none."""
    with urllib.request.urlopen(f"{base_url}/sitemap.xml", timeout=timeout) as resp:
        root = ET.fromstring(resp.read())
    paths = []
    for loc in root.iter(f"{SITEMAP_NS}loc"):
        parts = urlsplit((loc.text or "").strip())
        paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return paths[:limit]


def pages(configured: Sequence[str], base_url: str) -> list[str]:
    """The configured page inventory, or the sitemap's pages when none is configured."""
    found = list(configured) or from_sitemap(base_url)
    if not found:
        raise ValueError("no pages to visit: list them in gates.toml [inventory] pages or serve /sitemap.xml")
    return found
