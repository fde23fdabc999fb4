"""The real server through the launcher: readiness, graceful shutdown on SIGTERM, the worker supervisor."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]  # a Locust dependency
import pytest

from castmatch_app import testing


def get(url: str, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def slow_request_during_stop(app: testing.Running) -> dict[str, Any]:
    outcome: dict[str, Any] = {}

    def call() -> None:
        try:
            outcome["status"] = get(app.url + "/_test/sleep?ms=1200")[0]
        except OSError as exc:  # connection reset / refused: the request was dropped
            outcome["error"] = repr(exc)

    worker = threading.Thread(target=call)
    worker.start()
    time.sleep(0.4)
    outcome["exit"] = app.stop()
    worker.join(15)
    return outcome


@pytest.fixture
def env(data_dir: Path) -> dict[str, str]:
    """The session's catalogue cache for every app launched here."""
    return {"CASTMATCH_DATA_DIR": str(data_dir)}


def test_launch_is_ready_and_stop_drains_in_flight_requests(tmp_path: Path, env: dict[str, str]) -> None:
    app = testing.launch(tmp_path, fault_injection=True, drain_seconds=0.3, env=env)
    try:
        assert get(app.url + "/readyz")[0] == 200, "launch returns only once the app is ready"
        status, headers, body = get(app.url + "/healthz")
        assert (status, json.loads(body), headers["x-castmatch-defects"]) == (200, {"status": "ok"}, "")
        assert "server" not in headers
        assert app.url.startswith("http://127.0.0.1:")
        assert app.ready_workers() == 1
        # uvicorn shuts down gracefully, then lets the SIGTERM it caught end the process as usual.
        assert slow_request_during_stop(app) == {"status": 200, "exit": -signal.SIGTERM}
        assert not app.alive()
    finally:
        app.stop()


def test_only_the_defects_given_reach_the_app(tmp_path: Path, env: dict[str, str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASTMATCH_DEFECTS", "idor")
    app = testing.launch(tmp_path, defects=["no-graceful-shutdown"], fault_injection=True, env=env)
    try:
        assert get(app.url + "/healthz")[1]["x-castmatch-defects"] == "no-graceful-shutdown"
        outcome = slow_request_during_stop(app)
        assert "error" in outcome, "the defect drops a request in flight"
    finally:
        app.stop()


def test_a_failed_start_names_the_cause_and_the_log(tmp_path: Path, env: dict[str, str]) -> None:
    with pytest.raises(testing.LaunchError, match=r"(?s)exited with status 2.*Did you mean 'idor'"):
        testing.launch(tmp_path, defects=["idorr"], env=env)


def test_workers_are_replaced_and_never_outlive_their_supervisor(tmp_path: Path, env: dict[str, str]) -> None:
    app = testing.launch(tmp_path, workers=2, env=env)
    try:
        assert app.ready_workers() == 2
        assert get(app.url + "/api/v1/talent/1")[0] == 200
        assert get(app.url + "/_test/faults")[0] == 404  # fault injection is off unless asked for
        children = psutil.Process(app.pid).children()
        assert len(children) == 2
        children[0].send_signal(signal.SIGTERM)  # one step of a rolling restart
        app.wait_ready(60, workers=3)
        survivors = psutil.Process(app.pid).children()
        assert len(survivors) == 2
        assert children[0] not in survivors
        os.kill(app.pid, signal.SIGKILL)  # even a supervisor killed outright leaves no worker behind
        _, still_running = psutil.wait_procs(survivors, timeout=15)
        assert still_running == []
    finally:
        app.stop()
