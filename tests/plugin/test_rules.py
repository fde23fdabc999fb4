"""Each fail-closed rule of the verdict, through real pytest runs of a throwaway project.

None of the fault cases may end GO; the exit status must agree with the verdict.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest

from tests.plugin.conftest import GateProject

#: An expiry a waiver may have: within the default 90 days.
SOON = (dt.date.today() + dt.timedelta(days=30)).isoformat()

PASSING_P0 = """
    import pytest

    @pytest.mark.p0
    @pytest.mark.owner("backend-api")
    def test_api(gate):
        gate.metric("api_p99_ms", 120.0)
"""


def _kinds(project: GateProject) -> set[tuple[str, str]]:
    return {(r["kind"], r["subject"].split("::")[-1]) for r in project.blockers()}


def test_all_pass_in_a_scoped_run_is_go_for_that_scope(project: GateProject) -> None:
    project.suite("test_api", PASSING_P0)
    result = project.run("-m", "p0")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*castmatch gate: GO for this scope*", "GO for this scope  (selection: -m 'p0'*"])
    report = project.report()
    assert report["verdict"]["decision"] == "GO"
    assert report["verdict"]["launch"] is False
    assert report["scope"]["full"] is False


def test_full_run_names_every_reason_it_is_not_launch_ready(project: GateProject) -> None:
    project.suite("test_api", PASSING_P0)
    result = project.run()
    result.assert_outcomes(passed=1)
    # Every test passed, yet an unsigned full run cannot be GO for launch: exit non-zero.
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert project.report()["scope"]["full"] is True
    assert _kinds(project) == {("run", "signature")}


@pytest.mark.parametrize(
    ("body", "outcome"),
    [
        ('pytest.skip("engine missing")', "skipped"),
        ("assert False, 'boom'", "failed"),
        ('pytest.xfail("known bug")', "xfailed"),
    ],
)
def test_a_p0_that_does_not_pass_blocks(project: GateProject, body: str, outcome: str) -> None:
    project.suite("test_p0", f"""
        import pytest

        @pytest.mark.p0
        @pytest.mark.owner("devops")
        def test_gate():
            {body}
    """)
    result = project.run("-m", "p0")
    assert result.ret != 0
    assert project.outcomes() == {"test_gate": outcome}
    assert ("gate", "test_gate") in _kinds(project)
    assert project.report()["verdict"]["decision"] == "NO-GO"


def test_an_error_in_a_fixture_blocks(project: GateProject) -> None:
    project.suite("test_fixture", """
        import pytest

        @pytest.fixture
        def browser():
            raise RuntimeError("no browser could start")

        @pytest.mark.p1
        @pytest.mark.owner("devops")
        def test_gate(browser):
            pass
    """)
    result = project.run("-m", "p1")
    assert result.ret != 0
    assert project.outcomes() == {"test_gate": "error"}
    assert "no browser could start" in project.blockers()[0]["message"]


def test_a_failing_teardown_turns_a_pass_into_an_error(project: GateProject) -> None:
    project.suite("test_teardown", """
        import pytest

        @pytest.fixture
        def server():
            yield
            raise RuntimeError("server did not stop")

        @pytest.mark.p0
        @pytest.mark.owner("devops")
        def test_gate(server):
            pass
    """)
    project.run("-m", "p0")
    assert project.outcomes() == {"test_gate": "error"}


def test_a_p2_failure_is_advisory(project: GateProject) -> None:
    project.suite("test_mixed", PASSING_P0 + """
    @pytest.mark.p2
    @pytest.mark.owner("frontend-ui")
    def test_nice_to_have():
        assert False
    """)
    result = project.run("-m", "p0 or p2")
    result.assert_outcomes(passed=1, failed=1)
    # Exit status is the verdict: the advisory failure does not fail the run.
    assert result.ret == 0
    reasons = project.report()["verdict"]["reasons"]
    assert [r["blocking"] for r in reasons if r["subject"].endswith("test_nice_to_have")] == [False]


def test_keyboard_interrupt_is_never_go(project: GateProject) -> None:
    project.suite("test_interrupt", """
        import pytest

        @pytest.mark.p0
        @pytest.mark.owner("devops")
        def test_first():
            raise KeyboardInterrupt

        @pytest.mark.p0
        @pytest.mark.owner("devops")
        def test_second():
            pass
    """)
    result = project.run("-m", "p0", no_reraise_ctrlc=True)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    report = project.report()
    assert report["verdict"]["decision"] == "NO-GO"
    assert report["run"]["interrupted"] is True
    assert project.outcomes()["test_second"] in {"interrupted", "not-run"}


def test_maxfail_leaves_gates_not_run_and_they_block(project: GateProject) -> None:
    project.suite("test_stop", """
        import pytest

        @pytest.mark.p0
        @pytest.mark.owner("devops")
        def test_a():
            assert False

        @pytest.mark.p0
        @pytest.mark.owner("devops")
        def test_b():
            pass
    """)
    project.run("-m", "p0", "-x")
    assert project.outcomes() == {"test_a": "failed", "test_b": "not-run"}
    assert ("gate", "test_b") in _kinds(project)


def test_a_worker_killed_mid_test_blocks_under_xdist(project: GateProject) -> None:
    project.suite("test_crash", """
        import os
        import pytest

        @pytest.mark.p0
        @pytest.mark.owner("devops")
        def test_crashes():
            os._exit(1)

        @pytest.mark.p0
        @pytest.mark.owner("devops")
        @pytest.mark.parametrize("n", range(4))
        def test_fine(n):
            pass
    """)
    project.lock()
    result = project.pytester.runpytest_subprocess("-n", "2", "-m", "p0")
    assert result.ret != 0
    outcomes = project.outcomes()
    assert outcomes["test_crashes"] == "crashed"
    assert project.report()["verdict"]["decision"] == "NO-GO"
    assert project.report()["run"]["complete"] is False


def test_an_expired_waiver_blocks_and_a_live_one_applies(project: GateProject) -> None:
    project.suite("test_w", """
        import pytest

        @pytest.mark.p0
        @pytest.mark.owner("devops")
        def test_old():
            assert False

        @pytest.mark.p0
        @pytest.mark.owner("devops")
        def test_new():
            assert False
    """)
    project.waivers("""
        [[waiver]]
        target = "suites/test_w.py::test_old"
        owner = "devops"
        reason = "vendor fix pending"
        approved_by = "release-owner"
        expires = 2000-01-01

        [[waiver]]
        target = "suites/test_w.py::test_new"
        owner = "devops"
        reason = "vendor fix pending"
        approved_by = "devops"
        expires = {SOON}
    """.replace("{SOON}", SOON))
    project.run("-m", "p0")
    report = project.report()
    statuses = {w["target"].split("::")[-1]: w["status"] for w in report["waivers"]}
    assert statuses == {"test_old": "expired", "test_new": "applied"}
    assert {("waiver", "test_old"), ("gate", "test_old")} <= _kinds(project)
    assert ("gate", "test_new") not in _kinds(project)
    assert report["verdict"]["decision"] == "NO-GO"


def test_a_waiver_for_no_gate_blocks_the_full_run(project: GateProject) -> None:
    project.suite("test_api", PASSING_P0)
    project.waivers("""
        [[waiver]]
        target = "suites/test_gone.py::test_removed"
        owner = "devops"
        reason = "stale"
        approved_by = "release-owner"
        expires = 2999-01-01
    """)
    project.run()
    assert ("waiver", "test_removed") in _kinds(project)
    assert project.report()["waivers"][0]["status"] == "dangling"


def test_a_waiver_by_the_wrong_team_does_not_apply(project: GateProject) -> None:
    project.suite("test_w", """
        import pytest

        @pytest.mark.p0
        @pytest.mark.owner("devops")
        def test_gate():
            assert False
    """)
    project.waivers("""
        [[waiver]]
        target = "suites/test_w.py::test_gate"
        owner = "frontend-ui"
        reason = "not ours to waive"
        approved_by = "someone"
        expires = 2999-01-01
    """)
    project.run("-m", "p0")
    assert {("waiver", "test_gate"), ("gate", "test_gate")} <= _kinds(project)


def test_a_missing_launch_metric_blocks_the_full_run(project: GateProject) -> None:
    project.suite("test_nometric", """
        import pytest

        @pytest.mark.p0
        @pytest.mark.owner("backend-api")
        def test_api():
            pass
    """)
    project.run()
    assert ("metric", "metric:api_p99_ms") in _kinds(project)
    row = project.report()["launch_metrics"][0]
    assert (row["metric"], row["status"]) == ("api_p99_ms", "not-measured")


def test_a_metric_over_its_threshold_fails_the_gate_and_blocks(project: GateProject) -> None:
    project.suite("test_slow", """
        import pytest

        @pytest.mark.p0
        @pytest.mark.owner("backend-api")
        def test_api(gate):
            gate.metric("api_p99_ms", 250.0, labels={"endpoint": "/search"})
            gate.metric("api_p99_ms", 90.0, labels={"endpoint": "/talent"})
    """)
    result = project.run("-m", "p0")
    result.stdout.fnmatch_lines(["*api_p99_ms [[]endpoint=/search[]] = 250 ms, needs <= 200 ms*"])
    assert project.outcomes() == {"test_api": "failed"}
    row = project.report()["launch_metrics"][0]
    assert (row["status"], row["value"]) == ("missed", 250.0)
    assert ("metric", "metric:api_p99_ms") in _kinds(project)


def test_a_percentile_over_no_successful_answer_is_not_measured_and_blocks(project: GateProject) -> None:
    # A fast p99 over 200 answers that all failed: the measurement of a failure, never a pass.
    project.suite("test_fast_errors", """
        import pytest

        @pytest.mark.p0
        @pytest.mark.owner("backend-api")
        def test_api(gate):
            gate.metric("api_p99_ms", 6.0, samples=200, successes=0)
    """)
    result = project.pytester.runpytest("-m", "p0")
    result.stdout.fnmatch_lines(["*api_p99_ms was not measured: none of its 200 samples succeeded*"])
    assert project.outcomes() == {"test_api": "failed"}
    row = project.report()["launch_metrics"][0]
    assert (row["status"], row["value"], row["samples"], row["successes"]) == ("not-measured", None, 200, 0)
    assert ("metric", "metric:api_p99_ms") in _kinds(project)
    assert result.ret != 0


def test_a_figure_marked_not_measured_says_why_and_keeps_no_value(project: GateProject) -> None:
    project.suite("test_window", """
        import pytest

        @pytest.mark.p0
        @pytest.mark.owner("backend-api")
        def test_api(gate):
            gate.metric("api_p99_ms", 6.0, samples=500, successes=450, not_measured="50 of 500 requests failed")
    """)
    project.pytester.runpytest("-m", "p0")
    report = project.report()
    (sample,) = report["gates"][0]["metrics"]
    assert (sample["value"], sample["samples"], sample["successes"]) == (None, 500, 450)
    assert report["metrics"][0]["status"] == "not-measured"
    reason = next(r for r in project.blockers() if r["subject"] == "metric:api_p99_ms")
    assert "was not measured (50 of 500 requests failed)" in reason["message"]


def test_min_samples_in_gates_toml_decides_when_a_value_is_measured(project: GateProject) -> None:
    config = project.root / "baselines" / "gates.toml"
    config.write_text(config.read_text().replace("launch = true\n", "launch = true\nmin_samples = 100\n", 1))
    project.suite("test_counts", """
        import pytest

        @pytest.mark.p0
        @pytest.mark.owner("backend-api")
        @pytest.mark.parametrize("n", [99, 100])
        def test_api(gate, n):
            gate.metric("api_p99_ms", 50.0, samples=n, labels={"n": str(n)})
    """)
    result = project.pytester.runpytest("-m", "p0")
    result.stdout.fnmatch_lines(["*99 valid samples, fewer than the 100 it needs*min_samples*"])
    assert project.outcomes() == {"test_api[99]": "failed", "test_api[100]": "passed"}
    statuses = {r["labels"]["n"]: r["status"] for r in project.report()["metrics"]}
    assert statuses == {"99": "not-measured", "100": "met"}
    assert project.report()["launch_metrics"][0]["status"] == "not-measured"


def test_an_undeclared_metric_fails_with_the_fix(project: GateProject) -> None:
    project.suite("test_typo", """
        import pytest

        @pytest.mark.p1
        @pytest.mark.owner("backend-api")
        def test_api(gate):
            gate.metric("api_p99", 120.0)
    """)
    result = project.run("-m", "p1")
    result.stdout.fnmatch_lines(["*metric 'api_p99' is not declared in gates.toml — add [[]metrics.api_p99[]]*"])
    assert project.report()["verdict"]["decision"] == "NO-GO"


def test_an_empty_selection_decides_nothing(project: GateProject) -> None:
    project.suite("test_api", PASSING_P0)
    result = project.run("-m", "p2")
    assert result.ret != 0
    assert ("run", "scope") in _kinds(project)


def test_owner_selection_scopes_the_run(project: GateProject) -> None:
    project.suite("test_two", PASSING_P0 + """
    @pytest.mark.p0
    @pytest.mark.owner("devops")
    def test_ops():
        assert False
    """)
    result = project.run("--owner", "backend-api")
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    scope = project.report()["scope"]
    assert (scope["full"], scope["owners"]) == (False, ["backend-api"])


def test_an_unknown_owner_option_is_a_usage_error_with_a_suggestion(project: GateProject) -> None:
    project.suite("test_api", PASSING_P0)
    result = project.run("--owner", "backend-apy")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--owner backend-apy: unknown team — did you mean 'backend-api'?*"])


def test_shards_split_the_gates_and_are_scoped(project: GateProject) -> None:
    project.suite("test_many", """
        import pytest

        @pytest.mark.p0
        @pytest.mark.owner("devops")
        @pytest.mark.parametrize("n", range(10))
        def test_n(n):
            pass
    """)
    seen: set[str] = set()
    for k in (1, 2):
        result = project.run("--gate-shard", f"{k}/2")
        report = project.report()
        assert report["run"]["shard"] == f"{k}/2"
        assert report["scope"]["full"] is False
        ids = {g["id"] for g in report["gates"]}
        assert not ids & seen
        seen |= ids
        assert result.ret == 0
    assert len(seen) == 10


def test_a_bad_shard_is_a_usage_error(project: GateProject) -> None:
    project.suite("test_api", PASSING_P0)
    result = project.run("--gate-shard", "3/2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--gate-shard '3/2': K must be between 1 and N*"])


def test_a_path_selection_is_a_scope(project: GateProject) -> None:
    project.suite("test_api", PASSING_P0)
    project.suite("test_other", PASSING_P0.replace("test_api", "test_other"))
    result = project.run("suites/test_api.py")
    assert result.ret == 0
    assert project.report()["scope"]["paths"] == ["suites/test_api.py"]


def test_a_failing_non_gate_test_keeps_the_run_red(project: GateProject) -> None:
    project.suite("test_api", PASSING_P0)
    project.pytester.makepyfile(test_plain="def test_plain():\n    assert False\n")
    result = project.run("-m", "p0 or not p0", "suites", "test_plain.py")
    assert project.report()["verdict"]["decision"] == "GO"
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_only_a_full_complete_signed_run_is_go_for_launch(project: GateProject, signing_key: Path) -> None:
    from pytest_castmatch.cli import main

    project.suite("test_api", PASSING_P0)
    result = project.run()
    assert result.ret == 0
    report = project.report()
    assert (report["verdict"]["label"], report["signed"]) == ("GO for launch", True)
    assert (project.root / "gate-report" / "report.dsse.json").exists()
    verify = main(["verify", str(project.root / "gate-report" / "report.dsse.json"), "--key", f"{signing_key}.pub"])
    assert verify == 0


def test_a_broken_signing_key_stops_the_run_without_showing_the_key(
    project: GateProject, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXNlY3JldA==\n-----END PRIVATE KEY-----\n"
    monkeypatch.setenv("CASTMATCH_SIGNING_KEY", fake)
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # where the run would make its folder
    project.suite("test_api", PASSING_P0)
    result = project.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*castmatch: CASTMATCH_SIGNING_KEY:*"])
    assert "c2VjcmV0LXNlY3JldA" not in result.stdout.str() + result.stderr.str()
    assert list(temp.iterdir()) == []  # the run stopped before it began: no run folder left behind


def test_a_broken_signers_file_stops_the_run_and_leaves_no_run_folder(
    project: GateProject, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    signers = project.root / "baselines" / "signers"
    signers.mkdir()
    (signers / "signers.toml").write_text("this is [not toml\n")
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    project.suite("test_api", PASSING_P0)
    result = project.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*signers.toml*"])
    assert list(temp.iterdir()) == []
