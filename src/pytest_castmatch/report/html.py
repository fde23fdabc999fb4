"""``index.html``: one self-contained page a person reads first.

Rendered with Jinja2 autoescaping from the report JSON. No script, no external request:
screenshots up to :data:`INLINE_LIMIT` are inlined as ``data:`` URIs (so the file can be
mailed or attached and still shows them), larger ones are linked relative to the report
folder, and charts are inline SVG drawn from numbers computed here.
"""

from __future__ import annotations

import base64
import math
import mimetypes
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

from pytest_castmatch import diff
from pytest_castmatch.model import Priority
from pytest_castmatch.report import (
    STATUS_TEXT,
    UNSIGNED_NOTICE,
    advisories,
    blockers,
    format_samples,
    format_value,
    owner_title,
    threshold_bounds,
)

#: Screenshots at most this big are inlined; bigger ones are linked (keeps the page light).
INLINE_LIMIT = 400_000
#: Stop inlining once this much has been inlined; the rest are linked.
INLINE_BUDGET = 8_000_000
_IMAGE_TYPES = {"image/png", "image/jpeg", "image/webp", "image/gif"}
_BAR_WIDTH = 390
_CHART_W, _CHART_H, _CHART_X0, _CHART_Y0 = 580, 180, 50, 10


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("pytest_castmatch.report", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=True, default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class _Inliner:
    """Turns evidence paths (relative to the report folder) into safe links and data URIs."""

    def __init__(self, base_dir: Path | None) -> None:
        self.base = base_dir.resolve() if base_dir is not None else None
        self.spent = 0

    def __call__(self, name: str, alt: str) -> dict[str, Any]:
        entry: dict[str, Any] = {"name": name, "alt": alt, "href": None, "src": None}
        rel = Path(name)
        # Only plain relative paths inside the report folder become links: no schemes, no escape
        # with "..", so a hostile evidence path cannot point the reader anywhere else.
        if not rel.parts or rel.is_absolute() or ".." in rel.parts or ":" in rel.parts[0]:
            return entry
        entry["href"] = quote(rel.as_posix())
        if self.base is None:
            return entry
        path = (self.base / rel).resolve()
        kind = mimetypes.guess_type(path.name)[0]
        if kind not in _IMAGE_TYPES or not path.is_relative_to(self.base) or not path.is_file():
            return entry
        size = path.stat().st_size
        if size <= INLINE_LIMIT and self.spent + size <= INLINE_BUDGET:
            self.spent += size
            entry["src"] = f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"
        return entry


def _bars(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    bars = []
    for row in report["launch_metrics"]:
        if row["value"] is None:
            continue
        low, high = threshold_bounds(row["threshold"])
        bound = high if high is not None else low
        value = float(row["value"])
        scale = max(abs(value), abs(bound or 0.0)) * 1.15 or 1.0
        bars.append(
            {
                "title": row["title"],
                "width": round(max(abs(value) / scale * _BAR_WIDTH, 1.0), 1),
                "mark": None if bound is None else round(abs(bound) / scale * _BAR_WIDTH, 1),
                "missed": row["status"] == "missed",
                "value": format_value(value, row["unit"]),
            }
        )
    return bars


def _nice_ceiling(value: float) -> float:
    """The next 1-2-2.5-5 x 10^n at or above ``value``: an axis top people can read."""
    if value <= 0:
        return 1.0
    exp = 10.0 ** math.floor(math.log10(value))
    return next(m * exp for m in (1, 2, 2.5, 5, 10) if m * exp >= value)


def _series(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    limits = {}
    for row in report.get("metrics", []):
        if row.get("threshold"):
            limits[row["metric"]] = threshold_bounds(row["threshold"])[1]
    charts = []
    for gate in report["gates"]:
        for sample in gate["metrics"]:
            points = sample.get("series") or []
            if len(points) < 2:
                continue
            t0 = points[0][0]
            span = max(points[-1][0] - t0, 1e-9)
            limit = limits.get(sample["metric"])
            peak = max(v for _, v in points)
            top = _nice_ceiling(max(peak, limit or 0.0) * 1.05)

            def y(v: float, top: float = top) -> float:
                return round(_CHART_Y0 + _CHART_H - v / top * _CHART_H, 1)

            charts.append(
                {
                    "metric": sample["metric"],
                    "labels": ",".join(f"{k}={v}" for k, v in sorted(sample.get("labels", {}).items())),
                    "unit": sample.get("unit") or "",
                    "gate": gate["id"],
                    "count": format_samples(sample),
                    "not_measured": sample.get("not_measured", ""),
                    "span": format_value(round(span, 1)),
                    "peak": peak,
                    "top": top,
                    "limit": limit,
                    "limit_y": None if limit is None else y(limit),
                    "points": " ".join(f"{round(_CHART_X0 + (t - t0) / span * _CHART_W, 1)},{y(v)}" for t, v in points),
                }
            )
    return charts


def _findings_by_owner(report: Mapping[str, Any], inline: _Inliner) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for gate in report["gates"]:
        if gate["outcome"] == "passed" and not gate["findings"]:
            continue
        findings = [
            dict(f)
            | {"shots": [inline(e, f"Screenshot for {f['rule']}: {f['message'][:120]}") for e in f.get("evidence", ())]}
            for f in gate["findings"]
        ]
        shots = [inline(e, f"Evidence for {gate['id']}") for e in gate.get("evidence", ())]
        groups.setdefault(gate["owner"], []).append(dict(gate) | {"findings": findings, "shots": shots})
    return sorted(groups.items(), key=lambda item: owner_title(report, item[0]).lower())


def render(
    report: Mapping[str, Any], *, base_dir: Path | None = None, previous: Mapping[str, Any] | None = None
) -> str:
    """The HTML page for ``report``; evidence is read from ``base_dir`` (the report folder)."""
    verdict = report["verdict"]
    verdict_class = "nogo" if verdict["decision"] != "GO" else ("launch" if verdict["launch"] else "scoped")
    owners_in_matrix = sorted(
        {o for cells in report["matrix"].values() for o in cells},
        key=lambda o: owner_title(report, o).lower(),
    )
    env = report.get("environment", {})
    env_rows = [(k, v) for k, v in sorted(env.items()) if k != "engines" and v]
    env_rows += [(f"engine: {k}", v) for k, v in sorted(env.get("engines", {}).items())]
    template = _environment().get_template("index.html")
    return template.render(
        r=report,
        v=verdict,
        verdict_class=verdict_class,
        commit=report.get("subject", {}).get("commit") or "",
        blockers=blockers(report),
        advisories=advisories(report),
        unsigned_notice=UNSIGNED_NOTICE,
        bars=_bars(report),
        series=_series(report),
        priorities=[p.value for p in Priority],
        matrix_owners=owners_in_matrix,
        findings_by_owner=_findings_by_owner(report, _Inliner(base_dir)),
        trend=diff.compare(previous, report) if previous is not None else None,
        noise=format_value(diff.NOISE * 100),
        env_rows=env_rows,
        owner=lambda o: owner_title(report, o),
        fmt=format_value,
        count=format_samples,
        status=lambda s: STATUS_TEXT.get(s, s),
    )
