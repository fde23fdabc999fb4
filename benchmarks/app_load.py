"""Load benchmark of the reference app: wrk against search, a profile page and recommendations.

Starts ``castmatch-app serve --workers 2 --rate-limit off`` on a free loopback port (capacity
measurement: the per-client limits would otherwise refuse one wrk client), runs wrk with
``--latency`` for a few seconds per target at 100 connections and prints requests/s, p50 and p99.

    python benchmarks/app_load.py [--seconds 5] [--connections 100] [--workers 2] [--target NAME ...]
                                  [--loop asyncio|uvloop ...]

Targets run one after another against the same app; ``--target recommendations`` measures one
alone (a profile-page run just before leaves the machine busier than a fresh start).
``--loop asyncio --loop uvloop`` measures the same targets on both event loops in one run, one
app after the other, so the two can be compared on the same machine at the same time.

Each run also measures a peer: a bare ASGI app answering "ok" under the same uvicorn settings
(httptools, asyncio, the same number of workers) and the same wrk command. Its figures show
what the machine gives at that moment (this shared runner's speed varied by 1.6x within an hour),
and the app's requests/s as a fraction of the peer's is comparable across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGETS = {
    "search API": "/api/v1/search?q=dance&area=bandra",
    "profile page": "/talent/42",
    "recommendations": "/api/v1/talent/42/similar",
}
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


async def peer_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The peer: the least an ASGI app can do for a request."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


def start_peer(workers: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:  # a free port for the peer
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = open(log, "wb")  # noqa: SIM115 - the server outlives this function
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "app_load:peer_app",
                             "--app-dir", str(Path(__file__).parent), "--host", "127.0.0.1", "--port", str(port),
                             "--workers", str(workers), "--http", "httptools",
                             "--loop", "asyncio", "--no-access-log", "--log-level", "warning"],
                            stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    return proc, wait_until_answering(proc, log, 30, lambda: url, "/")


def start(workers: int, log: Path, loop: str) -> tuple[subprocess.Popen[bytes], str]:
    env = {**os.environ, "CASTMATCH_ACCESS_LOG": os.environ.get("CASTMATCH_ACCESS_LOG", "1")}
    out = open(log, "wb")  # noqa: SIM115 - the server outlives this function
    proc = subprocess.Popen([sys.executable, "-m", "castmatch_app", "serve", "--port", "0", "--workers",
                             str(workers), "--rate-limit", "off", "--drain-seconds", "0", "--loop", loop],
                            stdout=out, stderr=out, env=env)

    def announced() -> str | None:
        match = re.search(r'"url": "([^"]+)"', log.read_text(errors="replace"))
        return match.group(1) if match else None

    return proc, wait_until_answering(proc, log, 60, announced, "/readyz")


def wait_until_answering(proc: subprocess.Popen[bytes], log: Path, seconds: float, url: Callable[[], str | None],
                         path: str) -> str:
    """The server's URL once ``path`` answers 200 (the URL may be known only once it is logged)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        base = url()
        if base:
            try:
                with urllib.request.urlopen(base + path, timeout=5) as response:
                    if response.status == 200:
                        return base
            except OSError:
                pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server did not start; see {log}")


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * UNITS[unit]


def run_wrk(url: str, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if not (p50 and p99 and rps):
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    return {"rps": float(rps.group(1)), "p50_ms": to_ms(p50.group(1)), "p99_ms": to_ms(p99.group(1)),
            "non_2xx": float(errors.group(1)) if errors else 0.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--target", action="append", choices=list(TARGETS),
                        help="measure only this target (repeatable; default: all, in this order)")
    parser.add_argument("--loop", action="append", choices=["asyncio", "uvloop"],
                        help="the app's event loop (repeatable: each is measured in turn; default: asyncio)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed")
    loops = args.loop or ["asyncio"]
    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for loop in loops:
            proc, base = start(args.workers, Path(tmp) / f"server-{loop}.log", loop)
            try:
                for name, path in TARGETS.items():
                    if args.target and name not in args.target:
                        continue
                    run_wrk(base + path, 1, 10)  # warm caches and connections
                    results.setdefault(loop, {})[name] = run_wrk(base + path, args.seconds, args.connections)
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)
        proc, base = start_peer(args.workers, Path(tmp) / "peer.log")
        try:
            run_wrk(base + "/", 1, 10)
            peer = run_wrk(base + "/", args.seconds, args.connections)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    if args.json:
        print(json.dumps({"peer": peer, **(results if len(loops) > 1 else results[loops[0]])}, indent=2))
        return 0
    print(f"wrk -t2 -c{args.connections} -d{args.seconds}s --latency, app --workers {args.workers}")
    print(f"{'target':<18}{'loop':>9}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}{'of peer':>9}")
    rows = [(name, loop, r) for loop, measured in results.items() for name, r in measured.items()]
    for name, loop, r in [*rows, ("peer (bare ASGI)", "asyncio", peer)]:
        print(f"{name:<18}{loop:>9}{r['rps']:>10.0f}{r['p50_ms']:>10.2f}{r['p99_ms']:>10.2f}"
              f"{r['non_2xx']:>10.0f}{r['rps'] / peer['rps']:>9.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
