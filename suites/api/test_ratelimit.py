"""Rate limits: a burst beyond the limit gets 429 + Retry-After, the burst allowance holds, the
limit recovers, and other clients from the same address (the load gate's users) are unaffected.

The reference app keys its buckets on the bearer-token user, else the signed ``cm_sid`` session
cookie, else the IP; each burst here runs under its own fresh session, so it exhausts only its own
bucket and never throttles gates running beside it. ``CASTMATCH_API_BURST`` sets the expected
burst for other deployments (reference default: api=50/100, i.e. 100).
"""

from __future__ import annotations

import os
import time

import pytest

from pytest_castmatch.checks import ratelimit
from pytest_castmatch.checks.web import Client
from pytest_castmatch.model import Finding
from pytest_castmatch.recorder import Gate

PATH = "/api/v1/roles?limit=1"
API_BURST = int(os.environ.get("CASTMATCH_API_BURST", "100"))


def _session(base_url: str) -> Client:
    client = Client(base_url)
    client.get("/")
    assert "cm_sid" in client.cookies, "the first page view set no cm_sid session cookie"
    return client


@pytest.mark.p0
@pytest.mark.owner("backend-api")
def test_rate_limit_refuses_bursts_and_recovers(gate: Gate, castmatch_base_url: str) -> None:
    """One client over its limit gets 429 + Retry-After; a neighbour is unaffected; the limit recovers."""
    started = time.monotonic()
    abuser, neighbour = _session(castmatch_base_url), _session(castmatch_base_url)
    try:
        identity = {"Cookie": f"cm_sid={abuser.cookies['cm_sid']}"}
        result = ratelimit.burst(castmatch_base_url, PATH, identity=identity, cap=max(600, API_BURST * 4))
        print(f"rate limit: {len(result.statuses)} requests in {result.elapsed:.2f} s, "
              f"{result.allowed_before_refusal} passed before the first 429")
        findings = ratelimit.judge(result, path=PATH, min_burst=API_BURST)
        if result.refusal is not None:
            other = neighbour.get(PATH)
            if other.status != 200:
                findings.append(Finding("rate-limit-shared", f"another session from the same address got "
                                        f"{other.status} while one client was throttled: load-test users would "
                                        "be refused as one abusive client", page=PATH))
            wait = int((result.refusal.header("retry-after") or "1").strip() or 1)
            time.sleep(min(wait, 10) + 0.25)
            again = abuser.get(PATH)
            if again.status != 200:
                findings.append(Finding("rate-limit-stuck", f"after waiting Retry-After ({wait} s) the client still "
                                        f"got {again.status}", page=PATH))
        gate.check(findings)
        gate.metric("security_probes_run", len(result.statuses), labels={"probe": "rate-limit"})
        gate.metric("security_check_seconds", time.monotonic() - started, labels={"check": "rate-limit"})
    finally:
        abuser.close()
        neighbour.close()
