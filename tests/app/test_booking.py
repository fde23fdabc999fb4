"""One talent, one audition at a time: a second booking of a slot is refused and says why."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.app.apphelp import OTHER_DIRECTOR, bearer, csrf, free_slot, sign_in
from tests.app.test_webhook import deliver, event

TALENT = 17


def book(client: TestClient, day: str, time: str, account: tuple[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    headers = {**(bearer(client, account) if account else bearer(client)), "Idempotency-Key": uuid.uuid4().hex}
    response = client.post("/api/v1/auditions", json={"talent_id": TALENT, "role_id": 1, "date": day, "time": time},
                           headers=headers)
    return response.status_code, response.json()


def test_the_api_refuses_a_taken_slot_with_409_and_a_message(clean: TestClient) -> None:
    day, time = free_slot()
    assert book(clean, day, time)[0] == 201
    status, body = book(clean, day, time, OTHER_DIRECTOR)
    assert status == 409
    assert body["error"]["code"] == "slot_taken"
    assert time in body["error"]["message"]
    assert day in body["error"]["message"]
    assert "Choose another time" in body["error"]["fields"]["time"]
    assert book(clean, day, "20:00" if time != "20:00" else "19:00")[0] == 201, "another time is free"


def test_a_cancelled_booking_frees_its_slot(clean: TestClient) -> None:
    day, time = free_slot()
    status, first = book(clean, day, time)
    assert status == 201
    cancel = event(first["id"], 1, "audition.cancelled")
    assert deliver(clean, cancel).json()["status"] == "applied"
    assert book(clean, day, time, OTHER_DIRECTOR)[0] == 201


def test_the_booking_form_explains_a_taken_slot_beside_the_time(clean: TestClient) -> None:
    day, time = free_slot()
    assert book(clean, day, time, OTHER_DIRECTOR)[0] == 201
    sign_in(clean)
    form = clean.get("/auditions/new", params={"talent": TALENT, "lang": "en"}).text
    nonce = re.search(r'name="nonce" value="([^"]+)"', form)
    assert nonce is not None
    refused = clean.post("/auditions/new", data={"csrf": csrf(form, "/auditions/new"), "talent": str(TALENT),
                                                 "nonce": nonce.group(1), "role": "1", "date": day, "time": time,
                                                 "notes": ""}, follow_redirects=False)
    assert refused.status_code == 409
    page = html.unescape(refused.text)
    assert re.search(rf'<p class="field-error" id="time-error">[^<]* is already booked on {day} at {time}\.', page)
    assert 'aria-invalid="true"' in page.split('id="time"')[1].split(">")[0]
