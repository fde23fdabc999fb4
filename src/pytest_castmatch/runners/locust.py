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
from dataclasses import field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pytest_castmatch import progress
from pytest_castmatch.record import Record, record
from pytest_castmatch.runners import EngineMissing
from pytest_castmatch.runners.loadresult import (
    SETUP_PREFIX,
    LoadResult,
    ProcessSample,
    Scrape,
    Tally,
    Window,
    percentile,
    read_windows,
)
from pytest_castmatch.runners.usermodel import Saturation, ThinkTime, UserModel
from pytest_castmatch.traffic import TrafficRefused, ensure_allowed, is_loopback

#: The result types live in loadresult and the model in usermodel; gates reach them all through this module.
__all__ = ["SETUP_PREFIX", "LoadPlan", "LoadResult", "LoadRunError", "LoadTargetRefused", "ProcessSample",
           "Saturation", "Scrape", "Tally", "ThinkTime", "UserModel", "Window", "ensure_allowed", "live_figures",
           "locust_version", "percentile", "run", "wait_ready"]

LOCUSTFILE = Path(__file__).with_name("castmatch_locustfile.py")
INSTALL = "install Locust into the gate's environment: pip install 'locust>=2.30'"


#: The traffic guard's refusal (one guard for every gate that sends traffic: pytest_castmatch.traffic).
LoadTargetRefused = TrafficRefused


class LoadRunError(RuntimeError):
    """The load run did not finish or produced no statistics; the message carries the log tail."""


@record
class LoadPlan(Record):
    """One bounded load run: the declared user model, against whom, with how many worker processes.

    ``metrics_path`` and ``latency_histogram`` name the deployment's Prometheus endpoint and its
    request-latency histogram: when both are set, the runner reads them through the run and the
    result carries the server's own view of the hold beside the client's. ``app_pids`` are the
    deployment's local processes (with their children), sampled for CPU and memory.
    """

    host: str
    model: UserModel
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    bucket_s: float = 1.0
    stop_timeout_s: int = 3
    allowed_hosts: tuple[str, ...] = ()
    locustfile: Path = LOCUSTFILE
    master_bind_host: str = "127.0.0.1"
    master_port: int = 0
    # Named explicitly: a locustfile's every user class would otherwise share the users.
    user_class: str = "CastmatchUser"
    #: The pages ``PagesUser`` reads; the variable ``CastmatchUser`` reads its accounts from (JSON pairs).
    paths: tuple[str, ...] = ()
    accounts_env: str = ""
    hard_timeout_s: float | None = None
    extra_args: tuple[str, ...] = ()
    metrics_path: str = ""
    latency_histogram: str = ""
    app_pids: tuple[int, ...] = ()
    saturation: Saturation = field(default_factory=Saturation)

    @property
    def deadline_s(self) -> float:
        """The hard limit for the whole run: start-up, run time, stop timeout and a margin."""
        if self.hard_timeout_s is not None:
            return self.hard_timeout_s
        return 30.0 + self.model.run_time_s + self.stop_timeout_s + 30.0

    def commands(self, out_dir: Path, port: int) -> tuple[list[str], list[str]]:
        """The master's and one worker's command line (a worker elsewhere swaps in the master's address)."""
        base = [sys.executable, "-m", "locust", "-f", str(self.locustfile)]
        master = [*base, "--headless", "--master", "--master-bind-host", self.master_bind_host,
                  "--master-bind-port", str(port), "--expect-workers", str(self.workers),
                  "--expect-workers-max-wait", "30", *self.model.locust_args(),
                  "--stop-timeout", str(self.stop_timeout_s),
                  "--host", self.host, "--csv", str(out_dir / "stats"), "--only-summary",
                  "--loglevel", "INFO", "--exit-code-on-error", "0",
                  "--castmatch-out", str(out_dir / "windows.json"), "--castmatch-bucket", f"{self.bucket_s:g}",
                  "--castmatch-allowed-hosts", ",".join(self.allowed_hosts), "--castmatch-paths", ",".join(self.paths),
                  "--castmatch-accounts-env", self.accounts_env, *self.extra_args]
        if self.user_class:
            master.append(self.user_class)
        worker = [*base, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port),
                  "--loglevel", "WARNING"]
        if self.user_class:
            worker.append(self.user_class)
        return master, worker


