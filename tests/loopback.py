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
