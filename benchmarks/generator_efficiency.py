"""Load generators side by side: requests/s per core of our Locust user, a bare FastHttpUser, and wrk.

    .venv/bin/python benchmarks/generator_efficiency.py [--action profile] [--seconds 10] [--users 20]

All three drive the same endpoint of one reference app (rate limits off, one worker) in the same
run, one after the other: wrk with one thread; a bare ``FastHttpUser`` (no event listeners, one
fixed URL, ``bare_locustfile.py``) as one Locust master plus one worker; and ``CastmatchUser``
with everything a gate run has (per-window statistics, heartbeat CPU reports, its own client
identity) running one action of the mix with no think time, through the same runner the load gates
use. Each side's CPU is what its processes used (``RUSAGE_CHILDREN`` across its run), so the figure
is requests per CPU-second of the generator, requests/s per core, however busy the machine is.
The ratios say how many cores of ours one core of the bare user or of wrk is worth.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from castmatch_app import testing
from pytest_castmatch.runners import locust as load

HERE = Path(__file__).resolve().parent
#: The fixed URL the bare user and wrk request for each action; ours draws its own id or query.
PATHS = {"profile": "/api/v1/talent/42", "search": "/api/v1/search?q=dance&area=bandra",
         "recommendations": "/api/v1/talent/42/similar"}


def children_cpu() -> float:
    """CPU seconds used by this process's reaped children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_ours(url: str, action: str, seconds: int, users: int, folder: Path) -> tuple[int, float, float]:
    """(requests, wall seconds with traffic, CPU seconds of master + worker) of ``CastmatchUser``."""
    model = load.UserModel(users=users, ramp_s=1, hold_s=seconds, think=load.ThinkTime("constant", 0, 0),
                           mix=((action, 1),))
    cpu = children_cpu()
    result = load.run(load.LoadPlan(host=url, model=model, workers=1, stop_timeout_s=1), folder)
    active = [w for w in result.windows if w.judged().requests]
    return result.whole_run().requests, max(1.0, len(active) * result.bucket_s), children_cpu() - cpu


def run_bare(url: str, path: str, seconds: int, users: int, folder: Path) -> tuple[int, float, float]:
    """The same as :func:`run_ours` for a bare ``FastHttpUser`` driven by the plain Locust command line."""
    folder.mkdir(parents=True, exist_ok=True)
    base = [sys.executable, "-m", "locust", "-f", str(HERE / "bare_locustfile.py")]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    env = {**os.environ, "BARE_PATH": path}
    cpu = children_cpu()
    started = time.monotonic()
    with open(folder / "worker.log", "wb") as log:
        worker = subprocess.Popen([*base, "--worker", "--master-port", port], stdout=log, stderr=log, env=env)
    subprocess.run([*base, "--headless", "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", port,
                    "--expect-workers", "1", "-u", str(users), "-r", str(users), "--run-time", f"{seconds + 1}s",
                    "--stop-timeout", "1", "--host", url, "--csv", str(folder / "stats"), "--only-summary"],
                   capture_output=True, timeout=seconds + 60, check=True, env=env)
    worker.wait(timeout=30)
    wall = time.monotonic() - started
    with open(folder / "stats_stats.csv", newline="") as handle:
        total = next(r for r in csv.DictReader(handle) if r["Name"] == "Aggregated")
    return int(total["Request Count"]), min(wall, seconds + 1.0), children_cpu() - cpu


def run_wrk(url: str, seconds: int, connections: int) -> tuple[int, float, float]:
    """wrk with one thread: (requests, wall seconds, CPU seconds)."""
    cpu = children_cpu()
    started = time.monotonic()
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url], capture_output=True,
                         text=True, timeout=seconds + 30, check=True).stdout
    wall = time.monotonic() - started
    total = re.search(r"(\d+) requests in", out)
    return (int(total.group(1)) if total else 0), wall, children_cpu() - cpu


def main() -> int:
    """Measure the three generators against one app and print requests/s per core and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--action", default="profile", choices=sorted(PATHS))
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--users", type=int, default=20, help="Locust users = wrk connections")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    path = PATHS[args.action]
    with tempfile.TemporaryDirectory(prefix="castmatch-geneff-") as tmp:
        app = testing.launch(Path(tmp) / "app", rate_limit="off", access_log=False)
        try:
            rows = {"ours (CastmatchUser)": run_ours(app.url, args.action, args.seconds, args.users, Path(tmp) / "o"),
                    "bare FastHttpUser": run_bare(app.url, path, args.seconds, args.users, Path(tmp) / "b"),
                    "wrk -t1": run_wrk(app.url + path, args.seconds, args.users)}
        finally:
            app.stop(grace=20)
    print(f"action {args.action} ({path}), {args.seconds} s each, {args.users} users/connections, one app worker")
    per_core = {}
    for name, (requests, wall, cpu) in rows.items():
        per_core[name] = requests / cpu if cpu else 0.0
        print(f"  {name:<22} {requests:>9,} requests  {requests / wall:>8,.0f} req/s  CPU {cpu:6.2f} s "
              f"({100 * cpu / wall:4.0f} % of a core)  {per_core[name]:>8,.0f} req/s per core")
    ours, bare, wrk = per_core.values()
    if ours:
        print(f"bare FastHttpUser / ours, req/s per core: {bare / ours:.2f}x;  wrk / ours: {wrk / ours:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
