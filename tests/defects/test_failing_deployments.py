"""Deployments that only fail: every page, load and latency gate blocks, and no launch metric is "met".

A tiny server on 127.0.0.1 (a free port) answers 404 for every path, or 500 at once for every path;
the real suites gate it through ``--base-url``. A fast error page loads, paints and answers quickly:
measured as if it were the service, it would pass. Here every such gate must block, each page
gate with "page answered 404/500" and nothing measured, the load percentiles "not measured".
"""

from __future__ import annotations

import http.server
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.defects.test_matrix import run_gates
from tests.loopback import serving

#: The page, load and latency gates (not the zero-downtime gate: it restarts a reference app of its own).
GATES = ["suites/load/test_load.py", "suites/load/test_latency_probe.py", "suites/performance", "suites/motion",
         "suites/accessibility", "suites/interaction"]
#: A short, small load run: enough requests for every load gate to judge, in about ten seconds.
LOAD = {"CASTMATCH_LOAD_USERS": "10", "CASTMATCH_LOAD_SPAWN_RATE": "10", "CASTMATCH_LOAD_SECONDS": "8",
        "CASTMATCH_LOAD_WARMUP": "1", "CASTMATCH_LOAD_THINK": "0.1,0.2"}
BODY = b"<!doctype html><html lang=en><title>Error</title><main><h1>Error</h1><p>Nothing here.</p></main></html>"


def _failing(status: int) -> type[http.server.BaseHTTPRequestHandler]:
    class Failing(http.server.BaseHTTPRequestHandler):
        """Every path answers ``status`` at once; /readyz says ready, so the load runner goes ahead."""

        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            self.send_response(200 if self.path == "/readyz" else status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)

        do_GET = do_POST = do_HEAD = _answer

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Failing


@pytest.fixture(params=[404, 500], ids=["every-path-404", "every-path-500"])
def deployment(request: pytest.FixtureRequest) -> Iterator[tuple[int, str]]:
    """(status, base URL) of a deployment that answers only that status."""
    with serving(_failing(int(request.param))) as url:
        yield int(request.param), url


def test_every_page_load_and_latency_gate_blocks(deployment: tuple[int, str], tmp_path: Path) -> None:
    status, url = deployment
    code, report, out = run_gates(GATES, tmp_path / "report", options=("--base-url", url), environment=LOAD)
    gates = {g["id"]: g for g in report["gates"]}
    passed = [gid for gid, g in gates.items() if g["outcome"] == "passed"]
    assert not passed, f"gates passed against a deployment that answers only {status}: {passed}\n{out[-3000:]}"
    assert (code != 0, report["verdict"]["decision"]) == (True, "NO-GO")
    assert not [m for m in report["launch_metrics"] + report["metrics"] if m["status"] == "met"], out[-3000:]

    # Every browser gate says which page answered what, and measured nothing on it.
    for gid, gate in gates.items():
        if not gid.startswith("suites/load/"):
            rules = {f["rule"] for f in gate["findings"]}
            assert "page-status" in rules, f"{gid}: {sorted(rules)}"
            assert f"page answered {status}" in next(f["message"] for f in gate["findings"]
                                                     if f["rule"] == "page-status")
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
