"""The vocabulary of a launch gate: priorities, outcomes, findings, metrics, verdicts.

Plain data, no pytest import: everything here is JSON-safe through ``to_json`` /
``from_json`` so it survives pytest-xdist and is the canonical report's shape.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Any

from pytest_castmatch.record import Record, record

#: Version of the canonical report's schema; bump on any incompatible change.
REPORT_SCHEMA = "castmatch.report/v1"


class Priority(enum.StrEnum):
    """How much a gate matters to the launch: P0 and P1 block, P2 advises."""

    P0 = "p0"
    P1 = "p1"
    P2 = "p2"

    @property
    def blocking(self) -> bool:
        return self is not Priority.P2


class Outcome(enum.StrEnum):
    """What happened to one gate. Only ``PASSED`` counts as passed.

    ``NOT_APPLICABLE`` comes only from the deployment profile (the deployment lacks what the gate
    needs); it blocks nothing by itself, measures nothing, and carries the profile's reason.
    """

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    XFAILED = "xfailed"
    XPASSED = "xpassed"
    FLAKY = "flaky"
    NOT_RUN = "not-run"
    CRASHED = "crashed"
    INTERRUPTED = "interrupted"
    NOT_APPLICABLE = "not-applicable"


class Decision(enum.StrEnum):
    GO = "GO"
    NO_GO = "NO-GO"


class Severity(enum.StrEnum):
    """How bad a finding is. ``CRITICAL`` and ``HIGH`` fail their gate; ``REVIEW`` is a case a
    check could not decide (axe "incomplete"): it does not fail the gate, but on a P0/P1 gate it
    blocks the launch until someone looks.

    Strings parse case-insensitively through one alias table (:data:`SEVERITY_ALIASES`), and a
    severity equals its canonical name and each of its aliases, so ``finding.severity == "error"``
    still means high.
    """

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NOTE = "note"
    REVIEW = "review"

    @classmethod
    def parse(cls, value: Severity | str) -> Severity:
        """The severity ``value`` names (a member, its name or an alias, any case); ValueError otherwise."""
        if isinstance(value, Severity):
            return value
        found = SEVERITY_ALIASES.get(value.lower()) if isinstance(value, str) else None
        if found is None:
            names = ", ".join(sorted(SEVERITY_ALIASES))
            raise ValueError(f"unknown severity {value!r} — use one of: {names}")
        return found

    @property
    def fails(self) -> bool:
        """True for the severities that fail their gate."""
        return self in (Severity.CRITICAL, Severity.HIGH)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Severity):
            return self is other
        if isinstance(other, str):
            return SEVERITY_ALIASES.get(other.lower()) is self
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(self.value)


#: The one table of severity names: canonical names and the aliases checks and engines use.
SEVERITY_ALIASES: Mapping[str, Severity] = {
    "critical": Severity.CRITICAL,
    "blocker": Severity.CRITICAL,
    "high": Severity.HIGH,
    "error": Severity.HIGH,
    "serious": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "moderate": Severity.MEDIUM,
    "warning": Severity.MEDIUM,
    "low": Severity.LOW,
    "minor": Severity.LOW,
    "note": Severity.NOTE,
    "info": Severity.NOTE,
    "informational": Severity.NOTE,
    "review": Severity.REVIEW,
    "needs-review": Severity.REVIEW,
    "incomplete": Severity.REVIEW,
}

#: Units whose measurements cannot be below zero (compared case-insensitively).
NON_NEGATIVE_UNITS = frozenset({
    "ms", "s", "%", "users", "count", "points", "kb", "mb", "bytes", "requests", "findings", "violations",
    "probes", "cases", "clicks", "score", "ratio", "psi",
})


def non_negative_unit(unit: str | None) -> bool:
    """True when a measurement in ``unit`` below zero can only be a broken measurement."""
    return bool(unit) and str(unit).lower() in NON_NEGATIVE_UNITS


@record
class Finding(Record):
    """One thing a check found wrong, with enough context to find and fix it.

    ``severity`` takes a :class:`Severity` or any name of one (``"error"``, ``"serious"``,
    ``"HIGH"``...); it is stored, compared and serialised as the canonical member.
    """

    rule: str
    message: str
    severity: Severity
    criterion: str | None
    page: str | None
    selector: str | None
    context: str | None
    evidence: tuple[str, ...]
    #: ``path:line`` (relative to the project root) of the source the finding is about, when it is
    #: about source (a bandit hit); web findings say where with ``page`` and ``selector`` instead.
    location: str | None
    #: A page that explains the rule (the engine's documentation), for people and code scanning.
    help_uri: str | None

    def __init__(
        self,
        rule: str,
        message: str,
        severity: Severity | str = Severity.HIGH,
        criterion: str | None = None,
        page: str | None = None,
        selector: str | None = None,
        context: str | None = None,
        evidence: tuple[str, ...] = (),
        location: str | None = None,
        help_uri: str | None = None,
    ) -> None:
        try:
            level = Severity.parse(severity)
        except ValueError as exc:
            raise ValueError(f"finding [{rule}]: {exc}") from None
        for key, value in (("rule", rule), ("message", message), ("severity", level), ("criterion", criterion),
                           ("page", page), ("selector", selector), ("context", context),
                           ("evidence", tuple(evidence)), ("location", location), ("help_uri", help_uri)):
            object.__setattr__(self, key, value)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rule": self.rule, "message": self.message, "severity": self.severity.value}
        for key in ("criterion", "page", "selector", "context", "location", "help_uri"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.evidence:
            out["evidence"] = list(self.evidence)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            rule=str(data["rule"]),
            message=str(data["message"]),
            severity=str(data.get("severity", Severity.HIGH.value)),
            criterion=data.get("criterion"),
            page=data.get("page"),
            selector=data.get("selector"),
            context=data.get("context"),
            evidence=tuple(data.get("evidence", ())),
            location=data.get("location"),
            help_uri=data.get("help_uri"),
        )


@record
class Series(Record):
    """A metric's ``(x, y)`` points over a run, and what they are.

    ``quantity`` and ``unit`` name y when it is not the metric itself (the failed requests of each
    window behind an availability figure); ``x`` is the unit of x: ``"s"`` since the start, ``"ms"``,
    or ``"sample"`` for the n-th measurement.
    """

    points: tuple[tuple[float, float], ...]
    quantity: str = ""
    unit: str | None = None
    x: str = "s"

    def axes(self) -> dict[str, str]:
        """The JSON form of what the points are; empty when they are the metric over seconds."""
        out = {"quantity": self.quantity, "unit": self.unit or "", "x": self.x}
        return {k: v for k, v in out.items() if v and not (k == "x" and v == "s")}


@record
class Sample(Record):
    """One measurement of a metric, optionally labelled (page, endpoint, theme...).

    ``samples`` is how many observations the value stands on (requests in a window, page loads,
    Lighthouse runs; 1 for a single reading). ``successes`` is set for figures computed over
    successful answers only (load latency, throughput, users): of the ``samples``, how many
    succeeded. ``not_measured`` says why the value is no valid measurement (a window that failed
    too often, a page that did not exist); ``value`` is then None when nothing could be computed.
    """

    metric: str
    value: float | None
    labels: tuple[tuple[str, str], ...] = ()
    unit: str | None = None
    series: tuple[tuple[float, float], ...] = ()
    #: What ``series`` plots when it is not this metric over seconds (see :class:`Series`).
    series_axes: tuple[tuple[str, str], ...] = ()
    samples: int = 1
    successes: int | None = None
    not_measured: str = ""

    def __post_init__(self) -> None:
        if self.value is None:
            if not self.not_measured:
                raise ValueError(f"metric {self.metric!r}: no value and no reason why it was not measured")
        elif not math.isfinite(self.value):
            raise ValueError(f"metric {self.metric!r}: value must be a finite number, got {self.value!r}")
        if self.samples < 0 or (self.successes is not None and not 0 <= self.successes <= self.samples):
            raise ValueError(f"metric {self.metric!r}: {self.successes} successes of {self.samples} samples")

    @property
    def label_text(self) -> str:
        return ",".join(f"{k}={v}" for k, v in self.labels)

    @property
    def valid(self) -> int:
        """The observations the value is computed from: the successes where counted, else every sample."""
        return self.samples if self.successes is None else self.successes

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"metric": self.metric, "value": self.value, "samples": self.samples}
        if self.labels:
            out["labels"] = dict(self.labels)
        if self.unit is not None:
            out["unit"] = self.unit
        if self.series:
            out["series"] = [list(point) for point in self.series]
        if self.series_axes:
            out["series_axes"] = dict(self.series_axes)
        if self.successes is not None:
            out["successes"] = self.successes
        if self.not_measured:
            out["not_measured"] = self.not_measured
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Sample:
        value = data["value"]
        successes = data.get("successes")
        return cls(
            metric=str(data["metric"]),
            value=None if value is None else float(value),
            labels=tuple(sorted((str(k), str(v)) for k, v in data.get("labels", {}).items())),
            unit=data.get("unit"),
            series=tuple((float(t), float(v)) for t, v in data.get("series", ())),
            series_axes=tuple(sorted((str(k), str(v)) for k, v in data.get("series_axes", {}).items())),
            samples=int(data.get("samples", 1)),
            successes=None if successes is None else int(successes),
            not_measured=str(data.get("not_measured", "")),
        )


@record
class GateResult(Record):
    """One gate (a test under the suites) as the controller saw it end."""

    id: str
    priority: Priority
    owner: str
    outcome: Outcome
    duration: float = 0.0
    message: str = ""
    findings: tuple[Finding, ...] = ()
    samples: tuple[Sample, ...] = ()
    evidence: tuple[str, ...] = ()
    location: str = ""

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASSED

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            # str() of a StrEnum member is its value (written in C, where .value is a Python property).
            "priority": str(self.priority),
            "owner": self.owner,
            "outcome": str(self.outcome),
            "duration": round(self.duration, 3),
            "message": self.message,
            "findings": [f.to_json() for f in self.findings] if self.findings else [],
            "metrics": [s.to_json() for s in self.samples] if self.samples else [],
            "evidence": list(self.evidence),
            "location": self.location,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GateResult:
        return cls(
            id=str(data["id"]),
            priority=Priority(data["priority"]),
            owner=str(data["owner"]),
            outcome=Outcome(data["outcome"]),
            duration=float(data.get("duration", 0.0)),
            message=str(data.get("message", "")),
            findings=tuple(Finding.from_json(f) for f in data.get("findings", ())),
            samples=tuple(Sample.from_json(s) for s in data.get("metrics", ())),
            evidence=tuple(data.get("evidence", ())),
            location=str(data.get("location", "")),
        )


@record
class Scope(Record):
    """What a run covered. Only a full scope can decide the launch."""

    full: bool
    markexpr: str = ""
    keyword: str = ""
    owners: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    deselected: int = 0

    def describe(self) -> str:
        if self.full:
            return "full gate"
        parts = []
        if self.markexpr:
            parts.append(f"-m {self.markexpr!r}")
        if self.keyword:
            parts.append(f"-k {self.keyword!r}")
        parts.extend(f"--owner {o}" for o in self.owners)
        parts.extend(self.paths)
        if self.deselected and not parts:
            parts.append(f"{self.deselected} gates deselected")
        return "selection: " + " ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "full": self.full,
            "markexpr": self.markexpr,
            "keyword": self.keyword,
            "owners": list(self.owners),
            "paths": list(self.paths),
            "deselected": self.deselected,
            "description": self.describe(),
        }


@record
class Reason(Record):
    """One reason the verdict is what it is; ``blocking`` reasons make NO-GO."""

    kind: str
    subject: str
    message: str
    owner: str = ""
    priority: str = ""
    blocking: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "message": self.message,
            "owner": self.owner,
            "priority": self.priority,
            "blocking": self.blocking,
        }


@record
class LaunchMetricRow(Record):
    """One row of the launch-metrics table: a Critical Success Metric and how it fared."""

    metric: str
    title: str
    owner: str
    priority: str
    threshold: str
    unit: str
    status: str  # "met" | "missed" | "not-measured" | "not-in-scope" | "waived"
    value: float | None = None
    #: Observations behind the deciding value (and, for load figures, how many succeeded).
    samples: int | None = None
    successes: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "title": self.title,
            "owner": self.owner,
            "priority": self.priority,
            "threshold": self.threshold,
            "unit": self.unit,
            "status": self.status,
            "value": self.value,
            "samples": self.samples,
            "successes": self.successes,
        }


@record
class Verdict(Record):
    """The decision and every reason behind it."""

    decision: Decision
    label: str
    launch: bool
    reasons: tuple[Reason, ...] = field(default=())

    @property
    def go(self) -> bool:
        return self.decision is Decision.GO

    @property
    def blockers(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.blocking)

    def to_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision.value,
            "label": self.label,
            "launch": self.launch,
            "reasons": [r.to_json() for r in self.reasons],
        }


def sorted_gates(gates: Sequence[GateResult]) -> list[GateResult]:
    """Stable order for the report: by gate id (node ids sort by file then test)."""
    return sorted(gates, key=lambda g: g.id)
