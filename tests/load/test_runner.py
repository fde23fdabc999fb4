"""The Locust runner: loopback-only safety, a real master + workers run, windows, hard limit, no orphans."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from pytest_castmatch.runners import locust as load


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is gone for our purposes
        return stat.read().split()[2] != "Z"


def test_refusal_comes_before_any_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError("a process was started for a refused target")

    monkeypatch.setattr(subprocess, "Popen", no_process)
    plan = load.LoadPlan(host="https://castmatch.example", users=1, spawn_rate=1, run_time_s=1)
    with pytest.raises(load.LoadTargetRefused):
        load.run(plan, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_percentile_of_a_histogram() -> None:
    histogram = {10: 90, 200: 9, 900: 1}
    assert load.percentile(histogram, 0.50) == 10.0
    assert load.percentile(histogram, 0.95) == 200.0
    assert load.percentile(histogram, 0.995) == 900.0
    assert load.percentile({}, 0.99) == 0.0


def test_master_and_two_workers_on_loopback(local_service: str, tmp_path: Path) -> None:
    plan = load.LoadPlan(host=local_service, users=8, spawn_rate=8, run_time_s=6, workers=2, think=(0.1, 0.3),
                         warmup_s=1)
    result = load.run(plan, tmp_path)
    assert result.workers_connected == 2
    assert result.users_peak == 8
    assert result.users_held == 8
    assert result.reached_at_s is not None
    assert result.reached_at_s < 3
    hold = result.hold_endpoints()
    assert {"/api/v1/search", "/api/v1/talent/{id}", "/api/v1/talent/{id}/similar"} <= set(hold)
    assert not any(name.startswith(load.SETUP_PREFIX) for name in hold)
    # The local service answers 500 for every ".../similar": exactly those requests failed.
    whole = result.whole_run()
    similar = sum(w.endpoints.get("/api/v1/talent/{id}/similar", load.Tally()).requests for w in result.windows)
    assert whole.failures == similar > 0
    assert hold["/api/v1/search"].failures == 0
    # Percentiles come from successful answers only: the failed /similar requests left no latency behind.
    similar_hold = hold["/api/v1/talent/{id}/similar"]
    assert similar_hold.successes == 0
    assert similar_hold.histogram == {}
    assert sum(hold["/api/v1/search"].histogram.values()) == hold["/api/v1/search"].successes > 0
    assert len(result.series("p99").points) == len(result.windows) >= 5
    users = result.series("users")
    assert [t for t, _ in users.points] == sorted(t for t, _ in users.points)
    assert (users.quantity, users.unit) == ("users running", "users")
    assert (tmp_path / "stats_stats.csv").exists()
    assert result.pids
    assert not [pid for pid in result.pids if _alive(pid)]


def test_hard_limit_kills_every_process(local_service: str, tmp_path: Path) -> None:
    plan = load.LoadPlan(host=local_service, users=2, spawn_rate=2, run_time_s=60, workers=1, hard_timeout_s=6)
    with pytest.raises(load.LoadRunError, match="hard limit of 6 s"):
        load.run(plan, tmp_path)
    # Master and worker run in their own sessions but stay our children: none may be left running.
    children = subprocess.run(["ps", "-o", "pid=,stat=,args=", "--ppid", str(os.getpid())],
                              capture_output=True, text=True, check=False).stdout.splitlines()
    assert not [c for c in children if "locust" in c and " Z" not in c], children
