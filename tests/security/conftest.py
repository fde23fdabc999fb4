"""Fixtures for the security checks' tests: a scriptable local HTTP server and the system Chromium."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.loopback import serving

#: A route answers (status, headers, body) for (method, path with query, request body).
Route = Callable[[str, str, bytes], tuple[int, list[tuple[str, str]], bytes]]


class Server:
    """Routes by path prefix (longest first); unknown paths answer 404."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.url = ""

    def route(self, prefix: str, route: Route) -> None:
        self.routes[prefix] = route

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        for prefix in sorted(self.routes, key=len, reverse=True):
            if path.startswith(prefix):
                return self.routes[prefix](method, path, body)
        return 404, [("Content-Type", "text/plain")], b"not found"


@pytest.fixture
def server() -> Iterator[Server]:
    """A local HTTP server on 127.0.0.1, port 0, whose answers each test scripts."""
    state = Server()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, data = state.answer(self.command, self.path, body)
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def version_string(self) -> str:
            return "test"

    with serving(Handler) as url:
        state.url = url
        yield state
