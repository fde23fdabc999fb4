"""The run's reference app stops with the run, whatever other plugins do on the way out, even when the run
itself is killed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.plugin.conftest import GateProject


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_app_stops_even_when_another_plugin_fails_at_unconfigure(project: GateProject, pytester: pytest.Pytester,
                                                                  tmp_path: Path) -> None:
    pid_file = tmp_path / "app.pid"
    project.suite("test_uses_app", f"""
        import json, pathlib, urllib.request
        import pytest

        @pytest.mark.p1
        @pytest.mark.owner("devops")
        def test_app_answers(castmatch_base_url, request):
            with urllib.request.urlopen(castmatch_base_url + "/healthz", timeout=10) as reply:
                assert reply.status == 200
            run = request.config.pluginmanager.get_plugin("castmatch-run")
            state = json.loads((run.run_dir / "app.json").read_text())
            pathlib.Path({str(pid_file)!r}).write_text(str(state["pid"]))
    """)
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
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 20
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(pid):
        os.kill(pid, 9)
        pytest.fail(f"the run's app (pid {pid}) outlived the run")


@pytest.mark.parametrize("workers", [0, 2])
def test_app_stops_when_the_run_is_killed(project: GateProject, pytester: pytest.Pytester, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    pid_file = tmp_path / "app.pid"
    project.suite("test_uses_app", f"""
        import json, os, pathlib, signal, urllib.request
        import pytest

        @pytest.mark.p1
        @pytest.mark.owner("devops")
        def test_app_answers_then_the_run_dies(castmatch_base_url, request):
            with urllib.request.urlopen(castmatch_base_url + "/healthz", timeout=10) as reply:
                assert reply.status == 200
            run = request.config.pluginmanager.get_plugin("castmatch-run")
            state = json.loads((run.run_dir / "app.json").read_text())
            pathlib.Path({str(pid_file)!r}).write_text(str(state["pid"]))
            # The run's own process (an xdist worker's parent), killed: no hook, no cleanup, no atexit runs.
            os.kill(os.getppid() if hasattr(request.config, "workerinput") else os.getpid(), signal.SIGKILL)
    """)
    args = ["-p", "no:cacheprovider", *(["-n", str(workers)] if workers else [])]
    temp = tmp_path / "tmp"  # the killed run leaves its run folder behind: here, not in the user's
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    result = pytester.runpytest_subprocess(*args, timeout=120)
    assert result.ret == -9
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 20
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(pid):
        os.kill(pid, 9)
        pytest.fail(f"the run's app (pid {pid}) outlived the killed run")


@pytest.mark.parametrize("workers", [0, 2])
def test_a_terminated_run_is_judged_interrupted_and_leaves_nothing_running(
    project: GateProject, tmp_path: Path, workers: int
) -> None:
    pid_file = tmp_path / "app.pid"
    project.suite("test_terminated", f"""
        import json, os, pathlib, signal, time, urllib.request
        import pytest

        @pytest.mark.p1
        @pytest.mark.owner("devops")
        def test_app_answers_then_the_run_is_terminated(castmatch_base_url, request):
            with urllib.request.urlopen(castmatch_base_url + "/healthz", timeout=10) as reply:
                assert reply.status == 200
            run = request.config.pluginmanager.get_plugin("castmatch-run")
            state = json.loads((run.run_dir / "app.json").read_text())
            pathlib.Path({str(pid_file)!r}).write_text(str(state["pid"]))
            # The run's own process (an xdist worker's parent), stopped as a cancelled CI job is.
            os.kill(os.getppid() if hasattr(request.config, "workerinput") else os.getpid(), signal.SIGTERM)
            time.sleep(30)

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
    assert outcomes["test_app_answers_then_the_run_is_terminated"] == "interrupted"
    if not workers:  # serially the second gate never started; under xdist the other worker may have run it
        assert outcomes["test_never_reached"] == "interrupted"
    assert "the run was interrupted before every gate finished" in [r["message"] for r in report["verdict"]["reasons"]]
    pid = int(pid_file.read_text())
    # Under xdist the app's parent is the worker that started it, which reaps it once it is told to stop.
    deadline = time.monotonic() + 20
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(pid):
        os.kill(pid, 9)
        pytest.fail(f"the run's app (pid {pid}) outlived the terminated run")
    assert list(temp.iterdir()) == []  # no run folder, nothing else
