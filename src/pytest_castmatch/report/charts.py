"""Geometry for the report's inline SVG charts: numbers in, coordinates and readable labels out.

A chart's plot area is an SVG stretched to its box (``preserveAspectRatio="none"``, strokes that do
not scale), and its axis labels are HTML around it: text keeps its size from a 360 px phone to a
wide screen, which text inside a scaled SVG would not. Every axis starts at zero and says its unit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from pytest_castmatch.report import format_value

#: The plot area's own coordinates (stretched to the box it is drawn in).
WIDTH, HEIGHT = 1000.0, 300.0
#: Units whose scale ends at 100: a bar of 98 % is drawn against 100 %, not against a rounded-up 200.
BOUNDED_UNITS = frozenset({"%", "points"})
X_TITLES = {"s": "seconds since the start", "ms": "milliseconds since the start", "sample": "measurement number",
            "run": "run"}


def nice_ceiling(value: float) -> float:
    """The next 1-2-2.5-5 x 10^n at or above ``value``: an axis top people can read."""
    if value <= 0:
        return 1.0
    exp = 10.0 ** math.floor(math.log10(value))
    return next(m * exp for m in (1, 2, 2.5, 5, 10) if m * exp >= value * (1 - 1e-12))


def axis_top(values: Sequence[float], unit: str = "") -> float:
    """The top of a zero-based axis that shows every value (and bound) with some room."""
    peak = max((abs(v) for v in values), default=0.0)
    if unit in BOUNDED_UNITS and peak <= 100:
        return 100.0
    return nice_ceiling(peak * 1.05)


def _pct(value: float, top: float) -> float:
    return round(max(0.0, min(value / top, 1.0)) * 100, 2)


def bullet(value: float | None, low: float | None, high: float | None, unit: str) -> dict[str, Any]:
    """A bar for ``value`` on a zero-based scale with the threshold marked (``low`` / ``high``: its bounds).

    Widths are percentages of the scale; ``top`` is the scale's end, labelled under the bar.
    """
    bounds = [b for b in (low, high) if b is not None]
    top = axis_top([*(bounds or [1.0]), *([value] if value is not None else [])], unit)
    return {
        "width": None if value is None else max(_pct(value, top), 0.4),
        "marks": [_pct(b, top) for b in bounds],
        "top": format_value(top, unit),
        "zero": format_value(0.0, unit),
    }


def compact(value: float) -> str:
    """A tick label that fits a narrow axis: ``250``, ``12.5``, ``25k``, ``1.2M``."""
    for start, size, suffix in ((1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if abs(value) >= start:
            return f"{value / size:.3g}{suffix}"
    return format_value(round(value, 3))


def _ticks(top: float) -> list[dict[str, Any]]:
    return [{"label": compact(top * f), "at": round(100 - f * 100, 2)} for f in (1.0, 0.5, 0.0)]


def line(
    points: Sequence[tuple[float, float | None]],
    *,
    unit: str,
    x_unit: str = "s",
    bounds: Sequence[float] = (),
    x_labels: Sequence[str] = (),
) -> dict[str, Any]:
    """A line chart of ``points`` (x, y or None for a gap) against horizontal lines at ``bounds``.

    x is shown from the first point (0 s, 0 ms) or, for ``"sample"``, counted from 1; ``x_labels``
    name each point instead (runs of a history), and every point then gets a dot.
    """
    xs = [x for x, _ in points]
    ys = [y for _, y in points if y is not None]
    top = axis_top([*ys, *bounds], unit)
    x0, x1 = (min(xs), max(xs)) if xs else (0.0, 1.0)
    span = (x1 - x0) or 1.0

    def at(x: float, y: float) -> str:
        return f"{(x - x0) / span * WIDTH:.1f},{HEIGHT - max(0.0, min(y / top, 1.0)) * HEIGHT:.1f}"

    segments: list[list[str]] = [[]]
    for x, y in points:
        if y is None:
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append(at(x, y))
    paths = ["M" + " L".join(seg) for seg in segments if len(seg) > 1]
    dots = [f"M{at(x, y)} h0" for x, y in points if y is not None] if x_labels or len(ys) < 3 else []
    if x_labels:
        # First and last only: run labels are long, and the table of values names every run.
        picks = sorted({0, len(x_labels) - 1})
        x_ticks = [{"label": x_labels[i], "at": _pct(xs[i] - x0, span)} for i in picks]
    else:
        if x_unit == "sample":  # counted from 1, in whole measurements
            x_ticks = [{"label": format_value(float(round(1 + f * span))), "at": round(f * 100, 2)}
                       for f in (0.0, 0.5, 1.0)]
        else:
            x_ticks = [{"label": format_value(round(f * span, 1), x_unit), "at": round(f * 100, 2)}
                       for f in (0.0, 0.5, 1.0)]
    return {
        "paths": paths,
        "dots": dots,
        "y_ticks": _ticks(top),
        "y_title": unit,
        "x_ticks": x_ticks,
        "x_title": X_TITLES.get(x_unit, x_unit),
        "bounds": [{"at": round(100 - _pct(b, top), 2), "y": f"{HEIGHT - _pct(b, top) / 100 * HEIGHT:.1f}",
                    "label": format_value(b, unit)} for b in bounds],
        "peak": format_value(max(ys), unit) if ys else "—",
        "low": format_value(min(ys), unit) if ys else "—",
        "last": format_value(ys[-1], unit) if ys else "—",
        "count": len(ys),
    }