def live_figures(history_csv: Path, plan: LoadPlan, elapsed: float) -> str:
    """The running load in one line, from the newest row of Locust's ``*_stats_history.csv``."""
    try:
        with open(history_csv, newline="", encoding="utf-8") as handle:
            rows = [row for row in csv.DictReader(handle) if row.get("Name") == "Aggregated"]
    except OSError:
        rows = []
    head = f"{elapsed:.0f} s of about {plan.model.run_time_s} s"
    if not rows:
        return f"{head}: starting {plan.workers} worker(s) for {plan.model.users} users"
    last = rows[-1]
    # Requests over the last few seconds of rows: Locust's own current req/s lags by its 10 s window.
    then = next((r for r in reversed(rows) if float(r["Timestamp"]) <= float(last["Timestamp"]) - 4), rows[0])
    seconds = float(last["Timestamp"]) - float(then["Timestamp"])
    rps = ((int(last["Total Request Count"]) - int(then["Total Request Count"])) / seconds if seconds
           else float(last.get("Requests/s") or 0))
    return (f"{head}: {last.get('User Count', '?')} of {plan.model.users} users, {rps:.0f} req/s, "
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


def local_processes(base_url: str) -> tuple[int, ...]:
    """The processes on this machine that listen on ``base_url``'s port (empty for a remote deployment).

    The load runner samples their CPU and memory (children included) beside the generator's.
    """
    parts = urlsplit(base_url)
    host, port = (parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80)
    if not is_loopback(host):
        return ()
    psutil = _psutil()
    if psutil is None:
        return ()
    try:
        listening = psutil.net_connections(kind="tcp")
    except (psutil.Error, OSError):
        return ()
    return tuple(sorted({c.pid for c in listening if c.pid and c.status == psutil.CONN_LISTEN
                         and c.laddr and c.laddr.port == port}))


def _psutil() -> Any:
    try:
        import psutil  # type: ignore[import-untyped]  # a Locust dependency, so present with Locust
    except ImportError:
        return None
    return psutil


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


class _Watcher(threading.Thread):
    """Through the run, once a second: the app's processes (CPU, RSS) and, every few seconds, its metrics.

    The generator reports on itself (each Locust process measures its own CPU and memory and sends
    them with its heartbeat); the deployment cannot, so the runner reads it from outside. A scrape
    that fails is skipped: the server-side figures then say they are missing, never guessed.
    """

    def __init__(self, plan: LoadPlan, scrape_every_s: float = 2.0) -> None:
        super().__init__(daemon=True, name="load-watcher")
        self.plan = plan
        self.scrape_every_s = scrape_every_s
        self.app: list[ProcessSample] = []
        self.scrapes: list[Scrape] = []
        self.done = threading.Event()

    def run(self) -> None:
        psutil = _psutil()
        tree: dict[int, Any] = {}
        last_scrape = 0.0
        while not self.done.wait(1.0):
            now = time.time()
            if psutil is not None and self.plan.app_pids:
                self.app.append(_sample_tree(psutil, self.plan.app_pids, tree, now))
            if self.plan.metrics_path and now - last_scrape >= self.scrape_every_s:
                last_scrape = now
                text = _get(self.plan.host.rstrip("/") + self.plan.metrics_path)
                if text is not None:
                    self.scrapes.append(Scrape(time.time(), text))


def _sample_tree(psutil: Any, roots: tuple[int, ...], tree: dict[int, Any], now: float) -> ProcessSample:
    # cpu_percent(None) measures since this process object's previous call: keep the objects.
    for pid in roots:
        with contextlib.suppress(psutil.Error):
            root = tree.setdefault(pid, psutil.Process(pid))
            for child in root.children(recursive=True):
                if child.pid not in tree:
                    tree[child.pid] = child
                    child.cpu_percent(None)
    cpu = rss = 0.0
    for pid, proc in list(tree.items()):
        try:
            cpu += proc.cpu_percent(None)
            rss += proc.memory_info().rss / 2**20
        except psutil.Error:
            tree.pop(pid)
    return ProcessSample(now, cpu, rss)


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return str(resp.read().decode("utf-8", "replace"))
    except (urllib.error.URLError, OSError, ValueError):
        return None


def run(plan: LoadPlan, out_dir: Path, env: dict[str, str] | None = None) -> LoadResult:
    """Run ``plan`` as a local master plus ``plan.workers`` worker processes and read the results."""
    ensure_allowed(plan.host, plan.allowed_hosts)
    locust_version()
    if plan.workers < 1:
        raise ValueError(f"a load plan needs at least one worker: {plan}")
    out_dir.mkdir(parents=True, exist_ok=True)
    wait_ready(plan.host)
    port = plan.master_port or _free_port()
    master_cmd, worker_cmd = plan.commands(out_dir, port)
    child_env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
    procs: list[subprocess.Popen[bytes]] = []
    started = time.monotonic()
    watcher = _Watcher(plan)
    watcher.start()
    try:
        with open(out_dir / "master.log", "wb") as log:
            master = subprocess.Popen(master_cmd, stdout=log, stderr=subprocess.STDOUT, env=child_env,
                                      start_new_session=True, preexec_fn=_raise_fd_limit)
        procs.append(master)
        for index in range(plan.workers):
            with open(out_dir / f"worker-{index}.log", "wb") as log:
                procs.append(subprocess.Popen(worker_cmd, stdout=log, stderr=subprocess.STDOUT, env=child_env,
                                              start_new_session=True, preexec_fn=_raise_fd_limit))
        deadline = started + plan.deadline_s
        while master.poll() is None:
            if time.monotonic() > deadline:
                raise LoadRunError(f"the load run exceeded its hard limit of {plan.deadline_s:.0f} s and was "
                                   f"killed; master log {out_dir / 'master.log'}:\n{_tail(out_dir / 'master.log')}")
            with contextlib.suppress(subprocess.TimeoutExpired):
                master.wait(timeout=1.0)
            progress.tick("Locust", lambda: live_figures(out_dir / "stats_stats_history.csv", plan,
                                                          time.monotonic() - started))
        # Workers quit when a master that finished its run tells them; give them a moment, then stop
        # waiting. A master that failed (a refused model, a bad option) never tells them: kill them now.
        for proc in procs[1:] if master.returncode == 0 else ():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
    finally:
        watcher.done.set()
        for proc in procs:
            if proc.poll() is None:
                _kill_group(proc)
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        watcher.join(timeout=10)
    result = _read(plan, out_dir, time.monotonic() - started, (master_cmd, worker_cmd), master.returncode)
    result.pids = tuple(p.pid for p in procs)
    result.app, result.scrapes = watcher.app, watcher.scrapes
    return result


def _read(plan: LoadPlan, out_dir: Path, duration: float, commands: tuple[list[str], list[str]],
          status: int | None) -> LoadResult:
    data_file = out_dir / "windows.json"
    if not data_file.exists():
        raise LoadRunError(f"the Locust master (exit status {status}) wrote no statistics to {data_file}; "
                           f"master log:\n{_tail(out_dir / 'master.log')}")
    data = json.loads(data_file.read_text())
    return LoadResult(model=plan.model, bucket_s=plan.bucket_s, summary=data["endpoints"],
                      windows=read_windows(data["windows"]), errors=data["errors"],
                      workers_connected=int(data["workers"]), duration_s=duration, out_dir=out_dir,
                      started=float(data["started"]), commands=commands)
