"""The pure modules on their own: config errors, classification, phase folding."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_castmatch import inventory, project, sut
from pytest_castmatch.classify import GateInfo, classify
from pytest_castmatch.config import ConfigError, load_gates, load_waivers
from pytest_castmatch.model import GateResult, Outcome, Priority, Sample, Scope
from pytest_castmatch.outcomes import PhaseLog
from pytest_castmatch.verdict import RunFacts, judge

ROOT = Path(__file__).resolve().parents[2]
INFO = GateInfo("suites/test_x.py::test_y", Priority.P0, "devops", "suites/test_x.py:3")


def test_the_shipped_gates_file_declares_twelve_teams_and_seven_launch_metrics() -> None:
    config = load_gates(ROOT / "baselines" / "gates.toml")
    assert len(config.owners) == 12
    assert sorted(m.name for m in config.launch_metrics) == [
        "api_p99_ms", "availability_percent", "concurrent_users", "lighthouse_score",
        "ml_inference_p99_ms", "security_high_findings", "wcag_aaa_violations",
    ]
    assert all(m.priority is Priority.P0 for m in config.launch_metrics)
    assert load_waivers(ROOT / "baselines" / "waivers.toml", config) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("schema = 1\n[owners.a]\ntitle = 'A'\n[metrics.m]\nowner = 'a'\npriority = 'p0'\n",
         "gates.toml:4: [metrics.m] max: a metric needs a threshold — add max = ... or min = ..."),
        ("schema = 1\n[owners.a]\ntitle = 'A'\n[metrics.m]\nowner = 'a'\npriority = 'p4'\nmax = 1\n",
         "gates.toml:6: [metrics.m] priority: unknown priority 'p4' — use \"p0\", \"p1\" or \"p2\""),
        ("schema = 1\n[owners.a]\ntitle = 'A'\n[metrics.m]\nowner = 'a'\npriority = 'p0'\nmaxx = 1\n",
         "gates.toml:7: [metrics.m] maxx: unknown key — did you mean 'max'?"),
        ("schema = 1\n[owners.a]\ntitle = 'A'\n[metrics.m]\nowner = 'a'\npriority = 'p0'\nmax = '200'\n",
         "gates.toml:7: [metrics.m] max: expected a number, got '200' — write max = 200"),
        ("schema = 1\n[owners.a]\ntitle = 'A'\n[metrics.m]\nowner = 'a'\npriority = 'p0'\nmax = 1\nmin_samples = 0\n",
         "gates.toml:8: [metrics.m] min_samples: expected a whole number of at least 1, got 0 — write min_samples"),
        ("schema = 2\n", "gates.toml:1: [top level] schema: unsupported schema 2 — this plugin reads schema = 1"),
        ("schema = 1\n",
         "gates.toml:1: [top level] owners: no owners declared — add at least one [owners.<team>] table"),
        ("schema = 1\n[owners.Bad_Team]\ntitle = 'x'\n", "gates.toml:2: [owners.Bad_Team] Bad_Team: owner ids are"),
    ],
)
def test_config_errors_name_file_line_and_fix(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "gates.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_gates(path)
    assert message in str(err.value)
    assert str(err.value).startswith(str(path))


def test_waiver_errors_name_the_waiver_line(tmp_path: Path) -> None:
    config = load_gates(ROOT / "baselines" / "gates.toml")
    path = tmp_path / "waivers.toml"
    path.write_text('# header\n\n[[waiver]]\ntarget = "x"\nowner = "devops"\nreason = "r"\napproved_by = "a"\n'
                    'expires = "soon"\n')
    with pytest.raises(ConfigError, match=r"waivers.toml:8: \[top level\] expires: expected a date, got 'soon'"):
        load_waivers(path, config)


def test_classify_accepts_one_priority_and_a_known_owner() -> None:
    found = classify("t::x", "t.py:1", [("p1", ()), ("owner", ("devops",)), ("parametrize", ())], ["devops"])
    assert found == GateInfo("t::x", Priority.P1, "devops", "t.py:1")


def test_repeating_the_same_priority_at_two_levels_is_one_priority() -> None:
    found = classify("t::x", "t.py:1", [("p1", ()), ("p1", ()), ("owner", ("devops",))], ["devops"])
    assert isinstance(found, GateInfo)


def _log(*phases: tuple[str, str, bool]) -> PhaseLog:
    log = PhaseLog()
    for when, outcome, wasxfail in phases:
        log.add(when=when, outcome=outcome, wasxfail=wasxfail, message=f"{when} {outcome}", duration=0.1, data=None)
    return log


@pytest.mark.parametrize(
    ("phases", "expected"),
    [
        ((("setup", "passed", False), ("call", "passed", False), ("teardown", "passed", False)), Outcome.PASSED),
        ((("setup", "passed", False), ("call", "passed", False)), Outcome.NOT_RUN),
        ((("setup", "failed", False), ("teardown", "passed", False)), Outcome.ERROR),
        ((("setup", "skipped", False), ("teardown", "passed", False)), Outcome.SKIPPED),
        ((("setup", "passed", False), ("call", "skipped", True), ("teardown", "passed", False)), Outcome.XFAILED),
        ((("setup", "passed", False), ("call", "passed", True), ("teardown", "passed", False)), Outcome.XPASSED),
        ((("setup", "passed", False), ("call", "passed", False), ("teardown", "failed", False)), Outcome.ERROR),
        ((("setup", "passed", False), ("call", "failed", False), ("teardown", "failed", False)), Outcome.FAILED),
        ((("setup", "passed", False), ("call", "rerun", False), ("setup", "passed", False),
          ("call", "passed", False), ("teardown", "passed", False)), Outcome.FLAKY),
        ((("???", "failed", False),), Outcome.CRASHED),
        ((), Outcome.NOT_RUN),
    ],
)
def test_phases_fold_to_one_outcome_and_only_a_clean_run_passes(
    phases: tuple[tuple[str, str, bool], ...], expected: Outcome
) -> None:
    assert _log(*phases).result(INFO, interrupted=False).outcome is expected


def test_an_unfinished_gate_in_an_interrupted_run_is_interrupted() -> None:
    log = _log(("setup", "passed", False))
    assert log.result(INFO, interrupted=True).outcome is Outcome.INTERRUPTED


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# header\np0 devops\n", "gates.lock:2: expected 'priority owner gate-id', got 'p0 devops'"),
        ("p4 devops suites/t.py::t\n", "gates.lock:1: unknown priority 'p4' — use p0, p1 or p2"),
        ("p0 devops suites/t.py::t\np1 devops suites/t.py::t\n", "gates.lock:2: suites/t.py::t is listed twice"),
    ],
)
def test_inventory_errors_name_file_line_and_fix(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "gates.lock"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        inventory.load(path)
    assert message in str(err.value)
    assert "castmatch-gate lock" in str(err.value)


def test_inventory_round_trips_and_keeps_spaces_in_parametrized_ids(tmp_path: Path) -> None:
    gates = [GateInfo("suites/t.py::test_x[a b]", Priority.P1, "devops", "suites/t.py:3"), INFO]
    path = tmp_path / "gates.lock"
    path.write_text(inventory.render(gates))
    assert inventory.load(path) == {e.id: e for e in inventory.entries_of(gates)}
    assert inventory.load(tmp_path / "absent.lock") is None
    assert inventory.lock_path(tmp_path / "gates.toml") == tmp_path / "gates.lock"


def test_a_negative_measurement_is_invalid_and_never_meets_its_threshold() -> None:
    config = load_gates(ROOT / "baselines" / "gates.toml")
    gate = GateResult("suites/t.py::t", Priority.P0, "backend-api", Outcome.PASSED,
                      samples=(Sample("api_p99_ms", -5.0),))
    judgement = judge(config, [gate], RunFacts(scope=Scope(full=False)))
    assert [row["status"] for row in judgement.metric_rows] == ["invalid"]
    assert {row.metric: row.status for row in judgement.launch_metrics}["api_p99_ms"] == "not-in-scope"
    assert any("cannot be negative" in r.message for r in judgement.verdict.blockers)


def test_waiver_policy_reads_approvers_and_max_days(tmp_path: Path) -> None:
    path = tmp_path / "gates.toml"
    base = "schema = 1\n[owners.a]\ntitle = 'A'\n[owners.b]\ntitle = 'B'\n[waivers]\n"
    path.write_text(base + "approvers = ['b']\nmax_days = 30\n")
    config = load_gates(path)
    assert (config.waiver_approvers, config.waiver_max_days) == (("b",), 30)
    path.write_text(base + "approvers = ['c']\n")
    with pytest.raises(ConfigError, match=r"gates.toml:\d+: \[waivers\] approvers: unknown team 'c'"):
        load_gates(path)


def test_a_passed_gate_holding_a_failing_finding_is_failed() -> None:
    log = _log(("setup", "passed", False), ("call", "passed", False))
    log.add(when="teardown", outcome="passed", wasxfail=False, message="", duration=0.1,
            data={"findings": [{"rule": "late", "message": "m", "severity": "Critical"}]})
    result = log.result(INFO, interrupted=False)
    assert result.outcome is Outcome.FAILED
    assert result.message == "1 finding(s) of high or critical severity were recorded"


def test_the_project_is_the_ini_files_folder_whatever_rootdir_pytest_chose(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    (proj / "sub").mkdir(parents=True)
    (proj / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    assert project.locate(proj / "pyproject.toml", tmp_path, proj / "sub") == (proj, "")
    base, problem = project.locate(None, tmp_path, proj / "sub")
    assert base == proj
    assert f"pytest took {tmp_path} as its rootdir" in problem
    assert "--gate-report=DIR" in problem
    assert project.locate(Path("/dev/null"), proj, proj) == (proj, "")
    (proj / "pyproject.toml").write_text("[project]\nname = 'x'\n")  # not pytest's configuration
    assert project.find_ini(proj) != proj / "pyproject.toml"
    assert project.rebase("proj/suites/t.py::test[a::b]", proj / "suites" / "t.py", proj, tmp_path) == (
        "suites/t.py::test[a::b]")


def test_shard_checks_combine_into_one_and_an_unchecked_shard_leaves_it_unchecked() -> None:
    listed = {e.id: e for e in inventory.entries_of([INFO, GateInfo("suites/t.py::u", Priority.P1, "devops", "")])}
    checks = [inventory.compare(listed, [], inventory.Selection(shard=(k, 2)), file="gates.lock") for k in (1, 2)]
    combined = inventory.combine(inventory.InventoryCheck.from_json(c.to_json()) for c in checks)
    assert combined is not None
    assert (combined.in_scope, sorted(m.id for m in combined.missing)) == (2, sorted(listed))
    assert inventory.combine([checks[0], None]) is None


def test_headless_runs_drive_the_headless_shell_and_headed_runs_the_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    installed = {"chromium": "/usr/bin/chromium", "chromium-headless-shell": "/usr/bin/chromium-headless-shell"}
    monkeypatch.setattr("shutil.which", installed.get)
    assert sut.chromium_launch_args({})["executable_path"] == "/usr/bin/chromium-headless-shell"
    assert sut.chromium_launch_args({"headless": False})["executable_path"] == "/usr/bin/chromium"
    shell = sut.chromium_launch_args({})
    assert sut.chromium_launch_args(shell, headless_shell=False)["executable_path"] == "/usr/bin/chromium"
    assert sut.chromium_launch_args({}, "/opt/chrome")["executable_path"] == "/opt/chrome"
    assert sut.find_chromium() == "/usr/bin/chromium"  # Lighthouse: the full browser
    del installed["chromium-headless-shell"]
    assert sut.chromium_launch_args({})["executable_path"] == "/usr/bin/chromium"
