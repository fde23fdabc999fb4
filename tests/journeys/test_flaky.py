"""A journey that fails and then passes on a retry is reported as flaky, and a flaky P0 gate blocks
unless a waiver covers it. Any browser gate that fails keeps a screenshot and a trace; one that passes
keeps nothing, not even an empty folder.

In-process runs use the plugin's throwaway project (no browser); a subprocess run drives the real
journeys conftest against a local page, so the evidence machinery is exercised as the suites use it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.loopback import serving_files
from tests.plugin.conftest import GateProject

ROOT = Path(__file__).resolve().parents[2]

FAILS_ONCE = """
import pytest
from pathlib import Path

ATTEMPTS = Path(__file__).with_name("attempts.txt")

@pytest.mark.p0
@pytest.mark.owner("backend-api")
@pytest.mark.flaky(reruns=1)
def test_journey_fails_once():
    seen = int(ATTEMPTS.read_text()) if ATTEMPTS.exists() else 0
    ATTEMPTS.write_text(str(seen + 1))
    assert seen >= 1, "the first attempt fails"
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> GateProject:
    return GateProject(pytester)


def test_fails_then_passes_is_flaky_and_blocks(project: GateProject) -> None:
    project.suite("test_journey", FAILS_ONCE)
    result = project.run("-p", "rerunfailures", "suites/test_journey.py")
    result.stdout.fnmatch_lines(["*1 passed, 1 rerun*"])
    assert project.outcomes() == {"test_journey_fails_once": "flaky"}
    assert result.ret != 0
    assert project.report()["verdict"]["decision"] == "NO-GO"
    assert [b["subject"].split("::")[-1] for b in project.blockers()] == ["test_journey_fails_once"]


def test_a_waiver_lets_a_flaky_gate_through(project: GateProject) -> None:
    project.suite("test_journey", FAILS_ONCE)
    expires = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    project.waivers(f"""
        [[waiver]]
        target = "suites/test_journey.py::test_journey_fails_once"
        owner = "backend-api"
        reason = "retry storms under investigation"
        approved_by = "backend-api"
        expires = {expires}
    """)
    result = project.run("-p", "rerunfailures", "suites/test_journey.py")
    assert project.outcomes() == {"test_journey_fails_once": "flaky"}
    assert project.blockers() == []
    assert result.ret == 0


# -- the journeys' own conftest, in a subprocess, with a real browser ---------------------------------------

GATES = """\
schema = 1
[launch]
name = "Journey evidence"
date = 2025-01-13
[owners.testing-qa]
title = "Testing QA"
"""

TINY_SUITE = """
import pytest
from pathlib import Path

from pytest_castmatch.checks import journeys

ATTEMPTS = Path(__file__).with_name("attempts.txt")

@pytest.mark.p0
@pytest.mark.owner("testing-qa")
@pytest.mark.flaky(reruns=1)
def test_journey_fails_once(journey_page, gate):
    journey_page.goto("/")
    seen = int(ATTEMPTS.read_text()) if ATTEMPTS.exists() else 0
    ATTEMPTS.write_text(str(seen + 1))
    assert seen >= 1, "the first attempt fails"

@pytest.mark.p0
@pytest.mark.owner("testing-qa")
def test_journey_passes(journey_page, gate):
    journey_page.goto("/")

@pytest.mark.p2
@pytest.mark.owner("testing-qa")
def test_page_gate_fails(page, gate):
    page.goto("/")
    assert page.title() == "Elsewhere", "the page is not where the gate expected"
MISSING = Path(__file__).with_name("missing.txt")

@pytest.mark.p0
@pytest.mark.owner("testing-qa")
@pytest.mark.flaky(reruns=1, rerun_except=journeys.NOT_RETRIED)
def test_journey_to_a_missing_page(journey_page, gate):
    MISSING.write_text(MISSING.read_text() + "x" if MISSING.exists() else "x")
    j = journeys.Journey(journey_page, gate.check, name="sign-up")
    j.step = "open the form"
    if not j.opens("/join"):
        return
    journey_page.locator("#name").fill("never reached")
"""


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """A one-page site on a free loopback port."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text("<!doctype html><title>Home</title><h1>Home</h1>")

    with serving_files(root) as url:
        yield url


def test_flaky_journey_keeps_the_failed_attempts_evidence(tmp_path: Path, site: str) -> None:
    if shutil.which("chromium") is None and not os.environ.get("CASTMATCH_CHROMIUM"):
        pytest.fail("no Chromium: install Debian's chromium (apt-get install chromium)")
    project = tmp_path / "project"
    (project / "baselines").mkdir(parents=True)
    (project / "baselines" / "gates.toml").write_text(GATES)
    (project / "suites" / "journeys").mkdir(parents=True)
    shutil.copy(ROOT / "suites" / "conftest.py", project / "suites" / "conftest.py")
    shutil.copy(ROOT / "suites" / "journeys" / "conftest.py", project / "suites" / "journeys" / "conftest.py")
    (project / "suites" / "journeys" / "test_tiny.py").write_text(TINY_SUITE)
    (project / "pytest.ini").write_text("[pytest]\ncastmatch_suites = suites\nfilterwarnings = error\n")
    cmd = [sys.executable, "-m", "pytest", "suites", "-p", "no:cacheprovider", "-q", "--base-url", site]
    proc = subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=300, check=False)
    report_dir = project / "gate-report"
    assert (report_dir / "report.json").exists(), proc.stdout[-3000:] + proc.stderr[-2000:]
    report = json.loads((report_dir / "report.json").read_text())
    gates = {g["id"].split("::")[-1]: g for g in report["gates"]}
    assert {name: g["outcome"] for name, g in gates.items()} == {
        "test_journey_fails_once": "flaky", "test_journey_passes": "passed",
        "test_page_gate_fails[chromium]": "failed",
        "test_journey_to_a_missing_page": "failed"}, proc.stdout[-3000:]
    assert proc.returncode != 0
    assert report["verdict"]["decision"] == "NO-GO"

    flaky = gates["test_journey_fails_once"]
    names = sorted(Path(p).name for p in flaky["evidence"])
    assert names == ["attempt-1-trace.zip", "attempt-1.png"]
    assert all((report_dir / p).stat().st_size > 0 for p in flaky["evidence"])
    notes = [f for f in flaky["findings"] if f["rule"] == "failure-evidence"]
    assert [(n["severity"], n["page"]) for n in notes] == [("note", f"{site}/")]
    # A gate on pytest-playwright's own page gets the same evidence through suites/conftest.py.
    page_gate = gates["test_page_gate_fails[chromium]"]
    assert sorted(Path(p).name for p in page_gate["evidence"]) == ["attempt-1-trace.zip", "attempt-1.png"]
    assert all((report_dir / p).stat().st_size > 0 for p in page_gate["evidence"])
    # A page that does not exist stops the journey at once: one clear failure, never retried.
    missing = gates["test_journey_to_a_missing_page"]
    assert (project / "suites" / "journeys" / "missing.txt").read_text() == "x"
    status = [f for f in missing["findings"] if f["rule"] == "page-status"]
    assert [(f["page"], f["message"]) for f in status] == [
        ("/join", "sign-up, step 'open the form': page answered 404 (expected 2xx): nothing was measured on it")]
    # A passing attempt keeps nothing: its trace is dropped, and no folder is left for it.
    assert gates["test_journey_passes"]["evidence"] == []
    assert not list((report_dir / "evidence").glob("*test_journey_passes*"))
    assert [p for p in (report_dir / "evidence").rglob("*") if p.is_dir() and not any(p.iterdir())] == []
