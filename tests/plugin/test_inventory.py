"""The gate inventory: a run that lost a listed gate, on any path, is never GO.

Each case locks the suites first (as a team does when it commits them), then hollows the
run out the way a project could by accident or on purpose, and checks the run says NO-GO,
exits non-zero and names the gate and how it vanished.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from pytest_castmatch.cli import main
from tests.plugin.conftest import GateProject

GOOD = textwrap.dedent("""
    import pytest

    @pytest.mark.p0
    @pytest.mark.owner("devops")
    def test_good():
        pass
""")

BAD = textwrap.dedent("""
    import pytest

    @pytest.mark.p0
    @pytest.mark.owner("devops")
    def test_bad():
        assert False, "the gate that would block"
""")


def _blocked(project: GateProject, result: pytest.RunResult, gate: str, *words: str) -> dict[str, Any]:
    """The run is NO-GO, exits non-zero, and a blocker names ``gate`` with each of ``words``."""
    report = project.report()
    assert report["verdict"]["decision"] == "NO-GO"
    assert result.ret != 0
    texts = [f"{r['subject']} {r['message']}" for r in project.blockers()]
    assert any(gate in t and all(w in t for w in words) for t in texts), texts
    return report


@pytest.fixture
def locked(project: GateProject) -> GateProject:
    """A project with a passing and a failing P0 gate, in two modules, locked."""
    project.suite("test_good", GOOD)
    project.suite("test_bad", BAD)
    assert project.lock().ret == 0
    return project


def test_the_lock_lists_each_gate_sorted_and_is_the_same_bytes_twice(locked: GateProject) -> None:
    path = locked.root / "baselines" / "gates.lock"
    first = path.read_bytes()
    assert [line for line in first.decode().splitlines() if not line.startswith("#")] == [
        "p0 devops suites/test_bad.py::test_bad",
        "p0 devops suites/test_good.py::test_good",
    ]
    assert locked.lock().ret == 0
    assert path.read_bytes() == first


def test_collect_ignore_in_a_suites_conftest_blocks(locked: GateProject) -> None:
    (locked.root / "suites" / "conftest.py").write_text('collect_ignore = ["test_bad.py"]\n')
    result = locked.pytester.runpytest()
    _blocked(locked, result, "test_bad.py::test_bad", "ignored at collection")


def test_a_hook_that_drops_items_blocks(locked: GateProject) -> None:
    (locked.root / "suites" / "conftest.py").write_text(
        "def pytest_collection_modifyitems(items):\n"
        "    items[:] = [i for i in items if 'bad' not in i.nodeid]\n"
    )
    result = locked.pytester.runpytest()
    _blocked(locked, result, "test_bad.py::test_bad", "dropped", "pytest_collection_modifyitems")


def test_a_hook_that_deselects_items_blocks(locked: GateProject) -> None:
    (locked.root / "suites" / "conftest.py").write_text(
        "def pytest_collection_modifyitems(config, items):\n"
        "    bad = [i for i in items if 'bad' in i.nodeid]\n"
        "    config.hook.pytest_deselected(items=bad)\n"
        "    items[:] = [i for i in items if i not in bad]\n"
    )
    result = locked.pytester.runpytest()
    _blocked(locked, result, "test_bad.py::test_bad", "deselected by a plugin or hook")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('pytest.importorskip("castmatch_no_such_module")', "castmatch_no_such_module"),
        ('pytest.skip("flaky today", allow_module_level=True)', "flaky today"),
    ],
)
def test_a_gate_module_skipped_at_collection_blocks(locked: GateProject, line: str, reason: str) -> None:
    path = locked.root / "suites" / "test_bad.py"
    path.write_text(f"import pytest\n{line}\n" + path.read_text())
    result = locked.pytester.runpytest()
    report = _blocked(locked, result, "suites/test_bad.py", "skipped at collection", reason)
    assert ("collection", "suites/test_bad.py") in {(r["kind"], r["subject"]) for r in report["verdict"]["reasons"]}
    _blocked(locked, result, "test_bad.py::test_bad", "skipped at collection", reason)


def test_last_failed_after_another_gate_broke_blocks(locked: GateProject) -> None:
    locked.suite("test_more", GOOD.replace("test_good", "test_other"))
    assert locked.lock().ret == 0
    assert locked.pytester.runpytest().ret != 0  # test_bad fails: the cache remembers it
    bad = locked.root / "suites" / "test_bad.py"
    bad.write_text(bad.read_text().replace('assert False, "the gate that would block"', "pass"))
    locked.suite("test_good", BAD.replace("test_bad", "test_good"))  # another gate broke since
    result = locked.pytester.runpytest("--lf")
    _blocked(locked, result, "test_good.py::test_good", "--lf")
    _blocked(locked, result, "test_more.py::test_other", "--lf")


def test_an_ini_override_of_the_suite_roots_blocks(project: GateProject) -> None:
    (project.root / "suites" / "core").mkdir()
    (project.root / "suites" / "other").mkdir()
    (project.root / "suites" / "core" / "test_good.py").write_text(GOOD)
    (project.root / "suites" / "other" / "test_bad.py").write_text(BAD)
    assert project.lock().ret == 0
    result = project.pytester.runpytest("-o", "castmatch_suites=suites/core", "suites/core")
    _blocked(project, result, "suites/other/test_bad.py::test_bad", "outside the suite roots", "castmatch_suites")


def test_a_new_gate_not_in_the_inventory_blocks(locked: GateProject) -> None:
    locked.suite("test_new", GOOD.replace("test_good", "test_new"))
    result = locked.pytester.runpytest("suites/test_new.py")
    _blocked(locked, result, "test_new.py::test_new", "new gate not in the inventory: run castmatch-gate lock")


def test_a_gate_moved_to_an_advisory_priority_blocks(locked: GateProject) -> None:
    path = locked.root / "suites" / "test_bad.py"
    path.write_text(path.read_text().replace("mark.p0", "mark.p2"))
    result = locked.pytester.runpytest()
    _blocked(locked, result, "test_bad.py::test_bad", "is p2 devops", "lists it as p0 devops")


def test_a_run_without_an_inventory_blocks(project: GateProject) -> None:
    project.suite("test_good", GOOD)
    result = project.pytester.runpytest("-m", "p0")
    _blocked(project, result, "baselines/gates.lock", "no gate inventory", "castmatch-gate lock")


def test_a_scoped_run_checks_the_inventory_inside_its_scope(locked: GateProject) -> None:
    (locked.root / "suites" / "conftest.py").write_text('collect_ignore = ["test_bad.py"]\n')
    result = locked.pytester.runpytest("-m", "p0")
    _blocked(locked, result, "test_bad.py::test_bad", "ignored at collection")
    # A path selection covers only its own gates: the ignored one is outside it.
    result = locked.pytester.runpytest("suites/test_good.py")
    report = locked.report()
    assert (result.ret, report["verdict"]["label"]) == (0, "GO for this scope")
    assert (report["inventory"]["listed"], report["inventory"]["in_scope"]) == (2, 1)


def test_a_suites_folder_without_gates_is_no_go_not_silence(project: GateProject) -> None:
    project.suite("test_empty", "import pytest\n")
    result = project.pytester.runpytest()
    _blocked(project, result, "scope", "no gates collected under suites")


def test_lock_refuses_a_scoped_or_skipped_collection(locked: GateProject) -> None:
    result = locked.pytester.runpytest("--gate-lock", "-m", "p0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(["*baselines/gates.lock not written:*", "*the inventory lists the full gate*"])
    path = locked.root / "suites" / "test_bad.py"
    path.write_text('import pytest\npytest.skip("later", allow_module_level=True)\n' + path.read_text())
    result = locked.pytester.runpytest("--gate-lock")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(["*suites/test_bad.py was skipped at collection: later*"])


def test_castmatch_gate_lock_writes_the_inventory(project: GateProject, monkeypatch: pytest.MonkeyPatch) -> None:
    project.suite("test_good", GOOD)
    monkeypatch.chdir(project.root)
    assert main(["lock"]) == 0
    text = (project.root / "baselines" / "gates.lock").read_text()
    assert text.splitlines()[-1] == "p0 devops suites/test_good.py::test_good"


HOLLOWED = {
    "conftest.py": (
        'collect_ignore = ["test_ignored.py"]\n'
        "def pytest_collection_modifyitems(items):\n"
        "    items[:] = [i for i in items if 'dropped' not in i.nodeid]\n"
    ),
    "test_ignored.py": GOOD.replace("test_good", "test_ignored"),
    "test_skipped.py": 'import pytest\npytest.skip("not today", allow_module_level=True)\n',
    "test_keep.py": GOOD.replace("test_good", "test_dropped") + GOOD.replace("test_good", "test_kept"),
}


@pytest.mark.parametrize("xdist", [[], ["-n", "1"], ["-n", "2"]], ids=["serial", "n1", "n2"])
def test_vanished_gates_are_found_the_same_under_xdist(project: GateProject, xdist: list[str]) -> None:
    for name in ("test_ignored", "test_skipped", "test_keep"):
        project.suite(name, GOOD.replace("test_good", name.replace("test_keep", "test_kept")))
    project.suite("test_keep", HOLLOWED["test_keep.py"])
    assert project.lock().ret == 0
    for name, text in HOLLOWED.items():
        Path(project.root / "suites" / name).write_text(text)
    result = project.pytester.runpytest_subprocess(*xdist)
    report = _blocked(project, result, "test_ignored.py::test_ignored", "ignored at collection")
    how = {m["id"].split("::")[-1]: m["how"] for m in report["inventory"]["missing"]}
    assert set(how) == {"test_ignored", "test_skipped", "test_dropped"}
    assert "not today" in how["test_skipped"]
    assert "pytest_collection_modifyitems" in how["test_dropped"]
    assert [g["id"] for g in report["gates"]] == ["suites/test_keep.py::test_kept"]


@pytest.mark.parametrize(
    ("conftest", "cause"),
    [
        ('collect_ignore = ["test_bad.py"]\n', "suites/test_bad.py was ignored at collection"),
        ("def pytest_collection_modifyitems(items):\n    items[:] = [i for i in items if 'bad' not in i.nodeid]\n",
         "suites/test_bad.py::test_bad was dropped by a pytest_collection_modifyitems hook"),
    ],
    ids=["collect-ignore", "dropped"],
)
def test_lock_refuses_a_hollowed_collection(project: GateProject, conftest: str, cause: str) -> None:
    project.suite("test_good", GOOD)
    project.suite("test_bad", BAD)
    (project.root / "suites" / "conftest.py").write_text(conftest)
    result = project.lock()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines([f"*{cause}*"])
    assert not (project.root / "baselines" / "gates.lock").exists()
