"""The CastMatch traffic model for Locust, plus the per-time-window statistics the load gates read.

Loaded by ``locust -f`` in every process of a run (master and workers); never imported by pytest,
because Locust's gevent monkey-patching hangs Playwright and pytest-xdist in the same process.

Users follow the launch plan's traffic: mostly search, then talent profiles, recommendations, and
now and then an audition booking, with think time between steps. Each user signs in as its own
account, so the app's per-client rate limits see many clients (as in production), not one
loopback address hammering the API.

Statistics per time window: each worker sorts its requests into ``--castmatch-bucket``-second
windows (count, failures, a rounded latency histogram of the successful ones: a fast error says
nothing of how fast the service answers) and ships them to the master with its
regular report; the master merges them, samples the user count once per window, and at exit
writes everything as JSON to ``--castmatch-out``. The same files work for one machine or many.
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import gevent  # type: ignore[import-untyped]
import locust.runners
from locust import FastHttpUser, events, task
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from pytest_castmatch.traffic import TrafficRefused, ensure_allowed

log = logging.getLogger("castmatch.load")

# Locust drops a worker that misses 3 one-second heartbeats, and stops the test when the last one
# goes: a worker busy spawning thousands of users on a saturated machine misses them while still
# working. 20 s still notices a dead worker; the runner's hard limit bounds the run in any case.
locust.runners.HEARTBEAT_LIVENESS = 20

QUERIES = ("acting", "dance", "singing", "modelling", "voice-over", "theatre", "comedy", "stunts", "")
AREAS = ("andheri", "bandra", "juhu", "goregaon", "powai", "dadar", "")
TALENTS = 10_000
BOOKING_KEYS = 20

# window index -> request name -> [requests, failures, {rounded ms: count of successful requests}]
_windows: dict[int, dict[str, list[Any]]] = {}
_users: dict[int, int] = {}
_meta: dict[str, Any] = {}


def _round_ms(ms: float) -> int:
    # Two significant digits above 100 ms, like Locust's own histogram: bounded size, exact enough for p99.
    value = round(ms)
    if value < 100:
        return value
    if value < 1000:
        return round(value, -1)
    return round(value, -2)


def _options(parser: Any) -> None:
    parser.add_argument("--castmatch-out", default="", help="write per-window statistics as JSON here")
    parser.add_argument("--castmatch-bucket", type=float, default=1.0, help="seconds per statistics window")
    parser.add_argument("--castmatch-think", default="0.5,1.5", help="think time range MIN,MAX in seconds")
    parser.add_argument("--castmatch-allowed-hosts", default="", help="comma-separated hosts besides loopback")
    parser.add_argument("--castmatch-signin", default="1", help="1: every user opens its own session first")
    parser.add_argument("--castmatch-path", default="/healthz", help="the one path RawUser requests")
    parser.add_argument("--castmatch-paths", default="/", help="comma-separated pages PagesUser reads")
    parser.add_argument("--castmatch-accounts-env", default="",
                        help="variable holding the test accounts (JSON [[user, password], ...]); CastmatchUser books "
                             "as the last")


def _bucket(environment: Environment) -> float:
    return float(getattr(environment.parsed_options, "castmatch_bucket", 1.0) or 1.0)


def _init(environment: Environment, **_: Any) -> None:
    opts = environment.parsed_options
    extra = [h for h in str(getattr(opts, "castmatch_allowed_hosts", "")).split(",") if h]
    if environment.host and not isinstance(environment.runner, WorkerRunner):
        # Second line of defence: the runner refuses first, but someone may call locust by hand.
        try:
            ensure_allowed(environment.host, extra)
        except TrafficRefused as exc:
            raise SystemExit(str(exc)) from None


def _on_request(name: str, response_time: float, exception: BaseException | None, **_: Any) -> None:
    index = int(time.time() // _meta.get("bucket", 1.0))
    window = _windows.setdefault(index, {}).get(name)
    if window is None:
        window = _windows[index][name] = [0, 0, defaultdict(int)]
    window[0] += 1
    if exception:
        window[1] += 1
    else:
        window[2][_round_ms(response_time)] += 1


def _start(environment: Environment, **_: Any) -> None:
    _meta["bucket"] = _bucket(environment)
    if isinstance(environment.runner, WorkerRunner):
        return
    _meta["started"] = time.time()
    _meta["stopping"] = False
    gevent.spawn(_sample_users, environment)


def _stopping(**_: Any) -> None:
    _meta["stopping"] = True
    _meta.setdefault("stopped", time.time())


def _sample_users(environment: Environment) -> None:
    step = _meta["bucket"]
    while not _meta.get("stopping") and environment.runner is not None:
        _users[int(time.time() // step)] = environment.runner.user_count
        if isinstance(environment.runner, MasterRunner):
            _meta["workers"] = max(_meta.get("workers", 0), len(environment.runner.clients))
        gevent.sleep(step - (time.time() % step) + 0.01)


def _ship(data: dict[str, Any], **_: Any) -> None:
    # Histogram keys become strings: the master/worker protocol (msgpack) round-trips them safely.
    data["castmatch_windows"] = {str(index): {name: [w[0], w[1], {str(ms): n for ms, n in w[2].items()}]
                                              for name, w in names.items()}
                                 for index, names in _windows.items()}
    _windows.clear()


def _merge(client_id: str, data: dict[str, Any]) -> None:
    for key, names in data.get("castmatch_windows", {}).items():
        for name, (count, failures, hist) in names.items():
            window = _windows.setdefault(int(key), {}).get(name)
            if window is None:
                window = _windows[int(key)][name] = [0, 0, defaultdict(int)]
            window[0] += count
            window[1] += failures
            for ms, n in hist.items():
                window[2][int(ms)] += n


def _write(environment: Environment, **_: Any) -> None:
    out = getattr(environment.parsed_options, "castmatch_out", "")
    if not out or isinstance(environment.runner, WorkerRunner):
        return
    step = _meta.get("bucket", 1.0)
    started = _meta.get("started", time.time())
    windows = [{"t": round(index * step - started, 3), "users": _users.get(index),
                "endpoints": {name: {"requests": w[0], "failures": w[1],
                                     "histogram": {str(k): v for k, v in w[2].items()}}
                              for name, w in _windows.get(index, {}).items()}}
               for index in sorted(set(_windows) | set(_users))]
    stats = environment.stats
    endpoints = []
    for entry in [*stats.entries.values(), stats.total]:
        endpoints.append({
            "name": entry.name, "method": entry.method or "", "requests": entry.num_requests,
            "failures": entry.num_failures, "avg_ms": entry.avg_response_time,
            "p50": entry.get_response_time_percentile(0.50), "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99), "max_ms": entry.max_response_time,
            "rps": entry.total_rps,
        })
    errors = [{"name": e.name, "method": e.method, "error": str(e.error), "occurrences": e.occurrences}
              for e in stats.errors.values()]
    runner = environment.runner
    payload = {"started": started, "stopped": _meta.get("stopped", time.time()), "bucket_s": step,
               "workers": _meta.get("workers", 0) if isinstance(runner, MasterRunner) else 0,
               "windows": windows, "endpoints": endpoints, "errors": errors}
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(payload, handle)


# Module-level hooks, registered in every process that loads this file (master and workers).
_HOOKS: tuple[tuple[Any, Callable[..., None]], ...] = (
    (events.init_command_line_parser, _options),
    (events.init, _init),
    (events.request, _on_request),
    (events.test_start, _start),
    (events.test_stopping, _stopping),
    (events.report_to_master, _ship),
    (events.worker_report, _merge),
    (events.quitting, _write),
)
for _hook, _listener in _HOOKS:
    _hook.add_listener(_listener)


def _think(user: FastHttpUser) -> float:
    low, _, high = str(getattr(user.environment.parsed_options, "castmatch_think", "0.5,1.5")).partition(",")
    return random.uniform(float(low), float(high or low))


class PagesUser(FastHttpUser):
    """A visitor of any site: reads the deployment's pages (``--castmatch-paths``) one after another."""

    def wait_time(self) -> float:
        return _think(self)

    @task
    def read(self) -> None:
        paths = [p for p in str(getattr(self.environment.parsed_options, "castmatch_paths", "/")).split(",") if p]
        path = random.choice(paths or ["/"])
        self.client.get(path, name=path)


