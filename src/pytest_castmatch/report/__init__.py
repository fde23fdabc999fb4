"""Views of the canonical report: HTML, Markdown, SARIF and the terminal.

Every view is rendered from the report JSON alone (plus evidence files beside it), so a
report can be re-rendered, diffed or verified long after the run that made it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_castmatch.dsse import payload_report
from pytest_castmatch.keys import AttestError
from pytest_castmatch.model import Severity

UNSIGNED_NOTICE = (
    "UNSIGNED: this report carries no signature, so nothing proves it is the gate's own output "
    "and it cannot be GO for launch — set CASTMATCH_SIGNING_KEY in CI."
)

#: How each launch-metric status reads to a person.
STATUS_TEXT = {
    "met": "met",
    "missed": "MISSED",
    "not-measured": "NOT MEASURED",
    "not-in-scope": "not in scope",
    "waived": "waived",
}

_BOUND = re.compile(r"(<=|>=)\s*(-?[0-9][0-9.e+-]*)")

#: How a finding's severity reads in every view: a violation that fails its gate, an item that
#: needs a person's review, a warning, or a note.
SEVERITY_CLASSES = {
    Severity.CRITICAL: "violation", Severity.HIGH: "violation", Severity.REVIEW: "review",
    Severity.MEDIUM: "warning", Severity.LOW: "note", Severity.NOTE: "note",
}


class ReportError(Exception):
    """A report or envelope file cannot be read; the message names the file and the fix."""


def read_document(path: Path) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Read ``report.json`` or ``report.dsse.json``: (report, envelope or None). Unverified."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{path}: file not found — pass gate-report/report.json or report.dsse.json") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: cannot read it ({exc}) — pass a report written by the gate") from None
    except json.JSONDecodeError as exc:
        raise ReportError(
            f"{path}: not JSON ({exc.msg} at line {exc.lineno}) — pass a report written by the gate"
        ) from None
    if isinstance(data, dict) and "payloadType" in data:
        try:
            return payload_report(data), data
        except AttestError as exc:
            raise ReportError(f"{path}: {exc}") from None
    if not isinstance(data, dict) or not str(data.get("schema", "")).startswith("castmatch.report/"):
        raise ReportError(
            f"{path}: not a castmatch report (no castmatch.report schema) — "
            "pass gate-report/report.json or report.dsse.json"
        )
    return data, None


def blockers(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The reasons that make the verdict NO-GO, in the report's order (P0 first)."""
    return [r for r in report["verdict"]["reasons"] if r["blocking"]]


def advisories(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Reasons reported but not blocking: P2 failures, applied waivers."""
    return [r for r in report["verdict"]["reasons"] if not r["blocking"] and r["kind"] != "not-applicable"]


def not_applicable(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Gates the deployment profile ruled out, each with the profile's reason."""
    return [r for r in report["verdict"]["reasons"] if r["kind"] == "not-applicable"]


def deployment_line(report: Mapping[str, Any]) -> str:
    """What was gated: the deployment's name and address (empty for reports without one)."""
    found = report.get("deployment") or {}
    if not found.get("name"):
        return ""
    where = found.get("base_url") or ("the reference app on loopback" if found.get("reference_app") else "")
    return f"{found['name']}" + (f" ({where})" if where else "")


def short_commit(report: Mapping[str, Any]) -> str:
    """The commit's first 12 hex digits, or "no commit" when the run was outside git."""
    commit = str(report.get("subject", {}).get("commit") or "")
    return commit[:12] if commit else "no commit"


def verdict_line(report: Mapping[str, Any]) -> str:
    """One line that says it all: label, launch, commit, scope, blocker count, signature."""
    count = len(blockers(report))
    parts = [
        str(report["verdict"]["label"]),
        f"{report['launch']['name']} @ {short_commit(report)}",
        str(report["scope"]["description"]),
        f"{count} blocker{'s' if count != 1 else ''}",
        "signed" if report.get("signed") else "UNSIGNED",
    ]
    return " — ".join(parts)


def format_value(value: float | None, unit: str = "") -> str:
    """A metric value for people: ``143.2 ms``, ``—`` when not measured."""
    if value is None:
        return "—"
    text = f"{value:,.3f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"
    return f"{text} {unit}".strip()


def format_samples(row: Mapping[str, Any]) -> str:
    """How many observations a value stands on: ``n = 1,152`` or ``n = 1,152, 1,150 ok``; "" when unknown."""
    samples, successes = row.get("samples"), row.get("successes")
    if samples is None:
        return ""
    return f"n = {samples:,}" + ("" if successes is None else f", {successes:,} ok")


def threshold_bounds(threshold: str) -> tuple[float | None, float | None]:
    """(min, max) parsed from the threshold text ``config.MetricSpec.threshold_text`` writes."""
    low = high = None
    for op, number in _BOUND.findall(threshold):
        try:
            value = float(number)
        except ValueError:
            continue
        if op == ">=":
            low = value
        else:
            high = value
    return low, high


def owner_title(report: Mapping[str, Any], owner: str) -> str:
    """The owner's display title, falling back to its id."""
    return str(report.get("owners", {}).get(owner) or owner or "—")


def severity_class(severity: object) -> str:
    """``violation``, ``review``, ``warning`` or ``note`` for a finding severity (any name of one).

    A severity no table knows reads as a violation: a report must not play down what it cannot read.
    """
    try:
        return SEVERITY_CLASSES[Severity.parse(str(severity).strip())]
    except ValueError:
        return "violation"


def blocking_subjects(report: Mapping[str, Any]) -> set[str]:
    """Subjects (gate ids, ``metric:NAME``, ...) of the blocking reasons."""
    return {str(r["subject"]) for r in blockers(report)}


def metric_gates(report: Mapping[str, Any]) -> dict[str, list[Mapping[str, Any]]]:
    """For each metric name, the gates that recorded a sample of it, in report order."""
    out: dict[str, list[Mapping[str, Any]]] = {}
    for gate in report["gates"]:
        for sample in gate.get("metrics", ()):
            listed = out.setdefault(str(sample["metric"]), [])
            if not listed or listed[-1] is not gate:
                listed.append(gate)
    return out


def deployment_of(report: Mapping[str, Any]) -> str:
    """The deployment the run gated (its name or base URL), as far as the report records it."""
    given = report.get("deployment")
    if isinstance(given, Mapping):
        given = given.get("name") or given.get("base_url") or given.get("url")
    if not given and isinstance(report.get("settings"), Mapping):
        given = report["settings"].get("base_url")
    if not given:
        given = report.get("environment", {}).get("deployment")
    return str(given or "")
