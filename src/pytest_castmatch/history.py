"""Launch metrics across runs: a folder of earlier reports lined up, oldest first, with this run last.

``--gate-history DIR`` (pytest) and ``castmatch-gate diff --history DIR`` read every report in DIR
(``*.json`` and ``*/report.json``: report files or signed envelopes, unverified — history is shown,
never judged). Runs are ordered by when they were generated and one run found twice (a report and
its envelope) counts once; the last :data:`RUNS` are kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_castmatch.record import Record, record
from pytest_castmatch.report import ReportError, read_document

#: How many runs a trend shows: enough to see a drift over a few weeks of daily builds.
RUNS = 20


@record
class Run(Record):
    """One run in the history: when, which commit, what it decided."""

    generated_at: str
    commit: str
    label: str


@record
class Point(Record):
    """A launch metric in one run (``value`` None: not measured or not in that run's scope)."""

    value: float | None
    status: str


@record
class MetricHistory(Record):
    """One launch metric over the runs, in run order."""

    metric: str
    title: str
    unit: str
    threshold: str
    points: tuple[Point, ...]


@record
class History(Record):
    """The runs and each launch metric over them; ``skipped`` names files that were not reports."""

    runs: tuple[Run, ...]
    metrics: tuple[MetricHistory, ...]
    skipped: tuple[str, ...] = ()


def load(folder: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """(reports, skipped) from ``folder``; skipped are ``"<file>: <why>"`` for files that are not reports.

    Raises ReportError when ``folder`` is not a folder.
    """
    if not folder.is_dir():
        raise ReportError(f"{folder}: not a folder — pass a folder holding earlier report.json files")
    reports, skipped = [], []
    for path in sorted({*folder.glob("*.json"), *folder.glob("*/report.json")}):
        try:
            report, _ = read_document(path)
        except ReportError as exc:
            skipped.append(str(exc))
            continue
        reports.append(report)
    return reports, skipped


def _run(report: Mapping[str, Any]) -> Run:
    return Run(
        generated_at=str(report.get("generated_at") or ""),
        commit=str(report.get("subject", {}).get("commit") or ""),
        label=str(report.get("verdict", {}).get("label") or ""),
    )


def build(
    earlier: Sequence[Mapping[str, Any]],
    current: Mapping[str, Any] | None = None,
    *,
    runs: int = RUNS,
    skipped: Sequence[str] = (),
) -> History:
    """The last ``runs`` runs of ``earlier`` plus ``current`` (last), and every launch metric over them.

    The metrics are the launch metrics of ``current`` (else of the newest earlier run), in its order.
    """
    by_run: dict[Run, Mapping[str, Any]] = {}
    for report in sorted(earlier, key=lambda r: str(r.get("generated_at") or "")):
        by_run.setdefault(_run(report), report)
    if current is not None:
        by_run.pop(_run(current), None)
    keep = max(runs - (current is not None), 0)
    ordered = list(by_run.items())
    ordered = ordered[len(ordered) - keep :] if keep else []
    if current is not None:
        ordered.append((_run(current), current))
    if not ordered:
        return History((), (), tuple(skipped))
    newest = ordered[-1][1]
    metrics = []
    for row in newest.get("launch_metrics", []):
        points = []
        for _, report in ordered:
            found = next((m for m in report.get("launch_metrics", []) if m.get("metric") == row["metric"]), None)
            if found is None:
                points.append(Point(None, "absent"))
            else:
                value = found.get("value")
                points.append(Point(None if value is None else float(value), str(found.get("status", ""))))
        metrics.append(
            MetricHistory(str(row["metric"]), str(row["title"]), str(row.get("unit") or ""),
                          str(row.get("threshold") or ""), tuple(points))
        )
    return History(tuple(run for run, _ in ordered), tuple(metrics), tuple(skipped))
