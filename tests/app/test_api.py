from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from tests.app.apphelp import OTHER_DIRECTOR, bearer, rt


def test_search_api(client: TestClient) -> None:
    data = client.get("/api/v1/search", params={"q": "kathak", "per_page": 5}).json()
    assert data["total"] > 0
    assert len(data["results"]) == 5
    assert data["per_page"] == 5
    assert all("dance-kathak" in t["skills"] for t in data["results"])
    devanagari = client.get("/api/v1/search", params={"q": "शर्मा"}).json()
    assert devanagari["total"] > 0
    assert "शर्मा" in devanagari["results"][0]["name_hi"]


def test_search_api_rejects_bad_parameters_with_a_hint(client: TestClient) -> None:
    for params in ({"per_page": 0}, {"page": 0}, {"language": "klingon"}, {"min_experience": "x"}):
        response = client.get("/api/v1/search", params=params)
        assert response.status_code == 422, params
        assert response.json()["error"]["message"].startswith("Fix the fields")
        assert response.json()["error"]["fields"]


def test_sql_metacharacters_are_only_data(client: TestClient) -> None:
    response = client.get("/api/v1/search", params={"area": "bandra' OR '1'='1"})
    assert response.status_code == 200
    assert response.json()["total"] == 0


def test_talent_and_404(client: TestClient) -> None:
    assert client.get("/api/v1/talent/1").json()["id"] == 1
    missing = client.get("/api/v1/talent/99999999")
    assert missing.status_code == 404
    assert "Check the id" in missing.json()["error"]["message"]


def test_recommendations_are_sticky_and_labelled(client: TestClient) -> None:
    first = client.get("/api/v1/talent/10/similar", headers={"X-Client-Id": "install-1"})
    again = client.get("/api/v1/talent/10/similar", headers={"X-Client-Id": "install-1"})
    assert first.status_code == 200
    body = first.json()
    assert body["source"] == "model"
    assert len(body["results"]) == 10
    assert 10 not in [r["id"] for r in body["results"]]
    assert first.headers["x-castmatch-variant"] == again.headers["x-castmatch-variant"] == body["variant"]
    role = client.get("/api/v1/roles/3/talent", params={"k": 5}).json()
    assert len(role["results"]) == 5


def test_ab_split_is_balanced(client: TestClient) -> None:
    variants = [rt(client).recommender.variant_for(f"client:{i}") for i in range(2000)]
    assert 0.45 < variants.count("A") / len(variants) < 0.55


def test_recommendation_quality_on_the_labelled_set(client: TestClient) -> None:
    labelled = client.get("/api/v1/ml/labelled-set", params={"size": 40}).json()
    hits = total = 0
    for query in labelled["queries"]:
        results = client.get(f"/api/v1/talent/{query}/similar", params={"k": 10}).json()["results"]
        label = labelled["labels"][str(query)]
        hits += sum(labelled["labels"][str(r["id"])] == label for r in results)
        total += len(results)
    assert hits / total > 0.8


def test_no_drift_on_clean_data(client: TestClient) -> None:
    report = client.get("/api/v1/ml/drift").json()
    assert report["drift_detected"] is False
    assert report["max_psi"] < 0.01


def test_openapi_spec(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/search", "/api/v1/talent/{talent_id}/similar", "/api/v1/oauth/token",
                 "/api/v1/auditions", "/api/v1/webhooks/calendar"):
        assert path in spec["paths"], path
    schema = spec["paths"]["/api/v1/search"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/SearchOut")
    assert "/healthz" in spec["paths"]
    assert "/_test/faults" not in spec["paths"]


def test_v0_is_deprecated(client: TestClient) -> None:
    response = client.get("/api/v0/search", params={"q": "kabir"})
    assert response.status_code == 200
    assert response.headers["deprecation"]
    assert response.headers["sunset"].endswith("GMT")
    assert 'rel="successor-version"' in response.headers["link"]


def tomorrow() -> str:
    return (dt.date.today() + dt.timedelta(days=2)).isoformat()


def test_audition_booking_is_idempotent(client: TestClient) -> None:
    headers = {**bearer(client), "Idempotency-Key": "key-" + tomorrow() + "-a"}
    body = {"talent_id": 12, "role_id": 3, "date": tomorrow(), "time": "11:30", "notes": "Bring a song"}
    first = client.post("/api/v1/auditions", json=body, headers=headers)
    second = client.post("/api/v1/auditions", json=body, headers=headers)
    assert first.status_code == 201
    assert second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert second.headers["idempotent-replayed"] == "true"
    conflict = client.post("/api/v1/auditions", json={**body, "notes": "different"}, headers=headers)
    assert conflict.status_code == 409
    assert "new key" in conflict.json()["error"]["message"]


def test_audition_validation_says_how_to_fix(client: TestClient) -> None:
    body = {"talent_id": 12, "role_id": 3, "date": "2001-01-01", "time": "23:00"}
    response = client.post("/api/v1/auditions", json=body, headers=bearer(client))
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert "today" in fields["date"]
    assert "09:00 and 20:00" in fields["time"]


def test_shortlists_and_bookings_are_private(client: TestClient) -> None:
    meera = bearer(client)
    assert client.get("/api/v1/shortlists/1", headers=meera).json()["talent_ids"][:3] == [1, 2, 3]
    assert client.get("/api/v1/shortlists/2", headers=meera).status_code == 404
    assert client.get("/api/v1/auditions/2", headers=meera).status_code == 404
    arjun = bearer(client, OTHER_DIRECTOR)
    assert client.get("/api/v1/auditions/2", headers=arjun).status_code == 200
    assert client.get("/api/v1/shortlists/1").status_code == 401
