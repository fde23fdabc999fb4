"""The operability checks over exposition text, log lines and probe timelines with known answers."""

from __future__ import annotations

import json

from pytest_castmatch.checks import ops
from pytest_castmatch.checks.ops import Probe, SeriesRule

EXPOSITION = """# HELP app_request_seconds Latency.
# TYPE app_request_seconds histogram
app_request_seconds_bucket{route="/",le="0.1"} 3.0
app_request_seconds_bucket{route="/",le="+Inf"} 4.0
app_request_seconds_count{route="/"} 4.0
app_request_seconds_sum{route="/"} 0.5
# HELP app_requests_total Requests.
# TYPE app_requests_total counter
app_requests_total{route="/",status="200"} 4.0
# HELP app_breaker Breaker.
# TYPE app_breaker gauge
app_breaker 0.0
"""
RULES = (SeriesRule("app_request_seconds", "histogram", frozenset({"route"})),
         SeriesRule("app_requests", "counter", frozenset({"status"})),
         SeriesRule("app_breaker", "gauge"))


def test_all_series_present() -> None:
    assert ops.required_series(EXPOSITION, RULES) == []


def test_missing_wrong_type_and_label() -> None:
    rules = (SeriesRule("app_inference_seconds", "histogram"), SeriesRule("app_breaker", "counter"),
             SeriesRule("app_requests", "counter", frozenset({"method"})))
    assert [f.rule for f in ops.required_series(EXPOSITION, rules)] == ["metric-missing", "metric-type",
                                                                        "metric-labels"]


def test_unparseable_exposition() -> None:
    assert [f.rule for f in ops.required_series("app_x{le=", RULES)] == ["metrics-unparseable"]


def _line(**fields: object) -> str:
    return json.dumps(fields)


def test_request_ids_found_in_logs() -> None:
    log = "\n".join([_line(level="info", message="started"),
                     _line(level="info", logger="access", message=_line(event="request", path="/", request_id="r1")),
                     _line(level="info", event="request", path="/x", request_id="r2")])
    assert ops.request_id_findings(log, [("/", "r1"), ("/x", "r2")]) == []


def test_request_id_problems() -> None:
    log = "plain text line\n" + _line(level="info", event="request", path="/")
    rules = [f.rule for f in ops.request_id_findings(log, [("/", None), ("/x", "zzz")])]
    assert rules == ["log-not-json", "no-request-id-header", "request-id-not-logged", "log-field-missing"]


def test_no_access_log_at_all() -> None:
    assert "no-access-log" in [f.rule for f in ops.request_id_findings(_line(level="info", message="hi"), [])]


def _timeline(ready_after_term: bool) -> list[Probe]:
    probes = [Probe(0.1, "/healthz", 0), Probe(0.1, "/readyz", 0), Probe(1.0, "/healthz", 200),
              Probe(1.0, "/readyz", 200), Probe(2.2, "/healthz", 200)]
    probes.append(Probe(2.3, "/readyz", 200 if ready_after_term else 503))
    probes.append(Probe(3.5, "/readyz", 0))
    return probes


def test_truthful_probes() -> None:
    assert ops.lifecycle_findings(_timeline(False), sigterm_at=2.0, ready_at=1.0, unserved=[0.1, 0.5]) == []


def test_ready_while_draining() -> None:
    assert [f.rule for f in ops.lifecycle_findings(_timeline(True), 2.0, 1.0)] == ["readyz-while-draining"]


def test_ready_before_serving() -> None:
    # /readyz said ready at 1.0 s; a real request sent at 1.4 s was not served.
    found = ops.lifecycle_findings(_timeline(False), 2.0, 1.8, unserved=[0.5, 1.4])
    assert [f.rule for f in found] == ["readyz-early"]
    assert "1.00s" in found[0].message
    assert "1.40s" in found[0].message


def test_a_slow_poll_is_not_an_early_readyz() -> None:
    # The first real request after /readyz said ready (1.0 s) was sent late (1.8 s) and served: on a busy
    # machine the poll trails readiness; nothing shows the app could not serve when /readyz said it could.
    assert ops.lifecycle_findings(_timeline(False), 2.0, 1.8, unserved=[0.1, 0.9]) == []


def test_table_diff() -> None:
    before: dict[str, list[tuple[object, ...]]] = {"auditions": [(1, "a"), (2, "b")], "users": [(1,)]}
    assert ops.table_diff(before, before) == []
    after: dict[str, list[tuple[object, ...]]] = {"auditions": [(1, "a")], "users": [(1,)]}
    found = ops.table_diff(before, after)
    assert [f.selector for f in found] == ["auditions"]
    assert "1 row(s) lost" in found[0].message
