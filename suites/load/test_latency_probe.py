"""API latency without load: a short concurrent probe of each public endpoint (p50, p95, p99).

A few threads, no load generator: the latency a lightly used deployment gives, per endpoint,
next to the load gates' figures. Any failed request is a finding. It sends traffic, so it passes
the traffic guard first (the profile's ``[deployment.load] allowed_hosts``).
"""

from __future__ import annotations

import pytest

from pytest_castmatch import Deployment, Gate, Load, Series
from pytest_castmatch.checks import latency

#: 13 rounds from each of 8 threads: 104 answers per endpoint, enough for a p99 (min_samples); each
#: thread is a client of its own, and 13 rounds of the reference profile's 6 endpoints (78 requests)
#: stay within one client's API rate-limit burst.
ROUNDS, CONCURRENCY = 13, 8


@pytest.mark.p1
@pytest.mark.owner("backend-api")
@pytest.mark.needs("api", "load")
def test_api_latency_probe(castmatch_base_url: str, gate: Gate, castmatch_deployment: Deployment,
                           min_availability: float) -> None:
    """Every public endpoint the profile lists (``[deployment.api] probe``) answers, with p50/p95/p99 of
    its successful answers under the probe thresholds."""
    endpoints = castmatch_deployment.api.probe
    if not endpoints:
        pytest.fail(f"the deployment profile ({castmatch_deployment.source}) lists no endpoints to time: set "
                    "[deployment.api] probe = [\"/api/...\"]", pytrace=False)
    allowed = castmatch_deployment.value("load", Load).allowed_hosts
    results = latency.probe(castmatch_base_url, endpoints, rounds=ROUNDS, concurrency=CONCURRENCY,
                            allowed_hosts=allowed)
    gate.check(latency.findings(results, castmatch_base_url))
    for r in results:
        labels = {"endpoint": r.path.split("?")[0], "requests": str(r.sent)}
        why = latency.too_many_errors(r.sent, r.count, min_availability)
        series = Series(tuple((float(i), round(t, 2)) for i, t in enumerate(r.timings_ms)),
                        "time of each successful request", "ms", x="sample")
        for name, fraction in (("api_probe_p50_ms", 0.50), ("api_probe_p95_ms", 0.95), ("api_probe_p99_ms", 0.99)):
            gate.metric(name, round(r.percentile(fraction), 2), labels=labels, samples=r.sent, successes=r.count,
                        not_measured=why, series=series if fraction == 0.99 else ())
