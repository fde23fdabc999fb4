"""Resilience gates that inject runtime faults into the shared app (``POST /_test/faults``).

Faults are global to the deployment, so each gate sets them through ``app_faults.during``
(suites/conftest.py): it waits for an exclusive hold on the run's fault lock, so no other gate,
on any xdist worker, runs while a fault is on, heals them as the ``with`` block ends, and keeps
the window short. The endpoint is the profile's ``fault_injection``; a deployment whose profile
says it has none makes these gates not applicable, and a profile silent about it makes them block.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from pytest_castmatch import Deployment, Finding, Gate
from pytest_castmatch.checks import access, probes
from pytest_castmatch.checks.web import Client

SIMILAR = "/api/v1/talent/1/similar?k=5"
#: The app's model timeout is 250 ms; a fallback must come within that plus a margin for a busy CI host.
FALLBACK_BUDGET_S = 1.0
#: Once the breaker is open, the fallback needs no model call at all (used when /metrics is absent).
OPEN_BUDGET_S = 0.2
CALLS_WHILE_FAILING = 10
RECOVERY_WAIT_S = 15.0


def _breaker(client: Client) -> tuple[float | None, float | None]:
    """(breaker state gauge, model calls so far) from the app's Prometheus metrics, None where absent."""
    text = client.get("/metrics").text
    state = re.search(r"^castmatch_circuit_breaker_state\s+([0-9.]+)", text, re.MULTILINE)
    calls = re.findall(r"^castmatch_inference_duration_seconds_count\{[^}]*\}\s+([0-9.]+)", text, re.MULTILINE)
    return (float(state.group(1)) if state else None), (sum(float(c) for c in calls) if calls else None)


def _wait_for_model(client: Client, deadline_s: float) -> tuple[bool, float]:
    started = time.monotonic()
    while time.monotonic() - started < deadline_s:
        reply = client.get(SIMILAR)
        if reply.status == 200 and reply.header("x-castmatch-source") == "model":
            return True, time.monotonic() - started
        time.sleep(0.5)
    return False, time.monotonic() - started


@pytest.mark.p0
@pytest.mark.owner("backend-api")
@pytest.mark.needs("fault_injection", "feature:recommendations")
def test_circuit_breaker_opens_falls_back_and_recovers(gate: Gate, client: Client, app_faults: Any) -> None:
    """With the model hanging, calls fall back within budget, the breaker opens (later calls skip the
    model), and once the model heals the breaker closes again."""
    healthy, _ = _wait_for_model(client, RECOVERY_WAIT_S)
    assert healthy, f"precondition: {SIMILAR} is not served by the model before the fault"
    findings: list[Finding] = []
    elapsed: list[float] = []
    _, calls_before = _breaker(client)
    with app_faults.during(model_slow_ms=3000):
        for i in range(CALLS_WHILE_FAILING):
            reply = client.get(SIMILAR)
            elapsed.append(reply.elapsed)
            if reply.status != 200 or reply.header("x-castmatch-source") != "fallback":
                findings.append(Finding("no-fallback", f"call {i + 1} with the model hanging answered {reply.status} "
                                        f"(source {reply.header('x-castmatch-source')})", page=SIMILAR))
            elif reply.elapsed > FALLBACK_BUDGET_S:
                findings.append(Finding("fallback-slow", f"call {i + 1} took {reply.elapsed * 1000:.0f} ms, budget "
                                        f"{FALLBACK_BUDGET_S * 1000:.0f} ms", page=SIMILAR))
        state, calls_after = _breaker(client)
    print(f"circuit: {CALLS_WHILE_FAILING} calls, " + ", ".join(f"{e * 1000:.0f}" for e in elapsed) + " ms; "
          f"breaker state {state}, model calls {calls_before} -> {calls_after}")
    if state is not None and calls_before is not None and calls_after is not None:
        # The app reports its breaker: an open breaker means later calls never reach the model.
        if state < 1 or calls_after - calls_before >= CALLS_WHILE_FAILING:
            findings.append(Finding("circuit-never-opens", f"after {CALLS_WHILE_FAILING} model timeouts the breaker "
                                    f"state is {state:g} (1 = open) and the model was called "
                                    f"{calls_after - calls_before:g} times", criterion="backend-api: circuit breaker"))
    elif min(elapsed[-3:]) > OPEN_BUDGET_S:
        # No metrics to read (another deployment): an open breaker answers without waiting for the model.
        findings.append(Finding("circuit-never-opens", "the last calls still waited for the model "
                                f"({', '.join(f'{e * 1000:.0f} ms' for e in elapsed[-3:])})",
                                criterion="backend-api: circuit breaker", page=SIMILAR))
    recovered, waited = _wait_for_model(client, RECOVERY_WAIT_S)
    if not recovered:
        findings.append(Finding("circuit-stuck-open", f"the model healed but {SIMILAR} still falls back after "
                                f"{waited:.0f} s", criterion="backend-api: circuit breaker", page=SIMILAR))
    gate.check(findings)
    gate.metric("security_probes_run", CALLS_WHILE_FAILING, labels={"probe": "circuit-breaker"})
    gate.metric("security_check_seconds", waited, labels={"check": "circuit-recovery"})


