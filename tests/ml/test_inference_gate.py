"""The ML inference gate in the company it keeps in a full gate run."""

from __future__ import annotations

from pathlib import Path

from tests.defects.test_matrix import run_gates


def test_inference_gate_runs_beside_a_live_playwright_loop(tmp_path: Path) -> None:
    # A journey first: pytest-playwright's sync API leaves an event loop running on the main
    # thread, where the benchmark's own loop would be refused if it ran there.
    status, report, out = run_gates(["suites/journeys/test_navigation.py::test_sitemap_matches_navigation",
                                     "suites/ml/test_inference_latency.py"], tmp_path / "report")
    outcomes = {g["id"].rsplit("::", 1)[-1]: g["outcome"] for g in report["gates"]}
    assert outcomes["test_recommendation_inference_p99"] == "passed", out[-3000:]
    inference = next(m for m in report["launch_metrics"] if m["metric"] == "ml_inference_p99_ms")
    assert inference["status"] == "met", inference
    # Only the journey and the inference gate ran: a partial scope is never a launch GO.
    assert (status, report["verdict"]["label"]) == (0, "GO for this scope"), out[-3000:]
