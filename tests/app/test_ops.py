from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from castmatch_app import cli
from tests.app.apphelp import MakeApp, bearer, rt


def test_health_and_readiness(client: TestClient) -> None:
    health = client.get("/healthz")
    assert health.json() == {"status": "ok"}
    assert health.headers["x-castmatch-defects"] == ""
    assert client.get("/readyz").status_code == 200
    rt(client).lifecycle.draining = True
    draining = client.get("/readyz")
    assert draining.status_code == 503
    assert draining.json()["status"] == "draining"
    assert client.get("/talent/1").headers["connection"] == "close"


def test_defects_are_visible_on_healthz_only(make_app: MakeApp) -> None:
    client = make_app("no-cache", "idor")
    assert client.get("/healthz").headers["x-castmatch-defects"] == "idor,no-cache"
    assert "x-castmatch-defects" not in client.get("/").headers


def test_security_headers_everywhere(client: TestClient) -> None:
    for path in ("/", "/api/v1/talent/1", "/healthz", "/nope", "/static/x/y.css", "/media/headshots/1-card.webp"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert headers["strict-transport-security"].startswith("max-age=")
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"]
        assert headers["permissions-policy"]
        assert "server" not in headers


def test_request_ids(client: TestClient) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id <script>"}).headers["x-request-id"]
    assert len(generated) == 32


def test_json_logs_carry_request_ids(make_app: MakeApp, caplog: pytest.LogCaptureFixture) -> None:
    from castmatch_app.logs import JsonFormatter

    client = make_app(access_log=True)
    with caplog.at_level("INFO", logger="castmatch.access"):
        client.get("/talent/2", headers={"X-Request-ID": "trace-42"})
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "castmatch.access"]
    assert lines
    assert lines[-1]["request_id"] == "trace-42"
    assert lines[-1]["status"] == 200


def test_metrics_series(client: TestClient) -> None:
    client.get("/api/v1/search?q=dance")
    client.get("/api/v1/talent/1/similar")
    text = client.get("/metrics").text
    for series in ("castmatch_http_request_duration_seconds_bucket", "castmatch_http_requests_total",
                   "castmatch_inference_duration_seconds_bucket", "castmatch_circuit_breaker_state",
                   "castmatch_ab_exposures_total"):
        assert series in text, series
    assert 'route="/api/v1/search"' in text


def test_backup_and_restore_round_trip(client: TestClient, tmp_path: Path, state_db: Path,
                                       data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = {"talent_id": 44, "role_id": 2, "date": "2099-03-01", "time": "12:00"}
    client.post("/api/v1/auditions", json=body, headers=bearer(client))
    before = rt(client).state.counts()
    backup = tmp_path / "backup.sqlite3"
    args = ["--data-dir", str(data_dir), "--state-db", str(state_db)]
    assert cli.main(["backup", str(backup), *args]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows"]["auditions"] == before["auditions"]
    with sqlite3.connect(state_db) as db:
        db.execute("DELETE FROM auditions WHERE id > 2")
    assert rt(client).state.counts()["auditions"] < before["auditions"]
    assert cli.main(["restore", str(backup), *args]) == 0
    assert rt(client).state.counts() == before


def test_restore_refuses_a_missing_backup(tmp_path: Path, state_db: Path) -> None:
    assert cli.main(["restore", str(tmp_path / "none.sqlite3"), "--state-db", str(state_db)]) == 1
