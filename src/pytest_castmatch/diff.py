"""What changed between two reports: new blockers, fixed blockers, metric moves beyond noise.

One definition shared by ``castmatch-gate diff`` and the HTML report's trend section.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: A metric moved when it changed by more than this fraction of its previous value.
#: Load and latency figures wobble by a few percent between identical runs; 5 % keeps
#: that wobble out of the trend while a real regression (a 200 ms p99 turning 230) shows.
NOISE = 0.05


@dataclass(frozen=True)
class MetricDelta:
    """One metric (with its labels) whose value moved beyond :data:`NOISE`."""

    metric: str
    labels: str
    old: float
    new: float
    unit: str
    threshold: str
    direction: str  # "better" | "worse" | "changed" (no threshold says which way is good)

    @property
    def relative(self) -> float | None:
        return None if self.old == 0 else (self.new - self.old) / abs(self.old)


@dataclass(frozen=True)
class Trend:
    """The difference between a previous report and this one."""

    old_decision: str
    new_decision: str
    new_blockers: tuple[Mapping[str, Any], ...]
    fixed: tuple[Mapping[str, Any], ...]
    deltas: tuple[MetricDelta, ...]
    old_commit: str
    new_commit: str

    @property
    def regressed(self) -> bool:
        return bool(self.new_blockers) or any(d.direction == "worse" for d in self.deltas)


def _blockers(report: Mapping[str, Any]) -> dict[tuple[str, str], Mapping[str, Any]]:
    return {(r["kind"], r["subject"]): r for r in report["verdict"]["reasons"] if r["blocking"]}


def _labels(row: Mapping[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(row.get("labels", {}).items()))


def _metrics(report: Mapping[str, Any]) -> dict[tuple[str, str], Mapping[str, Any]]:
    out: dict[tuple[str, str], Mapping[str, Any]] = {}
    for row in report.get("metrics", []):
        if row.get("value") is None:
            continue  # not measured: no value to compare
        key = (str(row["metric"]), _labels(row))
        # Several gates may measure one metric with the same labels: keep the highest, as a
        # ceiling is what most thresholds are; the launch table already holds the decisive value.
        if key not in out or float(row["value"]) > float(out[key]["value"]):
            out[key] = row
    return out


def beyond_noise(old: float, new: float, noise: float = NOISE) -> bool:
    """True when ``new`` differs from ``old`` by more than ``noise`` of ``old`` (any change from 0)."""
    if old == 0:
        return new != 0
    return abs(new - old) > noise * abs(old)


def _direction(threshold: str, old: float, new: float) -> str:
    lower_is_better = threshold.startswith("<=")
    higher_is_better = threshold.startswith(">=") and " and " not in threshold
    if lower_is_better:
        return "better" if new < old else "worse"
    if higher_is_better:
        return "better" if new > old else "worse"
    return "changed"


def compare(old: Mapping[str, Any], new: Mapping[str, Any], *, noise: float = NOISE) -> Trend:
    """The trend from ``old`` to ``new`` (both canonical reports)."""
    before, after = _blockers(old), _blockers(new)
    new_blockers = tuple(r for key, r in after.items() if key not in before)
    fixed = tuple(r for key, r in before.items() if key not in after)
    old_metrics, new_metrics = _metrics(old), _metrics(new)
    deltas = []
    for key, row in sorted(new_metrics.items()):
        prev = old_metrics.get(key)
        if prev is None:
            continue
        a, b = float(prev["value"]), float(row["value"])
        if beyond_noise(a, b, noise):
            threshold = str(row.get("threshold") or prev.get("threshold") or "")
            deltas.append(
                MetricDelta(key[0], key[1], a, b, str(row.get("unit") or ""), threshold, _direction(threshold, a, b))
            )
    return Trend(
        old_decision=str(old["verdict"]["label"]),
        new_decision=str(new["verdict"]["label"]),
        new_blockers=new_blockers,
        fixed=fixed,
        deltas=tuple(deltas),
        old_commit=str(old.get("subject", {}).get("commit") or ""),
        new_commit=str(new.get("subject", {}).get("commit") or ""),
    )
