"""The views rendered from the report JSON: Markdown, SARIF, HTML text, the report folder, the trend."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_castmatch import attest, diff, publish, summary
from pytest_castmatch.config import GateConfig
from pytest_castmatch.model import Finding, GateResult, Outcome, Priority, Sample
from pytest_castmatch.report import html, links, markdown, read_document, sarif

from .conftest import HOSTILE, HOSTILE_MD, png, sample_gates

Report = Callable[..., dict[str, Any]]


def test_markdown_starts_with_the_verdict_and_says_unsigned(report_of: Report) -> None:
    text = markdown.render(report_of())
    first = text.splitlines()[0]
    assert first.startswith("## ⛔ NO")
    assert "UNSIGNED" in first
    assert "this report carries no signature" in text
    assert "### Launch metrics" in text
    assert "### Blockers" in text


def test_markdown_renders_hostile_text_inert(report_of: Report) -> None:
    text = markdown.render(report_of())
    assert "<script" not in text
    assert "<img" not in text
    assert "](javascript" not in text
    assert "[x](" not in text
    assert "@everyone" not in text
    for line in text.splitlines():
        if line.startswith("| "):
            # Every unescaped pipe is a cell border: a hostile "|" must not add a column.
            borders = len(re.findall(r"(?<!\\)\|", line))
            assert borders in (5, 6), line  # 4- and 5-column tables


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a|b", r"a\|b"),
        ("<b>x</b>", "&lt;b&gt;x&lt;/b&gt;"),
        ("[t](javascript:x)", r"\[t\]\(javascript\:x\)"),
        ("line\nbreak", "line break"),
        ("&lt;", "&amp;lt;"),
    ],
)
def test_markdown_escape(text: str, expected: str) -> None:
    assert markdown.escape(text) == expected


def test_sarif_has_one_rule_per_finding_rule_and_locations(report_of: Report) -> None:
    log = sarif.render(report_of(), version="0.1.0")
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(rules) == len(set(rules))
    assert {"color-contrast-enhanced", "target-size-44", "castmatch/gate"} <= set(rules)
    by_rule = {r["ruleId"]: r for r in run["results"]}
    contrast = by_rule["color-contrast-enhanced"]
    assert contrast["level"] == "error"
    assert by_rule["target-size-44"]["level"] == "warning"
    # A web finding is where the engine found it: the page and the element; the gate's test is related.
    location = contrast["locations"][0]
    assert location["physicalLocation"]["artifactLocation"] == {"uri": "search", "uriBaseId": "DEPLOYMENT"}
    assert location["logicalLocations"] == [{"fullyQualifiedName": "button.cta", "kind": "element"}]
    test = contrast["relatedLocations"][0]["physicalLocation"]
    assert test["artifactLocation"]["uri"] == "suites/accessibility/test_contrast.py"
    assert test["region"]["startLine"] == 42
    for result in run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]
    advisory = [r for r in run["results"] if r["ruleId"] == "castmatch/gate" and not r["properties"]["blocking"]]
    assert [r["level"] for r in advisory] == ["warning"]  # the P2 advisory gate
    json.dumps(log)


def test_html_is_escaped_self_contained_and_says_unsigned(report_of: Report, tmp_path: Path) -> None:
    (tmp_path / "evidence").mkdir()
    (tmp_path / "evidence" / "contrast.png").write_bytes(png())
    page = html.render(report_of(), base_dir=tmp_path)
    # One script: the page's own filter, allowed by its hash; every hostile <script> is text.
    assert page.lower().replace("&lt;script", "").count("<script") == 1
    assert f"<script>{html._script()}</script>" in page
    assert f"script-src '{html.script_hash()}'" in page
    assert "&lt;script&gt;window.__pwned=1" in page
    assert "Unsigned report." in page
    assert "data:image/jpeg;base64," in page  # the screenshot, as a thumbnail
    assert not re.search(r"""src=["']?(https?:)?//""", page)  # no external requests
    assert "<link" not in page
    assert 'href="https://www.w3.org/WAI/WCAG22/Understanding/contrast-enhanced.html"' in page  # a link to read
    assert page.count("<h1") == 1


