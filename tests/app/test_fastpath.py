"""The hot reads' fast path answers exactly what FastAPI's router answers, and only what it may take."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.types import ASGIApp, Receive, Scope, Send

from castmatch_app import api
from castmatch_app.fastpath import FastPath

VOLATILE = {"x-request-id", "date", "set-cookie"}


def find_fast_path(client: TestClient) -> FastPath:
    client.get("/healthz")  # FastAPI builds its middleware stack on the first request
    layer: Any = client.app
    while layer is not None:
        if isinstance(layer, FastPath):
            return layer
        layer = getattr(layer, "app", None) or getattr(layer, "middleware_stack", None)
    raise AssertionError("no FastPath layer in the app's middleware stack")


class FellThrough:
    """Records the paths the fast path handed on to FastAPI."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.paths: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.paths.append(scope["path"])
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def pair(clean: TestClient) -> Iterator[tuple[TestClient, FastPath, FellThrough]]:
    client = clean
    fast = find_fast_path(client)
    recorder = FellThrough(fast.app)
    fast.app = recorder
    yield client, fast, recorder
    fast.app = recorder.app


def answer(client: TestClient, url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    response = client.get(url, headers=headers)
    kept = {k: v for k, v in response.headers.items() if k not in VOLATILE}
    return response.status_code, kept, response.content


def both_ways(client: TestClient, fast: FastPath, url: str,
              headers: dict[str, str]) -> tuple[tuple[int, dict[str, str], bytes], ...]:
    via_fast = answer(client, url, headers)
    match = fast.match
    fast.match = lambda path: None  # type: ignore[method-assign]
    try:
        via_router = answer(client, url, headers)
    finally:
        fast.match = match  # type: ignore[method-assign]
    return via_fast, via_router


talent_ids = st.one_of(st.integers(0, 10_500).map(str), st.sampled_from(["042", "0", "999999999", "1000000000",
                                                                        "-1", "+7", "1e3", "7.0", "x", "٣"]))
ks = st.sampled_from(["", "1", "10", "50", "51", "0", "-3", "abc", "10&k=2"])
search_queries = st.sampled_from(["q=dance", "q=dance&area=bandra", "q=", "page=2&q=actor", "page=0",
                                  "language=hindi&skill=dance", "area=nowhere", "q=%E0%A4%A8%E0%A4%BE",
                                  "page=abc", "sort=experience"])
clients = st.sampled_from([{}, {"x-client-id": "tester-7"}, {"authorization": "Bearer not-a-token"},
                           {"cookie": "cm_sid=forged"}])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(talent=talent_ids, k=ks, role=st.integers(0, 450).map(str), query=search_queries, who=clients)
def test_fast_and_router_answers_are_identical(pair: tuple[TestClient, FastPath, FellThrough], talent: str, k: str,
                                               role: str, query: str, who: dict[str, str]) -> None:
    client, fast, _ = pair
    suffix = f"?k={k}" if k else ""
    for url in (f"/api/v1/talent/{talent}/similar{suffix}", f"/api/v1/talent/{talent}",
                f"/api/v1/roles/{role}/talent{suffix}", f"/api/v1/search?{query}"):
        via_fast, via_router = both_ways(client, fast, url, who)
        assert via_fast == via_router, url


def test_only_plain_gets_of_hot_routes_take_the_fast_path(pair: tuple[TestClient, FastPath, FellThrough]) -> None:
    client, _, recorder = pair
    taken = ["/api/v1/search?q=dance", "/api/v1/talent/42", "/api/v1/talent/42/similar?k=5",
             "/api/v1/roles/3/talent"]
    handed_on = ["/api/v1/talent/x", "/api/v1/talent/1000000000/similar", "/api/v1/talent/-4",
                 "/api/v1/roles", "/api/v1/talent/42/similar/", "/healthz"]
    recorder.paths.clear()
    for url in taken + handed_on:
        client.get(url)
    client.head("/api/v1/talent/42")
    assert recorder.paths == [u.split("?")[0] for u in handed_on] + ["/api/v1/talent/42"]


def test_metrics_name_the_route_the_fast_path_took(pair: tuple[TestClient, FastPath, FellThrough]) -> None:
    client, _, _ = pair
    assert client.get("/api/v1/talent/42/similar").status_code == 200
    metrics = client.get("/metrics").text
    assert 'route="/api/v1/talent/{talent_id}/similar"' in metrics


def test_fast_path_refuses_routes_it_cannot_hand_over_unchanged() -> None:
    router = APIRouter()

    @router.get("/by-name/{name}")
    async def by_name(request: Request, name: str) -> Response:
        return Response(name)

    @router.post("/things/{thing_id}")
    async def make(request: Request, thing_id: int) -> Response:
        return Response(str(thing_id))

    by_name_route, post_route = (r for r in router.routes if isinstance(r, APIRoute))
    with pytest.raises(ValueError, match=r"/by-name/\{name\}: path parameters \['name'\] are not int"):
        FastPath(api.router, [by_name_route])
    with pytest.raises(ValueError, match=r"/things/\{thing_id\}: only GET routes"):
        FastPath(api.router, [post_route])


def test_hot_reads_are_still_documented(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for route in api.router.routes:
        if isinstance(route, APIRoute) and route.endpoint in api.HOT_READS:
            assert "get" in paths[route.path], route.path