class CastmatchUser(FastHttpUser):
    """One casting director: searches, opens profiles, asks for recommendations, sometimes books."""

    def wait_time(self) -> float:
        return _think(self)

    def on_start(self) -> None:
        if str(getattr(self.environment.parsed_options, "castmatch_signin", "1")) == "1":
            self.open_session()

    def open_session(self) -> None:
        """The first page view issues the visitor cookie; from then on the user has its own rate bucket.

        Every simulated user arrives from the same loopback address, so this first view shares one
        address bucket: a 429 here is the generator's artefact, not the app's answer to a user, and
        is retried after Retry-After rather than counted as a failure.
        """
        for _ in range(30):
            with self.client.get("/offline", name="setup: first page view", catch_response=True) as resp:
                if resp.status_code == 429:
                    resp.success()
                    gevent.sleep(float(resp.headers.get("retry-after") or 1) * random.uniform(0.5, 1.5))
                    continue
                return

    @task(6)
    def search(self) -> None:
        q, area = random.choice(QUERIES), random.choice(AREAS)
        self.client.get(f"/api/v1/search?q={q}&area={area}&page={random.randint(1, 2)}", name="/api/v1/search")

    @task(3)
    def profile(self) -> None:
        self.client.get(f"/api/v1/talent/{random.randint(1, TALENTS)}", name="/api/v1/talent/{id}")

    @task(2)
    def recommendations(self) -> None:
        self.client.get(f"/api/v1/talent/{random.randint(1, TALENTS)}/similar", name="/api/v1/talent/{id}/similar")

    @task(1)
    def booking(self) -> None:
        """Open a role, then book an audition with a retry-safe Idempotency-Key.

        The keys come from a small fixed set with fixed payloads, so however many runs load a
        deployment, at most BOOKING_KEYS auditions are ever created; every later booking is an
        idempotent replay that still runs authentication, validation and the database lookup.
        """
        slot = random.randrange(BOOKING_KEYS)
        self.client.get(f"/api/v1/roles/{slot % 20 + 1}", name="/api/v1/roles/{id}")
        token = _director_token(self)
        if token is None:
            return
        self.client.post("/api/v1/auditions", name="/api/v1/auditions",
                         headers={"Authorization": f"Bearer {token}",
                                  "Idempotency-Key": f"castmatch-load-booking-{slot}"},
                         json={"talent_id": 101 + slot, "role_id": slot % 20 + 1, "date": "2031-06-16",
                               "time": f"{10 + slot % 8}:00", "notes": "load test booking (replayed)"})


