"""The run's reference app stops with the run, whatever other plugins do on the way out, even when the run
itself is terminated or killed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from castmatch_app.testing import process_alive
from tests.plugin.conftest import GateProject

# A gate that reaches the run's app, writes the app's pid to PID_FILE, then does THEN.
APP_GATE = """
import json, os, pathlib, signal, time, urllib.request
import pytest

@pytest.mark.p1
@pytest.mark.owner("devops")
def test_app_answers(castmatch_base_url, request):
    with urllib.request.urlopen(castmatch_base_url + "/healthz", timeout=10) as reply:
        assert reply.status == 200
    run = request.config.pluginmanager.get_plugin("castmatch-run")
    state = json.loads((run.run_dir / "app.json").read_text())
    pathlib.Path(PID_FILE).write_text(str(state["pid"]))
    # The run's own process: an xdist worker's parent, or this one.
    own = os.getppid() if hasattr(request.config, "workerinput") else os.getpid()
    THEN
"""


def app_gate(pid_file: Path, then: str = "pass") -> str:
    return APP_GATE.replace("PID_FILE", repr(str(pid_file))).replace("THEN", then)


def assert_app_stops(pid_file: Path, what: str) -> None:
    """The app whose pid is in ``pid_file`` is gone within 20 s (killed and reported if not)."""
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 20
    while process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if process_alive(pid):
        os.kill(pid, 9)
        pytest.fail(f"the run's app (pid {pid}) outlived {what}")


def test_app_stops_even_when_another_plugin_fails_at_unconfigure(project: GateProject, pytester: pytest.Pytester,
                                                                  tmp_path: Path) -> None:
    pid_file = tmp_path / "app.pid"
    project.suite("test_uses_app", app_gate(pid_file))
    # Runs before the plugin's own pytest_unconfigure and raises, as a plugin whose warning
    # filterwarnings turns into an error does: the rest of the hook chain is skipped.
    pytester.makeconftest("""
        import pytest

        @pytest.hookimpl(tryfirst=True)
        def pytest_unconfigure(config):
            raise RuntimeError("another plugin fails on the way out")
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.stderr.fnmatch_lines(["*another plugin fails on the way out*"])
    assert_app_stops(pid_file, "the run")


@pytest.mark.parametrize("workers", [0, 2])
def test_app_stops_when_the_run_is_killed(project: GateProject, pytester: pytest.Pytester, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    pid_file = tmp_path / "app.pid"
    # No hook, no cleanup, no atexit runs.
    project.suite("test_uses_app", app_gate(pid_file, "os.kill(own, signal.SIGKILL)"))
    temp = tmp_path / "tmp"  # the killed run leaves its run folder behind: here, not in the user's
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *(["-n", str(workers)] if workers else []),
                                           timeout=120)
    assert result.ret == -9
    assert_app_stops(pid_file, "the killed run")


@pytest.mark.parametrize("workers", [0, 2])
def test_a_terminated_run_is_judged_interrupted_and_leaves_nothing_running(
    project: GateProject, tmp_path: Path, workers: int
) -> None:
    pid_file = tmp_path / "app.pid"
    # As a cancelled CI job is stopped.
    project.suite("test_terminated", app_gate(pid_file, "os.kill(own, signal.SIGTERM)\n    time.sleep(30)") + """

@pytest.mark.p1
@pytest.mark.owner("devops")
def test_never_reached():
    pass
""")
    temp = tmp_path / "tmp"
    temp.mkdir()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--gate-report", "gate-report",
                           *(["-n", str(workers)] if workers else [])],
                          cwd=project.root, env={**os.environ, "TMPDIR": str(temp)}, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, proc.stdout[-2000:] + proc.stderr[-2000:]
    report = json.loads((project.root / "gate-report" / "report.json").read_text())
    assert report["verdict"]["decision"] == "NO-GO"
    outcomes = {g["id"].rpartition("::")[2]: g["outcome"] for g in report["gates"]}
    assert outcomes["test_app_answers"] == "interrupted"
    if not workers:  # serially the second gate never started; under xdist the other worker may have run it
        assert outcomes["test_never_reached"] == "interrupted"
    assert "the run was interrupted before every gate finished" in [r["message"] for r in report["verdict"]["reasons"]]
    # Under xdist the app's parent is the worker that started it, which reaps it once it is told to stop.
    assert_app_stops(pid_file, "the terminated run")
    assert list(temp.iterdir()) == []  # no run folder, nothing else
