"""Fail-closed rules: gates, metrics, waivers and scope in; a Verdict out.

Pure functions. The one law everything here keeps: a blocking gate that did not pass —
for whatever reason, including never having run — blocks, unless a live waiver owned by
the gate's owner names it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_castmatch.config import GateConfig, MetricSpec, Waiver
from pytest_castmatch.model import (
    Decision,
    GateResult,
    LaunchMetricRow,
    Outcome,
    Priority,
    Reason,
    Sample,
    Scope,
    Verdict,
)

_WHY = {
    Outcome.FAILED: "failed",
    Outcome.ERROR: "errored",
    Outcome.SKIPPED: "was skipped — a skip is not a pass",
    Outcome.XFAILED: "is marked xfail — an expected failure is still a failure",
    Outcome.XPASSED: "is marked xfail but passed — remove the xfail marker to count it",
    Outcome.FLAKY: "is flaky: it failed, then passed on a retry",
    Outcome.NOT_RUN: "did not run",
    Outcome.CRASHED: "was lost with a crashed worker",
    Outcome.INTERRUPTED: "was interrupted",
}


@dataclass(frozen=True)
class RunFacts:
    """Run-level facts the verdict needs beyond the gates themselves."""

    scope: Scope
    complete: bool = True
    interrupted: bool = False
    collection_errors: int = 0
    signed: bool = False
    collected_ids: frozenset[str] = frozenset()
    problems: tuple[str, ...] = ()
    shard: str = ""


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    launch_metrics: tuple[LaunchMetricRow, ...]
    waivers: tuple[dict[str, Any], ...]
    metric_rows: tuple[dict[str, Any], ...]
    matrix: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)


def _one_line(text: str, limit: int = 160) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first if len(first) <= limit else first[: limit - 1] + "…"


def judge(
    config: GateConfig,
    gates: Sequence[GateResult],
    facts: RunFacts,
    waivers: Sequence[Waiver] = (),
    today: dt.date | None = None,
) -> Judgement:
    """Decide GO / NO-GO for ``gates`` under ``config``; see DESIGN's gate semantics."""
    today = today or dt.datetime.now(dt.UTC).date()
    reasons: list[Reason] = []
    gate_ids = {g.id for g in gates}
    by_target: dict[str, Waiver] = {}
    waiver_rows: list[dict[str, Any]] = []
    for w in waivers:
        row: dict[str, Any] = {
            "target": w.target,
            "owner": w.owner,
            "reason": w.reason,
            "approved_by": w.approved_by,
            "expires": w.expires.isoformat(),
        }
        known = w.target in gate_ids or w.target in facts.collected_ids or _metric_target(w.target, config)
        if w.expired(today):
            row["status"] = "expired"
            reasons.append(
                Reason("waiver", w.target, f"waiver expired on {w.expires} (waivers.toml line {w.line}) — "
                       "fix the gate or renew the waiver with a new approval", w.owner)
            )
        elif not known and facts.scope.full:
            row["status"] = "dangling"
            reasons.append(
                Reason("waiver", w.target, f"waiver names no gate or metric (waivers.toml line {w.line}) — "
                       "correct the target or delete the waiver", w.owner)
            )
        elif not known:
            row["status"] = "not-in-scope"
        else:
            owner = _target_owner(w.target, gates, config)
            if owner is not None and owner != w.owner:
                row["status"] = "wrong-owner"
                reasons.append(
                    Reason("waiver", w.target, f"waiver is signed for {w.owner!r} but the gate belongs to "
                           f"{owner!r} (waivers.toml line {w.line}) — the owning team must approve it", w.owner)
                )
            else:
                row["status"] = "unused"
                by_target[w.target] = w
        waiver_rows.append(row)

    used: set[str] = set()

    def waived(target: str) -> Waiver | None:
        w = by_target.get(target)
        if w is not None:
            used.add(target)
        return w

    matrix: dict[str, dict[str, dict[str, int]]] = {}
    for g in gates:
        cell = matrix.setdefault(g.priority.value, {}).setdefault(
            g.owner, {"passed": 0, "blocking": 0, "advisory": 0, "waived": 0}
        )
        if g.passed:
            cell["passed"] += 1
            continue
        why = _WHY.get(g.outcome, g.outcome.value)
        detail = _one_line(g.message)
        message = f"{why}: {detail}" if detail else why
        if not g.priority.blocking:
            cell["advisory"] += 1
            reasons.append(Reason("gate", g.id, message, g.owner, g.priority.value, blocking=False))
        elif (gate_waiver := waived(g.id)) is not None:
            cell["waived"] += 1
            reasons.append(Reason("waived", g.id,
                                  f"{message} (waived by {gate_waiver.approved_by}: {gate_waiver.reason})",
                                  g.owner, g.priority.value, blocking=False))
        else:
            cell["blocking"] += 1
            reasons.append(Reason("gate", g.id, message, g.owner, g.priority.value))

    samples: dict[str, list[tuple[Sample, str]]] = {}
    for g in gates:
        for s in g.samples:
            samples.setdefault(s.metric, []).append((s, g.id))

    metric_rows: list[dict[str, Any]] = []
    for name, entries in sorted(samples.items()):
        spec = config.metrics.get(name)
        for sample, gate_id in sorted(entries, key=lambda e: (e[0].label_text, e[1])):
            row = sample.to_json() | {"gate": gate_id}
            if spec is None:
                row["status"] = "undeclared"
                reasons.append(Reason("metric", name, "is not declared in gates.toml — add [metrics."
                                      f"{name}] with its owner, priority and threshold"))
            else:
                row |= {"threshold": spec.threshold_text(), "owner": spec.owner, "priority": spec.priority.value}
                row["status"] = "missed" if spec.violates(sample.value) else "met"
            metric_rows.append(row)

    launch_rows: list[LaunchMetricRow] = []
    for spec in sorted(config.metrics.values(), key=lambda m: m.name):
        values = [s.value for s, _ in samples.get(spec.name, [])]
        status, value = _metric_status(spec, values, facts.scope)
        target = f"metric:{spec.name}"
        if status == "missed" and spec.priority.blocking:
            metric_waiver = waived(target)
            if metric_waiver is not None:
                status = "waived"
                reasons.append(Reason("waived", target, f"{spec.title} {_num(value)} misses {spec.threshold_text()} "
                                      f"(waived by {metric_waiver.approved_by}: {metric_waiver.reason})",
                                      spec.owner, spec.priority.value,
                                      blocking=False))
            else:
                reasons.append(Reason("metric", target, f"{spec.title} is {_num(value)}, needs "
                                      f"{spec.threshold_text()}", spec.owner, spec.priority.value))
        elif status == "missed":
            reasons.append(Reason("metric", target, f"{spec.title} is {_num(value)}, needs "
                                  f"{spec.threshold_text()}", spec.owner, spec.priority.value, blocking=False))
        elif status == "not-measured" and spec.launch:
            reasons.append(Reason("metric", target, f"launch metric {spec.title!r} was not measured — "
                                  "a launch cannot be judged on a missing measurement", spec.owner,
                                  spec.priority.value))
        if spec.launch:
            launch_rows.append(LaunchMetricRow(spec.name, spec.title, spec.owner, spec.priority.value,
                                               spec.threshold_text(), spec.unit, status, value))

    for row in waiver_rows:
        if row["status"] == "unused" and row["target"] in used:
            row["status"] = "applied"

    if facts.collection_errors:
        reasons.append(Reason("run", "collection", f"{facts.collection_errors} collection error(s) — "
                              "gates that cannot be collected cannot pass"))
    if facts.interrupted:
        reasons.append(Reason("run", "session", "the run was interrupted before every gate finished"))
    if not gates and not facts.collection_errors:
        reasons.append(Reason("run", "scope", "no gates in scope — an empty selection decides nothing"))
    reasons.extend(Reason("run", "session", problem) for problem in facts.problems)
    if facts.scope.full and not facts.signed:
        reasons.append(Reason("run", "signature", "the report is unsigned — set CASTMATCH_SIGNING_KEY; "
                              "only a signed report can be GO for launch"))

    blocked = any(r.blocking for r in reasons)
    launch = facts.scope.full and facts.complete and not blocked
    if blocked:
        decision, label = Decision.NO_GO, "NO-GO"
    elif launch:
        decision, label = Decision.GO, "GO for launch"
    else:
        decision, label = Decision.GO, "GO for this scope"
    order = {True: 0, False: 1}
    reasons.sort(key=lambda r: (order[r.blocking], _prio_rank(r.priority), r.owner, r.kind, r.subject))
    return Judgement(
        verdict=Verdict(decision, label, launch, tuple(reasons)),
        launch_metrics=tuple(launch_rows),
        waivers=tuple(sorted(waiver_rows, key=lambda r: (r["target"], r["expires"]))),
        metric_rows=tuple(metric_rows),
        matrix=matrix,
    )


def _prio_rank(priority: str) -> int:
    return {p.value: i for i, p in enumerate(Priority)}.get(priority, 9)


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _metric_target(target: str, config: GateConfig) -> bool:
    return target.startswith("metric:") and target.removeprefix("metric:") in config.metrics


def _target_owner(target: str, gates: Sequence[GateResult], config: GateConfig) -> str | None:
    if target.startswith("metric:"):
        spec = config.metrics.get(target.removeprefix("metric:"))
        return spec.owner if spec else None
    return next((g.owner for g in gates if g.id == target), None)


def _metric_status(spec: MetricSpec, values: list[float], scope: Scope) -> tuple[str, float | None]:
    if not values:
        return ("not-measured" if scope.full else "not-in-scope"), None
    worst = spec.worst(values)
    return ("missed" if spec.violates(worst) else "met"), worst
