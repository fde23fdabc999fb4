"""Fixtures for the page-performance check tests: fixture pages on a loopback port, one Chromium.

``/static/NAME`` serves ``pages/NAME`` with a year-long Cache-Control, ``/nocache/NAME`` the same
file with ``no-store``; ``photo.webp`` and ``big.png`` are drawn in memory (a small WebP, and a
noisy PNG of about a megabyte).
"""

from __future__ import annotations

import http.server
import io
import random
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserType

from pytest_castmatch import sut
from tests.loopback import serving

PAGES = Path(__file__).parent / "pages"
TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css", ".js": "text/javascript",
         ".webp": "image/webp", ".png": "image/png"}


@pytest.fixture(scope="session")
def browser(browser_type: BrowserType, browser_type_launch_args: dict[str, Any]) -> Iterator[Browser]:
    """The full Chromium, as the performance suite measures with (tests elsewhere drive the headless shell)."""
    args: dict[str, Any] = sut.chromium_launch_args(browser_type_launch_args, headless_shell=False)
    launched = browser_type.launch(**args)
    yield launched
    launched.close()


@cache
def _drawn(name: str) -> bytes:
    out = io.BytesIO()
    if name == "photo.webp":
        Image.new("RGB", (200, 150), (120, 30, 60)).save(out, "WEBP", quality=70)
    else:
        Image.frombytes("RGB", (600, 600), random.Random(3).randbytes(600 * 600 * 3)).save(out, "PNG")
    return out.getvalue()


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        prefix, _, name = path.lstrip("/").partition("/")
        if prefix not in ("static", "nocache"):
            prefix, name = "page", path.lstrip("/")
        if name in ("photo.webp", "big.png"):
            body = _drawn(name)
        elif (PAGES / name).is_file() and "/" not in name:
            body = (PAGES / name).read_bytes()
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", TYPES.get(Path(name).suffix, "application/octet-stream"))
        self.send_header("Content-Length", str(len(body)))
        cache_control = {"static": "public, max-age=31536000, immutable", "nocache": "no-store"}.get(prefix)
        if cache_control:
            self.send_header("Cache-Control", cache_control)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture(scope="session")
def fixture_url() -> Iterator[str]:
    """Base URL of the fixture pages."""
    with serving(_Handler) as url:
        yield url


