"""Zero-downtime restart: restart the app's workers one by one while users keep working.

The shared app of the run is a single process, so this gate starts its own reference app with
two workers behind one listening socket (``castmatch-app serve --workers 2``). Its supervisor
replaces a worker that exits; a rolling restart is SIGTERM to each worker in turn, waiting for
the replacement to finish starting before the next. A worker that drains (``/readyz`` 503,
``Connection: close``, in-flight requests finished) loses no request; one that just exits does.
The profile's launcher starts it (the reference app's with the run's defects).
"""

from __future__ import annotations

import contextlib
import http.client
import signal
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from urllib.parse import urlsplit

import psutil  # type: ignore[import-untyped]  # a Locust dependency
import pytest

from pytest_castmatch import Deployment, Finding, Gate, Instance, Launched, resolve
from pytest_castmatch.checks import latency
from pytest_castmatch.runners import loadplan
from pytest_castmatch.runners import locust as load

WORKERS = 2
DRAIN_SECONDS = 2  # longer than the users' longest think time, so every connection sees "close"


@pytest.fixture
def multiworker_app(tmp_path: Path, castmatch_deployment: Deployment) -> Iterator[Launched]:
    """Two workers behind one loopback socket, started by the profile's ``[deployment.instance] launcher``,
    stopped (whole group) afterwards."""
    instance: Instance = castmatch_deployment.value("instance", Instance)
    launch = resolve(instance.launcher, "[deployment.instance] launcher")
    try:
        app: Launched = launch(tmp_path, workers=WORKERS, drain_seconds=DRAIN_SECONDS, access_log=False)
    except RuntimeError as exc:
        pytest.fail(f"the {WORKERS}-worker app did not start: {exc}", pytrace=False)
    try:
        yield app
    finally:
        app.stop()


def worker_processes(app: Launched) -> list[psutil.Process]:
    """The app's worker processes (the supervisor's children)."""
    children: list[psutil.Process] = psutil.Process(app.pid).children()
    return children


def wait_ready_workers(app: Launched, count: int, timeout: float) -> bool:
    """True once ``count`` workers (replacements included) have started, False after ``timeout``."""
    try:
        app.wait_ready(timeout, workers=count)
    except RuntimeError:
        return False
    return True


class HeldConnections:
    """Kept-alive client connections to the worker about to restart, each used again right after the signal.

    A draining worker still answers them (with ``Connection: close``) for its drain period; a
    worker that just exits leaves them dead, and the next request on each fails. This does not
    depend on catching a request in flight at the exact instant of the signal.
    """

    def __init__(self, url: str, per_worker: int = 4) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", int(parts.port or 80)
        self.per_worker = per_worker
        self.sent = 0
        self.failed: list[str] = []

    def _owner(self, conn: http.client.HTTPConnection, workers: list[psutil.Process]) -> int | None:
        local = conn.sock.getsockname()[1] if conn.sock else None
        for worker in workers:
            with contextlib.suppress(psutil.Error):
                if any(c.raddr and c.raddr.port == local for c in worker.net_connections(kind="tcp")):
                    return int(worker.pid)
        return None

    def hold(self, target: psutil.Process, workers: list[psutil.Process]) -> list[http.client.HTTPConnection]:
        """Open connections until ``per_worker`` of them are served by ``target`` (at most 40 tries)."""
        held: list[http.client.HTTPConnection] = []
        for _ in range(40):
            conn = http.client.HTTPConnection(self.host, self.port, timeout=15)
            try:
                conn.request("GET", "/healthz")
                conn.getresponse().read()
            except (OSError, http.client.HTTPException):
                conn.close()
                continue
            if self._owner(conn, workers) == target.pid:
                held.append(conn)
                if len(held) >= self.per_worker:
                    break
            else:
                conn.close()
        return held

    def reuse(self, held: list[http.client.HTTPConnection]) -> None:
        """One request on each held connection; a dead connection is a lost request."""
        for conn in held:
            self.sent += 1
            try:
                conn.request("GET", "/api/v1/roles/1")
                status = conn.getresponse().status
                if status >= 500:
                    self.failed.append(f"HTTP {status}")
            except (OSError, http.client.HTTPException) as exc:
                self.failed.append(f"{type(exc).__name__}: {exc}")
            finally:
                conn.close()


