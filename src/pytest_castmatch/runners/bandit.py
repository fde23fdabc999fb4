"""Bandit static analysis of the system under test, as a subprocess, judged against a baseline.

``scan`` runs ``python -m bandit -f json -r PATH``; ``load_baseline`` reads the thresholds and
the accepted findings (each with an owner, a reason and an expiry) from a TOML file; ``judge``
turns the report into Findings; ``sarif`` renders it for code scanning (SARIF 2.1.0).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_castmatch.model import Finding
from pytest_castmatch.record import Record, record

INSTALL = "pip install 'pytest-castmatch[security]'  (or: pip install bandit)"
LEVELS = ("LOW", "MEDIUM", "HIGH")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


class BanditError(RuntimeError):
    """Bandit is missing, crashed, or its baseline file is malformed; the message says how to fix it."""


@record
class Accepted(Record):
    """A finding the owners accepted until ``expires``: matched by test id, file and (optionally) code."""

    test_id: str
    path: str
    owner: str
    reason: str
    expires: dt.date
    code: str = ""

    def matches(self, hit: dict[str, Any], root: Path) -> bool:
        """True when ``hit`` (one bandit result) is this accepted finding."""
        return (hit.get("test_id") == self.test_id and _relative(hit.get("filename", ""), root) == self.path
                and (not self.code or self.code in str(hit.get("code", ""))))


@record
class Baseline(Record):
    """Thresholds and accepted findings from ``baselines/bandit-baseline.toml``."""

    fail_on_severity: str = "HIGH"
    fail_on_confidence: str = "LOW"
    accepted: tuple[Accepted, ...] = ()

    def blocks(self, hit: dict[str, Any]) -> bool:
        """Whether an hit is at or above both thresholds."""
        return (LEVELS.index(str(hit.get("issue_severity", "LOW")).upper()) >= LEVELS.index(self.fail_on_severity)
                and LEVELS.index(str(hit.get("issue_confidence", "LOW")).upper())
                >= LEVELS.index(self.fail_on_confidence))


@dataclass
class Scan:
    """One bandit run: its version, the scanned root, the raw results and errors."""

    root: Path
    version: str
    results: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)


def _relative(filename: str, root: Path) -> str:
    path = Path(filename)
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _level(value: object, key: str, path: Path) -> str:
    text = str(value).upper()
    if text not in LEVELS:
        raise BanditError(f"{path}: [thresholds] {key} = {value!r} — use one of low, medium, high")
    return text


def load_baseline(path: Path) -> Baseline:
    """Read the baseline; a malformed file raises BanditError naming the entry and the fix."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BanditError(f"{path}: baseline file not found — create it (see baselines/bandit-baseline.toml)") from None
    except tomllib.TOMLDecodeError as exc:
        raise BanditError(f"{path}: invalid TOML: {exc}") from None
    thresholds = data.get("thresholds", {})
    accepted = []
    for index, entry in enumerate(data.get("accepted", [])):
        missing = [k for k in ("test_id", "path", "owner", "reason", "expires") if not entry.get(k)]
        if missing:
            raise BanditError(f"{path}: [[accepted]] #{index + 1} lacks {', '.join(missing)} — every accepted "
                              "finding needs test_id, path, owner, reason and expires")
        expires = entry["expires"]
        if not isinstance(expires, dt.date):
            raise BanditError(f"{path}: [[accepted]] #{index + 1} expires = {expires!r} — write a date: 2025-06-30")
        accepted.append(Accepted(str(entry["test_id"]), str(entry["path"]), str(entry["owner"]),
                                 str(entry["reason"]), expires, str(entry.get("code", ""))))
    return Baseline(
        fail_on_severity=_level(thresholds.get("fail_on_severity", "high"), "fail_on_severity", path),
        fail_on_confidence=_level(thresholds.get("fail_on_confidence", "low"), "fail_on_confidence", path),
        accepted=tuple(accepted),
    )


