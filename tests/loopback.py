"""One way for tests to serve fixture pages or a fake service on 127.0.0.1, a free port."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

Handler = Callable[..., http.server.BaseHTTPRequestHandler]


class QuietFiles(http.server.SimpleHTTPRequestHandler):
    """Static files without a log line per request."""

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def serving(handler: Handler) -> Iterator[str]:
    """Serve ``handler`` in a thread; yields the base URL, stops the server on exit."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def serving_files(root: Path) -> AbstractContextManager[str]:
    """Serve the files under ``root``."""
    return serving(functools.partial(QuietFiles, directory=str(root)))


#: The small, complete HTML page a failing deployment answers with.
ERROR_BODY = (b"<!doctype html><html lang=en><title>Error</title><main><h1>Error</h1><p>Nothing here.</p></main>"
              b"</html>")


def failing(status: int) -> type[http.server.BaseHTTPRequestHandler]:
    """A handler for a deployment that answers every path with ``status`` at once (an error page that
    loads, paints and answers quickly); ``/readyz`` says ready, so load runners go ahead."""

    class Failing(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            self.send_response(200 if self.path == "/readyz" else status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(ERROR_BODY)))
            self.end_headers()
            self.wfile.write(ERROR_BODY)

        do_GET = do_POST = do_HEAD = _answer

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Failing