def rolling_restart(app: Launched, start_after: float, clients: HeldConnections) -> list[Finding]:
    """SIGTERM each worker in turn; wait for its replacement to start before the next one."""
    time.sleep(start_after)
    problems: list[Finding] = []
    workers = worker_processes(app)
    for old in workers:
        before = app.ready_workers()
        held = clients.hold(old, workers)
        if not held:
            problems.append(Finding(rule="restart-no-connection", severity="error",
                                    message=f"could not open a connection served by worker {old.pid}"))
        old.send_signal(signal.SIGTERM)
        time.sleep(0.2)  # well inside the drain period, well after an abrupt exit
        clients.reuse(held)
        if not wait_ready_workers(app, before + 1, 45):
            problems.append(Finding(rule="restart-no-replacement", severity="error",
                                    message=f"worker {old.pid} was not replaced within 45 s; log {app.log}"))
            break
        time.sleep(1.0)  # let the replacement take traffic before the next worker goes
    return problems


@pytest.mark.p0
@pytest.mark.owner("devops")
@pytest.mark.needs("restart", "instance", "load")
def test_rolling_restart_loses_no_request(multiworker_app: Launched, castmatch_deployment: Deployment,
                                          deployment_env: Mapping[str, str], gate: Gate, tmp_path: Path,
                                          min_availability: float) -> None:
    """Under moderate load, restarting every worker one by one fails no request and keeps p99 in bounds.

    The load is the profile's traffic (its user class and accounts) at a fixed moderate size.
    """
    model = load.UserModel(users=30, ramp_s=1, warmup_s=2, hold_s=17, think=load.ThinkTime.uniform(0.5, 1.0))
    plan = loadplan.for_model(multiworker_app.url, castmatch_deployment, model, workers=1)
    outcome: dict[str, object] = {}

    def drive() -> None:
        try:
            outcome["result"] = load.run(plan, tmp_path / "locust", env=loadplan.child_env(plan, deployment_env))
        except Exception as exc:  # reported below: the gate fails with the runner's message
            outcome["error"] = exc

    runner = threading.Thread(target=drive, name="rolling-restart-load")
    runner.start()
    clients = HeldConnections(multiworker_app.url)
    restart_findings = rolling_restart(multiworker_app, start_after=5.0, clients=clients)
    runner.join(timeout=plan.deadline_s + 30)
    gate.engine("locust", load.locust_version())
    gate.check(restart_findings)
    if "error" in outcome or "result" not in outcome:
        pytest.fail(f"the load run during the restart failed: {outcome.get('error', 'no result')}", pytrace=False)
    result = outcome["result"]
    assert isinstance(result, load.LoadResult)
    whole = result.whole_run()
    assert whole.requests > 0, "the load run sent no requests"
    gate.metric("restart_failed_requests", whole.failures + len(clients.failed), samples=whole.requests + clients.sent,
                labels={"requests": str(whole.requests + clients.sent), "workers": str(WORKERS),
                        "kept_alive_failed": f"{len(clients.failed)}/{clients.sent}"},
                series=result.series("failures"))
    # p99 of the successful answers from the end of the warm-up on (the app was just started); every
    # restart falls after it. A window that lost requests has no p99 worth the name.
    held = result.hold_total()
    gate.metric("restart_p99_ms", held.p(0.99), labels={"requests": str(held.requests)}, series=result.series("p99"),
                samples=held.requests, successes=held.successes,
                not_measured=latency.too_many_errors(held.requests, held.successes, min_availability))
    gate.check(Finding(rule="restart-request-failed", severity="note",
                       message=f"{e['occurrences']} x {e['method']} {e['name']}: {e['error']}"[:300])
               for e in result.errors[:10])
    gate.check(Finding(rule="restart-request-failed", severity="note",
                       message=f"kept-alive connection across the restart: {problem}"[:300])
               for problem in sorted(set(clients.failed))[:5])
    log = gate.evidence_dir / "app.log"
    log.write_bytes(multiworker_app.log.read_bytes())
    gate.attach(log)
