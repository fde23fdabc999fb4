"""Ramp towards 20,000 concurrent users against the reference app and print what was reached.

    .venv/bin/python benchmarks/load_20k.py [--users 20000] [--spawn-rate 250] [--seconds 100]
                                            [--workers N] [--app-workers 2] [--think 10,20]

Starts its own reference app (``--workers 2``, rate limits off: one loopback address would
otherwise be one rate-limit bucket), runs the Locust master and one worker per core against it,
and prints users held, requests/s, p99, errors, the peak memory (RSS) of the generator and of the
app, file descriptors, CPU use, and what limited the run. Bounded: the run time includes the
ramp, and the runner kills everything at its hard limit.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil  # type: ignore[import-untyped]  # a Locust dependency

from pytest_castmatch import sut
from pytest_castmatch.runners import locust as load


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@contextlib.contextmanager
def reference_app(workers: int, folder: Path, rate_limit: str = "off") -> Iterator[tuple[str, int]]:
    """The reference app on a free loopback port in its own process group: (url, supervisor pid)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(4096)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    env = {**os.environ, "CASTMATCH_ACCESS_LOG": "0"}
    env.pop("CASTMATCH_DEFECTS", None)
    cmd = [sys.executable, "-m", "castmatch_app", "serve", "--fd", str(sock.fileno()), "--workers", str(workers),
           "--rate-limit", rate_limit, "--state-db", str(folder / "state.sqlite3")]
    with open(folder / "app.log", "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, pass_fds=(sock.fileno(),),
                                start_new_session=True, preexec_fn=_raise_fd_limit)
    sock.close()
    try:
        load.wait_ready(url, timeout=120)
        time.sleep(2.0)  # let every worker finish building its model, not only the first
        yield url, proc.pid
    finally:
        sut.stop_group(proc, grace=20, after_kill=5)


class AppSampler(threading.Thread):
    """Peak RSS, open descriptors and CPU of the app's processes, twice a second."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.rss_mb = 0.0
        self.fds = 0
        self.cpu_percent: list[float] = []
        self.done = threading.Event()

    def run(self) -> None:
        root = psutil.Process(self.pid)
        procs: dict[int, psutil.Process] = {}
        while not self.done.wait(0.5):
            with contextlib.suppress(psutil.Error):
                for p in [root, *root.children(recursive=True)]:
                    procs.setdefault(p.pid, p)
            rss = fds = 0
            cpu = 0.0
            for p in list(procs.values()):
                try:
                    rss += p.memory_info().rss
                    fds += p.num_fds()
                    cpu += p.cpu_percent(None)
                except psutil.Error:
                    procs.pop(p.pid, None)
            self.rss_mb = max(self.rss_mb, rss / 2**20)
            self.fds = max(self.fds, fds)
            self.cpu_percent.append(cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--spawn-rate", type=float, default=250.0)
    parser.add_argument("--seconds", type=int, default=100)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="Locust workers (default: cores)")
    parser.add_argument("--app-workers", type=int, default=2)
    parser.add_argument("--think", default="10,20", help="think time MIN,MAX seconds (a casting director reading)")
    args = parser.parse_args()
    low, _, high = args.think.partition(",")
    # Kept after the run: the Locust CSVs, master/worker logs and the app log explain what limited it.
    folder = Path(tempfile.mkdtemp(prefix="castmatch-20k-"))
    print(f"artefacts           {folder}", flush=True)
    with reference_app(args.app_workers, folder) as (url, app_pid):
        sampler = AppSampler(app_pid)
        sampler.start()
        plan = load.LoadPlan(host=url, users=args.users, spawn_rate=args.spawn_rate, run_time_s=args.seconds,
                             workers=args.workers, think=(float(low), float(high or low)), sign_in=False,
                             stop_timeout_s=5, warmup_s=0)
        started = time.monotonic()
        result = load.run(plan, folder / "locust")
        sampler.done.set()
        report(args, plan, result, sampler, time.monotonic() - started)
    return 0


def report(args: argparse.Namespace, plan: load.LoadPlan, result: load.LoadResult, app: AppSampler,
           wall: float) -> None:
    """Print the figures and a plain statement of what limited the run."""
    whole = result.whole_run()
    hold = result.hold_total()
    rps = [v for _, v in result.series("rps").points]
    users = result.series("users").points
    print(f"target users        {plan.users:,} at {plan.spawn_rate:g}/s, {plan.run_time_s} s, "
          f"{result.workers_connected} Locust workers, app workers {args.app_workers}")
    print(f"users peak / held   {result.users_peak:,} / {result.users_held:,}"
          f" (target reached at {result.reached_at_s} s)" if result.reached_at_s is not None else
          f"users peak / held   {result.users_peak:,} / {result.users_held:,} (target never reached)")
    print(f"requests            {whole.requests:,}, failed {whole.failures:,} "
          f"({100.0 * whole.failures / max(1, whole.requests):.3f} %)")
    print(f"requests/s          mean {whole.requests / max(1.0, result.duration_s):,.0f}, "
          f"peak window {max(rps, default=0):,.0f}")
    print(f"latency whole run   p50 {whole.p(0.5):,.0f} ms, p95 {whole.p(0.95):,.0f} ms, p99 {whole.p(0.99):,.0f} ms")
    if hold.requests:
        print(f"latency at target   p99 {hold.p(0.99):,.0f} ms over {hold.requests:,} requests")
    print(f"generator RSS peak  {result.generator_rss_mb:,.0f} MiB "
          f"({1024 * result.generator_rss_mb / max(1, result.users_peak):,.1f} KiB per user)")
    print(f"app RSS peak        {app.rss_mb:,.0f} MiB, open fds peak {app.fds:,}, "
          f"CPU mean {sum(app.cpu_percent) / max(1, len(app.cpu_percent)):.0f} % (of {os.cpu_count()} cores)")
    print(f"fd limit (soft/hard) {resource.getrlimit(resource.RLIMIT_NOFILE)} — raised to hard in each child")
    print(f"wall time           {wall:.0f} s")
    print("users per 10 s      " + ", ".join(f"{t:.0f}s:{u:,.0f}" for t, u in users[::10]))
    print("requests/s per 10 s " + ", ".join(f"{t:.0f}s:{v:,.0f}" for t, v in result.series("rps").points[::10]))
    print("errors:")
    for e in sorted(result.errors, key=lambda e: -int(e["occurrences"]))[:6]:
        print(f"  {e['occurrences']:>7,} x {e['method']} {e['name']}: {str(e['error'])[:120]}")


if __name__ == "__main__":
    raise SystemExit(main())
