"""``findings.sarif``: the verdict's reasons and the gates' findings as SARIF 2.1.0 for code scanning.

- Every reason of the verdict is a result under ``castmatch/<kind>``: level ``error`` when it blocks,
  ``warning`` when it only advises; located at its gate's test (or at a gate that measured the metric).
- Every finding is a result under its own rule, located where the engine found it: a source file and
  line (bandit), or a page of the deployment (base ``DEPLOYMENT``) with the element's selector as a
  logical location, the gate's test as a related location. Only the findings of a blocking gate can
  be errors; an advisory or waived gate's are warnings at most, a passed gate's are notes.
- Rules carry help text and, where one exists, a page that explains them: the WCAG Understanding
  document of the criterion, the engine's rule documentation, the CWE entry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from pytest_castmatch.report import (
    blocking_subjects,
    deployment_of,
    metric_gates,
    owner_title,
    severity_class,
    wcag,
)

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SOURCE_BASE = "%SRCROOT%"
PAGE_BASE = "DEPLOYMENT"

_REASON_RULES = {
    "gate": ("A launch gate did not pass",
             "A gate that failed, errored, was skipped or did not run. P0 and P1 gates block the launch; "
             "P2 gates advise. Fix what the message names, or have the owning team waive it in waivers.toml."),
    "metric": ("A metric missed its threshold or was not measured",
               "A metric of gates.toml missed its threshold, or a launch metric was not measured at all: "
               "a launch cannot be judged on a missing measurement. Run the gates that measure it."),
    "waiver": ("A waiver is not valid",
               "A waiver in waivers.toml expired, names nothing, or was approved by a team that does not "
               "own its target. Renew it with a fresh approval, correct its target, or delete it."),
    "waived": ("A blocker was waived",
               "A blocker the owning team waived until a date: reported, not blocking."),
    "not-applicable": ("A gate does not apply to this deployment",
                       "The deployment profile says the deployment lacks what the gate needs (no dark theme, "
                       "no sign-in, ...): reported with that reason, never counted as passed. A launch metric "
                       "only such gates would measure stays unmeasured."),
    "run": ("The run cannot decide the launch",
            "Collection errors, an interrupted run, an empty selection or a missing signature: the run "
            "itself cannot carry a verdict. Fix the run and gate again."),
}
_LEVEL = {"violation": "error", "review": "warning", "warning": "warning", "note": "note"}
_CWE = re.compile(r"CWE-(\d+)")


def level(severity: str) -> str:
    """SARIF level of a finding of a blocking gate (others are capped: see the module doc)."""
    return _LEVEL[severity_class(severity)]


def _source(location: str, message: str = "") -> dict[str, Any] | None:
    """A physical location for ``path:line`` (line optional), relative to the repository root."""
    if not location:
        return None
    path, _, line = location.rpartition(":")
    if not path or not line.isdigit():
        path, line = location, ""
    physical: dict[str, Any] = {"artifactLocation": {"uri": quote(path.replace("\\", "/")),
                                                     "uriBaseId": SOURCE_BASE}}
    if line and int(line) >= 1:
        physical["region"] = {"startLine": int(line)}
    out: dict[str, Any] = {"physicalLocation": physical}
    if message:
        out["message"] = {"text": message}
    return out


def _page(page: str, selector: str | None) -> dict[str, Any]:
    """A location on a page of the deployment, the element named by its selector."""
    out: dict[str, Any] = {"physicalLocation": {"artifactLocation": {
        "uri": quote(page.lstrip("/") or ".", safe="/?=&%:@!$'()*+,;~"), "uriBaseId": PAGE_BASE}}}
    if selector:
        out["logicalLocations"] = [{"fullyQualifiedName": selector, "kind": "element"}]
    return out


def _help(rule_id: str, finding: Mapping[str, Any], axe_version: str) -> tuple[str, str, str | None]:
    """(short description, help text, help page) for a finding's rule."""
    crit = wcag.criterion(finding.get("criterion"))
    cwe = _CWE.search(str(finding.get("criterion") or ""))
    text = str(finding["message"])
    if crit is not None:
        short = f"WCAG {crit.number} {crit.title} (level {crit.level})"
        return short, f"{short}: {rule_id}. Example: {text}", finding.get("help_uri") or crit.url
    if finding.get("help_uri"):
        return rule_id, f"{rule_id}. Example: {text}", str(finding["help_uri"])
    if cwe is not None:
        return rule_id, f"{rule_id} ({cwe.group(0)}). Example: {text}", \
            f"https://cwe.mitre.org/data/definitions/{cwe.group(1)}.html"
    if rule_id.startswith("axe/") and axe_version:
        major_minor = ".".join(axe_version.split(".")[:2])
        return rule_id, f"axe-core rule {rule_id[4:]}. Example: {text}", \
            f"https://dequeuniversity.com/rules/axe/{major_minor}/{rule_id[4:]}"
    return rule_id, f"{rule_id}. Example: {text}", None


class _Rules:
    """The run's rules in first-seen order; results point at them by index."""

    def __init__(self) -> None:
        self.rules: dict[str, dict[str, Any]] = {}

    def index(self, rule_id: str, short: str, help_text: str, help_uri: str | None,
              tags: list[str] | None = None) -> int:
        if rule_id not in self.rules:
            rule: dict[str, Any] = {"id": rule_id, "shortDescription": {"text": short or rule_id},
                                    "help": {"text": help_text or short or rule_id}}
            if help_uri:
                rule["helpUri"] = help_uri
            if tags:
                rule["properties"] = {"tags": tags}
            self.rules[rule_id] = rule
        return list(self.rules).index(rule_id)


