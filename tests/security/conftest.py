"""Fixtures for the security checks' tests: a scriptable local HTTP server and the system Chromium."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from pytest_castmatch import sut

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

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium, as the suites use it."""
    return sut.chromium_launch_args(browser_type_launch_args)


@pytest.fixture(scope="session")
def base_url() -> str | None:
    """No base URL: these tests load fixture HTML with ``page.set_content``."""
    return None
