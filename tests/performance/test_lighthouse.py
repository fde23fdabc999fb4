"""The Lighthouse runner: engine discovery fails closed, reports are parsed, medians decide, one real run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from pytest_castmatch.runners import EngineMissing, lighthouse


def lhr(perf: float, seo: float = 1.0, error: str = "") -> dict[str, Any]:
    """A minimal Lighthouse result with two categories and one failing SEO audit when seo < 1."""
    audits = {
        "meta-description": {"title": "Document does not have a meta description", "score": 0 if seo < 1 else 1,
                             "scoreDisplayMode": "binary"},
        "largest-contentful-paint": {"title": "LCP", "score": 1, "scoreDisplayMode": "numeric", "numericValue": 900.0},
    }
    out: dict[str, Any] = {"categories": {
        "performance": {"score": perf, "auditRefs": [{"id": "largest-contentful-paint", "weight": 25}]},
        "seo": {"score": seo, "auditRefs": [{"id": "meta-description", "weight": 1}]},
    }, "audits": audits}
    if error:
        out["runtimeError"] = {"code": "NO_FCP", "message": error}
    return out


def write(folder: Path, name: str, data: dict[str, Any]) -> Path:
    (folder / f"{name}.json").write_text(json.dumps(data))
    (folder / f"{name}.html").write_text("<html></html>")
    return folder / name


def test_node_missing_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(EngineMissing, match=r"install Node\.js"):
        lighthouse.find_engine()


def test_lighthouse_missing_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: "/usr/bin/node" if name == "node" else None)
    with pytest.raises(EngineMissing, match="npm ci"):
        lighthouse.find_engine(repo_root=tmp_path, given=str(tmp_path / "none"))


def test_finds_the_repository_lighthouse() -> None:
    engine = lighthouse.find_engine()
    assert engine.version.startswith("12.")
    assert (engine.root / "core" / "index.js").is_file()


def test_parse_reads_scores_failing_audits_and_lab_values(tmp_path: Path) -> None:
    run = lighthouse._parse(write(tmp_path, "a", lhr(0.97, 0.9)), 1.0, "")
    assert run.scores == {"performance": 97.0, "seo": 90.0}
    assert [a["id"] for a in run.audits] == ["meta-description"]
    assert run.lab == {"LCP": 900.0}
    failed = lighthouse._parse(write(tmp_path, "b", lhr(0.5, error="no paint")), 1.0, "")
    assert failed.error == "no paint"
    assert failed.scores == {}


def test_median_decides_and_failing_category_audits_are_errors(tmp_path: Path) -> None:
    job = lighthouse.Job("p", "http://x/")
    result = lighthouse.Result(job, [lighthouse._parse(write(tmp_path, f"r{i}", lhr(p, 0.9)), 1.0, "")
                                     for i, p in enumerate((0.99, 0.60, 0.96))])
    assert result.scores() == {"performance": 96.0, "seo": 90.0}
    assert result.representative() is result.runs[2]
    found = lighthouse.findings(result)
    assert [(f.rule, f.severity) for f in found] == [("lighthouse-missing", "error"), ("lighthouse-missing", "error"),
                                                    ("lighthouse/meta-description", "error")]
    passing = lighthouse.findings(result, threshold=90)
    assert [(f.rule, f.severity) for f in passing if f.rule.startswith("lighthouse/")] == [
        ("lighthouse/meta-description", "warning")]


def test_a_crashed_run_beside_good_ones_is_only_a_warning(tmp_path: Path) -> None:
    good = lighthouse._parse(write(tmp_path, "g", lhr(1.0)), 1.0, "")
    crashed = lighthouse._parse(tmp_path / "missing", 1.0, "NO_NAVSTART")
    mixed = lighthouse.findings(lighthouse.Result(lighthouse.Job("p", "http://x/"), [good, crashed]))
    assert [(f.rule, f.severity) for f in mixed if f.rule == "lighthouse-error"] == [("lighthouse-error", "warning")]
    alone = lighthouse.findings(lighthouse.Result(lighthouse.Job("p", "http://x/"), [crashed]))
    assert ("lighthouse-error", "error") in [(f.rule, f.severity) for f in alone]


class FakeWorker:
    def __init__(self, engine: Any, folder: Path, port: int) -> None:
        self.log: list[tuple[float, str]] = [(0.0, "started")]

    def close(self) -> None:
        pass


def fake_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
              scores: dict[str, list[float | str]]) -> list[list[str]]:
    """Replace the node worker: each job's runs score the given performance values in turn
    (a string is a crashed run with that error); returns the labels of each round."""
    calls: list[list[str]] = []

    def fake_batch(worker: Any, jobs: Any, timeout: float) -> list[lighthouse.Run]:
        calls.append([j.label for j, _ in jobs])
        out = []
        for j, p in jobs:
            value = scores[j.label].pop(0)
            if isinstance(value, str):
                out.append(lighthouse._parse(p, 1.0, value))
            else:
                out.append(lighthouse._parse(write(tmp_path, p.name, lhr(value)), 1.0, ""))
        return out

    monkeypatch.setattr(lighthouse, "_batch", fake_batch)
    monkeypatch.setattr(lighthouse, "Worker", FakeWorker)
    return calls


def run_fake(tmp_path: Path, labels: list[str], **kw: Any) -> list[lighthouse.Result]:
    engine = lighthouse.Engine("node", tmp_path, "12.8.2")
    jobs = [lighthouse.Job(label, "http://x/") for label in labels]
    return lighthouse.run(jobs, tmp_path, port=9, engine=engine, **kw)


def test_more_runs_only_where_the_median_is_borderline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = fake_runs(tmp_path, monkeypatch, {"fast": [1.0], "close": [0.96, 0.93, 0.97]})
    log: list[tuple[float, str]] = []
    results = run_fake(tmp_path, ["fast", "close"], runs=1, max_runs=3, log=log)
    assert calls == [["fast", "close"], ["close"], ["close"]]
    assert results[1].scores()["performance"] == 96.0
    assert log == [(0.0, "started")]


def test_re_runs_stop_once_they_cannot_change_the_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two runs on the same side of 95: a third cannot move the median of three across it.
    calls = fake_runs(tmp_path, monkeypatch, {"pass": [0.96, 0.96], "fail": [0.90, 0.93]})
    results = run_fake(tmp_path, ["pass", "fail"], runs=1, max_runs=3)
    assert calls == [["pass", "fail"], ["pass", "fail"]]
    assert [r.scores()["performance"] for r in results] == [96.0, 91.5]
    # With five allowed, two agreeing runs are not enough: three more zeros could still sink it.
    calls = fake_runs(tmp_path, monkeypatch, {"pass": [0.96, 0.96, 0.97]})
    run_fake(tmp_path, ["pass"], runs=1, max_runs=5)
    assert calls == [["pass"], ["pass"], ["pass"]]


def test_the_configured_runs_always_happen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = fake_runs(tmp_path, monkeypatch, {"fast": [1.0, 1.0, 1.0]})
    results = run_fake(tmp_path, ["fast"], runs=3, max_runs=3)
    assert calls == [["fast"]] * 3
    assert len(results[0].runs) == 3


def test_a_crashed_run_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = fake_runs(tmp_path, monkeypatch, {"flaky": ["NO_NAVSTART", 1.0], "dead": ["boom", "boom", "boom"]})
    flaky, dead = run_fake(tmp_path, ["flaky", "dead"], runs=1, max_runs=3)
    assert calls == [["flaky", "dead"], ["flaky", "dead"], ["dead"]]
    assert flaky.scores()["performance"] == 100.0
    assert [r.error for r in dead.runs] == ["boom"] * 3


def test_worker_failure_fails_the_jobs_left(tmp_path: Path) -> None:
    # A node that exits at once (no Lighthouse under this root): every job gets an error, none hangs.
    engine = lighthouse.Engine(lighthouse.find_engine().node, tmp_path, "12.8.2")
    worker = lighthouse.Worker(engine, tmp_path, 9)
    try:
        runs = lighthouse._batch(worker, [(lighthouse.Job("a", "http://x/"), tmp_path / "a"),
                                          (lighthouse.Job("b", "http://x/"), tmp_path / "b")], timeout=30)
    finally:
        worker.close()
    assert [bool(r.error) for r in runs] == [True, True]
    assert "node exited" in runs[0].error


def test_real_run_scores_a_fixture_page(fixture_url: str, tmp_path: Path) -> None:
    jobs = [lighthouse.Job("good", f"{fixture_url}/good.html", "desktop"),
            lighthouse.Job("bad", f"{fixture_url}/bad.html", "desktop")]
    log: list[tuple[float, str]] = []
    good, bad = lighthouse.run(jobs, tmp_path, runs=1, max_runs=1, log=log)
    assert set(good.scores()) == set(lighthouse.CATEGORIES)
    assert good.scores()["seo"] == 100
    assert good.scores()["accessibility"] == 100
    # bad.html has no meta description and no viewport: SEO and performance findings.
    bad_rules = {f.rule for f in lighthouse.findings(bad) if f.severity == "error"}
    assert "lighthouse/meta-description" in bad_rules
    assert bad.scores()["seo"] < 95
    assert {"LCP", "CLS", "TBT", "FCP"} <= set(good.lab())
    rep = good.representative()
    assert rep is not None
    assert rep.html_path.is_file()
    # One worker served both runs: Lighthouse loaded once, then each run in order.
    events = [event.split()[0] for _, event in log]
    assert events.count("Lighthouse") == 1
    assert [e for e in events if e in ("run", "done")] == ["run", "done", "run", "done"]


def test_the_chromium_it_starts_leaves_nothing_in_the_temporary_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    # A short path of its own: Chromium's singleton socket lives in it, and a socket path has at most 107 bytes.
    temp = Path(tempfile.mkdtemp(prefix="lh-", dir="/tmp"))
    try:
        monkeypatch.setattr(tempfile, "tempdir", str(temp))  # where the profile goes
        monkeypatch.setenv("TMPDIR", str(temp))  # where Chromium makes its own folders
        with lighthouse.chromium() as port:
            assert port > 0
            # The profile, and the folder Chromium makes for its singleton socket (left when it is stopped).
            profile, singleton = sorted(p.name for p in temp.iterdir())
            assert (profile[:13], singleton[:22]) == ("castmatch-lh-", "org.chromium.Chromium.")
        assert list(temp.iterdir()) == []
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def _processes_with(text: str) -> list[int]:
    """The pids whose command line holds ``text``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and text.encode() in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def test_the_chromium_it_starts_ends_with_a_killed_run(tmp_path: Path) -> None:
    script = tmp_path / "hold.py"
    script.write_text("import sys, time\nfrom pytest_castmatch.runners import lighthouse\n"
                      "with lighthouse.chromium():\n    print('ready', flush=True)\n    time.sleep(60)\n")
    temp = Path(tempfile.mkdtemp(prefix="lh-", dir="/tmp"))  # short: Chromium's socket path must fit
    try:
        with subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "TMPDIR": str(temp)}) as holder:
            assert holder.stdout is not None
            assert holder.stdout.readline().strip() == "ready"
            (profile,) = temp.glob("castmatch-lh-*")
            assert _processes_with(f"--user-data-dir={profile}")
            holder.kill()  # no finally, no cleanup: the run is gone
        deadline = time.monotonic() + 20
        while (left := _processes_with(f"--user-data-dir={profile}")) and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        assert not left, "Chromium outlived the process that started it"
    finally:
        shutil.rmtree(temp, ignore_errors=True)
