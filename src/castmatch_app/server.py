"""Serving: one uvicorn worker on a given socket, or a small supervisor for ``--workers N``.

On SIGTERM a worker first reports not-ready (``/readyz`` 503, ``Connection: close``) for the drain
period while still serving, then stops accepting and lets in-flight requests finish. The listening
socket can come from a parent by file descriptor, so a replacement process can take over the port.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType

import uvicorn

from castmatch_app import balance, defects
from castmatch_app.runtime import LIFECYCLE
from castmatch_app.wire import OneSendHttpToolsProtocol


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, drain_seconds: float) -> None:
        super().__init__(config)
        self.drain_seconds = drain_seconds

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        # Start-up data (catalogue rows, model, templates) lives as long as the worker: moved out of
        # the collector's reach, a full collection no longer walks it in the middle of requests.
        gc.collect()
        gc.freeze()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
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
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def adopt(fd: int) -> socket.socket:
    sock = socket.socket(fileno=fd)  # family and type are detected from the descriptor
    if sock.type != socket.SOCK_STREAM:
        raise OSError(f"file descriptor {fd} is not a stream socket")
    return sock


def announce(sock: socket.socket, workers: int) -> None:
    host, port = sock.getsockname()[:2]
    print(json.dumps({"event": "listening", "url": f"http://{host}:{port}", "pid": os.getpid(),
                      "workers": workers}), file=sys.stderr, flush=True)


def _watch_supervisor(server: DrainingServer) -> None:
    """A worker whose supervisor died (even by SIGKILL) shuts down instead of lingering as an orphan."""
    expected = int(os.environ.get("CASTMATCH_SUPERVISOR_PID", "0"))
    if not expected:
        return

    def watch() -> None:
        while os.getppid() == expected:
            time.sleep(1.0)
        server.should_exit = True
        if balance.CURRENT is not None:
            balance.CURRENT.remove()

    threading.Thread(target=watch, name="supervisor-watch", daemon=True).start()


def serve_worker(sock: socket.socket, drain_seconds: float, loop: str = "asyncio") -> int:
    # The stdlib loop by default: saturated by 100 connections, uvloop took new requests ahead of
    # writing finished answers (MagicStack/uvloop#123) and some waited hundreds of milliseconds,
    # where asyncio's tail stayed within twice the median (benchmarks/app_load.py --loop).
    config = uvicorn.Config(
        "castmatch_app.app:create_app", factory=True, http=OneSendHttpToolsProtocol, loop=loop, lifespan="on",
        server_header=False, access_log=False, log_config=None, timeout_graceful_shutdown=30,
        timeout_keep_alive=5, backlog=2048,
    )
    balance.CURRENT = balance.Balance.from_env()
    server = DrainingServer(config, drain_seconds)
    _watch_supervisor(server)
    server.run(sockets=[sock])
    return 0 if server.started else 3


def supervise(sock: socket.socket, workers: int, drain_seconds: float, loop: str = "asyncio") -> int:
    """Run ``workers`` child processes on one inherited socket; restart any that die unexpectedly."""
    fd = sock.fileno()
    os.set_inheritable(fd, True)
    command = [sys.executable, "-m", "castmatch_app", "serve", "--fd", str(fd), "--workers", "1",
               "--drain-seconds", str(drain_seconds), "--loop", loop]

    shared = Path(tempfile.mkdtemp(prefix="castmatch-balance-", dir="/dev/shm" if os.path.isdir("/dev/shm")
                                   else None))
    counts = shared / "connections"
    balance.create(counts, workers)
    env = {**os.environ, "CASTMATCH_SUPERVISOR_PID": str(os.getpid()), balance.FILE_ENV: str(counts)}

    def spawn(index: int) -> subprocess.Popen[bytes]:
        balance.reset(counts, index)
        return subprocess.Popen(command, pass_fds=(fd,), env={**env, balance.INDEX_ENV: str(index)})

    children = [spawn(i) for i in range(workers)]
    stopping = threading.Event()

    def forward(sig: int, _: FrameType | None) -> None:
        stopping.set()
        for child in children:
            if child.poll() is None:
                child.send_signal(sig)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    try:
        while True:
            for i, child in enumerate(children):
                if child.poll() is not None and not stopping.is_set():
                    children[i] = spawn(i)
            if stopping.is_set() and all(c.poll() is not None for c in children):
                return 0
            time.sleep(0.2)
    finally:
        shutil.rmtree(shared, ignore_errors=True)
