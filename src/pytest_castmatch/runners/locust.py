"""Drive Locust as subprocesses: one master plus workers, bounded in time, loopback by default.

Locust's gevent monkey-patching hangs Playwright and pytest-xdist in the same process, so a load
run is always a set of child processes: a headless master and, by default, one worker per core::

    locust -f castmatch_locustfile.py --headless --master --master-bind-host 127.0.0.1 \\
        --master-bind-port 5557 --expect-workers 2 --expect-workers-max-wait 30 \\
        -u 200 -r 50 --run-time 15s --stop-timeout 3 --host http://127.0.0.1:8765 \\
        --csv run/stats --castmatch-out run/windows.json --castmatch-bucket 1 CastmatchUser
    locust -f castmatch_locustfile.py --worker --master-host 127.0.0.1 --master-port 5557 CastmatchUser  # x2

The same command lines scale out: start the master with ``--master-bind-host 0.0.0.0`` and
``--expect-workers N``, then run the worker line on other machines with ``--master-host`` set to
the master's address (``LoadPlan.commands()`` prints both). Workers receive the master's options,
so think time, windows and the output file are configured in one place.

Every run is bounded: the master stops at ``--run-time`` and gives users ``--stop-timeout``
seconds to finish; the runner kills every process group it started if the whole run is not over
by the hard deadline, and always on exit, so no process outlives a gate. Before any process starts,
the target must pass the traffic guard (``pytest_castmatch.traffic``: loopback, or a host in the
deployment profile's ``[deployment.load] allowed_hosts``); anything else is refused with
``LoadTargetRefused`` (a gate must never load-test production by accident).
"""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_castmatch import progress
from pytest_castmatch.model import Series
from pytest_castmatch.runners import EngineMissing
from pytest_castmatch.traffic import TrafficRefused, ensure_allowed

LOCUSTFILE = Path(__file__).with_name("castmatch_locustfile.py")
INSTALL = "install Locust into the gate's environment: pip install 'locust>=2.30'"


#: The traffic guard's refusal (one guard for every gate that sends traffic: pytest_castmatch.traffic).
LoadTargetRefused = TrafficRefused


class LoadRunError(RuntimeError):
    """The load run did not finish or produced no statistics; the message carries the log tail."""


@dataclass(frozen=True)
class LoadPlan:
    """One bounded load run: who is loaded, how hard, how long, with how many worker processes."""

    host: str
    users: int
    spawn_rate: float
    run_time_s: int
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    think: tuple[float, float] = (0.5, 1.5)
    bucket_s: float = 1.0
    stop_timeout_s: int = 3
    allowed_hosts: tuple[str, ...] = ()
    sign_in: bool = True
    locustfile: Path = LOCUSTFILE
    master_bind_host: str = "127.0.0.1"
    master_port: int = 0
    # Named explicitly: a locustfile's every user class would otherwise share the users.
    user_class: str = "CastmatchUser"
    #: The pages ``PagesUser`` reads; the variable ``CastmatchUser`` reads its account from (JSON pairs).
    paths: tuple[str, ...] = ()
    accounts_env: str = ""
    warmup_s: float = 0.0
    hard_timeout_s: float | None = None
    extra_args: tuple[str, ...] = ()

    @property
    def deadline_s(self) -> float:
        """The hard limit for the whole run: start-up, run time, stop timeout and a margin."""
        if self.hard_timeout_s is not None:
            return self.hard_timeout_s
        return 30.0 + self.run_time_s + self.stop_timeout_s + 30.0

    def commands(self, out_dir: Path, port: int) -> tuple[list[str], list[str]]:
        """The master's and one worker's command line (a worker elsewhere swaps in the master's address)."""
        base = [sys.executable, "-m", "locust", "-f", str(self.locustfile)]
        master = [*base, "--headless", "--master", "--master-bind-host", self.master_bind_host,
                  "--master-bind-port", str(port), "--expect-workers", str(self.workers),
                  "--expect-workers-max-wait", "30", "-u", str(self.users), "-r", f"{self.spawn_rate:g}",
                  "--run-time", f"{self.run_time_s}s", "--stop-timeout", str(self.stop_timeout_s),
                  "--host", self.host, "--csv", str(out_dir / "stats"), "--only-summary",
                  "--loglevel", "INFO", "--exit-code-on-error", "0",
                  "--castmatch-out", str(out_dir / "windows.json"), "--castmatch-bucket", f"{self.bucket_s:g}",
                  "--castmatch-think", f"{self.think[0]:g},{self.think[1]:g}",
                  "--castmatch-allowed-hosts", ",".join(self.allowed_hosts),
                  "--castmatch-signin", "1" if self.sign_in else "0", "--castmatch-paths", ",".join(self.paths),
                  "--castmatch-accounts-env", self.accounts_env, *self.extra_args]
        if self.user_class:
            master.append(self.user_class)
        worker = [*base, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port),
                  "--loglevel", "WARNING"]
        if self.user_class:
            worker.append(self.user_class)
        return master, worker


