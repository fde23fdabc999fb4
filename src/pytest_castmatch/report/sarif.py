"""``findings.sarif``: findings as SARIF 2.1.0 for code scanning.

One rule per finding rule; each finding is a result located at its gate's test
(``location`` is ``path:line``). A gate that did not pass and found nothing specific still
gets one result under ``castmatch/gate``, so a blocker is never invisible to code scanning.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_castmatch.report import owner_title

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
GATE_RULE = "castmatch/gate"

_LEVELS = {
    "critical": "error",
    "high": "error",
    "serious": "error",
    "error": "error",
    "blocker": "error",
    "moderate": "warning",
    "medium": "warning",
    "warning": "warning",
    "minor": "note",
    "low": "note",
    "info": "note",
    "note": "note",
}


def level(severity: str) -> str:
    """SARIF level for a finding severity (axe impacts, bandit severities, ours); unknown is an error."""
    return _LEVELS.get(severity.lower(), "error")


def _location(location: str) -> list[dict[str, Any]]:
    if not location:
        return []
    path, _, line = location.rpartition(":")
    if not path or not line.isdigit():
        path, line = location, ""
    physical: dict[str, Any] = {"artifactLocation": {"uri": path.replace("\\", "/"), "uriBaseId": "%SRCROOT%"}}
    if line and int(line) >= 1:
        physical["region"] = {"startLine": int(line)}
    return [{"physicalLocation": physical}]


def _properties(report: Mapping[str, Any], gate: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "gate": gate["id"],
        "owner": gate["owner"],
        "ownerTitle": owner_title(report, gate["owner"]),
        "priority": gate["priority"],
        "outcome": gate["outcome"],
    }


def render(report: Mapping[str, Any], version: str = "") -> dict[str, Any]:
    """The SARIF log (one run) for ``report``."""
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    blocking = {r["subject"] for r in report["verdict"]["reasons"] if r["blocking"]}

    def rule_index(rule_id: str, description: str, criterion: str | None = None) -> int:
        if rule_id not in rules:
            rule: dict[str, Any] = {"id": rule_id, "shortDescription": {"text": description or rule_id}}
            if criterion:
                rule["properties"] = {"tags": [criterion]}
            rules[rule_id] = rule
        return list(rules).index(rule_id)

    for gate in report["gates"]:
        locations = _location(gate.get("location", ""))
        for finding in gate["findings"]:
            text = finding["message"]
            if finding.get("page") or finding.get("selector"):
                where = " ".join(x for x in (finding.get("page"), finding.get("selector")) if x)
                text = f"{text} ({where})"
            result: dict[str, Any] = {
                "ruleId": finding["rule"],
                "ruleIndex": rule_index(finding["rule"], finding["rule"], finding.get("criterion")),
                "level": level(finding.get("severity", "error")),
                "message": {"text": text},
                "locations": locations,
                "properties": _properties(report, gate) | {"blocking": gate["id"] in blocking},
            }
            results.append(result)
        if gate["outcome"] != "passed" and not gate["findings"]:
            results.append(
                {
                    "ruleId": GATE_RULE,
                    "ruleIndex": rule_index(GATE_RULE, "A launch gate did not pass"),
                    "level": "error" if gate["id"] in blocking else "warning",
                    "message": {"text": f"{gate['id']} {gate['outcome']}: {gate.get('message') or 'no message'}"},
                    "locations": locations,
                    "properties": _properties(report, gate) | {"blocking": gate["id"] in blocking},
                }
            )
    driver: dict[str, Any] = {
        "name": "castmatch-gate",
        "informationUri": "https://castmatch.dev/gate",
        "rules": list(rules.values()),
    }
    if version:
        driver["version"] = version
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "automationDetails": {"id": f"castmatch-gate/{report['scope']['description']}"},
                "properties": {
                    "commit": report.get("subject", {}).get("commit") or "",
                    "verdict": report["verdict"]["label"],
                },
                "results": results,
            }
        ],
    }
