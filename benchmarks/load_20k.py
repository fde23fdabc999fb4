"""The launch's user model against the reference app, as the full gate runs it, with what limits it.

    .venv/bin/python benchmarks/load_20k.py [--users N] [--ramp S] [--warmup S] [--hold S] [--think MIN,MAX]
                                            [--sign-ins R] [--workers N] [--no-peer]

Starts the reference app the way the gate does (``sut.ensure_app``: one worker, rate limits and
access log on), measures a peer first (wrk on one profile for 5 s: what the machine gives at this
moment), then runs the user model of the reference app's deployment profile (with the overrides
given, as the ``load_*`` settings) through the load gates' own plan and runner and prints the model
beside the result: users held, hold seconds, requests/s, p50/p95/p99 per endpoint from the client
and from the app's histogram, errors, the generator's and the app's CPU and memory, and whether the
run is a valid measurement. Beside them, what the kernel saw during the hold: TCP connections opened
per request (a new connection per request means the server closes idle ones before the users come
back), the app's accept queue at its fullest, and listen-queue overflows.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from pytest_castmatch import profiles, settings, sut
from pytest_castmatch.config import load_gates
from pytest_castmatch.runners import loadplan, loadreport
from pytest_castmatch.runners import locust as load

ROOT = Path(__file__).resolve().parent.parent


def tcp_counters() -> dict[str, int]:
    """The kernel's TCP counters: connections opened (both ends) and listen-queue overflows and drops."""
    values: dict[str, int] = {}
    for name in ("/proc/net/snmp", "/proc/net/netstat"):
        rows = [line.split() for line in Path(name).read_text().splitlines()]
        for head, data in zip(rows[::2], rows[1::2], strict=False):
            values.update({f"{head[0].rstrip(':')}{k}": int(v) for k, v in zip(head[1:], data[1:], strict=False)
                           if v.lstrip("-").isdigit()})
    return values


class Kernel(threading.Thread):
    """Once a second: TCP counters, and the app's accept queue (``ss``: Recv-Q of its listening socket)."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True, name="kernel-sampler")
        self.port = port
        self.samples: list[tuple[float, dict[str, int], int]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(1.0):
            out = subprocess.run(["ss", "-ltnH", f"sport = :{self.port}"], capture_output=True, text=True,
                                 check=False).stdout.split()
            queue = int(out[1]) if len(out) > 1 and out[1].isdigit() else -1
            self.samples.append((time.time(), tcp_counters(), queue))

    def over(self, start: float, end: float) -> dict[str, float]:
        """Counter deltas and the fullest accept queue between ``start`` and ``end`` (epoch seconds)."""
        inside = [s for s in self.samples if start <= s[0] <= end]
        if len(inside) < 2:
            return {}
        first, last = inside[0][1], inside[-1][1]
        return {"new_connections": last["TcpPassiveOpens"] - first["TcpPassiveOpens"],
                "listen_overflows": last.get("TcpExtListenOverflows", 0) - first.get("TcpExtListenOverflows", 0),
                "listen_drops": last.get("TcpExtListenDrops", 0) - first.get("TcpExtListenDrops", 0),
                "accept_queue_max": max(s[2] for s in inside), "seconds": inside[-1][0] - inside[0][0]}


def peer(url: str) -> str:
    """wrk for 5 s on one profile: the machine's capacity at this moment, for reading the run's figures."""
    if shutil.which("wrk") is None:
        return "wrk not installed"
    out = subprocess.run(["wrk", "-t1", "-c50", "-d5s", "--latency", url + "/api/v1/talent/42"],
                         capture_output=True, text=True, timeout=60, check=False).stdout
    rps = re.search(r"Requests/sec:\s+(\S+)", out)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    return (f"wrk -t1 -c50 -d5s /api/v1/talent/42: {rps.group(1) if rps else '?'} req/s, "
            f"p99 {p99.group(1) if p99 else '?'}")


def main() -> int:
    """Run the model once and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--users", type=int)
    parser.add_argument("--ramp", type=float, help="seconds over which the users arrive")
    parser.add_argument("--warmup", type=float)
    parser.add_argument("--hold", type=float)
    parser.add_argument("--think", help="uniform think time MIN,MAX seconds")
    parser.add_argument("--sign-ins", type=float, help="password sign-ins per second")
    parser.add_argument("--workers", type=int, default=None, help="Locust workers (default: one per core)")
    parser.add_argument("--no-peer", action="store_true", help="skip the wrk peer measurement")
    args = parser.parse_args()
    # The command line's overrides are the load_* settings, as --gate-set gives them to a gate run;
    # CASTMATCH_LOAD_* variables apply too.
    given = {"load_users": args.users, "load_ramp": args.ramp, "load_warmup": args.warmup, "load_hold": args.hold,
             "load_think": args.think, "load_sign_ins": args.sign_ins, "load_workers": args.workers}
    resolved = settings.resolve([settings.option_layer({k: v for k, v in given.items() if v is not None}, [], ROOT),
                                 settings.env_layer(os.environ, ROOT)], ROOT)
    deployment = profiles.reference()
    saturation = load_gates(ROOT / "baselines" / "gates.toml").load_saturation
    # Kept after the run: the Locust CSVs, master/worker logs and the app log explain what limited it.
    folder = Path(tempfile.mkdtemp(prefix="castmatch-20k-"))
    print(f"artefacts           {folder}", flush=True)
    app = sut.ensure_app(folder / "app", env={})
    try:
        if not args.no_peer:
            print(f"peer                {peer(app.url)}", flush=True)
        kernel = Kernel(urlsplit(app.url).port or 80)
        kernel.start()
        plan = loadplan.plan(app.url, deployment, resolved, saturation=saturation)
        started = time.monotonic()
        result = load.run(plan, folder / "locust", env=loadplan.child_env(plan, sut.deployment_env(deployment)))
        kernel.done.set()
    finally:
        sut.stop_app(folder / "app")
    server = loadreport.server_latency(result, plan.latency_histogram, skip_route=plan.metrics_path)
    summary = loadreport.summary(result, plan.saturation, server)
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    for line in loadreport.summary_lines(summary):
        print(line)
    hold = result.hold()
    if hold:
        seen = kernel.over(result.started + hold[0].t, result.started + hold[-1].t + result.bucket_s)
        if seen:
            per_request = seen["new_connections"] / max(1, result.hold_total().requests)
            print(f"kernel (hold)       {seen['new_connections']:,.0f} TCP connections accepted "
                  f"({per_request:.2f} per request), accept queue at most {seen['accept_queue_max']:.0f}, "
                  f"listen overflows {seen['listen_overflows']:.0f}, drops {seen['listen_drops']:.0f}")
    print("users per 10 s      " + ", ".join(f"{t:.0f}s:{u:,.0f}" for t, u in result.series("users").points[::10]))
    print(f"wall time           {time.monotonic() - started:.0f} s (load run {result.duration_s:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