#: Requests a user makes to set itself up (first page view, one sign-in per process): reported, not judged.
SETUP_PREFIX = "setup: "


def percentile(histogram: dict[int, int], fraction: float) -> float:
    """The latency (ms) below which ``fraction`` of the requests in ``histogram`` fell (0 when empty)."""
    total = sum(histogram.values())
    if total == 0:
        return 0.0
    seen = 0
    for ms in sorted(histogram):
        seen += histogram[ms]
        if seen >= fraction * total:
            return float(ms)
    return float(max(histogram))


@dataclass
class Tally:
    """Requests, failures and the latency histogram (rounded ms -> count) of the successful requests,
    for one endpoint or window: percentiles are taken over successful answers only."""

    requests: int = 0
    failures: int = 0
    histogram: dict[int, int] = field(default_factory=dict)

    @property
    def successes(self) -> int:
        return self.requests - self.failures

    def add(self, other: Tally) -> None:
        self.requests += other.requests
        self.failures += other.failures
        for ms, n in other.histogram.items():
            self.histogram[ms] = self.histogram.get(ms, 0) + n

    def p(self, fraction: float) -> float:
        """The latency percentile of the successful requests (0 when none succeeded)."""
        return percentile(self.histogram, fraction)


@dataclass
class Window:
    """One time window of the run: ``t`` seconds after the test started, users then, and per-endpoint tallies."""

    t: float
    users: int | None
    endpoints: dict[str, Tally]

    def judged(self) -> Tally:
        """All requests of the window except the users' set-up requests."""
        total = Tally()
        for name, tally in self.endpoints.items():
            if not name.startswith(SETUP_PREFIX):
                total.add(tally)
        return total


