"""Deployments that only fail: every page, load and latency gate blocks, and no launch metric is "met".

A tiny server on 127.0.0.1 (a free port) answers 404 for every path, or 500 at once for every path;
the real suites gate it through ``--base-url`` with its profile (``failing_deployment.toml``: pages, both
themes, an animation). A fast error page loads, paints and answers quickly:
measured as if it were the service, it would pass. Here every such gate must block, each page
gate with "page answered 404/500" and nothing measured, the load percentiles "not measured"
(every page gate against the 404s; the load gates and one page gate against the 500s).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.defects.test_matrix import run_gates
from tests.loopback import failing, serving

PROFILE = Path(__file__).with_name("failing_deployment.toml")

#: The page, load and latency gates (not the zero-downtime gate: it restarts a reference app of its own).
GATES = ["suites/load/test_load.py", "suites/load/test_latency_probe.py", "suites/performance", "suites/motion",
         "suites/accessibility", "suites/interaction"]
#: Against fast 500s: the load and latency gates, and one page gate end to end. Every page gate opens
#: its pages through navigation.visit, which the 404 deployment proves gate by gate and
#: tests/checks/test_navigation.py proves for a 500 too.
GATES_500 = ["suites/load/test_load.py", "suites/load/test_latency_probe.py",
             "suites/accessibility/test_structure.py::test_landmarks_and_headings"]
#: The profile's own short model (its [deployment.load.model]) on one Locust worker: it needs no more.
LOAD = {"CASTMATCH_LOAD_WORKERS": "1"}


@pytest.fixture(params=[404, 500], ids=["every-path-404", "every-path-500"])
def deployment(request: pytest.FixtureRequest) -> Iterator[tuple[int, str]]:
    """(status, base URL) of a deployment that answers only that status."""
    with serving(failing(int(request.param))) as url:
        yield int(request.param), url


def test_every_page_load_and_latency_gate_blocks(deployment: tuple[int, str], tmp_path: Path) -> None:
    status, url = deployment
    code, report, out = run_gates(GATES if status == 404 else GATES_500, tmp_path / "report",
                                  options=("--base-url", url, "--gate-deployment", str(PROFILE)),
                                  environment=LOAD, small_load=False)
    gates = {g["id"]: g for g in report["gates"]}
    passed = [gid for gid, g in gates.items() if g["outcome"] == "passed"]
    assert not passed, f"gates passed against a deployment that answers only {status}: {passed}\n{out[-3000:]}"
    assert (code != 0, report["verdict"]["decision"]) == (True, "NO-GO")
    assert not [m for m in report["launch_metrics"] + report["metrics"] if m["status"] == "met"], out[-3000:]

    # Every browser gate the profile applies to says which page answered what, and measured nothing on it;
    # the others are not applicable with the profile's reason.
    visited: list[str] = []
    for gid, gate in gates.items():
        if gate["outcome"] == "not-applicable":
            assert gate["message"].startswith("the deployment has no "), gate
            assert str(PROFILE) in gate["message"], gate
        elif not gid.startswith("suites/load/"):
            visited.append(gid)
            rules = {f["rule"] for f in gate["findings"]}
            assert "page-status" in rules, f"{gid}: {sorted(rules)}"
            assert f"page answered {status}" in next(f["message"] for f in gate["findings"]
                                                     if f["rule"] == "page-status")
    folders = {gid.split("/")[1] for gid in visited}
    assert folders >= ({"accessibility", "performance", "motion", "interaction"} if status == 404 else
                       {"accessibility"}), visited
    assert not [m for m in report["metrics"] if m["metric"].startswith(("cwv_", "page_", "frames_"))]

    # The load percentiles over failed answers are not measured, and say how many answers they had.
    rows = {m["metric"]: m for m in report["launch_metrics"]}
    assert rows["api_p99_ms"]["status"] == "not-measured"
    assert rows["api_p99_ms"]["samples"] > 0
    assert rows["api_p99_ms"]["successes"] == 0
    assert (rows["availability_percent"]["status"], rows["availability_percent"]["value"]) == ("missed", 0.0)
    judged = {m["metric"]: m["status"] for m in report["metrics"] if m["metric"] in (
        "api_p99_ms", "load_throughput_ratio", "load_users_reached_percent", "api_probe_p99_ms")}
    assert judged == dict.fromkeys(("api_p99_ms", "load_throughput_ratio", "load_users_reached_percent",
                                    "api_probe_p99_ms"), "not-measured"), judged
