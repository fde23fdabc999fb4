"""The real server: uvicorn subprocesses, sockets passed by descriptor, graceful shutdown on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest


@contextmanager
def server(tmp_path: Path, data_dir: Path, *args: str, pass_fds: tuple[int, ...] = (),
           known_url: str | None = None) -> Iterator[
        tuple[subprocess.Popen[bytes], str]]:
    log = tmp_path / f"server-{time.monotonic_ns()}.log"
    env = {**os.environ, "CASTMATCH_DATA_DIR": str(data_dir), "CASTMATCH_STATE_DB": str(tmp_path / "state.db"),
           "CASTMATCH_DRAIN_SECONDS": "0.3"}
    env.pop("CASTMATCH_DEFECTS", None)
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "castmatch_app", "serve", *args], stdout=out, stderr=out,
                                env=env, pass_fds=pass_fds)
    try:
        url = wait_for_url(proc, log, known_url)
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.terminate()  # SIGTERM first, so a supervisor can stop its workers
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        proc.wait(10)


def wait_for_url(proc: subprocess.Popen[bytes], log: Path, known_url: str | None) -> str:
    deadline = time.monotonic() + 60
    url = None
    while time.monotonic() < deadline and proc.poll() is None:
        for line in log.read_text(errors="replace").splitlines():
            if '"listening"' in line:
                url = json.loads(line)["url"]
        url = url or known_url  # --fd mode prints nothing: the caller owns the socket and knows the address
        if url:
            try:
                with urllib.request.urlopen(url + "/readyz", timeout=5) as response:
                    if response.status == 200:
                        return url
            except OSError:  # not accepting yet, or still starting (503), or slow to start
                pass
        time.sleep(0.1)
    raise AssertionError(f"server did not become ready: {log.read_text()[-2000:]}")


def get(url: str, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def slow_request_during_sigterm(proc: subprocess.Popen[bytes], url: str) -> dict[str, Any]:
    outcome: dict[str, Any] = {}

    def call() -> None:
        try:
            outcome["status"] = get(url + "/_test/sleep?ms=1200")[0]
        except OSError as exc:  # connection reset / refused: the request was dropped
            outcome["error"] = repr(exc)

    worker = threading.Thread(target=call)
    worker.start()
    time.sleep(0.4)
    proc.send_signal(signal.SIGTERM)
    worker.join(15)
    proc.wait(15)
    return outcome


def test_serve_health_and_graceful_shutdown(tmp_path: Path, data_dir: Path) -> None:
    with server(tmp_path, data_dir, "--port", "0", "--allow-fault-injection") as (proc, url):
        status, headers, body = get(url + "/healthz")
        assert status == 200
        assert json.loads(body) == {"status": "ok"}
        assert "server" not in {k.lower() for k in headers}
        assert url.startswith("http://127.0.0.1:")
        assert slow_request_during_sigterm(proc, url) == {"status": 200}


def test_no_graceful_shutdown_defect_drops_in_flight(tmp_path: Path, data_dir: Path) -> None:
    with server(tmp_path, data_dir, "--port", "0", "--allow-fault-injection", "--defect",
                "no-graceful-shutdown") as (proc, url):
        assert get(url + "/healthz")[1]["x-castmatch-defects"] == "no-graceful-shutdown"
        assert "error" in slow_request_during_sigterm(proc, url)


def test_serve_on_a_passed_socket(tmp_path: Path, data_dir: Path) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    try:
        with server(tmp_path, data_dir, "--fd", str(sock.fileno()), pass_fds=(sock.fileno(),),
                    known_url=f"http://127.0.0.1:{port}") as (proc, url):
            assert get(url + "/api/v1/talent/1")[0] == 200
            assert get(url + "/_test/faults")[0] == 404  # fault injection is off by default
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(15) is not None
    finally:
        sock.close()


@pytest.mark.parametrize("workers", [2])
def test_workers(tmp_path: Path, data_dir: Path, workers: int) -> None:
    # The loop other than the default, so the supervisor is seen passing it on to its workers.
    with server(tmp_path, data_dir, "--port", "0", "--workers", str(workers), "--loop", "uvloop") as (proc, url):
        assert {json.loads(get(url + "/healthz")[2])["status"] for _ in range(4)} == {"ok"}
        children = [int(p) for p in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
        assert len(children) == workers
        for child in children:
            assert b"\0--loop\0uvloop" in Path(f"/proc/{child}/cmdline").read_bytes()
        environ = dict(item.split(b"=", 1) for item in Path(f"/proc/{children[0]}/environ").read_bytes().split(b"\0")
                       if b"=" in item)
        counts = Path(environ[b"CASTMATCH_BALANCE_FILE"].decode())
        assert counts.exists()
        proc.kill()  # even a supervisor killed outright must not leave its workers behind
        proc.wait(10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(Path(f"/proc/{c}").exists() and
                                                  "zombie" not in Path(f"/proc/{c}/status").read_text()
                                                  for c in children):
            time.sleep(0.2)
        assert not [c for c in children if Path(f"/proc/{c}").exists() and "zombie" not in
                    Path(f"/proc/{c}/status").read_text()]
        assert not counts.parent.exists(), "the workers remove what their killed supervisor left"
