"""Rate limits: a burst beyond the limit gets 429 + Retry-After, the burst allowance holds, the
limit recovers, and other clients from the same address (the load gate's users) are unaffected.

The limited path, its burst and the session cookie that keys a client's bucket are the profile's
``[deployment.rate_limit]`` (the reference app: ``/api/v1/roles``, a burst of 100, ``cm_sid``; it
keys buckets on the bearer-token user, else that cookie, else the IP). Each burst here runs under
its own fresh session, so it exhausts only its own bucket and never throttles gates beside it.
"""

from __future__ import annotations

import time

import pytest

from pytest_castmatch import Deployment, Finding, Gate, RateLimit
from pytest_castmatch.checks import ratelimit
from pytest_castmatch.checks.web import Client


def _session(base_url: str, cookie: str | None) -> Client:
    client = Client(base_url)
    client.get("/")
    assert cookie is None or cookie in client.cookies, f"the first page view set no {cookie} session cookie"
    return client


@pytest.mark.p0
@pytest.mark.owner("backend-api")
@pytest.mark.needs("rate_limit", "load")
def test_rate_limit_refuses_bursts_and_recovers(gate: Gate, castmatch_base_url: str,
                                                castmatch_deployment: Deployment) -> None:
    """One client over its limit gets 429 + Retry-After; a neighbour is unaffected; the limit recovers."""
    started = time.monotonic()
    limit: RateLimit = castmatch_deployment.value("rate_limit", RateLimit)
    path, cookie = limit.path, limit.session_cookie
    abuser, neighbour = _session(castmatch_base_url, cookie), _session(castmatch_base_url, cookie)
    try:
        identity = {"Cookie": f"{cookie}={abuser.cookies[cookie]}"} if cookie else {}
        result = ratelimit.burst(castmatch_base_url, path, identity=identity, cap=max(600, limit.burst * 4))
        print(f"rate limit: {len(result.statuses)} requests in {result.elapsed:.2f} s, "
              f"{result.allowed_before_refusal} passed before the first 429")
        findings = ratelimit.judge(result, path=path, min_burst=limit.burst)
        if result.refusal is not None:
            other = neighbour.get(path)
            if other.status != 200:
                findings.append(Finding("rate-limit-shared", f"another session from the same address got "
                                        f"{other.status} while one client was throttled: load-test users would "
                                        "be refused as one abusive client", page=path))
            wait = int((result.refusal.header("retry-after") or "1").strip() or 1)
            time.sleep(min(wait, 10) + 0.25)
            again = abuser.get(path)
            if again.status != 200:
                findings.append(Finding("rate-limit-stuck", f"after waiting Retry-After ({wait} s) the client still "
                                        f"got {again.status}", page=path))
        gate.check(findings)
        gate.metric("security_probes_run", len(result.statuses), labels={"probe": "rate-limit"})
        gate.metric("security_check_seconds", time.monotonic() - started, labels={"check": "rate-limit"})
    finally:
        abuser.close()
        neighbour.close()