def test_html_renders_a_finding_with_only_its_required_fields(report_of: Report, tmp_path: Path) -> None:
    # Finding.to_json omits every optional field that is unset; the template must not need them.
    bare = GateResult("suites/test_x.py::test_y", Priority.P0, "devops", Outcome.FAILED,
                      findings=(Finding("no-criterion", "a bare finding"),))
    page = html.render(report_of([bare]), base_dir=tmp_path)
    assert "a bare finding" in page


def test_html_links_large_and_refuses_escaping_evidence(
    gate_config: GateConfig, report_of: Report, tmp_path: Path
) -> None:
    big = tmp_path / "evidence" / "big.png"
    big.parent.mkdir()
    big.write_bytes(png() + b"\0" * (links.INLINE_LIMIT + 1))
    gate = GateResult(
        "suites/x.py::test_x",
        Priority.P1,
        "devops",
        Outcome.FAILED,
        evidence=("evidence/big.png", "../../etc/passwd", "javascript:alert(1)"),
    )
    page = html.render(report_of([*sample_gates(gate_config), gate]), base_dir=tmp_path)
    assert 'href="evidence/big.png"' in page
    assert "passwd</code>" in page
    assert 'href="../../etc/passwd"' not in page
    assert 'href="javascript' not in page


def test_publish_writes_every_view_and_signs(
    report_of: Report, ci_signer: attest.Ed25519Signer, tmp_path: Path
) -> None:
    paths = publish.publish(report_of(signed=True), tmp_path, signer=ci_signer)
    names = {p.name for p in paths}
    assert names == {
        "report.json",
        "report.dsse.json",
        "report.intoto.jsonl",
        "index.html",
        "summary.md",
        "findings.sarif",
    }
    report, envelope = read_document(tmp_path / "report.dsse.json")
    assert envelope is not None
    assert attest.verify(envelope, {"ci": ci_signer.public_key}).ok
    assert report == json.loads((tmp_path / "report.json").read_text())
    bundle = [json.loads(line) for line in (tmp_path / "report.intoto.jsonl").read_text().splitlines()]
    assert [attest.payload_statement(e)["predicateType"] for e in bundle] == [
        attest.TEST_RESULT_PREDICATE,
        attest.REPORT_PREDICATE,
    ]
    assert "Unsigned report." not in (tmp_path / "index.html").read_text()


def test_publish_unsigned_removes_a_stale_envelope(
    report_of: Report, ci_signer: attest.Ed25519Signer, tmp_path: Path
) -> None:
    publish.publish(report_of(signed=True), tmp_path, signer=ci_signer)
    paths = publish.publish(report_of(), tmp_path, signer=None)
    assert not (tmp_path / "report.dsse.json").exists()
    assert not (tmp_path / "report.intoto.jsonl").exists()
    assert len(paths) == 4


def test_publish_refuses_a_report_that_lies_about_its_signature(report_of: Report, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="signed"):
        publish.publish(report_of(signed=True), tmp_path, signer=None)


def test_trend_finds_new_blockers_fixed_gates_and_moves_beyond_noise(
    gate_config: GateConfig, report_of: Report
) -> None:
    old = report_of(sample_gates(gate_config, api_ms=100.0))
    same = report_of(sample_gates(gate_config, api_ms=104.0))  # 4 %: noise
    assert diff.compare(old, same).deltas == ()
    worse_gates = sample_gates(gate_config, api_ms=250.0)
    worse_gates[-1] = GateResult(worse_gates[-1].id, Priority.P2, worse_gates[-1].owner, Outcome.PASSED)
    worse = report_of(worse_gates)
    trend = diff.compare(old, worse)
    assert [(d.metric, d.direction) for d in trend.deltas] == [("api_p99_ms", "worse")]
    assert [r["subject"] for r in trend.new_blockers] == ["metric:api_p99_ms"]
    assert trend.fixed == ()  # a fixed P2 gate was advisory, never a blocker
    back = diff.compare(worse, old)
    assert [r["subject"] for r in back.fixed] == ["metric:api_p99_ms"]
    assert back.deltas[0].direction == "better"
    assert trend.regressed
    assert not back.regressed
    page = html.render(worse, previous=old)
    assert "Since the previous report" in page
    assert "+150.0 %" in page


