"""Fail-closed rules: gates, metrics, waivers and scope in; a Verdict out.

Pure functions, one per step: waivers, gates, samples, launch metrics, run facts. The one
law everything here keeps: a blocking gate that did not pass — for whatever reason,
including never having run or vanishing from the run — blocks, unless a live waiver,
approved by the gate's owner, names it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import field
from typing import Any

from pytest_castmatch.config import GateConfig, MetricSpec, Waiver
from pytest_castmatch.inventory import InventoryCheck
from pytest_castmatch.model import (
    Decision,
    GateResult,
    LaunchMetricRow,
    Outcome,
    Priority,
    Reason,
    Sample,
    Scope,
    Severity,
    Verdict,
    non_negative_unit,
)
from pytest_castmatch.record import Record, record

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


@record
class ManualSignOff(Record):
    """A manual checklist item signed off before the run by a statement that verified."""

    item: str
    owner: str
    file: str
    expires: str
    keyid: str


@record
class RunFacts(Record):
    """Run-level facts the verdict needs beyond the gates themselves.

    ``inventory`` is the run compared with ``gates.lock`` (``None``: not compared, as for a report
    assembled outside a pytest run); ``module_skips`` are gate modules skipped at collection, as
    (module, reason); ``report_hook_changed`` names report fields a ``pytest_castmatch_report`` hook
    changed; ``roots`` are the suite roots, for saying where no gate was found.
    """

    scope: Scope
    complete: bool = True
    interrupted: bool = False
    collection_errors: int = 0
    signed: bool = False
    collected_ids: frozenset[str] = frozenset()
    problems: tuple[str, ...] = ()
    shard: str = ""
    inventory: InventoryCheck | None = None
    module_skips: tuple[tuple[str, str], ...] = ()
    report_hook_changed: tuple[str, ...] = ()
    roots: tuple[str, ...] = ()
    #: The key that signs the report, and whether the trust policy lists it as a launch key.
    signer_keyid: str = ""
    launch_key: bool = False
    #: Manual items signed off before the run, and blockers from statements that did not verify.
    signoffs: tuple[ManualSignOff, ...] = ()
    signoff_problems: tuple[Reason, ...] = ()


@record
class Judgement(Record):
    verdict: Verdict
    launch_metrics: tuple[LaunchMetricRow, ...]
    waivers: tuple[dict[str, Any], ...]
    metric_rows: tuple[dict[str, Any], ...]
    matrix: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    findings: dict[str, int] = field(default_factory=dict)


def _one_line(text: str, limit: int = 160) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first if len(first) <= limit else first[: limit - 1] + "…"


class _Waivers:
    """The live waivers by target, remembering which ones a blocker used."""

    def __init__(self, live: dict[str, Waiver]) -> None:
        self.live = live
        self.used: set[str] = set()

    def __call__(self, target: str) -> Waiver | None:
        waiver = self.live.get(target)
        if waiver is not None:
            self.used.add(target)
        return waiver


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
    live, waiver_rows = judge_waivers(config, gates, facts, waivers, today, reasons)
    waived = _Waivers(live)
    matrix = judge_gates(config, gates, waived, reasons)
    samples = _samples_by_metric(gates)
    metric_rows = judge_samples(config, samples, reasons)
    launch_rows = judge_launch_metrics(config, samples, facts.scope, waived, reasons)
    judge_run(gates, facts, reasons)
    for row in waiver_rows:
        if row["status"] == "unused" and row["target"] in waived.used:
            row["status"] = "applied"

    reasons.extend(trust_reasons(config, facts))
    blocked = any(r.blocking for r in reasons)
    launch = facts.scope.full and facts.complete and not blocked
    if blocked:
        decision, label = Decision.NO_GO, "NO-GO"
    elif launch and not facts.launch_key:
        decision, label, launch = Decision.GO, untrusted_label(facts.signer_keyid), False
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
        findings=_finding_counts(gates),
    )


def judge_waivers(
    config: GateConfig,
    gates: Sequence[GateResult],
    facts: RunFacts,
    waivers: Sequence[Waiver],
    today: dt.date,
    reasons: list[Reason],
) -> tuple[dict[str, Waiver], list[dict[str, Any]]]:
    """Which waivers may apply (by target), a report row for each, and a blocker for each broken one."""
    gate_ids = {g.id for g in gates}
    live: dict[str, Waiver] = {}
    rows: list[dict[str, Any]] = []
    for w in waivers:
        row: dict[str, Any] = {"target": w.target, "owner": w.owner, "reason": w.reason,
                               "approved_by": w.approved_by, "expires": w.expires.isoformat()}
        known = w.target in gate_ids or w.target in facts.collected_ids or _metric_target(w.target, config)
        owner = _target_owner(w.target, gates, config) if known else None
        status, problem = _waiver_problem(w, config, known, owner, facts.scope.full, today)
        row["status"] = status
        if problem:
            reasons.append(Reason("waiver", w.target, f"{problem} (waivers.toml line {w.line})", w.owner))
        elif status == "unused":
            live[w.target] = w
        rows.append(row)
    return live, rows


def _waiver_problem(
    w: Waiver, config: GateConfig, known: bool, owner: str | None, full: bool, today: dt.date
) -> tuple[str, str]:
    """The waiver's status and, when it must not apply, the blocker's text (empty when it may)."""
    if w.expired(today):
        return "expired", f"waiver expired on {w.expires} — fix the gate or renew the waiver with a new approval"
    if not known:
        if full:
            return "dangling", "waiver names no gate or metric — correct the target or delete the waiver"
        return "not-in-scope", ""
    if owner is not None and owner != w.owner:
        return "wrong-owner", (f"waiver is signed for {w.owner!r} but the gate belongs to {owner!r} — "
                               "the owning team must approve it")
    approver = w.approved_by.strip()
    allowed = {owner or w.owner, *config.waiver_approvers}
    if not approver:
        return "unapproved", "waiver has a blank approved_by — the gate's owner must approve it by name"
    if approver != w.approved_by or approver not in allowed:
        teams = ", ".join(sorted(allowed))
        return "unapproved", (f"waiver is approved by {w.approved_by!r}, who may not approve it — approved_by "
                              f"must be one of: {teams} (the gate's owner or a team in [waivers] approvers)")
    ahead = (w.expires - today).days
    if ahead > config.waiver_max_days:
        return "too-long", (f"waiver expires {w.expires}, {ahead} days ahead — at most "
                            f"{config.waiver_max_days} ([waivers] max_days); set an earlier expiry")
    return "unused", ""


def judge_gates(
    config: GateConfig, gates: Sequence[GateResult], waived: _Waivers, reasons: list[Reason]
) -> dict[str, dict[str, dict[str, int]]]:
    """A reason for each gate that did not pass or has findings that need review; the priority x owner matrix.

    A gate that passed while it recorded a measurement that is none (see :func:`unmeasured`) did not pass.
    """
    matrix: dict[str, dict[str, dict[str, int]]] = {}
    for g in gates:
        cell = matrix.setdefault(str(g.priority), {}).setdefault(
            g.owner, {"passed": 0, "blocking": 0, "advisory": 0, "waived": 0, "not_applicable": 0}
        )
        if g.findings and (review := sum(1 for f in g.findings if f.severity is Severity.REVIEW)):
            _review_reason(g, review, waived, reasons)
        passed = g.outcome is Outcome.PASSED
        hollow = _hollow(config, g) if passed and g.samples else ""
        if passed and not hollow:
            cell["passed"] += 1
            continue
        if g.outcome is Outcome.NOT_APPLICABLE and not g.samples:
            # The profile says the deployment lacks what the gate needs: reported with that reason.
            # It measured nothing, so a launch metric only it could measure stays unmeasured (and blocks).
            cell["not_applicable"] += 1
            reasons.append(Reason("not-applicable", g.id, f"not applicable: {_one_line(g.message, 300)}",
                                  g.owner, g.priority.value, blocking=False))
            continue
        if g.outcome is Outcome.NOT_APPLICABLE:
            # A gate ends not applicable before it runs: measurements beside that outcome contradict it,
            # and a contradiction in the evidence blocks whatever the gate's priority, unwaivable.
            cell["blocking"] += 1
            reasons.append(Reason("gate", g.id, f"not applicable, yet it recorded {len(g.samples)} measurement(s) "
                                  "— a gate that did not run measures nothing; the report's evidence contradicts "
                                  "itself", g.owner, g.priority.value))
            continue
        why = f"passed without a valid measurement: {hollow}" if hollow else _WHY.get(g.outcome, g.outcome.value)
        detail = "" if hollow else _one_line(g.message)
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
    return matrix


def _review_reason(g: GateResult, count: int, waived: _Waivers, reasons: list[Reason]) -> None:
    message = (f"{count} finding(s) need review — a check could not decide them; the owner reviews them "
               "and signs off, or waives the gate")
    if not g.priority.blocking:
        reasons.append(Reason("review", g.id, message, g.owner, g.priority.value, blocking=False))
    elif (waiver := waived(g.id)) is not None:
        reasons.append(Reason("waived", g.id, f"{message} (waived by {waiver.approved_by}: {waiver.reason})",
                              g.owner, g.priority.value, blocking=False))
    else:
        reasons.append(Reason("review", g.id, message, g.owner, g.priority.value))


def _samples_by_metric(gates: Sequence[GateResult]) -> dict[str, list[tuple[Sample, str]]]:
    samples: dict[str, list[tuple[Sample, str]]] = {}
    for g in gates:
        for s in g.samples:
            samples.setdefault(s.metric, []).append((s, g.id))
    return samples


def _invalid(sample: Sample, spec: MetricSpec | None) -> bool:
    """A negative measurement in a unit that cannot be negative: broken, never met."""
    return sample.value is not None and sample.value < 0 and (
        non_negative_unit(sample.unit) or (spec is not None and non_negative_unit(spec.unit)))


def judge_samples(
    config: GateConfig, samples: dict[str, list[tuple[Sample, str]]], reasons: list[Reason]
) -> list[dict[str, Any]]:
    """A report row per recorded measurement; undeclared metrics and impossible values block."""
    rows: list[dict[str, Any]] = []
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
                row["status"] = sample_status(spec, sample)
                if row["status"] == "not-measured":
                    row["not_measured"] = unmeasured(spec, sample)
            if _invalid(sample, spec):
                row["status"] = "invalid"
                unit = sample.unit or (spec.unit if spec else "")
                reasons.append(Reason("metric", f"metric:{name}", f"{gate_id} recorded {sample.value:g} {unit}, "
                                      f"below zero — a measurement in {unit} cannot be negative; fix the gate",
                                      spec.owner if spec else "", spec.priority.value if spec else ""))
            rows.append(row)
    return rows


def judge_launch_metrics(
    config: GateConfig,
    samples: dict[str, list[tuple[Sample, str]]],
    scope: Scope,
    waived: _Waivers,
    reasons: list[Reason],
) -> list[LaunchMetricRow]:
    """Each declared metric against its threshold (worst valid value); a launch metric nobody measured blocks."""
    rows: list[LaunchMetricRow] = []
    for spec in sorted(config.metrics.values(), key=lambda m: m.name):
        status, decisive = _metric_status(spec, [s for s, _ in samples.get(spec.name, []) if not _invalid(s, spec)],
                                          scope)
        value = decisive.value if decisive is not None and status != "not-measured" else None
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
            why = unmeasured(spec, decisive) if decisive is not None else ""
            reasons.append(Reason("metric", target, f"launch metric {spec.title!r} was not measured"
                                  + (f" ({why})" if why else "")
                                  + " — a launch cannot be judged on a missing measurement", spec.owner,
                                  spec.priority.value))
        if spec.launch:
            rows.append(LaunchMetricRow(spec.name, spec.title, spec.owner, spec.priority.value,
                                        spec.threshold_text(), spec.unit, status, value,
                                        decisive.samples if decisive else None,
                                        decisive.successes if decisive else None))
    return rows


def judge_run(gates: Sequence[GateResult], facts: RunFacts, reasons: list[Reason]) -> None:
    """Blockers from the run itself: collection, interruption, the inventory, report hooks, the signature."""
    if facts.collection_errors:
        reasons.append(Reason("run", "collection", f"{facts.collection_errors} collection error(s) — "
                              "gates that cannot be collected cannot pass"))
    for module, why in facts.module_skips:
        reasons.append(Reason("collection", module, f"gate module skipped at collection: {why} — a module that "
                              "does not load cannot pass; remove the skip or provide what it needs"))
    if facts.interrupted:
        reasons.append(Reason("run", "session", "the run was interrupted before every gate finished"))
    if not gates and not facts.collection_errors:
        where = f" under {', '.join(facts.roots)}" if facts.roots else ""
        reasons.append(Reason("run", "scope", f"no gates collected{where} — an empty selection decides nothing"))
    elif gates and all(g.outcome is Outcome.NOT_APPLICABLE for g in gates):
        reasons.append(Reason("run", "scope", "no gate in scope applies to this deployment — nothing was judged"))
    reasons.extend(Reason("run", "session", problem) for problem in facts.problems)
    if facts.inventory is not None:
        reasons.extend(inventory_reasons(facts.inventory))
    if facts.report_hook_changed:
        reasons.append(Reason("run", "report-hook", "a pytest_castmatch_report hook changed "
                              f"{', '.join(facts.report_hook_changed)} — hooks may add fields, never change what "
                              "the verdict decided; the judged values were kept"))
    if facts.scope.full and not facts.signed:
        reasons.append(Reason("run", "signature", "the report is unsigned — set CASTMATCH_SIGNING_KEY; "
                              "only a signed report can be GO for launch"))


def inventory_reasons(check: InventoryCheck) -> list[Reason]:
    """A blocker for each gate the inventory lists and the run lost, and for each gate it does not list."""
    if check.absent:
        return [Reason("inventory", check.file, f"no gate inventory at {check.file} — run castmatch-gate lock, "
                       "review and commit it; without it a run cannot tell which gates vanished")]
    out = [Reason("inventory", m.id, f"listed in {check.file} but not judged: {m.how} — restore the gate, or "
                  "remove it with castmatch-gate lock", m.owner, m.priority.value) for m in check.missing]
    out.extend(Reason("inventory", e.id, f"new gate not in the inventory: run castmatch-gate lock and commit "
                      f"{check.file}", e.owner, e.priority.value) for e in check.unlisted)
    out.extend(Reason("inventory", c.id, f"is {c.priority.value} {c.owner} but {check.file} lists it as "
                      f"{c.listed} — run castmatch-gate lock to accept the change", c.owner, c.priority.value)
               for c in check.changed)
    return out


def _finding_counts(gates: Sequence[GateResult]) -> dict[str, int]:
    """Findings that fail their gate, findings that need review, and the rest (reported only)."""
    counts = {"violations": 0, "review": 0, "other": 0}
    for g in gates:
        for f in g.findings:
            key = "violations" if f.severity.fails else "review" if f.severity is Severity.REVIEW else "other"
            counts[key] += 1
    return counts


def untrusted_label(keyid: str) -> str:
    """The best a full run signed by a key that is not a launch key can be."""
    return f"GO, signed by an untrusted key {keyid[:16]}"


def trust_reasons(config: GateConfig, facts: RunFacts) -> list[Reason]:
    """Sign-off statements that did not verify (always blocking); in a full run, each manual item
    without a valid sign-off (P0/P1 block, P2 advise) and a signature by a key that is not a launch key.
    """
    reasons = list(facts.signoff_problems)
    if not facts.scope.full:
        return reasons
    done = {s.item for s in facts.signoffs}
    for item in sorted(config.manual.values(), key=lambda m: m.id):
        if item.id in done:
            continue
        how = ("needs a signed statement in baselines/signoffs/ before the run "
               f"(`castmatch-gate sign-off --statement --owner {item.owner} --item {item.id}`)")
        reasons.append(Reason("manual", item.id, f"{item.title!r} is pending sign-off by {item.owner} — {how}",
                              item.owner, item.priority.value, blocking=item.priority.blocking))
    if facts.signed and not facts.launch_key:
        reasons.append(Reason("run", "signature", f"signed by key {facts.signer_keyid[:16]}, which the trust "
                              "policy (signers/signers.toml beside the gates file) does not list as a launch key "
                              "— only a launch key (CI's) can sign GO for launch", blocking=False))
    return reasons


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


def unmeasured(spec: MetricSpec | None, sample: Sample) -> str:
    """Why ``sample`` is no valid measurement of its metric; empty when it is one.

    A value marked not measured, one with zero valid observations, or one with fewer than the
    metric's ``min_samples`` can never be "met": a p99 over a handful of answers, or over none,
    measures nothing.
    """
    if sample.not_measured:
        return sample.not_measured
    if sample.valid == 0:
        return (f"none of its {sample.samples} samples succeeded" if sample.successes is not None
                else "it has no samples")
    need = spec.min_samples if spec is not None else 1
    if sample.valid < need:
        return (f"{sample.valid} valid samples, fewer than the {need} it needs "
                f"([metrics.{sample.metric}] min_samples)")
    return ""


def sample_status(spec: MetricSpec, sample: Sample) -> str:
    """One sample's status under its metric's threshold: "met", "missed" or "not-measured"."""
    if unmeasured(spec, sample) or sample.value is None:
        return "not-measured"
    return "missed" if spec.violates(sample.value) else "met"


def _hollow(config: GateConfig, gate: GateResult) -> str:
    """Why a gate's recorded measurements are void (a passed gate with one cannot count as passed)."""
    for sample in gate.samples:
        why = unmeasured(config.metrics.get(sample.metric), sample)
        if why:
            where = f" [{sample.label_text}]" if sample.labels else ""
            return f"{sample.metric}{where}: {why}"
    return ""


def _metric_status(spec: MetricSpec, entries: list[Sample], scope: Scope) -> tuple[str, Sample | None]:
    """The metric's status over all its samples and the sample that decides it.

    A missed valid sample decides first (its value is known to fail); then any sample that is not
    a valid measurement makes the metric not measured; otherwise the worst valid value decides.
    """
    if not entries:
        return ("not-measured" if scope.full else "not-in-scope"), None
    # A stable order, so the deciding sample never depends on the order gates arrived in.
    ordered = sorted(entries, key=lambda s: (s.valid, s.label_text, s.not_measured, s.samples, s.value or 0.0))
    status = {id(s): sample_status(spec, s) for s in ordered}
    valid = [s for s in ordered if status[id(s)] != "not-measured"]
    missed = [s for s in valid if status[id(s)] == "missed"]
    if missed:
        worst = spec.worst(s.value for s in missed if s.value is not None)
        return "missed", next(s for s in missed if s.value == worst)
    void = [s for s in ordered if status[id(s)] == "not-measured"]
    if void:
        return "not-measured", void[0]
    worst = spec.worst(s.value for s in valid if s.value is not None)
    return "met", next(s for s in valid if s.value == worst)
