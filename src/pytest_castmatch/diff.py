"""What changed between two reports: new blockers, fixed blockers, metric moves beyond noise.

One definition shared by ``castmatch-gate diff`` and the HTML report's trend section. A blocker
of the old run that the new run did not judge (a scoped run, a gate that vanished) is "not in
scope", never "fixed": only a run that judged the thing again can say it was fixed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_castmatch.record import Record, record

#: A metric moved when it changed by more than this fraction of its previous value.
#: Load and latency figures wobble by a few percent between identical runs; 5 % keeps
#: that wobble out of the trend while a real regression (a 200 ms p99 turning 230) shows.
NOISE = 0.05
#: Timing metrics also need an absolute move beyond this floor (in ms; seconds scale it): a
#: 3 ms time-to-first-byte turning 6 ms doubles, yet is scheduling jitter on a loopback run.
TIMING_FLOOR_MS = 5.0
_TIMING_UNITS = {"ms": 1.0, "s": 1000.0}


@record
class MetricDelta(Record):
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


@record
class Trend(Record):
    """The difference between a previous report and this one."""

    old_decision: str
    new_decision: str
    new_blockers: tuple[Mapping[str, Any], ...]
    fixed: tuple[Mapping[str, Any], ...]
    deltas: tuple[MetricDelta, ...]
    old_commit: str
    new_commit: str
    not_in_scope: tuple[Mapping[str, Any], ...] = ()

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


def beyond_noise(old: float, new: float, noise: float = NOISE, floor: float = 0.0) -> bool:
    """True when ``new`` differs from ``old`` by more than ``noise`` of ``old`` (any change from 0)
    and by more than the absolute ``floor``."""
    if abs(new - old) <= floor:
        return False
    if old == 0:
        return new != 0
    return abs(new - old) > noise * abs(old)


def noise_floor(unit: str) -> float:
    """The absolute move a metric in ``unit`` must exceed: :data:`TIMING_FLOOR_MS` for times, else 0."""
    scale = _TIMING_UNITS.get(unit.strip().lower())
    return 0.0 if scale is None else TIMING_FLOOR_MS / scale


def _judged_again(key: tuple[str, str], new: Mapping[str, Any]) -> bool:
    """Whether the new run judged what an old blocker was about (else it is not in scope)."""
    kind, subject = key
    if kind in ("gate", "waived"):
        return any(g["id"] == subject for g in new.get("gates", ()))
    if kind == "metric" and subject.startswith("metric:"):
        name = subject.removeprefix("metric:")
        rows = [*new.get("launch_metrics", ()), *new.get("metrics", ())]
        return any(r.get("metric") == name and r.get("status") not in ("not-in-scope", "not-measured") for r in rows)
    return bool(new.get("scope", {}).get("full"))


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
    gone = [(key, r) for key, r in before.items() if key not in after]
    fixed = tuple(r for key, r in gone if _judged_again(key, new))
    not_in_scope = tuple(r for key, r in gone if not _judged_again(key, new))
    old_metrics, new_metrics = _metrics(old), _metrics(new)
    deltas = []
    for key, row in sorted(new_metrics.items()):
        prev = old_metrics.get(key)
        if prev is None:
            continue
        a, b = float(prev["value"]), float(row["value"])
        unit = str(row.get("unit") or prev.get("unit") or "")
        if beyond_noise(a, b, noise, noise_floor(unit)):
            threshold = str(row.get("threshold") or prev.get("threshold") or "")
            deltas.append(
                MetricDelta(key[0], key[1], a, b, unit, threshold, _direction(threshold, a, b))
            )
    return Trend(
        old_decision=str(old["verdict"]["label"]),
        new_decision=str(new["verdict"]["label"]),
        new_blockers=new_blockers,
        fixed=fixed,
        deltas=tuple(deltas),
        old_commit=str(old.get("subject", {}).get("commit") or ""),
        new_commit=str(new.get("subject", {}).get("commit") or ""),
        not_in_scope=not_in_scope,
    )