def test_beyond_noise_is_relative() -> None:
    assert not diff.beyond_noise(200.0, 209.0)
    assert diff.beyond_noise(200.0, 211.0)
    assert diff.beyond_noise(0.0, 1.0)
    assert not diff.beyond_noise(0.0, 0.0)


def test_hostile_names_reach_every_view(report_of: Report) -> None:
    # Guard against a sample that silently lost its hostile text (the escaping tests would pass vacuously).
    report = report_of()
    assert any(HOSTILE in g["id"] for g in report["gates"])
    assert any(HOSTILE_MD in r["message"] for r in report["verdict"]["reasons"])


def test_a_clean_signed_full_run_reads_go_for_launch(gate_config: GateConfig, report_of: Report) -> None:
    gates = [g for g in sample_gates(gate_config) if g.priority is not Priority.P1]
    report = report_of(gates, signed=True)
    assert report["verdict"]["label"] == "GO for launch"
    assert markdown.render(report).startswith("## ✅ GO for launch")
    page = html.render(report)
    assert 'class="verdict launch"' in page
    assert "Unsigned report." not in page
    assert sarif.render(report)["runs"][0]["properties"]["verdict"] == "GO for launch"


def test_every_view_says_how_many_samples_a_launch_metric_stands_on(gate_config: GateConfig,
                                                                    report_of: Report) -> None:
    gates = [g for g in sample_gates(gate_config) if g.priority is not Priority.P1]
    load = GateResult("suites/load/test_load.py::test_api_p99_under_load", Priority.P0, "backend-api",
                      Outcome.PASSED, samples=(Sample("api_p99_ms", 56.0, unit="ms", samples=1152, successes=1150),))
    gates = [g for g in gates if not any(s.metric == "api_p99_ms" for s in g.samples)] + [load]
    report = report_of(gates, signed=True)
    row = next(r for r in report["launch_metrics"] if r["metric"] == "api_p99_ms")
    assert (row["status"], row["value"], row["samples"], row["successes"]) == ("met", 56.0, 1152, 1150)
    assert "56 ms \\(n = 1,152, 1,150 ok\\)" in markdown.render(report)
    assert "n = 1,152, 1,150 ok" in html.render(report)
    assert any("56 (needs <= 200 ms; n = 1,152, 1,150 ok)" in line for line in summary.terminal_lines(report))


def test_a_metric_not_measured_reads_so_in_every_view(gate_config: GateConfig, report_of: Report) -> None:
    gates = [g for g in sample_gates(gate_config) if g.priority is not Priority.P1]
    why = "1152 of 1152 requests failed: 0 % answered, below the 99.99 % availability threshold"
    load = GateResult("suites/load/test_load.py::test_api_p99_under_load", Priority.P0, "backend-api",
                      Outcome.FAILED, samples=(Sample("api_p99_ms", None, samples=1152, successes=0,
                                                      not_measured=why),))
    gates = [g for g in gates if not any(s.metric == "api_p99_ms" for s in g.samples)] + [load]
    report = report_of(gates, signed=True)
    row = next(r for r in report["launch_metrics"] if r["metric"] == "api_p99_ms")
    assert (row["status"], row["value"], row["samples"], row["successes"]) == ("not-measured", None, 1152, 0)
    metric_row = next(r for r in report["metrics"] if r["metric"] == "api_p99_ms")
    assert (metric_row["status"], metric_row["not_measured"]) == ("not-measured", why)
    reason = next(r for r in report["verdict"]["reasons"] if r["subject"] == "metric:api_p99_ms")
    assert reason["blocking"]
    assert why in reason["message"]
    assert "**NOT MEASURED**" in markdown.render(report)
    assert "n = 1,152, 0 ok" in html.render(report)
    # Nothing to compare with a measured value: the trend leaves it out rather than invent a move.
    assert not [d for d in diff.compare(report_of(), report).deltas if d.metric == "api_p99_ms"]
