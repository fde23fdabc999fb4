from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from castmatch_app import state
from tests.app.apphelp import TALENT, token


def refresh(client: TestClient, value: str) -> tuple[int, dict[str, str]]:
    response = client.post("/api/v1/oauth/token", data={"grant_type": "refresh_token", "refresh_token": value})
    return response.status_code, response.json()


def test_password_grant(client: TestClient) -> None:
    data = token(client)
    assert data["token_type"] == "Bearer"
    assert data["expires_in"] == 900
    assert data["refresh_token"]
    me = client.get("/api/v1/me", headers={"Authorization": "Bearer " + data["access_token"]})
    assert me.json()["username"] == "meera@castmatch.test"
    assert "password_hash" not in me.text


def test_wrong_password_and_grant_type(client: TestClient) -> None:
    bad = client.post("/api/v1/oauth/token", data={"grant_type": "password", "username": "meera@castmatch.test",
                                                    "password": "nope"})
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_grant"
    odd = client.post("/api/v1/oauth/token", data={"grant_type": "client_credentials"})
    assert odd.json()["error"] == "unsupported_grant_type"


def test_access_token_expires(client: TestClient) -> None:
    headers = {"Authorization": "Bearer " + token(client)["access_token"]}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    client.post("/_test/faults", json={"clock_offset_s": 901})
    expired = client.get("/api/v1/me", headers=headers)
    client.post("/_test/faults", json={"reset": True})
    assert expired.status_code == 401
    assert expired.json()["error"]["code"] == "token_expired"
    assert 'error="invalid_token"' in expired.headers["www-authenticate"]


def test_refresh_tokens_rotate(client: TestClient) -> None:
    first = token(client)["refresh_token"]
    status, second = refresh(client, first)
    assert status == 200
    assert second["refresh_token"] != first
    status, _ = refresh(client, first)  # the old one died when it was used
    assert status == 400
    status, _ = refresh(client, second["refresh_token"])  # reuse revoked the whole family
    assert status == 400


def test_forged_token_is_rejected(client: TestClient) -> None:
    real = token(client)["access_token"]
    prefix, body, mac = real.split(".")
    forged = f"{prefix}.{body[:-2]}xx.{mac}"
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer " + forged}).status_code == 401


def test_talent_cannot_read_director_data(client: TestClient) -> None:
    headers = {"Authorization": "Bearer " + token(client, TALENT)["access_token"]}
    assert client.get("/api/v1/shortlists/1", headers=headers).status_code == 403


def test_seeded_password_hashes_are_made_once_and_remade_when_a_password_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "data" / "seed-passwords.json"
    first = state.seed_password_hashes(cache)
    assert all(state.verify_password(password, first[username])
               for _, username, _, _, password, _ in state.SEED_USERS)
    made: list[str] = []

    def counted(password: str) -> str:
        made.append(password)
        return "scrypt$new$new"

    monkeypatch.setattr(state, "hash_password", counted)
    assert state.seed_password_hashes(cache) == first
    assert made == []
    changed = tuple((*row[:4], "Changed-2026" if row[0] == 1 else row[4], row[5]) for row in state.SEED_USERS)
    monkeypatch.setattr(state, "SEED_USERS", changed)
    again = state.seed_password_hashes(cache)
    assert made == ["Changed-2026"]
    assert again[changed[0][1]] == "scrypt$new$new"
    assert {k: v for k, v in again.items() if k != changed[0][1]} == {k: v for k, v in first.items()
                                                                       if k != changed[0][1]}
    cache.write_text("{not json")
    assert len(state.seed_password_hashes(cache)) == len(changed)


def test_a_new_state_signs_in_its_seeded_accounts_with_a_cached_hash(tmp_path: Path) -> None:
    cache = tmp_path / "seed-passwords.json"
    one = state.State(tmp_path / "one.sqlite3", password_cache=cache)
    two = state.State(tmp_path / "two.sqlite3", password_cache=cache)
    try:
        _, username, _, _, password, _ = state.SEED_USERS[0]
        stored = [s.one("SELECT password_hash FROM users WHERE username = ?", username)[0] for s in (one, two)]
        assert stored[0] == stored[1]
        assert state.verify_password(password, stored[0])
    finally:
        one.close()
        two.close()
