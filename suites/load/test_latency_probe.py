"""API latency without load: a short concurrent probe of each public endpoint (p50, p95, p99).

A few threads, no load generator: the latency a lightly used deployment gives, per endpoint,
next to the load gates' figures. Any failed request is a finding.
"""

from __future__ import annotations

import pytest

from pytest_castmatch.checks import latency
from pytest_castmatch.model import Series
from pytest_castmatch.recorder import Gate

# The public, anonymous GET endpoints of the CastMatch API, each with a typical query.
ENDPOINTS = (
    "/api/v1/search?q=acting&area=andheri",
    "/api/v1/talent/42",
    "/api/v1/talent/42/similar",
    "/api/v1/roles",
    "/api/v1/roles/3",
    "/api/v1/roles/3/talent",
)

@pytest.mark.p1
@pytest.mark.owner("backend-api")
def test_api_latency_probe(castmatch_base_url: str, gate: Gate) -> None:
    """Every public endpoint answers, with p50/p95/p99 under the probe thresholds."""
    results = latency.probe(castmatch_base_url, ENDPOINTS, rounds=15, concurrency=4, warmup_path="/offline")
    gate.check(latency.findings(results, castmatch_base_url))
    for r in results:
        if not r.count:
            continue
        labels = {"endpoint": r.path.split("?")[0], "requests": str(r.count)}
        gate.metric("api_probe_p50_ms", round(r.percentile(0.50), 2), labels=labels)
        gate.metric("api_probe_p95_ms", round(r.percentile(0.95), 2), labels=labels)
        gate.metric("api_probe_p99_ms", round(r.percentile(0.99), 2), labels=labels,
                    series=Series(tuple((float(i), round(t, 2)) for i, t in enumerate(r.timings_ms)),
                                  "time of each request", "ms", x="sample"))