@dataclass
class LoadResult:
    """What a load run measured: Locust's own per-endpoint summary and our per-window tallies."""

    plan: LoadPlan
    summary: list[dict[str, Any]]
    windows: list[Window]
    errors: list[dict[str, Any]]
    workers_connected: int
    duration_s: float
    out_dir: Path
    warmup_s: float = 0.0
    generator_rss_mb: float = 0.0
    commands: tuple[list[str], list[str]] = ([], [])
    pids: tuple[int, ...] = ()

    @property
    def users_peak(self) -> int:
        return max((w.users or 0 for w in self.windows), default=0)

    @property
    def reached_at_s(self) -> float | None:
        """Seconds after start at which the planned user count was first reached (None: never)."""
        return next((w.t for w in self.windows if (w.users or 0) >= self.plan.users), None)

    @property
    def users_held(self) -> int:
        """The fewest users seen from the moment the peak was first reached to the end of the run."""
        seen = [w.users for w in self.windows if w.users is not None]
        peak = self.users_peak
        return min(seen[seen.index(peak):]) if peak and seen else 0

    def hold(self) -> list[Window]:
        """Steady-state windows: ``warmup_s`` after the target was reached, while the users still ran.

        If the target was never reached the hold phase is empty, and the gates say so.
        """
        start = self.reached_at_s
        if start is None:
            return []
        return [w for w in self.windows if w.t >= start + self.warmup_s and w.users]

    def hold_endpoints(self) -> dict[str, Tally]:
        """Per-endpoint tallies over the hold phase (set-up requests left out)."""
        out: dict[str, Tally] = {}
        for window in self.hold():
            for name, tally in window.endpoints.items():
                if not name.startswith(SETUP_PREFIX):
                    out.setdefault(name, Tally()).add(tally)
        return out

    def hold_total(self) -> Tally:
        total = Tally()
        for tally in self.hold_endpoints().values():
            total.add(tally)
        return total

    def whole_run(self) -> Tally:
        """Every judged request of the run, ramp and stop included (availability counts them all)."""
        total = Tally()
        for window in self.windows:
            total.add(window.judged())
        return total

    @property
    def hold_rps(self) -> float:
        """Successful requests per second over the hold phase (a failed answer serves nobody)."""
        hold = self.hold()
        return sum(w.judged().successes for w in hold) / (len(hold) * self.plan.bucket_s) if hold else 0.0

    def series(self, what: str) -> Series:
        """One figure per window for ``gate.metric(series=...)``: users, rps (successful requests per
        second), failures, and p50, p95, p99 of the successful requests."""
        out = []
        for w in self.windows:
            judged = w.judged()
            value = {"users": float(w.users or 0), "rps": judged.successes / self.plan.bucket_s,
                     "failures": float(judged.failures), "p50": judged.p(0.50), "p95": judged.p(0.95),
                     "p99": judged.p(0.99)}[what]
            out.append((w.t, value))
        window = f"{self.plan.bucket_s:g} s window"
        quantity, unit = {"users": ("users running", "users"), "rps": ("requests per second", "req/s"),
                          "failures": (f"failed requests per {window}", "requests")}.get(
                              what, (f"{what} latency per {window}", "ms"))
        return Series(tuple(out), quantity, unit)


def live_figures(history_csv: Path, plan: LoadPlan, elapsed: float) -> str:
    """The running load in one line, from the newest row of Locust's ``*_stats_history.csv``."""
    try:
        with open(history_csv, newline="", encoding="utf-8") as handle:
            rows = [row for row in csv.DictReader(handle) if row.get("Name") == "Aggregated"]
    except OSError:
        rows = []
    head = f"{elapsed:.0f} s of about {plan.run_time_s} s"
    if not rows:
        return f"{head}: starting {plan.workers} worker(s) for {plan.users} users"
    last = rows[-1]
    # Requests over the last few seconds of rows: Locust's own current req/s lags by its 10 s window.
    then = next((r for r in reversed(rows) if float(r["Timestamp"]) <= float(last["Timestamp"]) - 4), rows[0])
    seconds = float(last["Timestamp"]) - float(then["Timestamp"])
    rps = ((int(last["Total Request Count"]) - int(then["Total Request Count"])) / seconds if seconds
           else float(last.get("Requests/s") or 0))
    return (f"{head}: {last.get('User Count', '?')} of {plan.users} users, {rps:.0f} req/s, "
            f"{last.get('Total Failure Count', '?')} failed of {last.get('Total Request Count', '?')} requests")


def wait_ready(base_url: str, timeout: float = 60.0) -> None:
    """Wait until ``/readyz`` answers 200 (404: the deployment has no readiness probe, go ahead).

    A just-started app may answer ``/healthz`` while it still builds its model; load before it is
    ready measures the start-up, not the service.
    """
    deadline = time.monotonic() + timeout
    status: object = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base_url.rstrip("/") + "/readyz", timeout=5) as resp:
                if resp.status == 200:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return
            status = exc.code
        except (urllib.error.URLError, OSError) as exc:
            status = exc
        time.sleep(0.2)
    raise LoadRunError(f"{base_url}/readyz did not answer 200 within {timeout:.0f} s (last: {status})")


