"""Text contrast that axe leaves undecided (text over a gradient, a picture or another element),
measured on the rendered pixels.

The text's own colour is made transparent for one screenshot of its box: every pixel left is its
background (gradients, images, overlapping boxes, its own text shadow). The text colour, composited
over each of those pixels as the browser paints it, gives the contrast at that point:

- below the threshold at every point: the text fails, whatever part of the background it crosses;
- at or above it at every point, or ringed by a shadow whose colour contrasts enough with it (a
  halo, WCAG's own technique for text on busy backgrounds): the text passes;
- anything between depends on which part of the background a reader looks at: needs review.

Thresholds are WCAG's: 4.5:1 (AA) and 7:1 (AAA) for text, 3:1 and 4.5:1 for large text (at least
24 CSS px, or 18.66 px bold).
"""

# ruff: noqa: E501 - the page scripts below are JavaScript, kept readable on long lines

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from PIL import Image
from playwright._impl._api_structures import Clip
from playwright.sync_api import Page

from pytest_castmatch.model import Severity
from pytest_castmatch.record import Record, record

#: What axe could not decide that pixels can: the background is a gradient, an image, an element
#: drawn over or under the text, generated content, or the text holds an image node.
PIXEL_DECIDABLE = frozenset({"bgGradient", "bgImage", "imgNode", "bgOverlap", "pseudoContent", "shadowOnText",
                             "elmPartiallyObscured"})

_PREPARE = r"""
(selector) => {
  const el = document.querySelector(selector);
  if (!el) return null;
  el.scrollIntoView({block: 'center', inline: 'center'});
  const range = document.createRange();
  let box = null;
  if (el.matches('input, textarea, select')) {
    // A form field shows its value (or placeholder): none means no text to judge.
    if (!(el.value || el.placeholder || '').trim()) return {empty: true};
    const r = el.getBoundingClientRect();
    box = {l: r.left + el.clientLeft, t: r.top + el.clientTop, r: r.left + el.clientLeft + el.clientWidth, b: r.top + el.clientTop + el.clientHeight};
  }
  for (const node of el.childNodes) {
    if (node.nodeType !== 3 || !node.textContent.trim()) continue;
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.width < 1 || r.height < 1) continue;
      box = box ? {l: Math.min(box.l, r.left), t: Math.min(box.t, r.top), r: Math.max(box.r, r.right), b: Math.max(box.b, r.bottom)}
                : {l: r.left, t: r.top, r: r.right, b: r.bottom};
    }
  }
  if (!box) return null;
  const cs = getComputedStyle(el);
  let opacity = 1;
  for (let n = el; n; n = n.parentElement) opacity *= parseFloat(getComputedStyle(n).opacity);
  // Colour strings resolved as the canvas paints them (any CSS colour syntax, alpha kept).
  const one = document.createElement('canvas').getContext('2d');
  const parse = (text) => { one.fillStyle = '#000'; one.fillStyle = text; const v = one.fillStyle;
    const m = v.match(/rgba?\(([^)]+)\)/);
    if (m) { const p = m[1].split(',').map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; }
    return [parseInt(v.slice(1, 3), 16), parseInt(v.slice(3, 5), 16), parseInt(v.slice(5, 7), 16), 1]; };
  const shadows = cs.textShadow === 'none' ? [] : cs.textShadow.split(/,(?![^(]*\))/).map((s) => {
    const color = (s.match(/(rgba?\([^)]*\)|#[0-9a-f]+|[a-z]+)/i) || ['transparent'])[0];
    const px = (s.replace(color, '').match(/-?[\d.]+px/g) || []).map(parseFloat);
    return {color: parse(color), x: px[0] || 0, y: px[1] || 0, blur: px[2] || 0};
  });
  const size = parseFloat(cs.fontSize), weight = parseInt(cs.fontWeight, 10) || 400;
  const svg = el instanceof SVGElement;
  // Read before the text is made transparent (computed styles are live).
  const color = parse(svg ? cs.fill : cs.color);
  // The text of the element and of everything inside it is hidden (inline styles: a page's
  // Content-Security-Policy may forbid a <style> element); shadows stay, they are background.
  window.__cmContrastTouched = [el, ...el.querySelectorAll('*')].map((n) => {
    const old = n.getAttribute('style');
    for (const prop of ['color', '-webkit-text-fill-color', 'caret-color', 'fill', 'stroke', 'text-decoration-color'])
      n.style.setProperty(prop, 'transparent', 'important');
    return [n, old];
  });
  return {box: {x: box.l, y: box.t, width: box.r - box.l, height: box.b - box.t}, color, opacity,
          large: size >= 24 || (size >= 18.66 && weight >= 700), shadows};
}
"""

_RESTORE = r"""
() => {
  for (const [n, old] of window.__cmContrastTouched || []) {
    if (old === null) n.removeAttribute('style'); else n.setAttribute('style', old);
  }
  window.__cmContrastTouched = [];
}
"""


