"""Serving: one uvicorn worker on a given socket, or a small supervisor for ``--workers N``.

On SIGTERM a worker first reports not-ready (``/readyz`` 503, ``Connection: close``) for the drain
period while still serving, then stops accepting and lets in-flight requests finish. The listening
socket can come from a parent by file descriptor, so a replacement process can take over the port.
The supervisor restarts a worker that exits while it is not stopping: SIGTERM to one worker at a
time is a rolling restart.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType

import uvicorn

from castmatch_app import defects
from castmatch_app.runtime import LIFECYCLE
from castmatch_app.testing import OWNER_ENV, process_alive

#: The app factory a worker serves, unless ``serve --app`` names another (a benchmark's bare app).
APP = "castmatch_app.app:create_app"


class DrainingServer(uvicorn.Server):
    """uvicorn's server, reporting not-ready for ``drain_seconds`` after the first SIGTERM."""

    def __init__(self, config: uvicorn.Config, drain_seconds: float) -> None:
        super().__init__(config)
        self.drain_seconds = drain_seconds

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """First signal: drain, then exit; a second signal (or no drain period): exit now."""
        if defects.active("no-graceful-shutdown"):
            os._exit(0)  # drop everything in flight
        if LIFECYCLE.draining or self.drain_seconds <= 0:
            LIFECYCLE.draining = True
            super().handle_exit(sig, frame)
            return
        LIFECYCLE.draining = True
        timer = threading.Timer(self.drain_seconds, super().handle_exit, (sig, frame))
        timer.daemon = True
        timer.start()


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def adopt(fd: int) -> socket.socket:
    """The listening socket a parent passed down as file descriptor ``fd``."""
    sock = socket.socket(fileno=fd)  # family and type are detected from the descriptor
    if sock.type != socket.SOCK_STREAM:
        raise OSError(f"file descriptor {fd} is not a stream socket")
    return sock


def announce(sock: socket.socket, workers: int) -> None:
    """Tell whoever started us where we listen (one JSON line on stderr)."""
    host, port = sock.getsockname()[:2]
    print(json.dumps({"event": "listening", "url": f"http://{host}:{port}", "pid": os.getpid(),
                      "workers": workers}), file=sys.stderr, flush=True)


def _watch_owner(stop: Callable[[], None]) -> None:
    """Call ``stop`` once the process named by ``CASTMATCH_OWNER_PID`` is gone, even after a SIGKILL: a run
    that crashed before it could stop its server leaves no server behind. Unset, nothing is watched."""
    owner = int(os.environ.get(OWNER_ENV, "0") or 0)
    if owner <= 0:
        return

    def watch() -> None:
        while process_alive(owner):
            time.sleep(1.0)
        stop()

    threading.Thread(target=watch, name="owner-watch", daemon=True).start()


def _watch_supervisor(server: DrainingServer) -> None:
    """A worker whose supervisor died (even by SIGKILL) shuts down instead of lingering as an orphan."""
    expected = int(os.environ.get("CASTMATCH_SUPERVISOR_PID", "0"))
    if not expected:
        return

    def watch() -> None:
        while os.getppid() == expected:
            time.sleep(1.0)
        server.should_exit = True

    threading.Thread(target=watch, name="supervisor-watch", daemon=True).start()


def serve_worker(sock: socket.socket, drain_seconds: float, app: str = APP) -> int:
    """Serve the app that the factory ``app`` (``module:function``) makes on ``sock``, until told to stop."""
    # uvicorn's own access log is off: the app writes one JSON line per request, with its request id.
    config = uvicorn.Config(app, factory=True, lifespan="on", server_header=False, access_log=False,
                            log_config=None, timeout_graceful_shutdown=30, backlog=2048)
    server = DrainingServer(config, drain_seconds)
    _watch_supervisor(server)
    _watch_owner(lambda: setattr(server, "should_exit", True))
    server.run(sockets=[sock])
    return 0 if server.started else 3


def supervise(sock: socket.socket, workers: int, drain_seconds: float, app: str = APP) -> int:
    """Run ``workers`` child processes on one inherited socket; restart any that die unexpectedly."""
    fd = sock.fileno()
    os.set_inheritable(fd, True)
    command = [sys.executable, "-m", "castmatch_app", "serve", "--fd", str(fd), "--workers", "1",
               "--drain-seconds", str(drain_seconds), "--app", app]
    env = {**os.environ, "CASTMATCH_SUPERVISOR_PID": str(os.getpid())}

    def spawn() -> subprocess.Popen[bytes]:
        return subprocess.Popen(command, pass_fds=(fd,), env=env)

    children = [spawn() for _ in range(workers)]
    stopping = threading.Event()

    def forward(sig: int, _: FrameType | None) -> None:
        stopping.set()
        for child in children:
            if child.poll() is None:
                child.send_signal(sig)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    _watch_owner(lambda: forward(signal.SIGTERM, None))
    while True:
        for i, child in enumerate(children):
            if child.poll() is not None and not stopping.is_set():
                children[i] = spawn()
        if stopping.is_set() and all(c.poll() is not None for c in children):
            return 0
        time.sleep(0.2)
