"""Response compression: correct gzip, the right headers, and a memo only for bodies seen twice."""

from __future__ import annotations

import gzip

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from castmatch_app.compress import GZip

HOT = b'{"results":[' + b",".join(b'{"id":%d}' % i for i in range(200)) + b"]}"


def make() -> tuple[TestClient, GZip]:
    counter = iter(range(10**6))

    async def hot(_: Request) -> Response:
        return Response(HOT, media_type="application/json")

    async def unique(_: Request) -> Response:
        return Response(b"<p>%d</p>" % next(counter) * 200, media_type="text/html")

    async def small(_: Request) -> Response:
        return Response(b"{}", media_type="application/json")

    async def image(_: Request) -> Response:
        return Response(b"\x00" * 5000, media_type="image/webp")

    async def encoded(_: Request) -> Response:
        return Response(gzip.compress(HOT), media_type="application/json", headers={"Content-Encoding": "gzip"})

    inner = Starlette(routes=[Route(f"/{f.__name__}", f) for f in (hot, unique, small, image, encoded)])
    middleware = GZip(inner, minimum_size=800)
    return TestClient(middleware), middleware


def test_compresses_eligible_bodies_with_exact_headers() -> None:
    client, _ = make()
    response = client.get("/hot", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.content == HOT  # httpx decodes; the length header is the compressed one
    assert int(response.headers["content-length"]) < len(HOT)


def test_leaves_alone_what_must_not_be_compressed() -> None:
    client, _ = make()
    for path in ("/small", "/image"):
        assert "content-encoding" not in client.get(path, headers={"Accept-Encoding": "gzip"}).headers, path
    assert "content-encoding" not in client.get("/hot", headers={"Accept-Encoding": "identity"}).headers
    # Already encoded upstream (precompressed static assets): passed through untouched, not twice.
    assert client.get("/encoded", headers={"Accept-Encoding": "gzip"}).content == HOT


def test_memo_admits_a_body_on_its_second_sighting_only() -> None:
    client, middleware = make()
    for _ in range(5):
        client.get("/unique", headers={"Accept-Encoding": "gzip"})
    assert not middleware.memo  # bodies seen once are compressed and forgotten
    client.get("/hot", headers={"Accept-Encoding": "gzip"})
    assert not middleware.memo
    client.get("/hot", headers={"Accept-Encoding": "gzip"})
    assert list(middleware.memo) == [HOT]
    assert gzip.decompress(middleware.memo[HOT]) == HOT


def test_memo_is_bounded() -> None:
    middleware = GZip(Starlette(), memo_entries=3)
    bodies = [b"x%04d" % i * 300 for i in range(10)]
    for body in bodies * 2:
        assert gzip.decompress(middleware.compressed(body)) == body
    assert len(middleware.memo) == 3
    assert len(middleware.seen) <= 8 * 3