def scan(target: Path, *, python: str = sys.executable, timeout: float = 300.0,
         extra_args: Sequence[str] = ()) -> Scan:
    """Run bandit over ``target`` and parse its JSON report; raises BanditError if it cannot run."""
    if not target.exists():
        raise BanditError(f"scan target {target} does not exist — point the deployment profile's source at "
                          "the Python source to scan")
    probe = subprocess.run([python, "-m", "bandit", "--version"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        raise BanditError(f"bandit is not installed for {python}: {probe.stderr.strip()[-200:]} — {INSTALL}")
    version = probe.stdout.split()[1] if len(probe.stdout.split()) > 1 else "unknown"
    cmd = [python, "-m", "bandit", "-f", "json", "-q", "-r", str(target), *extra_args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    # Exit 1 means "results found"; anything else, or no JSON, means bandit itself failed.
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise BanditError(f"bandit exited {proc.returncode} without a JSON report: "
                          f"{(proc.stderr or proc.stdout).strip()[-500:]}") from None
    if proc.returncode not in (0, 1):
        raise BanditError(f"bandit exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    return Scan(root=target if target.is_dir() else target.parent, version=version,
                results=list(report.get("results", [])), errors=list(report.get("errors", [])),
                metrics=dict(report.get("metrics", {}).get("_totals", {})))


def judge(result: Scan, baseline: Baseline, today: dt.date, project: Path | None = None) -> list[Finding]:
    """Findings: blocking results not in the baseline are errors; expired acceptances are errors too.

    Results below the thresholds are reported as notes, accepted ones as warnings, and a baseline
    entry that matches nothing any more is a warning (delete it, so it cannot hide a new hit). Each
    finding is located at its file and line, relative to ``project`` (the repository root; default:
    the scanned folder), and links bandit's page on its test.
    """
    found: list[Finding] = []
    used: set[Accepted] = set()
    for hit in result.results:
        where = f"{_relative(hit.get('filename', ''), project or result.root)}:{hit.get('line_number', 0)}"
        doc = str(hit.get("more_info") or "") or None
        label = (f"{hit.get('test_id')} {hit.get('test_name')} "
                 f"({str(hit.get('issue_severity')).lower()} severity, "
                 f"{str(hit.get('issue_confidence')).lower()} confidence): {hit.get('issue_text')}")
        cwe = hit.get("issue_cwe") or {}
        criterion = f"CWE-{cwe['id']}" if cwe.get("id") else None
        accepted = next((a for a in baseline.accepted if a.matches(hit, result.root)), None)
        if accepted is not None:
            used.add(accepted)
            if accepted.expires < today:
                found.append(Finding("bandit-acceptance-expired", f"{label} — accepted by {accepted.owner} until "
                                     f"{accepted.expires}, now expired: fix it or renew the entry", location=where,
                                     criterion=criterion, context=str(hit.get("code", "")), help_uri=doc))
            else:
                found.append(Finding("bandit-accepted", f"{label} — accepted by {accepted.owner} until "
                                     f"{accepted.expires}: {accepted.reason}", severity="warning", location=where,
                                     criterion=criterion, help_uri=doc))
            continue
        severity = "error" if baseline.blocks(hit) else "note"
        found.append(Finding(f"bandit-{hit.get('test_id')}", label, severity=severity, location=where,
                             criterion=criterion, context=str(hit.get("code", ""))[:400], help_uri=doc))
    for accepted in baseline.accepted:
        if accepted not in used:
            found.append(Finding("bandit-stale-acceptance", f"accepted {accepted.test_id} in {accepted.path} no longer "
                                 "occurs — delete the entry", severity="warning", location=accepted.path))
    for error in result.errors:
        found.append(Finding("bandit-scan-error", f"bandit could not scan {error.get('filename')}: "
                             f"{error.get('reason')}",
                             location=_relative(str(error.get("filename") or ""), project or result.root)))
    return found


def sarif(result: Scan, baseline: Baseline) -> dict[str, Any]:
    """A SARIF 2.1.0 log of every hit (accepted ones marked as suppressed) for code scanning."""
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for hit in result.results:
        test_id = str(hit.get("test_id"))
        rules.setdefault(test_id, {
            "id": test_id, "name": str(hit.get("test_name", test_id)),
            "helpUri": str(hit.get("more_info", "")),
            "properties": {"tags": ["security"]},
        })
        sev = str(hit.get("issue_severity", "LOW")).upper()
        entry: dict[str, Any] = {
            "ruleId": test_id,
            "level": {"HIGH": "error", "MEDIUM": "warning"}.get(sev, "note"),
            "message": {"text": str(hit.get("issue_text", ""))},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": _relative(hit.get("filename", ""), result.root),
                                     "uriBaseId": "SRCROOT"},
                "region": {"startLine": int(hit.get("line_number") or 1),
                           "endLine": int(max(hit.get("line_range") or [hit.get("line_number") or 1]))},
            }}],
            "properties": {"issue_severity": sev, "issue_confidence": str(hit.get("issue_confidence", ""))},
        }
        accepted = next((a for a in baseline.accepted if a.matches(hit, result.root)), None)
        if accepted is not None:
            entry["suppressions"] = [{"kind": "external", "status": "accepted",
                                      "justification": f"{accepted.owner}: {accepted.reason} (until "
                                                       f"{accepted.expires})"}]
        results.append(entry)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "Bandit", "version": result.version,
                                "informationUri": "https://bandit.readthedocs.io/",
                                "rules": [rules[k] for k in sorted(rules)]}},
            "originalUriBaseIds": {"SRCROOT": {"uri": result.root.resolve().as_uri() + "/"}},
            "results": results,
        }],
    }


def write_sarif(result: Scan, baseline: Baseline, path: Path) -> Path:
    """Write :func:`sarif` as deterministic JSON (sorted keys) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(sarif(result, baseline), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