@pytest.mark.p2
@pytest.mark.owner("ai-ml")
@pytest.mark.needs("fault_injection", "feature:recommendations")
def test_model_down_serves_popular_fallback(gate: Gate, client: Client, app_faults: Any) -> None:
    """With the model down, recommendations still answer 200 with popular talent (source fallback)."""
    findings: list[Finding] = []
    with app_faults.during(model_down=True):
        replies = [client.get(SIMILAR), client.get("/api/v1/roles/1/talent?k=5")]
    for reply in replies:
        body = reply.json() if reply.status == 200 else {}
        if reply.status != 200 or body.get("source") != "fallback" or not body.get("results"):
            findings.append(Finding("no-model-fallback", f"{reply.url} with the model down answered {reply.status} "
                                    f"(source {body.get('source')}, {len(body.get('results', []))} results)",
                                    criterion="ai-ml: graceful fallback"))
    client.get(SIMILAR)  # one healthy call resets the breaker's failure count for the gates that follow
    gate.check(findings)
    gate.metric("security_probes_run", len(replies), labels={"probe": "model-fallback"})


@pytest.mark.p0
@pytest.mark.owner("testing-qa")
@pytest.mark.needs("pages", "fault_injection")
def test_error_pages_hide_stack_traces(gate: Gate, client: Client, app_faults: Any, inventory_pages: list[str],
                                       castmatch_deployment: Deployment) -> None:
    """A server error answers 500 with a friendly page (HTML) or error object (API), no traceback."""
    findings: list[Finding] = []
    api = castmatch_deployment.optional("api")
    paths = [*inventory_pages[:2], *(api.probe[:1] if api is not None else ())]
    with app_faults.during(server_error=True):
        replies = [client.get(path, headers={"Accept": "text/html"}) for path in paths]
    for reply in replies:
        where = reply.url
        if reply.status != 500:
            findings.append(Finding("server-error-status", f"{where} with the server failing answered {reply.status}",
                                    severity="warning", page=where))
        findings += probes.leaks(reply, where)
        if re.search(r"\b\w+(Error|Exception)\b:|/site-packages/|\.py\b", reply.text):
            findings.append(Finding("error-detail-leak", f"{where} shows internal error details", page=where,
                                    criterion="OWASP ASVS 7.4.1", context=reply.text[:300]))
    gate.check(findings)
    gate.metric("security_high_findings", sum(f.severity.fails for f in findings), labels={"source": "errors"})
    gate.metric("security_probes_run", len(replies), labels={"probe": "error-pages"})


@pytest.mark.p1
@pytest.mark.owner("integration")
@pytest.mark.needs("fault_injection", "api.token", "sign_in", "feature:auditions")
def test_expired_access_tokens_are_refused(gate: Gate, client: Client, app_faults: Any,
                                           directors: tuple[tuple[str, str], ...],
                                           castmatch_deployment: Deployment) -> None:
    """With the app's token clock moved past ``expires_in``, the access token is refused (401)."""
    reply, tokens = access.token_grant(client, {"grant_type": "password", "username": directors[1][0],
                                                "password": directors[1][1]},
                                       path=castmatch_deployment.value("api.token", str))
    assert tokens is not None, f"cannot sign in: {reply.status}"
    lifetime = int(reply.json().get("expires_in", 900))
    auth = access.bearer(tokens.access)
    assert client.get("/api/v1/me", headers=auth).status == 200, "precondition: a fresh token works"
    findings: list[Finding] = []
    with app_faults.during(clock_offset_s=lifetime + 60):
        expired = client.get("/api/v1/me", headers=auth)
    if expired.status != 401:
        findings.append(Finding("token-no-expiry", f"an access token {lifetime + 60} s past issue (lifetime "
                                f"{lifetime} s) was answered {expired.status}", criterion="OWASP ASVS 3.5.3",
                                page="/api/v1/me"))
    gate.check(findings)
    gate.metric("security_probes_run", 1, labels={"probe": "token-expiry"})
