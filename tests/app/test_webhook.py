from __future__ import annotations

import json
import time
import uuid
from typing import Any

from fastapi.testclient import TestClient

from castmatch_app.security import webhook_signature
from tests.app.apphelp import bearer, free_slot

SECRET = "castmatch-calendar-secret"


def deliver(client: TestClient, event: dict[str, Any], secret: str = SECRET) -> Any:
    body = json.dumps(event).encode()
    stamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-CastMatch-Timestamp": stamp,
               "X-CastMatch-Signature": webhook_signature(secret, stamp, body)}
    return client.post("/api/v1/webhooks/calendar", content=body, headers=headers)


def new_audition(client: TestClient) -> int:
    day, time = free_slot()
    body = {"talent_id": 30, "role_id": 4, "date": day, "time": time}
    response = client.post("/api/v1/auditions", json=body, headers={**bearer(client),
                                                                     "Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 201
    return int(response.json()["id"])


def event(audition: int, sequence: int, kind: str = "audition.rescheduled", **extra: Any) -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "type": kind, "sequence": sequence, "audition_id": audition,
            "starts_at": f"2099-02-0{sequence}T10:00", **extra}


def audition(client: TestClient, audition_id: int) -> dict[str, Any]:
    data: dict[str, Any] = client.get(f"/api/v1/auditions/{audition_id}", headers=bearer(client)).json()
    return data


def test_signature_is_required(client: TestClient) -> None:
    target = new_audition(client)
    assert deliver(client, event(target, 1), secret="wrong").status_code == 401
    unsigned = client.post("/api/v1/webhooks/calendar", json=event(target, 1))
    assert unsigned.status_code == 401
    assert "X-CastMatch-Signature" in unsigned.json()["error"]["message"]
    body = json.dumps(event(target, 1)).encode()
    old = str(int(time.time()) - 3600)
    replay = client.post("/api/v1/webhooks/calendar", content=body, headers={
        "X-CastMatch-Timestamp": old, "X-CastMatch-Signature": webhook_signature(SECRET, old, body)})
    assert replay.status_code == 401


def test_redelivery_is_idempotent(client: TestClient) -> None:
    target = new_audition(client)
    confirmed = event(target, 1, "audition.confirmed")
    assert deliver(client, confirmed).json()["status"] == "applied"
    assert deliver(client, confirmed).json()["status"] == "duplicate"
    history = audition(client, target)["history"]
    assert [h["event_id"] for h in history] == [confirmed["id"]]
    assert audition(client, target)["status"] == "confirmed"


def test_out_of_order_events_keep_the_newest(client: TestClient) -> None:
    target = new_audition(client)
    newer, older = event(target, 3), event(target, 2)
    assert deliver(client, newer).json()["status"] == "applied"
    assert deliver(client, older).json()["status"] == "stale"
    state = audition(client, target)
    assert state["starts_at"] == "2099-02-03T10:00"
    assert state["calendar_sequence"] == 3


def test_malformed_events_are_explained(client: TestClient) -> None:
    target = new_audition(client)
    response = deliver(client, {"id": "x", "type": "audition.rescheduled", "sequence": 1, "audition_id": target})
    assert response.status_code == 422
    assert "starts_at" in response.json()["error"]["fields"]
    unknown = deliver(client, event(999_999, 1))
    assert unknown.status_code == 422
