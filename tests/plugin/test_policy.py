"""Strict policy values, waivers that must be approved by the right team, a verdict no hook can
rewrite, and paths that hold whatever rootdir pytest chose."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from pytest_castmatch import attest
from pytest_castmatch.cli import main
from tests.plugin.conftest import GateProject

SOON = (dt.date.today() + dt.timedelta(days=30)).isoformat()

FAILING_P0 = """
    import pytest

    @pytest.mark.p0
    @pytest.mark.owner("devops")
    def test_gate():
        assert False, "the gate that blocks"
"""

PASSING_P0 = """
    import pytest

    @pytest.mark.p0
    @pytest.mark.owner("backend-api")
    def test_api(gate):
        gate.metric("api_p99_ms", 120.0)
"""


def _texts(project: GateProject) -> list[str]:
    return [f"{r['kind']} {r['subject']} {r['message']}" for r in project.blockers()]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("max = 200", "max = nan", "gates.toml:16: [[]metrics.api_p99_ms[]] max: expected a finite number, got nan"),
        ("max = 200", "min = nan", "gates.toml:16: [[]metrics.api_p99_ms[]] min: expected a finite number, got nan"),
        ("max = 200", "max = inf", "*max: expected a finite number, got inf*"),
        ("max = 200", "max = 200\nmin = 300", "*[[]metrics.api_p99_ms[]] min: min 300 is above max 200 — no value*"),
        ("schema = 1", "schema = true", "*[[]top level[]] schema: unsupported schema True*"),
        ('[owners.devops]', '[owners."devops\\n"]', "*owner ids are lower-case words joined by '-'*"),
        ("max = 200", "max = -5", "*[[]metrics.api_p99_ms[]] max: -5 ms is below zero*"),
        ("max = 200", "max = true", "*max: expected a number, got True*"),
    ],
    ids=["max-nan", "min-nan", "max-inf", "min-above-max", "schema-bool", "owner-newline", "negative-ms", "max-bool"],
)
def test_a_gates_file_value_that_could_never_be_violated_is_refused(
    project: GateProject, old: str, new: str, message: str
) -> None:
    path = project.root / "baselines" / "gates.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    project.suite("test_api", PASSING_P0)
    result = project.pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}*"])
    assert not (project.root / "gate-report" / "report.json").exists()


def test_a_negative_latency_fails_the_gate_naming_it(project: GateProject) -> None:
    project.suite("test_api", PASSING_P0.replace("120.0", "-5.0"))
    result = project.run("-m", "p0")
    assert result.ret != 0
    assert project.report()["verdict"]["decision"] == "NO-GO"
    assert any("test_api" in t and "cannot be negative" in t for t in _texts(project)), _texts(project)
    assert project.report()["launch_metrics"][0]["status"] != "met"


def _waive(project: GateProject, approved_by: str, expires: str) -> None:
    """Waive the failing devops gate of FAILING_P0, approved by ``approved_by``."""
    project.waivers(f"""
        [[waiver]]
        target = "suites/test_w.py::test_gate"
        owner = "devops"
        reason = "vendor fix pending"
        approved_by = "{approved_by}"
        expires = {expires}
    """)


@pytest.mark.parametrize(
    ("approved_by", "expires", "cause"),
    [
        ("backend-api", SOON, "approved by 'backend-api', who may not approve it"),
        (" ", SOON, "blank approved_by"),
        ("devops", "9999-12-31", "days ahead — at most 90 ([waivers] max_days)"),
    ],
    ids=["other-team", "blank", "far-future"],
)
def test_a_waiver_that_breaks_the_approval_rules_blocks(
    project: GateProject, approved_by: str, expires: str, cause: str
) -> None:
    project.suite("test_w", FAILING_P0)
    _waive(project, approved_by, expires)
    result = project.run("-m", "p0")
    assert result.ret != 0
    assert project.report()["verdict"]["decision"] == "NO-GO"
    texts = _texts(project)
    assert any(t.startswith("waiver suites/test_w.py::test_gate") and cause in t for t in texts), texts
    assert any(t.startswith("gate suites/test_w.py::test_gate") for t in texts), texts


def test_a_team_listed_as_waiver_approver_may_approve(project: GateProject) -> None:
    path = project.root / "baselines" / "gates.toml"
    path.write_text(path.read_text() + '[waivers]\napprovers = ["frontend-ui"]\nmax_days = 45\n')
    project.suite("test_w", FAILING_P0)
    _waive(project, "frontend-ui", SOON)
    result = project.run("-m", "p0")
    assert (result.ret, project.report()["verdict"]["label"]) == (0, "GO for this scope")
    assert project.report()["waivers"][0]["status"] == "applied"


HOOK = """
    def pytest_castmatch_report(config, report):
        report["verdict"] = {"decision": "GO", "label": "GO for launch", "launch": True, "reasons": []}
        report.setdefault("extensions", {})["ours"] = {"note": "added"}
