"""The report folder is replaced whole, one run at a time, and never keeps a verdict its run did not write."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pytest_castmatch.cli import main
from pytest_castmatch.report_folder import ReportFolder

from .conftest import SignedProject

GATE = """
    import pytest

    @pytest.mark.p0
    @pytest.mark.owner("backend-api")
    def test_{name}(gate):
        (gate.evidence_dir / "{name}.txt").write_text("{name}")
        gate.attach(gate.evidence_dir / "{name}.txt")
        gate.metric("api_p99_ms", {value})
"""


@pytest.fixture
def project(signed: SignedProject, monkeypatch: pytest.MonkeyPatch) -> SignedProject:
    """Two gates, one passing and one failing, signed with the CI key."""
    signed.suite("test_pass", GATE.format(name="pass", value=120.0))
    signed.suite("test_fail", GATE.format(name="fail", value=900.0))
    monkeypatch.setenv("CASTMATCH_SIGNING_KEY", str(signed.keys["ci"]))
    signed.lock()
    return signed


def _pytest(*args: str) -> list[str]:
    """A pytest process with only this plugin loaded (other plugins' imports cost seconds per run)."""
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "castmatch", *args]


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTEST_ADDOPTS": "", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", **extra}


def _views_agree(folder: Path) -> str:
    """The one verdict every file of the folder states (asserting they agree and the envelope proves it)."""
    report = json.loads((folder / "report.json").read_text())
    label = report["verdict"]["label"]
    assert (folder / "summary.md").read_text().splitlines()[0].endswith("signed") or not report["signed"]
    assert label.replace("-", "\\-") in (folder / "summary.md").read_text().splitlines()[0]
    assert f'<h1 id="verdict">{label}</h1>' in (folder / "index.html").read_text()
    assert main(["verify", str(folder), "--signers", str(folder.parent / "baselines" / "signers")]) == 0
    return str(label)


def _leftovers(project: SignedProject) -> list[str]:
    return sorted(p.name for p in project.root.glob(".gate-report.castmatch-*"))


def test_a_run_replaces_the_folder_whole(project: SignedProject) -> None:
    assert project.run("suites/test_pass.py").ret == 0
    assert (project.folder / "evidence").is_dir()
    assert _views_agree(project.folder) == "GO for this scope"
    assert project.run("suites/test_fail.py").ret == pytest.ExitCode.TESTS_FAILED
    assert _views_agree(project.folder) == "NO-GO"
    # The first run's evidence went with its verdict.
    assert [p.name for p in (project.folder / "evidence").rglob("*.txt")] == ["fail.txt"]
    assert _leftovers(project) == []