def locust_version() -> str:
    """The installed Locust version; raises ``EngineMissing`` with the install command if absent."""
    if importlib.util.find_spec("locust") is None:
        raise EngineMissing(f"Locust is not installed: {INSTALL}")
    from importlib.metadata import version

    return version("locust")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _raise_fd_limit() -> None:
    # Thousands of users need thousands of sockets; the soft limit is often 1024.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _kill_group(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class _RssSampler(threading.Thread):
    """Peak resident memory of the generator processes, sampled twice a second."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.peak_mb = 0.0
        self.done = threading.Event()

    def run(self) -> None:
        try:
            import psutil  # type: ignore[import-untyped]  # a Locust dependency, so present with Locust
        except ImportError:
            return
        while not self.done.wait(0.5):
            total = 0
            for pid in self.pids:
                with contextlib.suppress(psutil.Error):
                    total += psutil.Process(pid).memory_info().rss
            self.peak_mb = max(self.peak_mb, total / 2**20)


def run(plan: LoadPlan, out_dir: Path, env: dict[str, str] | None = None) -> LoadResult:
    """Run ``plan`` as a local master plus ``plan.workers`` worker processes and read the results."""
    ensure_allowed(plan.host, plan.allowed_hosts)
    locust_version()
    if plan.users < 1 or plan.run_time_s < 1 or plan.workers < 1:
        raise ValueError(f"a load plan needs users, run time and workers >= 1: {plan}")
    out_dir.mkdir(parents=True, exist_ok=True)
    wait_ready(plan.host)
    port = plan.master_port or _free_port()
    master_cmd, worker_cmd = plan.commands(out_dir, port)
    child_env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
    procs: list[subprocess.Popen[bytes]] = []
    started = time.monotonic()
    sampler: _RssSampler | None = None
    try:
        with open(out_dir / "master.log", "wb") as log:
            master = subprocess.Popen(master_cmd, stdout=log, stderr=subprocess.STDOUT, env=child_env,
                                      start_new_session=True, preexec_fn=_raise_fd_limit)
        procs.append(master)
        for index in range(plan.workers):
            with open(out_dir / f"worker-{index}.log", "wb") as log:
                procs.append(subprocess.Popen(worker_cmd, stdout=log, stderr=subprocess.STDOUT, env=child_env,
                                              start_new_session=True, preexec_fn=_raise_fd_limit))
        sampler = _RssSampler([p.pid for p in procs])
        sampler.start()
        deadline = started + plan.deadline_s
        while master.poll() is None:
            if time.monotonic() > deadline:
                raise LoadRunError(f"the load run exceeded its hard limit of {plan.deadline_s:.0f} s and was "
                                   f"killed; master log {out_dir / 'master.log'}:\n{_tail(out_dir / 'master.log')}")
            with contextlib.suppress(subprocess.TimeoutExpired):
                master.wait(timeout=1.0)
            progress.tick("Locust", lambda: live_figures(out_dir / "stats_stats_history.csv", plan,
                                                          time.monotonic() - started))
        # Workers quit when the master tells them; give them a moment, then stop waiting.
        for proc in procs[1:]:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
    finally:
        if sampler is not None:
            sampler.done.set()
        for proc in procs:
            if proc.poll() is None:
                _kill_group(proc)
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
    result = _read(plan, out_dir, time.monotonic() - started, sampler.peak_mb if sampler else 0.0,
                   (master_cmd, worker_cmd), master.returncode)
    result.pids = tuple(p.pid for p in procs)
    return result


def _read(plan: LoadPlan, out_dir: Path, duration: float, rss_mb: float,
          commands: tuple[list[str], list[str]], status: int | None) -> LoadResult:
    data_file = out_dir / "windows.json"
    if not data_file.exists():
        raise LoadRunError(f"the Locust master (exit status {status}) wrote no statistics to {data_file}; "
                           f"master log:\n{_tail(out_dir / 'master.log')}")
    data = json.loads(data_file.read_text())
    windows = [Window(t=float(w["t"]), users=w["users"],
                      endpoints={name: Tally(e["requests"], e["failures"],
                                             {int(ms): int(n) for ms, n in e["histogram"].items()})
                                 for name, e in w["endpoints"].items()})
               for w in data["windows"]]
    return LoadResult(plan=plan, summary=data["endpoints"], windows=windows, errors=data["errors"],
                      workers_connected=int(data["workers"]), duration_s=duration, out_dir=out_dir,
                      warmup_s=plan.warmup_s, generator_rss_mb=rss_mb, commands=commands)
