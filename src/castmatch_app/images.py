"""Headshots drawn on demand from the talent id: same id, same bytes, so they cache forever.

No files are written; an LRU keeps the recently requested ones in memory.
"""

from __future__ import annotations

import hashlib
import io
import random
from functools import lru_cache

from PIL import Image, ImageDraw

# The profile headshot also comes at twice its size for high-density screens (srcset 2x): phones
# show it at about 380 CSS px, so 400 device pixels would be blurry at a pixel ratio of 1.5 or more.
SIZES = {"card": (240, 300), "profile": (400, 500), "profile2x": (800, 1000)}
SKIN = ((241, 194, 160), (224, 172, 128), (198, 134, 94), (161, 102, 64), (124, 77, 48), (96, 60, 38))
HAIR = ((24, 18, 16), (48, 32, 24), (80, 52, 36), (30, 30, 34))
BACKDROPS = ((94, 53, 177), (0, 105, 92), (183, 28, 28), (21, 101, 192), (230, 81, 0), (69, 90, 100),
             (136, 14, 79), (46, 125, 50))


def _draw(talent_id: int, width: int, height: int) -> Image.Image:
    rng = random.Random(int.from_bytes(hashlib.sha256(f"headshot:{talent_id}".encode()).digest()[:8], "big"))
    top, bottom = rng.choice(BACKDROPS), rng.choice(BACKDROPS)
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):  # vertical studio-backdrop gradient
        f = y / height
        draw.line([(0, y), (width, y)], fill=tuple(int(a + (b - a) * f) for a, b in zip(top, bottom, strict=True)))
    skin, hair = rng.choice(SKIN), rng.choice(HAIR)
    cx, w = width / 2, width
    head_w, head_h = w * rng.uniform(0.34, 0.40), w * rng.uniform(0.44, 0.50)
    head_top = height * 0.22
    shirt = tuple(rng.randrange(40, 220) for _ in range(3))
    draw.ellipse((cx - w * 0.42, height * 0.70, cx + w * 0.42, height * 1.25), fill=shirt)
    draw.rectangle((cx - w * 0.08, head_top + head_h * 0.8, cx + w * 0.08, height * 0.78), fill=skin)
    draw.ellipse((cx - head_w / 2 - 6, head_top - 10, cx + head_w / 2 + 6, head_top + head_h * 0.75), fill=hair)
    draw.ellipse((cx - head_w / 2, head_top, cx + head_w / 2, head_top + head_h), fill=skin)
    eye_y = head_top + head_h * 0.45
    for dx in (-head_w * 0.2, head_w * 0.2):
        draw.ellipse((cx + dx - 5, eye_y - 4, cx + dx + 5, eye_y + 4), fill=(30, 20, 20))
    draw.arc((cx - head_w * 0.18, head_top + head_h * 0.58, cx + head_w * 0.18, head_top + head_h * 0.8),
             20, 160, fill=(120, 40, 40), width=3)
    return image


@lru_cache(maxsize=4096)
def headshot_webp(talent_id: int, size: str) -> bytes:
    width, height = SIZES[size]
    out = io.BytesIO()
    _draw(talent_id, width, height).save(out, "WEBP", quality=72, method=4)
    return out.getvalue()


@lru_cache(maxsize=1)
def huge_png() -> bytes:
    """An unoptimised 'original upload': large, noisy, lossless (for the huge-image defect)."""
    base = _draw(1, 1600, 2000)
    noise = Image.frombytes("RGB", base.size, random.Random(9).randbytes(1600 * 2000 * 3))
    out = io.BytesIO()
    Image.blend(base, noise, 0.25).save(out, "PNG", compress_level=1)
    return out.getvalue()


def convert_upload(data: bytes) -> bytes:
    """Normalise an uploaded headshot to a 400x500 WebP (also proves the upload is an image)."""
    with Image.open(io.BytesIO(data)) as probe:
        probe.verify()
    with Image.open(io.BytesIO(data)) as upload:
        image = upload.convert("RGB")
        image.thumbnail((400, 500))
        out = io.BytesIO()
        image.save(out, "WEBP", quality=75)
    return out.getvalue()
