"""findings.sarif: valid SARIF 2.1.0 (the vendored OASIS schema), every blocker an error, engine findings
where the engine found them, errors only from blocking gates, rules that say how to fix them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from pytest_castmatch import publish
from pytest_castmatch.config import GateConfig
from pytest_castmatch.report import sarif
from pytest_castmatch.runners import bandit

from .conftest import HOSTILE, build_report, rich_gates, write_evidence

SCHEMA = json.loads((Path(__file__).with_name("sarif") / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def _errors(log: dict[str, Any]) -> list[str]:
    validator = jsonschema_rs.Draft4Validator(SCHEMA, validate_formats=True)
    return [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(log)]


@pytest.fixture(scope="module")
def published(gate_config: GateConfig, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Any]:
    """A report with every kind of reason and finding, published as the plugin publishes it."""
    folder = tmp_path_factory.mktemp("sarif")
    write_evidence(folder)
    report = build_report(gate_config, rich_gates(gate_config))
    publish.publish(report, folder, signer=None)
    return report, json.loads((folder / publish.SARIF).read_text(encoding="utf-8"))


def test_the_schema_catches_what_it_should() -> None:
    # A validator that accepts anything would make the next test worthless.
    assert SCHEMA["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    assert _errors({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x", "helpUri": "no uri"}}}]})
    assert _errors({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x", "rules": [
        {"id": "r", "helpUri": "not a uri"}]}}}]})


def test_findings_sarif_is_valid_sarif_2_1_0(published: tuple[dict[str, Any], Any]) -> None:
    _, log = published
    assert _errors(log) == []
    assert any(HOSTILE in r["message"]["text"] for r in log["runs"][0]["results"])


def test_bandits_own_sarif_is_valid(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import subprocess\nsubprocess.call('ls', shell=True)\n")
    hit = {
        "test_id": "B602", "test_name": "subprocess_popen_with_shell_equals_true",
        "filename": str(tmp_path / "app.py"), "line_number": 2, "line_range": [2], "issue_severity": "HIGH",
        "issue_confidence": "HIGH", "issue_text": "shell=True",
        "more_info": "https://bandit.readthedocs.io/en/latest/plugins/b602.html",
    }
    scan = bandit.Scan(root=tmp_path, version="1.8.6", results=[hit])
    assert _errors(bandit.sarif(scan, bandit.Baseline())) == []


def test_every_blocking_reason_is_an_error_located_where_it_can_be(published: tuple[dict[str, Any], Any]) -> None:
    report, log = published
    results = log["runs"][0]["results"]
    blocking = [r for r in report["verdict"]["reasons"] if r["blocking"]]
    assert len(blocking) >= 4  # failed gates, a flaky gate, the unsigned full run
    reasons = {r["properties"]["subject"]: r for r in results if r["ruleId"].startswith("castmatch/")}
    for reason in blocking:
        result = reasons[reason["subject"]]
        assert result["level"] == "error", reason
    bandit_gate = reasons["suites/security/test_static.py::test_bandit"]
    where = bandit_gate["locations"][0]["physicalLocation"]
    assert (where["artifactLocation"]["uri"], where["region"]["startLine"]) == ("suites/security/test_static.py", 23)
    assert "[bandit-B602] shell=True" in bandit_gate["message"]["text"]  # the reason in full
    advisory = [r for r in results if r["ruleId"].startswith("castmatch/") and not r["properties"]["blocking"]]
    assert advisory
    assert {r["level"] for r in advisory} <= {"warning", "note"}


def test_engine_findings_carry_their_own_place_and_only_blocking_gates_make_errors(
    published: tuple[dict[str, Any], Any],
) -> None:
    report, log = published
    findings = [r for r in log["runs"][0]["results"] if not r["ruleId"].startswith("castmatch/")]
    b602 = next(r for r in findings if r["ruleId"] == "bandit-B602")
    where = b602["locations"][0]["physicalLocation"]
    assert (where["artifactLocation"], where["region"]) == (
        {"uri": "src/castmatch_app/ops.py", "uriBaseId": "%SRCROOT%"}, {"startLine": 88})
    contrast = next(r for r in findings if r["ruleId"] == "axe/color-contrast-enhanced" and r["level"] == "error")
    assert contrast["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "talent/42"
    assert contrast["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "#hero > p"
    review = next(r for r in findings if r["properties"]["severity"] == "review")
    assert review["level"] == "warning"
    passed = {g["id"] for g in report["gates"] if g["outcome"] == "passed"}
    from_passed = [r for r in findings if r["properties"]["gate"] in passed]
    assert from_passed  # the Lighthouse and touch-target notes of passed gates are there...
    assert {r["level"] for r in from_passed} == {"note"}  # ...as notes, never warnings or errors
    blocking = {r["subject"] for r in report["verdict"]["reasons"] if r["blocking"]}
    assert all(r["properties"]["gate"] in blocking for r in findings if r["level"] == "error")


def test_rules_have_help_text_and_a_page_that_explains_them(published: tuple[dict[str, Any], Any]) -> None:
    _, log = published
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert all(r["help"]["text"] for r in rules.values())
    assert rules["axe/color-contrast-enhanced"]["helpUri"] == (
        "https://www.w3.org/WAI/WCAG22/Understanding/contrast-enhanced.html")
    assert "Contrast (Enhanced)" in rules["axe/color-contrast-enhanced"]["shortDescription"]["text"]
    assert rules["bandit-B602"]["helpUri"].startswith("https://bandit.readthedocs.io/")
    assert rules["target-size-44"]["helpUri"].endswith("/target-size-enhanced.html")


def test_an_unmeasured_launch_metric_is_an_error_pointing_at_its_declaration(gate_config: GateConfig) -> None:
    gates = [g for g in rich_gates(gate_config) if not any(s.metric == "api_p99_ms" for s in g.samples)]
    log = sarif.render(build_report(gate_config, gates))
    missing = next(r for r in log["runs"][0]["results"] if r["properties"].get("subject") == "metric:api_p99_ms")
    assert missing["level"] == "error"
    assert missing["locations"][0]["logicalLocations"][0]["name"] == "metrics.api_p99_ms"
    assert _errors(log) == []
