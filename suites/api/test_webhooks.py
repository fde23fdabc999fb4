"""The calendar webhook: signatures checked, redeliveries applied once, stale events ignored.

Each gate books its own audition (as the first test director) so runs never share state.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import random
import time
import uuid
from collections.abc import Mapping
from typing import Any

import pytest

from pytest_castmatch import Deployment, Finding, Gate
from pytest_castmatch.checks import access
from pytest_castmatch.checks.web import Client, Reply

HOOK = "/api/v1/webhooks/calendar"
#: Every gate here needs these from the profile.
NEEDS = pytest.mark.needs("feature:calendar-webhook", "feature:auditions", "api.webhook_secret", "api.token", "sign_in")


@pytest.fixture(scope="module")
def secret(castmatch_deployment: Deployment, deployment_env: Mapping[str, str]) -> str:
    """The webhook's signing key, from the variable the profile's ``[deployment.api] webhook_secret`` names."""
    name: str = castmatch_deployment.value("api.webhook_secret", str)
    if not deployment_env.get(name):
        pytest.fail(f"{name} is not set: the calendar webhook's signing key is read from it", pytrace=False)
    return deployment_env[name]


def deliver(client: Client, event: dict[str, Any], *, secret: str, timestamp: int | None = None,
            signature: str | None = None) -> Reply:
    """POST one event signed as documented: HMAC-SHA256 over ``<timestamp>.<raw body>``."""
    body = json.dumps(event, separators=(",", ":")).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-CastMatch-Timestamp": stamp,
               "X-CastMatch-Signature": signature if signature is not None else f"sha256={mac}"}
    return client.post(HOOK, body=body, headers=headers)


@pytest.fixture
def audition(client: Client, directors: tuple[tuple[str, str], ...],
             castmatch_deployment: Deployment) -> tuple[int, dict[str, str]]:
    """A fresh booking owned by the first director: (audition id, auth headers to read it)."""
    token: str = castmatch_deployment.value("api.token", str)
    auth = access.bearer(access.sign_in(client, *directors[0], path=token).access)
    # A talent has one booking per start time: a random talent and slot keep the gates' bookings apart.
    day = (dt.datetime.now(dt.UTC) + dt.timedelta(days=random.randint(3, 700))).date().isoformat()
    slot = {"talent_id": random.randint(1, 5000), "date": day, "time": f"{random.randint(9, 19):02d}:30"}
    reply = client.post("/api/v1/auditions", json_body={**slot, "role_id": 1, "notes": "webhook gate"},
                        headers={**auth, "Idempotency-Key": uuid.uuid4().hex})
    assert reply.status == 201, f"cannot book an audition: {reply.status} {reply.text[:300]}"
    return int(reply.json()["id"]), auth


def _event(audition_id: int, kind: str, sequence: int, **extra: Any) -> dict[str, Any]:
    return {"id": f"evt-{uuid.uuid4().hex}", "type": kind, "sequence": sequence, "audition_id": audition_id,
            **extra}


@pytest.mark.p0
@pytest.mark.owner("integration")
@NEEDS
def test_webhook_rejects_bad_signatures(gate: Gate, client: Client, secret: str,
                                        audition: tuple[int, dict[str, str]]) -> None:
    """Wrong secret, altered signature, missing headers and stale timestamps are all refused (401)."""
    audition_id, auth = audition
    event = _event(audition_id, "audition.cancelled", 5)
    attempts = {
        "wrong secret": deliver(client, event, secret="not-the-secret"),
        "altered signature": deliver(client, event, signature="sha256=" + "0" * 64, secret=secret),
        "no signature": deliver(client, event, signature="", secret=secret),
        "timestamp an hour old": deliver(client, event, timestamp=int(time.time()) - 3600, secret=secret),
    }
    findings = [Finding("webhook-bad-signature", f"a delivery with {what} was answered {reply.status}",
                        criterion="integration: webhook signatures", page=HOOK, context=reply.text[:200])
                for what, reply in attempts.items() if reply.status not in (400, 401, 403)]
    state = client.get(f"/api/v1/auditions/{audition_id}", headers=auth).json()
    if state["status"] == "cancelled":
        findings.append(Finding("webhook-bad-signature", "an unsigned cancellation was applied to the booking",
                                page=HOOK))
    good = deliver(client, _event(audition_id, "audition.confirmed", 1), secret=secret)
    if good.status != 200:  # the control: a correctly signed delivery must work, or the refusals prove nothing
        findings.append(Finding("webhook-broken", f"a correctly signed delivery was answered {good.status}",
                                page=HOOK, context=good.text[:200]))
    gate.check(findings)
    gate.metric("security_probes_run", len(attempts) + 1, labels={"probe": "webhook-signature"})


@pytest.mark.p0
@pytest.mark.owner("integration")
@NEEDS
def test_webhook_redelivery_is_applied_once(gate: Gate, client: Client, secret: str,
                                            audition: tuple[int, dict[str, str]]) -> None:
    """The same event delivered three times changes the booking once; the repeats say 'duplicate'."""
    audition_id, auth = audition
    event = _event(audition_id, "audition.rescheduled", 1, starts_at="2031-02-03T10:00")
    outcomes = [deliver(client, event, secret=secret) for _ in range(3)]
    findings: list[Finding] = []
    statuses = [r.json().get("status") if r.status == 200 else r.status for r in outcomes]
    if statuses != ["applied", "duplicate", "duplicate"]:
        findings.append(Finding("webhook-double-process", f"three deliveries of one event gave {statuses}, "
                                "expected applied, duplicate, duplicate", page=HOOK))
    history = client.get(f"/api/v1/auditions/{audition_id}", headers=auth).json().get("history", [])
    applied = [h for h in history if h["event_id"] == event["id"]]
    if len(applied) != 1:
        findings.append(Finding("webhook-double-process", f"event {event['id']} was recorded {len(applied)} times "
                                "in the booking's history", page=HOOK))
    gate.check(findings)
    gate.metric("security_probes_run", len(outcomes), labels={"probe": "webhook-redelivery"})


@pytest.mark.p0
@pytest.mark.owner("integration")
@NEEDS
def test_webhook_out_of_order_events_end_in_the_newest_state(gate: Gate, client: Client, secret: str,
                                                             audition: tuple[int, dict[str, str]]) -> None:
    """Sequence 3 (rescheduled) then a late sequence 2 (cancelled): the booking stays rescheduled."""
    audition_id, auth = audition
    newest = deliver(client, _event(audition_id, "audition.rescheduled", 3, starts_at="2031-03-04T12:30"),
                     secret=secret)
    late = deliver(client, _event(audition_id, "audition.cancelled", 2), secret=secret)
    state = client.get(f"/api/v1/auditions/{audition_id}", headers=auth).json()
    findings: list[Finding] = []
    assert newest.status == 200, f"the newest event was refused: {newest.status} {newest.text[:200]}"
    if late.status == 200 and late.json().get("status") != "stale":
        findings.append(Finding("webhook-out-of-order", f"an older event was {late.json().get('status')}, "
                                "expected stale", page=HOOK))
    if state.get("status") != "rescheduled" or not str(state.get("starts_at", "")).startswith("2031-03-04"):
        findings.append(Finding("webhook-out-of-order", f"after events 3 then 2 the booking is {state.get('status')} "
                                f"at {state.get('starts_at')}, expected rescheduled at 2031-03-04T12:30", page=HOOK))
    gate.check(findings)
    gate.metric("security_probes_run", 2, labels={"probe": "webhook-ordering"})