def _channel(c: float) -> float:
    v = c / 255
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG relative luminance of an sRGB colour (0-255 channels)."""
    return 0.2126 * _channel(rgb[0]) + 0.7152 * _channel(rgb[1]) + 0.0722 * _channel(rgb[2])


def ratio(one: tuple[float, float, float], other: tuple[float, float, float]) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    hi, lo = sorted((luminance(one), luminance(other)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@record
class Judgement(Record):
    """The text's contrast over its painted background, and what it means for AA and AAA."""

    lowest: float
    highest: float
    large: bool
    halo: bool

    def level(self, enhanced: bool) -> str:
        """``pass``, ``fail`` or ``review`` against the AAA (``enhanced``) or AA threshold."""
        need = (4.5 if self.large else 7.0) if enhanced else (3.0 if self.large else 4.5)
        if self.highest < need:
            return "fail"
        if self.lowest >= need or self.halo:
            return "pass"
        return "review"

    def describe(self) -> str:
        """The measured range, for a finding's message."""
        if abs(self.highest - self.lowest) < 0.05:
            return f"{self.lowest:.2f}:1 over its painted background"
        return f"between {self.lowest:.2f}:1 and {self.highest:.2f}:1 over its painted background"


def judge(page: Page, selector: str) -> Judgement | None:
    """Measure the contrast of the text directly inside ``selector``; None when it cannot be measured
    (no such element, no visible text of its own, nothing on screen)."""
    data: dict[str, Any] | None = page.evaluate(_PREPARE, selector)
    if data is None:
        return None
    if data.get("empty"):
        return Judgement(21.0, 21.0, large=False, halo=False)  # an empty field presents no text
    try:
        box = data["box"]
        vw, vh = page.evaluate("() => [innerWidth, innerHeight]")
        x0, y0 = max(0.0, float(box["x"])), max(0.0, float(box["y"]))
        clip = Clip(x=x0, y=y0, width=min(vw - x0, float(box["width"])), height=min(vh - y0, float(box["height"])))
        if clip["width"] < 1 or clip["height"] < 1:
            return None
        shot = page.screenshot(clip=clip, animations="disabled", caret="hide")
    finally:
        page.evaluate(_RESTORE)
    r, g, b, a = (float(v) for v in data["color"])
    alpha = a * float(data["opacity"])
    image = Image.open(io.BytesIO(shot)).convert("RGB")
    seen: list[float] = []
    for _, pixel in image.getcolors(image.width * image.height) or ():
        if not isinstance(pixel, tuple):  # an RGB image's colours are (r, g, b)
            continue
        bg = (float(pixel[0]), float(pixel[1]), float(pixel[2]))
        text = (r * alpha + bg[0] * (1 - alpha), g * alpha + bg[1] * (1 - alpha), b * alpha + bg[2] * (1 - alpha))
        seen.append(ratio(text, bg))
    if not seen:
        return None
    need = 4.5 if data["large"] else 7.0
    # A shadow hugging the letters in a colour that contrasts with them rings them with its contrast.
    halo = any(float(s["color"][3]) >= 0.9 and float(s["blur"]) <= 4 and abs(float(s["x"])) <= 2
               and abs(float(s["y"])) <= 2
               and ratio((r, g, b), (float(s["color"][0]), float(s["color"][1]), float(s["color"][2]))) >= need
               for s in data["shadows"])
    return Judgement(min(seen), max(seen), bool(data["large"]), halo)


#: axe's contrast rules and the criterion each speaks for.
RULES = {"color-contrast": "WCAG 1.4.3", "color-contrast-enhanced": "WCAG 1.4.6"}


def _message_key(node: Mapping[str, Any]) -> str:
    for key in ("any", "all", "none"):
        for check in node.get(key, []):
            data = check.get("data")
            if isinstance(data, dict) and data.get("messageKey"):
                return str(data["messageKey"])
    return ""


def decide(page: Page, node: Mapping[str, Any], *, aaa: bool) -> list[tuple[str, Severity, str]] | None:
    """What an axe contrast node left undecided comes to on its pixels: (axe rule, severity, message)
    for each failure or needs-review item, ``[]`` when the text passes; None when the pixels cannot
    tell (the node stays a needs-review item as axe left it). ``aaa`` judges 7:1 as well as 4.5:1."""
    key = _message_key(node)
    if key == "equalRatio":
        return []  # text painted in its background's colour is not visual presentation of text
    targets = node.get("target", [])
    if key not in PIXEL_DECIDABLE or len(targets) != 1 or not isinstance(targets[0], str):
        return None
    judged = judge(page, targets[0])
    if judged is None:
        return None

    def need(enhanced: bool) -> str:
        return f"{(4.5 if judged.large else 7) if enhanced else (3 if judged.large else 4.5):g}:1"

    aa = judged.level(enhanced=False)
    if aa == "fail":
        return [("color-contrast", Severity.HIGH, f"text contrast is {judged.describe()}; needs {need(False)}")]
    out: list[tuple[str, Severity, str]] = []
    if aa == "review":
        out.append(("color-contrast", Severity.REVIEW,
                    f"needs review: text contrast is {judged.describe()}; parts of it are below {need(False)}"))
    aaa_level = judged.level(enhanced=True) if aaa else "pass"
    if aaa_level == "fail":
        out.append(("color-contrast-enhanced", Severity.HIGH, f"text contrast is {judged.describe()}; needs {need(True)}"))
    elif aaa_level == "review" and aa != "review":
        out.append(("color-contrast-enhanced", Severity.REVIEW,
                    f"needs review: text contrast is {judged.describe()}; parts of it are below {need(True)}"))
    return out
