"""Evidence files as the report page shows them: a safe link, what the file is, and a thumbnail.

Paths come from the report (relative to the report folder). Only plain relative paths inside the
folder become links: no scheme, no ``..``, so a hostile evidence path cannot send the reader
anywhere else. A few screenshots of each gate that did not pass are inlined as ``data:`` thumbnails
(shrunk to :data:`THUMB_SIZE` when Pillow is installed, as it is with the reference app), up to a
budget, so the page still shows them when it is mailed or attached on its own.
"""

from __future__ import annotations

import base64
import io
import mimetypes
import re
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

#: A screenshot at most this big (after shrinking) is inlined; a bigger one is linked.
INLINE_LIMIT = 400_000
#: Stop inlining once this much has been inlined; the rest are linked (a phone still opens the page).
INLINE_BUDGET = 3_000_000
#: Thumbnails are shrunk to fit this box (CSS px at 1x; they are shown at most 20rem wide).
THUMB_SIZE = (480, 360)
_IMAGE_TYPES = {"image/png", "image/jpeg", "image/webp", "image/gif"}
_LIGHTHOUSE = re.compile(r"^(?P<page>.+)-(?P<factor>mobile|desktop)-run(?P<run>\d+)\.html$")
_KINDS = {
    ".json": "data (JSON)", ".csv": "table (CSV)", ".log": "log", ".txt": "text", ".sarif": "SARIF findings",
    ".html": "HTML report", ".zip": "archive",
}


class Linker:
    """Turns evidence paths into entries for the page; ``base`` is the report folder (None: link only)."""

    def __init__(self, base: Path | None) -> None:
        self.base = base.resolve() if base is not None else None
        self.spent = 0

    def entry(self, name: str, alt: str, *, inline: bool = True) -> dict[str, Any]:
        """``{name, href, kind, label, src, command}`` for one evidence path."""
        rel = PurePosixPath(name.replace("\\", "/"))
        out: dict[str, Any] = {"name": name, "href": None, "src": None, "command": None, "alt": alt,
                               **describe(rel.name)}
        if not rel.parts or rel.is_absolute() or ".." in rel.parts or ":" in rel.parts[0]:
            return out
        out["href"] = quote(rel.as_posix())
        if out["kind"] == "trace":
            out["command"] = f"playwright show-trace {rel.as_posix()}"
        if not inline or out["kind"] != "screenshot" or self.base is None:
            return out
        path = (self.base / rel).resolve()
        kind = mimetypes.guess_type(path.name)[0]
        if kind not in _IMAGE_TYPES or not path.is_relative_to(self.base) or not path.is_file():
            return out
        kind, data = _thumbnail(path, kind)
        if len(data) <= INLINE_LIMIT and self.spent + len(data) <= INLINE_BUDGET:
            self.spent += len(data)
            out["src"] = f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"
        return out


def _thumbnail(path: Path, kind: str) -> tuple[str, bytes]:
    """(type, bytes) of a small copy of the image; the image itself when Pillow is not installed."""
    try:
        from PIL import Image
    except ImportError:
        return kind, path.read_bytes()
    try:
        with Image.open(path) as image:
            image.thumbnail(THUMB_SIZE)
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=80)
    except (OSError, ValueError):
        return kind, path.read_bytes()
    return "image/jpeg", out.getvalue()


def describe(filename: str) -> dict[str, str]:
    """``{kind, label}`` for a file name: a screenshot, a Playwright trace, a Lighthouse report, data."""
    lower = filename.lower()
    suffix = PurePosixPath(lower).suffix
    if mimetypes.guess_type(lower)[0] in _IMAGE_TYPES:
        return {"kind": "screenshot", "label": f"Screenshot {filename}"}
    if suffix == ".zip" and "trace" in lower:
        return {"kind": "trace", "label": f"Playwright trace {filename}"}
    match = _LIGHTHOUSE.match(filename)
    if match is not None:
        return {"kind": "lighthouse", "page": match["page"],
                "label": f"Lighthouse report: {match['page']} ({match['factor']}), run {match['run']}"}
    return {"kind": "file", "label": f"{filename} — {_KINDS.get(suffix, 'file')}"}