def _director_token(user: CastmatchUser) -> str | None:
    # One password grant per process: a sign-in per simulated user would load the password hash, not the app.
    if "token" not in _meta:
        _meta["token"] = None
        name = str(getattr(user.environment.parsed_options, "castmatch_accounts_env", ""))
        try:
            # The last account: the first is the one other gates' seeded items belong to.
            username, password = json.loads(os.environ.get(name, "") or "[]")[-1]
        except (ValueError, IndexError, TypeError):
            log.warning("no test account in %s: bookings are skipped", name or "(no variable named)")
            return None
        form = {"grant_type": "password", "username": str(username), "password": str(password)}
        with user.client.post("/api/v1/oauth/token", name="setup: /api/v1/oauth/token", catch_response=True,
                              data=form) as resp:
            if resp.status_code == 200:
                _meta["token"] = resp.json().get("access_token")
    token = _meta["token"]
    return token if isinstance(token, str) else None


class RawUser(FastHttpUser):
    """No think time, one path (``--castmatch-path``): the generator's raw capacity, for benchmarks only."""

    def wait_time(self) -> float:
        return 0.0

    @task
    def hit(self) -> None:
        path = str(getattr(self.environment.parsed_options, "castmatch_path", "/healthz"))
        self.client.get(path, name=path)
