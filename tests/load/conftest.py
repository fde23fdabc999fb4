"""A tiny local HTTP service with known answers, for the load runner and the latency probe."""

from __future__ import annotations

import http.server
import time
from collections.abc import Iterator
from typing import ClassVar

import pytest

from tests.loopback import serving


class Handler(http.server.BaseHTTPRequestHandler):
    """``/slow*`` waits 50 ms, ``/broken*`` and ``*/similar`` answer 500, anything else 200.

    Every request is noted in ``seen`` as (method, path, X-Forwarded-For, the client's port), and
    every request body in ``bodies``.
    """

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[tuple[str, str, str, int]]] = []
    bodies: ClassVar[list[bytes]] = []

    def _answer(self) -> None:
        self.seen.append((self.command, self.path, self.headers.get("X-Forwarded-For", ""), self.client_address[1]))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.bodies.append(self.rfile.read(length))
        if self.path.startswith("/slow"):
            time.sleep(0.05)
        broken = self.path.startswith("/broken") or self.path.endswith("/similar")
        body = b'{"access_token": "t"}'
        self.send_response(500 if broken else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Set-Cookie", "cm_sid=probe; Path=/")
        self.end_headers()
        self.wfile.write(body)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def local_service() -> Iterator[str]:
    """The service on 127.0.0.1, a free port; its base URL."""
    with serving(Handler) as url:
        yield url


@pytest.fixture
def recording_service() -> Iterator[tuple[str, list[tuple[str, str, str, int]]]]:
    """The service on a free port, and the requests it answered: (method, path, X-Forwarded-For, client port)."""
    seen: list[tuple[str, str, str, int]] = []
    with serving(type("Recording", (Handler,), {"seen": seen, "bodies": []})) as url:
        yield url, seen


@pytest.fixture
def body_service() -> Iterator[tuple[str, list[bytes]]]:
    """The service on a free port, and the request bodies it received."""
    bodies: list[bytes] = []
    with serving(type("Bodies", (Handler,), {"seen": [], "bodies": bodies})) as url:
        yield url, bodies
