"""A site that is not CastMatch, gated end to end by the real suites with its own profile.

Harbour Bakery (``tests/sample_site/site``): four static pages, no scripts, no dark theme, no other
language, no sign-in, its own sitemap, and a few real accessibility faults. Every gate must either
run against it or be not applicable with the profile's reason; its faults must be found; the report
must name it and hold nothing of CastMatch; and the reference app must never be started or imported.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.loopback import serving_files

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
#: Words that would mean a CastMatch assumption leaked into the report of another site.
CASTMATCH = ("/talent", "/signin", "/join", "castmatch_app", "cm_sid", "?lang=", "data-theme-toggle",
             "/api/v1", "audition", "Mumbai")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[str], str]:
    """One gate run of every suite against the sample site: (report, audit of the app, output)."""
    out = tmp_path_factory.mktemp("sample-site")
    # A user's own run: not an xdist worker of this test run, no signing key.
    env = {k: v for k, v in os.environ.items()
           if k != "CASTMATCH_SIGNING_KEY" and not k.startswith(("PYTEST_XDIST_", "PYTEST_CURRENT_TEST"))}
    env["SAMPLE_SITE_AUDIT"] = str(out / "audit.json")
    with serving_files(HERE / "site") as url:
        proc = subprocess.run(
            # Without reruns: a gate the site's faults turn red fails every attempt, a retry only doubles its time.
            [sys.executable, "-m", "pytest", "suites", "-p", "no:cacheprovider", "-p", "no:rerunfailures",
             "-p", "tests.sample_site.audit",
             "--gate-deployment", str(HERE / "deployment.toml"), "--base-url", url,
             "--gate-report", str(out / "report"), "--gate-set", "load_users=10",
             "--gate-set", "lighthouse_max_runs=1"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    output = proc.stdout[-6000:] + proc.stderr[-2000:]
    assert (out / "audit.json").exists(), f"the audit plugin wrote nothing (exit {proc.returncode}):\n{output}"
    report: dict[str, Any] = json.loads((out / "report" / "report.json").read_text())
    audit: list[str] = json.loads((out / "audit.json").read_text())
    return report, audit, output


def test_every_gate_ran_against_the_site_or_is_not_applicable_with_a_reason(
        run: tuple[dict[str, Any], list[str], str]) -> None:
    report, _, output = run
    outcomes = {g["id"]: g["outcome"] for g in report["gates"]}
    assert set(outcomes.values()) <= {"passed", "failed", "not-applicable"}, (
        {k: v for k, v in outcomes.items() if v not in ("passed", "failed", "not-applicable")}, output)
    for gate in report["gates"]:
        if gate["outcome"] == "not-applicable":
            assert gate["message"].startswith("the deployment has no "), gate
            assert str(HERE / "deployment.toml") in gate["message"], gate
    ran = [g for g, o in outcomes.items() if o != "not-applicable"]
    assert any("test_axe.py" in g for g in ran), ran
    assert any("test_load.py" in g for g in ran), ran
    assert outcomes["suites/accessibility/test_axe.py::test_dark_mode_contrast[chromium]"] == "not-applicable"
    # No metrics endpoint (metrics = false): the server's own p99 is not applicable, never "not measured".
    p99 = next(g for g in report["gates"] if g["id"] == "suites/load/test_load.py::test_api_p99_under_load")
    assert "api_server_p99_ms" not in {m["metric"] for m in p99["metrics"]}
    assert [f["message"] for f in p99["findings"] if f["rule"] == "server-latency-not-applicable"] == [
        "the server's own p99 is not applicable: the deployment has no metrics endpoint: [deployment] metrics = "
        f"false ({HERE / 'deployment.toml'}:19)"]


def test_the_report_names_the_site_and_holds_nothing_of_castmatch(run: tuple[dict[str, Any], list[str], str]) -> None:
    report, _, _ = run
    assert report["deployment"]["name"] == "Harbour Bakery (sample static site)"
    assert report["deployment"]["reference_app"] is False
    # The profile the gates read is bound to the signed report by its digest.
    profile = HERE / "deployment.toml"
    assert report["policy"]["deployment"]["sha256"] == hashlib.sha256(profile.read_bytes()).hexdigest()
    said = json.dumps([[g["message"], g["findings"], g["metrics"]] for g in report["gates"]])
    leaked = [word for word in CASTMATCH if word in said]
    assert not leaked, leaked


def test_its_accessibility_faults_are_found(run: tuple[dict[str, Any], list[str], str]) -> None:
    report, _, _ = run
    found = {(f["rule"], f.get("page")) for g in report["gates"] for f in g["findings"]
             if f["severity"] in ("error", "critical", "high")}
    rules = {rule for rule, _ in found}
    assert ("axe/image-alt", "/") in found
    assert ("axe/link-name", "/about.html") in found
    assert {"axe/color-contrast", "axe/color-contrast-enhanced"} & rules
    assert any(page == "/visit.html" and "heading" in rule for rule, page in found), sorted(found)
    wcag = next(m for m in report["launch_metrics"] if m["metric"] == "wcag_aaa_violations")
    assert wcag["status"] == "missed"
    # One light theme: each page is scanned once, not once per (identical) theme.
    axe = next(g for g in report["gates"] if g["id"].endswith("test_wcag_aaa_light_and_dark[chromium]"))
    assert axe["metrics"][0]["labels"]["themes"] == "light"


def test_no_reference_app_was_started_or_imported(run: tuple[dict[str, Any], list[str], str]) -> None:
    _, audit, _ = run
    assert audit == []
