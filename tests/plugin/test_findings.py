"""Findings fail their gate whatever the spelling of their severity and whenever they are recorded."""

from __future__ import annotations

import pytest

from pytest_castmatch.model import Finding, Severity
from tests.plugin.conftest import GateProject


def _reasons(project: GateProject) -> list[str]:
    return [f"{r['kind']} {r['subject']} {r['message']}" for r in project.blockers()]


@pytest.mark.parametrize("severity", ["HIGH", "Critical", "serious", "blocker", "error"])
def test_every_spelling_of_a_failing_severity_fails_the_gate(project: GateProject, severity: str) -> None:
    project.suite("test_sev", f"""
        import pytest
        from pytest_castmatch import Finding

        @pytest.mark.p0
        @pytest.mark.owner("devops")
        def test_gate(gate):
            gate.check([Finding("rule-x", "something is wrong", severity={severity!r})])
    """)
    result = project.run("-m", "p0")
    assert result.ret != 0
    assert project.outcomes() == {"test_gate": "failed"}
    assert project.report()["verdict"]["decision"] == "NO-GO"
    assert any("test_gate" in r and "rule-x" in r for r in _reasons(project)), _reasons(project)
    finding = project.report()["gates"][0]["findings"][0]
    assert finding["severity"] == Severity.parse(severity).value


def test_an_unknown_severity_is_an_error_naming_the_gate(project: GateProject) -> None:
    project.suite("test_sev", """
        import pytest
        from pytest_castmatch import Finding

        @pytest.mark.p0
        @pytest.mark.owner("devops")
        def test_gate(gate):
            gate.check([Finding("rule-x", "something is wrong", severity="severe")])
    """)
    result = project.run("-m", "p0")
    assert result.ret != 0
    assert project.report()["verdict"]["decision"] == "NO-GO"
    assert any("test_gate" in r and "unknown severity 'severe'" in r for r in _reasons(project)), _reasons(project)


def test_a_finding_recorded_in_a_fixture_teardown_fails_its_gate(project: GateProject) -> None:
    project.suite("test_teardown", """
        import pytest
        from pytest_castmatch import Finding

        @pytest.fixture
        def audited(gate):
            yield
            gate.check([Finding("late-audit", "found only once the page closed", severity="critical")])

        @pytest.mark.p0
        @pytest.mark.owner("devops")
        def test_gate(audited):
            pass
    """)
    result = project.run("-m", "p0")
    assert result.ret != 0
    assert project.outcomes() == {"test_gate": "error"}
    result.stdout.fnmatch_lines(["*castmatch: recorded in teardown: 1 problem(s): [[]late-audit[]]*"])
    assert any("test_gate" in r and "late-audit" in r for r in _reasons(project)), _reasons(project)


def test_a_finding_recorded_in_a_fixture_setup_fails_its_gate(project: GateProject) -> None:
    project.suite("test_setup", """
        import pytest
        from pytest_castmatch import Finding

        @pytest.fixture
        def audited(gate):
            gate.check([Finding("early-audit", "found while loading", severity="high")])

        @pytest.mark.p1
        @pytest.mark.owner("devops")
        def test_gate(audited):
            pass
    """)
    result = project.run("-m", "p1")
    assert result.ret != 0
    assert project.outcomes() == {"test_gate": "failed"}


REVIEW = """
    import pytest
    from pytest_castmatch import Finding

    @pytest.mark.{priority}
    @pytest.mark.owner("devops")
    def test_gate(gate):
        gate.check([Finding("axe/color-contrast", "contrast over a background image", severity="incomplete"),
                    Finding("axe/color-contrast", "contrast over a gradient", severity="needs-review")])
"""


def test_findings_that_need_review_block_a_p0_gate(project: GateProject) -> None:
    project.suite("test_review", REVIEW.replace("{priority}", "p0"))
    result = project.run("-m", "p0")
    assert result.ret != 0
    report = project.report()
    assert project.outcomes() == {"test_gate": "passed"}
    assert report["findings"] == {"violations": 0, "review": 2, "other": 0}
    assert [(r["kind"], r["message"].split(" —")[0]) for r in project.blockers()] == [
        ("review", "2 finding(s) need review")]


def test_findings_that_need_review_on_a_p2_gate_are_advisory(project: GateProject) -> None:
    project.suite("test_review", REVIEW.replace("{priority}", "p2"))
    result = project.run("-m", "p2")
    assert result.ret == 0
    reasons = project.report()["verdict"]["reasons"]
    assert [(r["kind"], r["blocking"]) for r in reasons] == [("review", False)]


def test_severity_names_parse_through_one_table() -> None:
    assert Finding("r", "m").severity is Severity.HIGH
    assert Finding("r", "m", severity="Moderate").severity is Severity.MEDIUM
    assert Finding("r", "m", severity="INFO").to_json()["severity"] == "note"
    assert Finding("r", "m", severity="error").severity == "error"  # still reads as before
    assert [s for s in Severity if s.fails] == [Severity.CRITICAL, Severity.HIGH]
    assert Finding.from_json(Finding("r", "m", severity="minor").to_json()) == Finding("r", "m", severity="low")
    with pytest.raises(ValueError, match=r"finding \[r\]: unknown severity ' high'"):
        Finding("r", "m", severity=" high")


@pytest.mark.parametrize(("mark", "outcome"), [("", "failed"), ("@pytest.mark.xfail(reason='known')", "xfailed")])
def test_a_finding_recorded_in_the_call_fails_the_call_as_a_raise_there_would(
    project: GateProject, mark: str, outcome: str
) -> None:
    """The check runs once the test function returned, inside the call phase: an expected failure
    (xfail) takes it as it takes a raise, and teardown still passes."""
    project.suite("test_call", f"""
        import pytest
        from pytest_castmatch import Finding

        @pytest.mark.p0
        @pytest.mark.owner("devops")
        {mark}
        def test_gate(gate):
            gate.check([Finding("rule-x", "something is wrong", severity="high")])
    """)
    result = project.run("-m", "p0", "-rA")
    assert project.outcomes() == {"test_gate": outcome}
    assert project.report()["verdict"]["decision"] == "NO-GO"
    assert "recorded in teardown" not in result.stdout.str()