"""


def test_a_report_hook_that_rewrites_the_verdict_is_detected_and_blocks(
    project: GateProject, signing_key: Path
) -> None:
    project.suite("test_api", PASSING_P0)
    project.suite("test_w", FAILING_P0)
    project.pytester.makeconftest(HOOK)
    result = project.run()
    assert result.ret != 0
    report = project.report()
    assert report["verdict"]["decision"] == "NO-GO"
    assert report["extensions"] == {"ours": {"note": "added"}}
    assert any(t.startswith("run report-hook") and "changed verdict" in t for t in _texts(project)), _texts(project)
    envelope_path = project.root / "gate-report" / "report.dsse.json"
    signed = attest.payload_report(json.loads(envelope_path.read_text()))
    assert signed["verdict"] == report["verdict"]
    assert main(["verify", str(envelope_path), "--key", f"{signing_key}.pub"]) == 0  # a valid signature over NO-GO


def test_a_report_hook_that_only_adds_fields_is_welcome(project: GateProject) -> None:
    project.suite("test_api", PASSING_P0)
    project.pytester.makeconftest("""
        def pytest_castmatch_report(config, report):
            report.setdefault("extensions", {})["ours"] = {"ticket": "LAUNCH-1"}
    """)
    result = project.run("-m", "p0")
    assert (result.ret, project.report()["verdict"]["label"]) == (0, "GO for this scope")
    assert project.report()["extensions"] == {"ours": {"ticket": "LAUNCH-1"}}


def test_a_report_folder_outside_the_project_still_gets_a_no_go_report(project: GateProject) -> None:
    project.suite("test_w", FAILING_P0)
    assert project.lock().ret == 0
    outside: Path = project.root.parent / f"{project.root.name}-report"
    outside.mkdir()
    result = project.pytester.runpytest_subprocess("-p", "no:playwright", "--gate-report", str(outside))
    assert result.ret != 0
    report = json.loads((outside / "report.json").read_text())
    assert report["verdict"]["decision"] == "NO-GO"
    texts = [r["message"] for r in report["verdict"]["reasons"] if r["blocking"]]
    assert any("rootdir" in t and "--gate-report=DIR" in t for t in texts), texts
    # The gate itself was still found and judged under the project's own id.
    assert [g["id"] for g in report["gates"]] == ["suites/test_w.py::test_gate"]
    assert (report["inventory"]["missing"], report["inventory"]["unlisted"]) == ([], [])
    # Written with '=', the value never reaches pytest's rootdir search.
    result = project.pytester.runpytest_subprocess(f"--gate-report={outside}")
    report = json.loads((outside / "report.json").read_text())
    assert not any("rootdir" in r["message"] for r in report["verdict"]["reasons"])
    assert (report["verdict"]["decision"], result.ret) == ("NO-GO", pytest.ExitCode.TESTS_FAILED)
