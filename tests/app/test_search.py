"""Search as casting directors phrase it: stems, plurals and everyday words find the catalogue's talent."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from castmatch_app.catalog import fts_expression


def total(client: TestClient, q: str) -> int:
    response = client.get("/api/v1/search", params={"q": q})
    assert response.status_code == 200, response.text
    count: int = response.json()["total"]
    return count


@pytest.mark.parametrize(("people_say", "catalogue_says"), [
    ("actor", "acting"), ("actress", "acting"), ("actors", "acting"), ("dancer", "dance"), ("dancing", "dance"),
    ("singer", "singing"), ("singers", "singing"), ("voice artist", "voice over"), ("voice-over", "voice over"),
])
def test_everyday_words_find_what_the_catalogue_calls_them(clean: TestClient, people_say: str,
                                                          catalogue_says: str) -> None:
    assert total(clean, people_say) >= total(clean, catalogue_says) > 0


def test_two_words_narrow_the_search(clean: TestClient) -> None:
    kathak_dancers = clean.get("/api/v1/search", params={"q": "Kathak dancer", "per_page": 50}).json()
    assert 0 < kathak_dancers["total"] < total(clean, "dancer")
    assert all("dance-kathak" in t["skills"] for t in kathak_dancers["results"])


def test_the_search_page_finds_them_too(clean: TestClient) -> None:
    page = clean.get("/talent", params={"q": "voice artists"}).text
    assert 'href="/talent/' in page
    assert "0 results for" not in page


def test_user_text_never_becomes_query_syntax() -> None:
    for text in ('"', "***", "a OR b", "NEAR(x y)", "x\x00y", "-", "title:x"):
        expression = fts_expression(text)
        assert expression.count('"') % 2 == 0, (text, expression)
    assert fts_expression("  ") == ""


def test_odd_text_is_answered_not_crashed(clean: TestClient) -> None:
    for text in ('"', "***", "a OR b", "NEAR(x y)", "-", "title:x", "actor*"):
        assert clean.get("/api/v1/search", params={"q": text}).status_code == 200, text
