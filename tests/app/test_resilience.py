from __future__ import annotations

import time

from fastapi.testclient import TestClient

from castmatch_app.config import parse_rate_limits
from tests.app.apphelp import MakeApp, rt


def test_rate_limit_has_a_burst_then_429_with_retry_after(make_app: MakeApp) -> None:
    client = make_app(rate_limits=parse_rate_limits("api=2/5,pages=2/5"))
    codes = [client.get("/api/v1/talent/1").status_code for _ in range(8)]
    assert codes[:5] == [200] * 5
    assert 429 in codes[5:]
    refused = client.get("/api/v1/talent/1")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert "Wait" in refused.json()["error"]["message"]
    assert refused.headers["x-content-type-options"] == "nosniff"
    assert client.get("/healthz").status_code == 200  # operations endpoints are never limited
    time.sleep(0.6)
    assert client.get("/api/v1/talent/1").status_code == 200  # the bucket refills


def test_rate_limit_is_per_client(make_app: MakeApp) -> None:
    client = make_app(rate_limits=parse_rate_limits("api=1/2,pages=1/3"))
    for _ in range(3):
        client.get("/api/v1/talent/1")
    assert client.get("/api/v1/talent/1").status_code == 429
    browser = client.get("/")  # a page visit issues this visitor its own signed cookie (and bucket)
    assert browser.status_code == 200
    assert client.get("/api/v1/talent/1").status_code == 200


def test_circuit_opens_serves_fallback_and_recovers(make_app: MakeApp) -> None:
    client = make_app(breaker_reset_s=0.3)
    assert client.get("/api/v1/talent/5/similar").json()["source"] == "model"
    client.post("/_test/faults", json={"model_down": True})
    sources = [client.get("/api/v1/talent/5/similar").json()["source"] for _ in range(7)]
    assert set(sources) == {"fallback"}
    assert rt(client).recommender.breaker.state == "open"
    assert "castmatch_circuit_breaker_state 1.0" in client.get("/metrics").text
    client.post("/_test/faults", json={"model_down": False})
    time.sleep(0.35)
    healed = client.get("/api/v1/talent/5/similar")
    assert healed.json()["source"] == "model"
    assert rt(client).recommender.breaker.state == "closed"


def test_slow_model_times_out_into_fallback(make_app: MakeApp) -> None:
    client = make_app(model_timeout_ms=50)
    client.post("/_test/faults", json={"model_slow_ms": 3000})
    started = time.perf_counter()
    response = client.get("/api/v1/talent/6/similar")
    assert response.json()["source"] == "fallback"
    assert response.headers["x-castmatch-source"] == "fallback"
    assert time.perf_counter() - started < 1.5


def test_fault_route_needs_the_flag(make_app: MakeApp) -> None:
    client = make_app(fault_injection=False)
    assert client.post("/_test/faults", json={"model_down": True}).status_code == 404


def test_fault_route_validates(client: TestClient) -> None:
    assert client.post("/_test/faults", json={"model_dwn": True}).status_code == 400
    assert client.post("/_test/faults", json={"model_slow_ms": "slow"}).status_code == 400
