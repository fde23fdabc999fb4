"""The Locust runner: loopback-only safety, a real master + workers run, windows, hard limit, no orphans."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from pytest_castmatch.runners import locust as load

SMALL = load.UserModel(users=1, ramp_s=1, hold_s=1, think=load.ThinkTime.uniform(0.1, 0.2))
#: Test accounts as a profile's accounts variable holds them; the first is kept for other gates.
ACCOUNTS = [["first@example.test", "pw0"], ["a@example.test", "pw1"], ["b@example.test", "pw2"],
            ["c@example.test", "pw3"]]


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
    plan = load.LoadPlan(host="https://castmatch.example", model=SMALL)
    with pytest.raises(load.LoadTargetRefused):
        load.run(plan, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_percentile_of_a_histogram() -> None:
    histogram = {10: 90, 200: 9, 900: 1}
    assert load.percentile(histogram, 0.50) == 10.0
    assert load.percentile(histogram, 0.95) == 200.0
    assert load.percentile(histogram, 0.995) == 900.0
    assert load.percentile({}, 0.99) == 0.0


def test_master_and_two_workers_run_the_declared_model(
        recording_service: tuple[str, list[tuple[str, str, str, int]]], tmp_path: Path) -> None:
    url, seen = recording_service
    model = load.UserModel(users=8, ramp_s=1, warmup_s=1, hold_s=5, think=load.ThinkTime.uniform(0.1, 0.3),
                           sign_ins_per_s=2, mix=(("profile", 2), ("recommendations", 1)), connections=2)
    plan = load.LoadPlan(host=url, model=model, workers=2, app_pids=(os.getpid(),), accounts_env="LOAD_ACCOUNTS")
    result = load.run(plan, tmp_path, env={"LOAD_ACCOUNTS": json.dumps(ACCOUNTS)})
    assert result.workers_connected == 2
    assert result.users_peak == result.users_held == 8
    assert result.reached_at_s is not None
    assert result.hold_s >= 4
    hold = result.hold_endpoints()
    # Only the declared actions ran, and the sign-ins arrived on top of them.
    assert set(hold) <= {"/api/v1/talent/{id}", "/api/v1/talent/{id}/similar", "/api/v1/oauth/token"}
    assert {"/api/v1/talent/{id}", "/api/v1/talent/{id}/similar"} <= set(hold)
    assert sum(1 for method, path, _, _ in seen if method == "POST" and path == "/api/v1/oauth/token") >= 1
    # Every user is a client of its own, as behind the deployment's proxy, and the proxy's two
    # connections (one per worker) carried them all.
    assert len({xff for _, _, xff, _ in seen if xff}) == 8
    assert len({port for _, _, xff, port in seen if xff}) == 2
    # The service answers 500 for every ".../similar": exactly those requests failed, and left no latency.
    whole = result.whole_run()
    similar = sum(w.endpoints.get("/api/v1/talent/{id}/similar", load.Tally()).requests for w in result.windows)
    assert whole.failures == similar > 0
    assert hold["/api/v1/talent/{id}"].failures == 0
    # Percentiles come from successful answers only: the failed /similar requests left no latency behind.
    similar_hold = hold["/api/v1/talent/{id}/similar"]
    assert similar_hold.successes == 0
    assert similar_hold.histogram == {}
    assert sum(hold["/api/v1/talent/{id}"].histogram.values()) == hold["/api/v1/talent/{id}"].successes > 0
    assert len(result.series("p99").points) == len(result.windows) >= 5
    users = result.series("users")
    assert [t for t, _ in users.points] == sorted(t for t, _ in users.points)
    assert (users.quantity, users.unit) == ("users running", "users")
    # The generator reported on itself through the hold, and the runner sampled the "app" (this process).
    assert set(result.generator_cpu()) == {"master", "worker-0", "worker-1"}
    assert set(result.heartbeat_ages()) == {"worker-0", "worker-1"}
    lag = result.loop_lag_ms()
    assert set(lag) == {"worker-0", "worker-1"}
    assert all(len(values) >= 3 and min(values) >= 0 for values in lag.values())
    assert result.generator_rss_mb() > 0
    assert result.app_usage() is not None
    assert (tmp_path / "stats_stats.csv").exists()
    assert result.pids
    assert not [pid for pid in result.pids if _alive(pid)]


def test_hard_limit_kills_every_process(local_service: str, tmp_path: Path) -> None:
    model = load.UserModel(users=2, ramp_s=1, hold_s=60, think=load.ThinkTime.uniform(0.5, 1.5), mix=(("profile", 1),))
    plan = load.LoadPlan(host=local_service, model=model, workers=1, hard_timeout_s=3)
    with pytest.raises(load.LoadRunError, match="hard limit of 3 s"):
        load.run(plan, tmp_path)
    # Master and worker run in their own sessions but stay our children: none may be left running.
    children = subprocess.run(["ps", "-o", "pid=,stat=,args=", "--ppid", str(os.getpid())],
                              capture_output=True, text=True, check=False).stdout.splitlines()
    assert not [c for c in children if "locust" in c and " Z" not in c], children


def test_bookings_are_spread_over_every_account_but_the_first(body_service: tuple[str, list[bytes]],
                                                              tmp_path: Path) -> None:
    url, bodies = body_service
    model = load.UserModel(users=6, ramp_s=1, hold_s=3, think=load.ThinkTime.uniform(0.1, 0.2), mix=(("booking", 1),))
    plan = load.LoadPlan(host=url, model=model, workers=1, accounts_env="LOAD_ACCOUNTS")
    load.run(plan, tmp_path, env={"LOAD_ACCOUNTS": json.dumps(ACCOUNTS)})
    grants = [parse_qs(b.decode()) for b in bodies if b.startswith(b"grant_type=")]
    # One password grant per account (set-up), each of the three booking accounts, never the first.
    assert sorted(g["username"][0] for g in grants) == ["a@example.test", "b@example.test", "c@example.test"]
    bookings = [json.loads(b) for b in bodies if b.startswith(b"{")]
    # Each account books its own 20 talents, so two accounts never compete for one slot.
    talents = {b["talent_id"] for b in bookings}
    assert talents <= set(range(101, 101 + 3 * 20))
    assert len(talents) > 20, sorted(talents)


@pytest.mark.parametrize(("model", "accounts", "message"), [
    (SMALL.__class__(users=1, ramp_s=1, hold_s=1, think=SMALL.think, mix=(("browse", 1),)), ACCOUNTS,
     r"CastmatchUser: the user model's mix names 'browse', which this user class does not do; its actions are "
     r"search, profile, recommendations, booking"),
    (SMALL, [], r"CastmatchUser: sign-ins and bookings need test accounts, and LOAD_ACCOUNTS holds none"),
])
def test_a_model_the_user_class_cannot_run_stops_before_any_request(
        body_service: tuple[str, list[bytes]], tmp_path: Path, model: load.UserModel, accounts: list[list[str]],
        message: str) -> None:
    url, bodies = body_service
    plan = load.LoadPlan(host=url, model=model, workers=1, accounts_env="LOAD_ACCOUNTS")
    with pytest.raises(load.LoadRunError, match=message):
        load.run(plan, tmp_path, env={"LOAD_ACCOUNTS": json.dumps(accounts)})
    assert bodies == []