def _properties(report: Mapping[str, Any], gate: Mapping[str, Any], blocking: bool) -> dict[str, Any]:
    return {
        "gate": gate["id"],
        "owner": gate["owner"],
        "ownerTitle": owner_title(report, gate["owner"]),
        "priority": gate["priority"],
        "outcome": gate["outcome"],
        "blocking": blocking,
    }


def _reason_results(report: Mapping[str, Any], rules: _Rules) -> list[dict[str, Any]]:
    gates = {g["id"]: g for g in report["gates"]}
    measured = metric_gates(report)
    config = str(report.get("launch", {}).get("config") or "gates.toml")
    out = []
    for reason in report["verdict"]["reasons"]:
        kind = str(reason["kind"])
        short, help_text = _REASON_RULES.get(kind, (f"castmatch {kind}", f"A reason of kind {kind}."))
        subject = str(reason["subject"])
        gate = gates.get(subject)
        if gate is None and subject.startswith("metric:"):
            gate = next(iter(measured.get(subject.removeprefix("metric:"), ())), None)
        text = f"{subject}: {reason['message']}"
        if gate is not None and gate["id"] == subject and "\n" in str(gate.get("message", "")).strip():
            text += "\n" + str(gate["message"]).strip()
        result: dict[str, Any] = {
            "ruleId": f"castmatch/{kind}",
            "ruleIndex": rules.index(f"castmatch/{kind}", short, help_text, None),
            "level": "error" if reason["blocking"] else ("note" if kind in ("waived", "not-applicable") else "warning"),
            "message": {"text": text},
            "properties": {"subject": subject, "owner": reason.get("owner", ""),
                           "priority": reason.get("priority", ""), "blocking": bool(reason["blocking"])},
        }
        where = _source(str(gate.get("location", ""))) if gate is not None else None
        if where is not None:
            result["locations"] = [where]
        elif subject.startswith("metric:"):
            # No gate measured it: point at its declaration.
            table = f"metrics.{subject.removeprefix('metric:')}"
            result["locations"] = [{"logicalLocations": [{"fullyQualifiedName": f"{config}[{table}]",
                                                          "name": table, "kind": "object"}]}]
        out.append(result)
    return out


def _finding_level(severity: str, gate_state: str) -> str:
    wanted = level(severity)
    if gate_state == "blocking":
        return wanted
    if gate_state == "advisory":
        return "note" if wanted == "note" else "warning"
    return "note"


def render(report: Mapping[str, Any], version: str = "") -> dict[str, Any]:
    """The SARIF log (one run) for ``report``."""
    rules = _Rules()
    results = _reason_results(report, rules)
    blocking = blocking_subjects(report)
    axe_version = str(report.get("environment", {}).get("engines", {}).get("axe-core", ""))
    for gate in report["gates"]:
        if not gate["findings"]:
            continue  # a result is a finding: most gates have none, and nothing to locate
        state = ("passed" if gate["outcome"] == "passed"
                 else "blocking" if gate["id"] in blocking else "advisory")
        test = _source(str(gate.get("location", "")), f"gate {gate['id']}")
        for finding in gate["findings"]:
            rule_id = str(finding["rule"])
            short, help_text, help_uri = _help(rule_id, finding, axe_version)
            tags = [t for t in (finding.get("criterion"),) if t]
            text = str(finding["message"])
            if finding.get("page") or finding.get("selector"):
                where = " ".join(str(x) for x in (finding.get("page"), finding.get("selector")) if x)
                text = f"{text} ({where})"
            result: dict[str, Any] = {
                "ruleId": rule_id,
                "ruleIndex": rules.index(rule_id, short, help_text, help_uri, tags),
                "level": _finding_level(str(finding.get("severity", "error")), state),
                "message": {"text": text},
                "properties": _properties(report, gate, state == "blocking")
                | {"severity": str(finding.get("severity", "error"))},
            }
            own = _source(str(finding.get("location") or ""))
            if own is not None:
                result["locations"] = [own]
            elif finding.get("page"):
                result["locations"] = [_page(str(finding["page"]), finding.get("selector"))]
            elif test is not None:
                result["locations"] = [{"physicalLocation": test["physicalLocation"]}]
            if test is not None and "locations" in result and result["locations"][0].get("physicalLocation") \
                    != test["physicalLocation"]:
                result["relatedLocations"] = [test | {"id": 0}]
            results.append(result)
    driver: dict[str, Any] = {
        "name": "castmatch-gate",
        "informationUri": "https://castmatch.dev/gate",
        "rules": list(rules.rules.values()),
    }
    if version:
        driver["version"] = version
    bases: dict[str, Any] = {SOURCE_BASE: {"description": {"text": "The root of the repository the gate ran in."}}}
    given = report.get("deployment")
    deployment = str(given.get("base_url") or "") if isinstance(given, Mapping) else ""
    deployment = deployment or deployment_of(report)
    bases[PAGE_BASE] = {"description": {"text": "The deployment the gates measured."}}
    if deployment.startswith(("http://", "https://")):
        bases[PAGE_BASE]["uri"] = deployment.rstrip("/") + "/"
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "automationDetails": {"id": f"castmatch-gate/{report['scope']['description']}"},
                "originalUriBaseIds": bases,
                "invocations": [{"executionSuccessful": bool(report.get("run", {}).get("complete"))}],
                "properties": {
                    "commit": report.get("subject", {}).get("commit") or "",
                    "verdict": report["verdict"]["label"],
                },
                "results": results,
            }
        ],
    }

