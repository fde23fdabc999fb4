"""Locust's efficiency beside a raw load tool: requests/s per core, FastHttpUser against wrk.

    .venv/bin/python benchmarks/generator_efficiency.py [--path /healthz] [--seconds 10] [--connections 20]

Both drive the same endpoint of one reference app (rate limits off) in the same run, one after the
other: Locust as one master plus one worker (``RawUser``: no think time, one path), wrk with one
thread. Each side's CPU is what its processes used (``RUSAGE_CHILDREN`` across the run), so the
figure is requests per CPU-second of the generator — requests/s per core — however busy the
machine is; the ratio says how many cores of Locust one core of wrk is worth.
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pytest_castmatch.runners import locust as load

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_20k import reference_app  # the benchmarks share one way to start the app


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_locust(url: str, path: str, seconds: int, users: int, folder: Path) -> tuple[int, float, float]:
    """(requests, wall seconds of the run, CPU seconds of master + worker)."""
    plan = load.LoadPlan(host=url, users=users, spawn_rate=users, run_time_s=seconds, workers=1, sign_in=False,
                         user_class="RawUser", extra_args=("--castmatch-path", path), stop_timeout_s=1)
    cpu = children_cpu()
    result = load.run(plan, folder)
    whole = result.whole_run()
    active = [w for w in result.windows if w.judged().requests]
    wall = max(1.0, len(active) * plan.bucket_s)
    return whole.requests, wall, children_cpu() - cpu


def run_wrk(url: str, path: str, seconds: int, connections: int) -> tuple[int, float, float]:
    wrk = shutil.which("wrk") or "/usr/bin/wrk"
    cpu = children_cpu()
    started = time.monotonic()
    out = subprocess.run([wrk, "-t1", f"-c{connections}", f"-d{seconds}s", url + path], capture_output=True,
                         text=True, timeout=seconds + 30, check=True).stdout
    wall = time.monotonic() - started
    total = re.search(r"(\d+) requests in", out)
    return (int(total.group(1)) if total else 0), wall, children_cpu() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", default="/healthz")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=20, help="wrk connections = Locust users")
    args = parser.parse_args()
    if not shutil.which("wrk") and not Path("/usr/bin/wrk").exists():
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="castmatch-geneff-") as tmp, \
            reference_app(1, Path(tmp)) as (url, _):
        rows = {"locust": run_locust(url, args.path, args.seconds, args.connections, Path(tmp) / "locust"),
                "wrk": run_wrk(url, args.path, args.seconds, args.connections)}
    per_core = {}
    print(f"endpoint {args.path}, {args.seconds} s each, {args.connections} users/connections, one generator core")
    for name, (requests, wall, cpu) in rows.items():
        per_core[name] = requests / cpu if cpu else 0.0
        print(f"  {name:<7} {requests:>9,} requests  {requests / wall:>9,.0f} req/s  CPU {cpu:6.2f} s "
              f"({100 * cpu / wall:4.0f} % of a core)  {per_core[name]:>9,.0f} req/s per core")
    if per_core["locust"]:
        print(f"wrk / Locust (FastHttpUser), requests/s per core: {per_core['wrk'] / per_core['locust']:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
