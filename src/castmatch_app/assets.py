"""Static assets held in memory: content-hashed URLs, precompressed (gzip, and br when available).

Front-end defects are patches to these files, all listed in ``PATCHES`` so that each one is applied
at exactly one place; a patch whose anchor text is missing stops start-up instead of doing nothing.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import io
import json
import random
from dataclasses import dataclass
from importlib import resources

from PIL import Image, ImageDraw

from castmatch_app import defects

try:  # brotli is optional: gzip alone meets the compression gate
    import brotli as _brotli  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - depends on the environment
    _brotli = None

CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml",
    ".png": "image/png", ".webmanifest": "application/manifest+json",
}
SOURCES = ("css/app.css", "js/core.js", "js/carousel.js", "js/search.js", "js/profile.js", "icon.svg")


def _bloat() -> str:
    # Incompressible filler so the transfer-size budget really grows.
    data = random.Random(5).randbytes(240_000)
    return "\nwindow.__legacyWidgets = \"" + base64.b64encode(data).decode() + "\";\n"


# defect -> [(file, anchor text or "" to append, replacement)]
PATCHES: dict[str, list[tuple[str, str, str]]] = {
    "low-contrast-dark": [("css/app.css", "", ":root[data-theme=dark]{--text-muted:#6d6672}"
                           "@media (prefers-color-scheme:dark){:root:not([data-theme=light]){--text-muted:#6d6672}}")],
    "small-targets": [("css/app.css", "", ".icon-btn{width:30px;height:30px}")],
    "no-focus-outline": [("css/app.css", "",
                          ":focus,:focus-visible{outline:none!important;box-shadow:none!important}")],
    "reflow-overflow": [("css/app.css", "", ".site-header .wrap,main .wrap{min-width:480px}")],
    "literal-colour": [("css/app.css", "", ".brand{color:#d63384}")],
    "font-no-display": [("css/app.css", "font-display:swap;unicode-range:U+0900", "unicode-range:U+0900"),
                        ("css/app.css", "font-display:swap;unicode-range:U+0600", "unicode-range:U+0600")],
    "slow-transitions": [("css/app.css", "--motion-fast:150ms;--motion:320ms", "--motion-fast:1800ms;--motion:2400ms")],
    "motion-ignores-reduced": [
        ("css/app.css", "@media (prefers-reduced-motion:reduce)", "@media (prefers-reduced-motion:no-such-value)"),
        ("js/carousel.js", "let playing = !reduce.matches;", "let playing = true;"),
        ("js/carousel.js", "if (reduce.matches && playing) togglePlay();", ""),
    ],
    "carousel-no-pause": [("js/carousel.js", "function togglePlay() {", "function togglePlay() { return;")],
    "janky-animation": [("js/carousel.js", "", "\nwindow.setInterval(() => { const t0 = performance.now(); "
                         "while (performance.now() - t0 < 140) { /* layout work */ } }, 300);\n")],
    "keyboard-trap": [("js/core.js", "", "\ndocument.querySelectorAll(\"input[type=search]\").forEach((el) => "
                       "el.addEventListener(\"keydown\", (e) => { if (e.key === \"Tab\") e.preventDefault(); }));\n")],
    "late-banner-cls": [("js/core.js", "", "\nwindow.setTimeout(() => { const b = document.createElement(\"p\"); "
                         "b.className = \"notice\"; b.textContent = \"New casting calls are open this week.\"; "
                         "b.style.minHeight = \"9rem\"; const m = document.querySelector(\"main\"); "
                         "if (m) m.prepend(b); }, 1200);\n")],
    "bloated-bundle": [("js/core.js", "", _bloat())],
    "silent-feedback": [("js/core.js", "if (!status || !message) return;", "return;")],
    "double-submit": [("js/core.js", "const ONE_SHOT = true;", "const ONE_SHOT = false;")],
    "lost-filter-on-back": [("js/search.js", "if (push) history.pushState(null, \"\", url);", "")],
    "broken-shortlist-button": [("js/profile.js", "event.preventDefault();\n",
                                 "event.preventDefault();\n    return;\n")],
    "sw-no-cache": [("sw.js", "const CACHING = true;", "const CACHING = false;")],
}


@dataclass(frozen=True)
class Asset:
    path: str
    url: str
    content_type: str
    body: bytes
    gzip: bytes
    br: bytes | None
    etag: str


def _read(path: str) -> str:
    return resources.files("castmatch_app").joinpath("static", path).read_text("utf-8")


def _patched(path: str, text: str) -> str:
    for name, patches in PATCHES.items():
        if not defects.active(name):
            continue
        for file, anchor, replacement in patches:
            if file != path:
                continue
            if not anchor:
                text += replacement
            elif anchor in text:
                text = text.replace(anchor, replacement)
            else:
                raise RuntimeError(f"defect {name}: anchor not found in {path}: {anchor!r}")
    return text


@functools.cache
def _icon(size: int) -> bytes:
    image = Image.new("RGB", (size, size), (123, 18, 69))
    draw = ImageDraw.Draw(image)
    s = size / 64
    draw.ellipse((21 * s, 14 * s, 43 * s, 36 * s), fill="white")
    draw.pieslice((13 * s, 38 * s, 51 * s, 70 * s), 180, 360, fill="white")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


# Same file, same bytes, same compressed forms: every app of a process with the same defects
# (the tests make many) compresses each file once.
@functools.lru_cache(maxsize=128)
def _make(path: str, body: bytes, versioned: bool = True) -> Asset:
    digest = hashlib.sha256(body).hexdigest()[:12]
    suffix = "." + path.rsplit(".", 1)[-1]
    compressible = suffix in {".css", ".js", ".svg", ".webmanifest"}
    return Asset(
        path=path, url=f"/static/{digest}/{path}" if versioned else f"/{path}",
        content_type=CONTENT_TYPES.get(suffix, "application/octet-stream"), body=body,
        gzip=gzip.compress(body, 9, mtime=0) if compressible else b"",
        br=_brotli.compress(body) if compressible and _brotli else None, etag=f'"{digest}"',
    )


class Assets:
    def __init__(self) -> None:
        self.by_path: dict[str, Asset] = {}
        for path in SOURCES:
            self.by_path[path] = _make(path, _patched(path, _read(path)).encode())
        for size in (192, 512):
            self.by_path[f"icon-{size}.png"] = _make(f"icon-{size}.png", _icon(size))
        shell = ["/", "/offline", *(self.by_path[p].url for p in ("css/app.css", "js/core.js", "icon.svg"))]
        version = hashlib.sha256("".join(shell).encode()).hexdigest()[:12]
        worker = _patched("sw.js", _read("sw.js")).replace("__VERSION__", f"castmatch-{version}")
        self.service_worker = _make("sw.js", worker.replace("__SHELL__", json.dumps(shell)).encode(), False)

    def url(self, path: str) -> str:
        return self.by_path[path].url

    def find(self, path: str) -> Asset | None:
        return self.by_path.get(path)
