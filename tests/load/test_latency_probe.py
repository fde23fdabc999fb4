"""The concurrent latency probe against a local service with known latencies and failures."""

from __future__ import annotations

import pytest

from pytest_castmatch.checks import latency


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert latency.nearest_rank(values, 0.50) == 50.0
    assert latency.nearest_rank(values, 0.99) == 99.0
    assert latency.nearest_rank(values, 1.0) == 100.0
    assert latency.nearest_rank([], 0.99) == 0.0


def test_probe_times_each_endpoint_and_reports_failures(local_service: str) -> None:
    results = latency.probe(local_service, ["/fast", "/slow", "/broken"], rounds=5, concurrency=3,
                            warmup_path="/fast")
    by_path = {r.path: r for r in results}
    assert [r.sent for r in results] == [15, 15, 15]
    # /slow waits 50 ms on top of what /fast costs: its median is at least that, and above /fast's
    # however busy the machine (both pay the same queueing).
    assert by_path["/slow"].percentile(0.50) >= 50.0
    assert by_path["/fast"].percentile(0.50) < by_path["/slow"].percentile(0.50)
    assert by_path["/fast"].failed == 0
    # A fast 500 is no latency of the endpoint: nothing of /broken is timed.
    assert (by_path["/broken"].failed, by_path["/broken"].count, by_path["/broken"].timings_ms) == (15, 0, [])
    found = latency.findings(results, local_service)
    assert [f.rule for f in found] == ["latency-probe-errors"]
    assert "/broken: 15 of 15" in found[0].message
    assert found[0].severity == "error"


def test_a_window_that_failed_too_often_is_no_measurement() -> None:
    assert latency.too_many_errors(10_000, 10_000, 99.99) == ""
    assert latency.too_many_errors(10_000, 9_999, 99.99) == ""  # exactly 99.99 % answered
    assert latency.too_many_errors(10_000, 9_998, 99.99) == (
        "2 of 10000 requests failed: 99.98 % answered, below the 99.99 % availability threshold")
    assert latency.too_many_errors(120, 0, 99.99).startswith("120 of 120 requests failed: 0 % answered")
    assert latency.too_many_errors(0, 0, 99.99) == "no requests were sent in its window"


def test_unreachable_service_is_a_finding_not_a_pass() -> None:
    results = latency.probe("http://127.0.0.1:9", ["/api"], rounds=2, concurrency=1, timeout=2)
    found = latency.findings(results, "http://127.0.0.1:9")
    assert results[0].count == 0
    assert len(found) == 1
    assert found[0].severity == "error"


@pytest.mark.parametrize("cookie_path", ["/fast"])
def test_probe_keeps_the_session_cookie(local_service: str, cookie_path: str) -> None:
    client = latency._Client(local_service, timeout=5)
    try:
        assert client.get(cookie_path) == 200
        assert client.cookies == {"cm_sid": "probe"}
    finally:
        client.close()
