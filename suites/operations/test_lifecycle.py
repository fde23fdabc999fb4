"""Lifecycle gates: health probes tell the truth from start-up to shutdown, and a backup restores to
identical data within the recovery-time objective.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from pytest_castmatch import Finding, Launched
from pytest_castmatch.checks import ops
from pytest_castmatch.checks.ops import Probe

BACKED_UP_TABLES = ("users", "shortlists", "shortlist_items", "auditions", "audition_history", "applicants",
                    "webhook_events")


@pytest.mark.p1
@pytest.mark.owner("integration")
@pytest.mark.needs("instance", "health", "feature:recommendations")
def test_health_probes_over_start_and_shutdown(gate: Any, own_app: Launched) -> None:
    """/healthz and /readyz polled from the first moment: never ready before serving, never ready after SIGTERM."""
    url = own_app.url
    probes: list[Probe] = []
    ready_at: list[float] = []
    unserved: list[float] = []  # real requests sent before the first served one that got no served answer
    done = threading.Event()

    def poll() -> None:
        with requests.Session() as http:
            last_api = 0.0
            while not done.is_set():
                for endpoint in ("/healthz", "/readyz"):
                    t = time.monotonic() - own_app.started
                    try:
                        status = http.get(url + endpoint, timeout=0.5).status_code
                    except requests.RequestException:
                        status = 0
                    probes.append(Probe(t, endpoint, status))
                now = time.monotonic()
                if not ready_at and now - last_api > 0.1:  # under the API rate limit
                    last_api = now
                    try:
                        answer = http.get(url + "/api/v1/roles/1/talent?k=1", timeout=2)
                        if answer.status_code == 200 and answer.json().get("source") == "model":
                            ready_at.append(now - own_app.started)
                        elif answer.status_code != 429:  # rate limited: says nothing about readiness
                            unserved.append(now - own_app.started)
                    except (requests.RequestException, ValueError):
                        unserved.append(now - own_app.started)
                time.sleep(0.02)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    deadline = time.monotonic() + 60
    while not ready_at and time.monotonic() < deadline and own_app.alive():
        time.sleep(0.05)
    assert ready_at, "the app never served a recommendation within 60 s"
    time.sleep(0.3)
    sigterm_at = time.monotonic() - own_app.started
    try:
        own_app.stop(grace=20)
    finally:
        done.set()
        poller.join(5)
    gate.check(ops.lifecycle_findings(probes, sigterm_at, ready_at[0], unserved))


@pytest.mark.p0
@pytest.mark.owner("devops")
@pytest.mark.needs("instance")
def test_sigterm_finishes_in_flight_requests(gate: Any, own_app: Launched) -> None:
    """Requests already being served when SIGTERM arrives still complete with 200 (graceful shutdown)."""
    own_app.wait_ready(60)
    url = own_app.url
    outcomes: list[str] = []

    def slow_request() -> None:
        try:
            response = requests.get(url + "/_test/sleep?ms=1500", timeout=20)
            outcomes.append(str(response.status_code))
        except requests.RequestException as exc:
            outcomes.append(type(exc).__name__)

    workers = [threading.Thread(target=slow_request) for _ in range(3)]
    for worker in workers:
        worker.start()
    time.sleep(0.4)  # the requests are in flight
    own_app.stop(grace=30)
    for worker in workers:
        worker.join(30)
    gate.check([Finding(rule="request-dropped-on-shutdown", page="/_test/sleep",
                            message=f"an in-flight request ended with {outcome} after SIGTERM, not 200")
                for outcome in outcomes if outcome != "200"] or (
        [] if len(outcomes) == 3 else [Finding(rule="request-lost", message=f"only {len(outcomes)} of 3 answered")]))


def _rows(db: Path) -> dict[str, list[tuple[object, ...]]]:
    con = sqlite3.connect(db)
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in BACKED_UP_TABLES}
    finally:
        con.close()


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "castmatch_app", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.mark.p1
@pytest.mark.owner("devops")
@pytest.mark.needs("backup", "feature:auditions")
def test_backup_restore_round_trip(gate: Any, tmp_path: Path) -> None:
    """castmatch-app backup then restore gives back identical rows; the restore time is the recovery metric."""
    from castmatch_app.state import State

    db = tmp_path / "state.sqlite3"
    state = State(db)
    try:
        for n in range(40):  # a realistic tail of recent bookings, the rows a careless backup loses first
            state.book_audition(1 + n % 2, 10 + n, 1 + n % 5, f"2025-02-{1 + n % 28:02d}T10:00", f"round {n}",
                                f"gate-{n}")
        state.save_applicant({"name": "Asha Rao", "languages": ["hindi", "marathi"]}, b"\x89PNG")
    finally:
        state.close()
    env = {**os.environ, "CASTMATCH_STATE_DB": str(db)}
    before = _rows(db)
    backup = tmp_path / "backups" / "state-backup.sqlite3"
    made = _cli(["backup", str(backup)], env)
    assert made.returncode == 0, f"castmatch-app backup failed: {made.stderr[-2000:]}"
    # The disaster: the live database loses its recent rows.
    con = sqlite3.connect(db)
    con.execute("DELETE FROM auditions WHERE id > 10")
    con.execute("DELETE FROM applicants")
    con.commit()
    con.close()
    started = time.perf_counter()
    restored = _cli(["restore", str(backup)], env)
    seconds = time.perf_counter() - started
    assert restored.returncode == 0, f"castmatch-app restore failed: {restored.stderr[-2000:]}"
    gate.check(ops.table_diff(before, _rows(db)))
    gate.metric("restore_seconds", round(seconds, 3), unit="s", labels={"rows": str(sum(map(len, before.values())))})