def test_evidence_from_xdist_workers_lands_in_the_published_folder(
    project: SignedProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # workers start in a second, not in five
    result = project.run("-p", "xdist", "-p", "castmatch", "-n", "2")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert sorted(p.name for p in (project.folder / "evidence").rglob("*.txt")) == ["fail.txt", "pass.txt"]
    report = project.report()
    assert all((project.folder / e).is_file() for g in report["gates"] for e in g["evidence"])


def test_two_runs_racing_into_one_folder_leave_one_consistent_report(project: SignedProject) -> None:
    runs = [subprocess.Popen(_pytest(f"suites/test_{name}.py"), cwd=project.root, env=_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in ("pass", "fail")]
    codes = [run.wait(timeout=120) for run in runs]
    for run in runs:
        assert run.stdout is not None
        assert run.stderr is not None
        run.stdout.close()
        run.stderr.close()
    assert codes == [0, 1]
    assert _views_agree(project.folder) in ("GO for this scope", "NO-GO")
    assert _leftovers(project) == []


def test_a_second_run_refuses_or_waits_while_another_holds_the_folder(project: SignedProject) -> None:
    holder = ReportFolder(project.folder)
    holder.lock(0.0)
    try:
        refused = subprocess.run(_pytest(), cwd=project.root, env=_env(CASTMATCH_REPORT_WAIT="0"),
                                 capture_output=True, text=True, timeout=120, check=False)
        assert refused.returncode == pytest.ExitCode.USAGE_ERROR
        lines = [line for line in refused.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, refused.stderr
        assert f"another run (pid {os.getpid()} since " in lines[0]
        assert "CASTMATCH_REPORT_WAIT" in lines[0]
        assert not (project.folder / "report.json").exists()

        waiting = subprocess.Popen(_pytest("suites/test_pass.py"), cwd=project.root,
                                   env=_env(CASTMATCH_REPORT_WAIT="120"), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        assert waiting.stderr is not None
        first = waiting.stderr.readline()
        assert "waiting up to 120 s" in first
    finally:
        holder.release()
    assert waiting.wait(timeout=120) == 0
    waiting.stderr.close()
    assert _views_agree(project.folder) == "GO for this scope"


def _unprivileged(command: list[str]) -> list[str]:
    """As root, the command without the capabilities that let root write into read-only folders."""
    if os.geteuid() != 0:
        return command
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--", *command]


@pytest.mark.parametrize("case", ["read-only folder", "file in the way", "under /proc"])
def test_an_unwritable_target_is_one_line_naming_path_and_fix(project: SignedProject, case: str) -> None:
    target = project.folder
    if case == "read-only folder":
        assert project.run("suites/test_pass.py").ret == 0
        target.chmod(0o555)
    elif case == "file in the way":
        target.write_text("not a folder\n")
    else:
        target = Path("/proc/castmatch-gate-report")
    try:
        proc = subprocess.run(_unprivileged(_pytest("--gate-report", str(target))), cwd=project.root,
                              env=_env(), capture_output=True, text=True, timeout=120, check=False)
    finally:
        if case == "read-only folder":
            target.chmod(0o755)
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, proc.stdout[-2000:] + proc.stderr[-2000:]
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert str(target) in lines[0]
    assert "pass --gate-report DIR" in lines[0]
    assert "Traceback" not in proc.stdout + proc.stderr


BROKEN_SIGNER = """
import pytest

class Unplugged:
    keyid = "f" * 64

    def sign(self, data):
        raise RuntimeError("token unplugged")

def pytest_castmatch_signer(config):
    return Unplugged()
"""


@pytest.mark.parametrize("cause", ["config error", "failing signer", "crash"])
def test_a_failed_run_leaves_no_stale_go(project: SignedProject, cause: str, tmp_path: Path) -> None:
    assert project.run("suites/test_pass.py").ret == 0
    assert (project.folder / "report.dsse.json").exists()
    expected = {"config error": pytest.ExitCode.USAGE_ERROR, "failing signer": pytest.ExitCode.INTERNAL_ERROR}
    if cause == "config error":
        project.gates.write_text(project.gates.read_text() + "\n[metrics.broken\n")
        why = "invalid TOML"
    elif cause == "failing signer":
        (project.root / "conftest.py").write_text(BROKEN_SIGNER)
        why = "RuntimeError: token unplugged"
    else:
        project.suite("test_crash", GATE.format(name="crash", value=1.0).replace(
            "gate.metric(", "__import__('os')._exit(9) or gate.metric("))
        why = "has not written its report"
    temp = tmp_path / "tmp"  # a crashed run leaves its run folder behind: here, not in the user's
    temp.mkdir()
    proc = subprocess.run(_pytest(), cwd=project.root, env=_env(TMPDIR=str(temp)), capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == expected.get(cause, 9), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    report = json.loads((project.folder / "report.json").read_text())
    assert report["verdict"]["decision"] == "NO-GO"
    (reason,) = report["verdict"]["reasons"]
    assert reason["message"].startswith("the report could not be written: ")
    assert why in reason["message"]
    assert not (project.folder / "report.dsse.json").exists()
    assert not (project.folder / "evidence").exists()
    assert (project.folder / "summary.md").read_text().startswith("## ⛔ NO\\-GO")
    assert "GO for this scope" not in (project.folder / "index.html").read_text()
    assert main(["show", str(project.folder)]) == 11  # unsigned: nothing vouches for it


def test_staging_folders_of_runs_that_died_are_swept_and_live_ones_kept(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    left = tmp_path / f".gate-report.castmatch-{dead.stdout.strip()}-0000abcd"
    live = tmp_path / f".gate-report.castmatch-{os.getppid()}-0000abcd"
    # A run that exited but whose parent has not reaped it yet (a zombie) will never finish its folder.
    exited = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while Path(f"/proc/{exited.pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z":
        assert time.monotonic() < deadline, "the child never exited"
        time.sleep(0.01)
    unreaped = tmp_path / f".gate-report.castmatch-{exited.pid}-0000abcd"
    for path in (left, live, unreaped):
        (path / "evidence").mkdir(parents=True)
    folder = ReportFolder(tmp_path / "gate-report")
    folder.lock(0.0)
    folder.release()
    exited.wait()
    assert not left.exists()
    assert not unreaped.exists()
    assert live.exists()
