"""The user classes a deployment profile names for Locust, plus the per-time-window statistics the load gates read.

Loaded by ``locust -f`` in every process of a run (master and workers); never imported by pytest,
because Locust's gevent monkey-patching hangs Playwright and pytest-xdist in the same process.

Users follow the declared user model (``pytest_castmatch.runners.usermodel``): the action mix, the
think-time distribution, the sign-ins per second and the connections arrive as options from the
master. Each user class names its own actions: ``PagesUser`` reads the deployment's pages (any
site); ``CastmatchUser`` is CastMatch's traffic (search, talent profiles, recommendations, audition
bookings), signing in and booking as the test accounts the profile's ``[deployment.sign_in]
accounts`` variable holds. A mix that names an action the class does not have, or sign-ins and
bookings without accounts, stop the run before it starts. With a connection
count, the users of a process share one pool of keep-alive connections (their share of the
count), as a proxy in front of the deployment does; without, each user has a connection of its own.
Either way each user is a client of its own: it keeps its own cookie jar and names its own address
in ``X-Forwarded-For``, as a user behind the deployment's proxy does, so per-client rate limits see
20,000 clients and not one loopback address.

Statistics per time window: each worker sorts its requests into ``--castmatch-bucket``-second
windows (count, failures, a rounded latency histogram of the successful ones: a fast error says
nothing of how fast the service answers) and ships them to the master with its regular report. The
master merges them and samples, once per window, the user count, every generator process's CPU
and memory (as each process reports it with its heartbeat) and how long ago each worker's last
heartbeat arrived. Each worker also measures how late its event loop wakes a greenlet that
sleeps 50 ms: a late loop delays every response the worker reads, so its latencies then measure
the generator. At exit the master writes everything as JSON to ``--castmatch-out``. The same files work
for one machine or many.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import os
import random
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any, ClassVar

import gevent  # type: ignore[import-untyped]
import locust.runners
from geventhttpclient.client import HTTPClientPool
from locust import FastHttpUser, TaskSet, events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from pytest_castmatch.runners.usermodel import ThinkTime, parse_mix
from pytest_castmatch.traffic import TrafficRefused, ensure_allowed

log = logging.getLogger("castmatch.load")

# Locust drops a worker that misses 3 one-second heartbeats, and stops the test when the last one
# goes: a worker busy spawning thousands of users on a saturated machine misses them while still
# working. The run keeps going for 20 s, and the master records every gap, so a run with a
# silent worker is judged not measured rather than cut short.
locust.runners.HEARTBEAT_LIVENESS = 20
# Each process measures its own CPU once a second (Locust's default is every 10 s) and reports it
# with its heartbeat: the validity rule needs the share of the hold a generator spent saturated.
locust.runners.CPU_MONITOR_INTERVAL = 1.0

QUERIES = ("acting", "dance", "singing", "modelling", "voice-over", "theatre", "comedy", "stunts", "")
AREAS = ("andheri", "bandra", "juhu", "goregaon", "powai", "dadar", "")
TALENTS = 10_000
BOOKING_KEYS = 20
TOKEN_PATH = "/api/v1/oauth/token"

# window index -> request name -> [requests, failures, {rounded ms: count of successful requests}]
_windows: dict[int, dict[str, list[Any]]] = {}
_users: dict[int, int] = {}
# window index -> {"cpu": {process: percent}, "rss_mb": {process: MiB}, "heartbeat_age": {worker: s}}
_generator: dict[int, dict[str, dict[str, float]]] = {}
# window index -> process -> the longest its event loop was late, in ms (a worker's own, then the master's merge)
_lag: dict[int, dict[str, float]] = defaultdict(dict)
LAG_TICK_S = 0.05
_heartbeats: dict[str, float] = {}
_meta: dict[str, Any] = {"think": ThinkTime.uniform(0.5, 1.5), "sign_ins": 0.0, "next_sign_in": float("inf")}
_clients = itertools.count()


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
    parser.add_argument("--castmatch-think", default="uniform:0.5:1.5",
                        help="think time DISTRIBUTION:LOW:HIGH (uniform, exponential: mean and cut-off, constant)")
    parser.add_argument("--castmatch-mix", default="",
                        help="action weights, e.g. search=6,profile=3 (empty: the user class's own mix)")
    parser.add_argument("--castmatch-sign-ins", type=float, default=0.0,
                        help="password sign-ins per second across the whole run (all workers together)")
    parser.add_argument("--castmatch-connections", type=int, default=0,
                        help="0: a connection per user; N: the users share N keep-alive connections across all "
                             "workers, as behind the deployment's proxy")
    parser.add_argument("--castmatch-allowed-hosts", default="", help="comma-separated hosts besides loopback")
    parser.add_argument("--castmatch-paths", default="/", help="comma-separated pages PagesUser reads")
    parser.add_argument("--castmatch-accounts-env", default="",
                        help="variable holding the test accounts (JSON [[user, password], ...]); CastmatchUser's "
                             "users sign in and book as the accounts after the first, one account per user in turn")


def _init(environment: Environment, **_: Any) -> None:
    opts = environment.parsed_options
    extra = [h for h in str(getattr(opts, "castmatch_allowed_hosts", "")).split(",") if h]
    if environment.host and not isinstance(environment.runner, WorkerRunner):
        # Second line of defence: the runner refuses first, but someone may call locust by hand.
        try:
            ensure_allowed(environment.host, extra)
        except TrafficRefused as exc:
            raise SystemExit(str(exc)) from None
    if not isinstance(environment.runner, WorkerRunner):
        mix = parse_mix(str(getattr(opts, "castmatch_mix", "")))
        sign_ins = float(getattr(opts, "castmatch_sign_ins", 0.0) or 0.0)
        for user_class in environment.user_classes:
            problem = user_class.refuses(environment, mix, sign_ins) if issubclass(user_class, ModelUser) else ""
            if problem:
                raise SystemExit(f"{user_class.__name__}: {problem}")


def _on_request(name: str, response_time: float, exception: BaseException | None, **_: Any) -> None:
    index = int(time.time() // _meta["bucket"])
    window = _windows.setdefault(index, {}).get(name)
    if window is None:
        window = _windows[index][name] = [0, 0, defaultdict(int)]
    window[0] += 1
    if exception:
        window[1] += 1
    else:
        window[2][_round_ms(response_time)] += 1


def _start(environment: Environment, **_: Any) -> None:
    opts = environment.parsed_options
    _meta["bucket"] = float(getattr(opts, "castmatch_bucket", 1.0) or 1.0)
    _meta["think"] = ThinkTime.parse(str(getattr(opts, "castmatch_think", "uniform:0.5:1.5")))
    mix = parse_mix(str(getattr(opts, "castmatch_mix", "")))
    model_users = [cls for cls in environment.user_classes if issubclass(cls, ModelUser)]
    for user_class in model_users:
        user_class.tasks = user_class.tasks_for(mix)
    _meta["runner"] = environment.runner
    if isinstance(environment.runner, MasterRunner):
        _meta["started"] = time.time()
        _meta["stopping"] = False
        gevent.spawn(_sample, environment)
        return
    # This process's share of the sign-ins, as a Poisson stream: each arrival is taken by the next
    # user of this process to begin an action.
    workers = int(getattr(opts, "expect_workers", 1) or 1) if isinstance(environment.runner, WorkerRunner) else 1
    _meta["sign_ins"] = float(getattr(opts, "castmatch_sign_ins", 0.0) or 0.0) / max(1, workers)
    _meta["next_sign_in"] = time.time() + _gap()
    connections = int(getattr(opts, "castmatch_connections", 0) or 0)
    for user_class in model_users if connections else []:
        # Set before the first user of this process is made: FastHttpUser reads it in __init__.
        user_class.client_pool = HTTPClientPool(
            concurrency=math.ceil(connections / max(1, workers)), connection_timeout=user_class.connection_timeout,
            network_timeout=user_class.network_timeout)
    gevent.spawn(_watch_loop)


def _watch_loop() -> None:
    """On a worker: per window, the longest delay beyond ``LAG_TICK_S`` with which the loop woke us."""
    step = _meta["bucket"]
    while not _meta.get("stopping"):
        before = time.perf_counter()
        gevent.sleep(LAG_TICK_S)
        # The loop's clock is cached per iteration, so a timer may fire a hair early: never below zero.
        late = max(0.0, (time.perf_counter() - before - LAG_TICK_S) * 1000)
        window = _lag[int(time.time() // step)]
        window["self"] = max(window.get("self", 0.0), round(late, 1))


def _gap() -> float:
    rate = _meta["sign_ins"]
    return random.expovariate(rate) if rate > 0 else float("inf")


def _stopping(**_: Any) -> None:
    _meta["stopping"] = True
    _meta.setdefault("stopped", time.time())


def _heartbeat(client_id: str, timestamp: float, **_: Any) -> None:
    _heartbeats[client_id] = timestamp


def _sample(environment: Environment) -> None:
    """On the master, once per window: users, each process's CPU and memory, each worker's heartbeat age."""
    step = _meta["bucket"]
    runner = environment.runner
    while not _meta.get("stopping") and isinstance(runner, MasterRunner):
        now = time.time()
        index = int(now // step)
        _users[index] = runner.user_count
        _meta["workers"] = max(_meta.get("workers", 0), len(runner.clients))
        cpu = {"master": float(runner.current_cpu_usage)}
        rss = {"master": float(runner.current_memory_usage) / 2**20}
        ages = {}
        for node in runner.clients.values():
            name = f"worker-{runner.get_worker_index(node.id)}"  # type: ignore[no-untyped-call]
            cpu[name] = float(node.cpu_usage)
            rss[name] = float(node.memory_usage) / 2**20
            ages[name] = round(now - _heartbeats.get(node.id, _meta["started"]), 2)
        _generator[index] = {"cpu": cpu, "rss_mb": rss, "heartbeat_age": ages}
        gevent.sleep(step - (time.time() % step) + 0.01)


def _ship(data: dict[str, Any], **_: Any) -> None:
    # Histogram keys become strings: the master/worker protocol (msgpack) round-trips them safely.
    data["castmatch_windows"] = {str(index): {name: [w[0], w[1], {str(ms): n for ms, n in w[2].items()}]
                                              for name, w in names.items()}
                                 for index, names in _windows.items()}
    data["castmatch_lag"] = {str(index): lag["self"] for index, lag in _lag.items() if "self" in lag}
    _windows.clear()
    _lag.clear()


def _merge(client_id: str, data: dict[str, Any]) -> None:
    runner = _meta.get("runner")
    if isinstance(runner, MasterRunner):
        name = f"worker-{runner.get_worker_index(client_id)}"  # type: ignore[no-untyped-call]
        for key, late in data.get("castmatch_lag", {}).items():
            _lag[int(key)][name] = float(late)
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
                "generator": {**_generator.get(index, {}), "loop_lag_ms": _lag[index]} if index in _lag
                else _generator.get(index),
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
    (events.heartbeat_sent, _heartbeat),
    (events.report_to_master, _ship),
    (events.worker_report, _merge),
    (events.quitting, _write),
)
for _hook, _listener in _HOOKS:
    _hook.add_listener(_listener)


class ModelUser(FastHttpUser):
    """A user of the declared model: acts (a task drawn from the mix), then thinks (the declared
    distribution); a sign-in that is due is taken before the next action.

    Each user is a client of its own: it names its own address in ``X-Forwarded-For``, as a user
    behind the deployment's proxy does. A subclass lists its ``actions`` (method names) and the
    ``default_mix`` it runs when the model declares none.
    """

    abstract = True
    # One connection per user, as one browser tab keeps one to a host (unless the model shares a pool).
    concurrency = 1
    actions: ClassVar[tuple[str, ...]] = ()
    default_mix: ClassVar[tuple[tuple[str, int], ...]] = ()

    def __init__(self, environment: Environment) -> None:
        runner = environment.runner
        self.number = next(_clients)
        worker = getattr(runner, "worker_index", 0) if isinstance(runner, WorkerRunner) else 0
        self.address = f"10.{worker % 256}.{self.number // 256 % 256}.{self.number % 256}"
        self.default_headers = {"X-Forwarded-For": self.address}  # read by FastHttpUser.__init__
        super().__init__(environment)

    @classmethod
    def refuses(cls, environment: Environment, mix: tuple[tuple[str, int], ...], sign_ins: float) -> str:
        """Why this class cannot run the model (an action it lacks, sign-ins it cannot make); empty if it can."""
        unknown = [name for name, _ in mix if name not in cls.actions]
        if unknown:
            return (f"the user model's mix names {', '.join(map(repr, unknown))}, which this user class does not do; "
                    f"its actions are {', '.join(cls.actions)} — fix [deployment.load.model] mix")
        if sign_ins > 0 and cls.sign_in is ModelUser.sign_in:
            return "this user class does not sign in — set sign_ins_per_second = 0 in [deployment.load.model]"
        return ""

    @classmethod
    def tasks_for(cls, mix: tuple[tuple[str, int], ...]) -> list[TaskSet | Callable[..., Any]]:
        """Locust's task list for ``mix`` (each action as often as its weight)."""
        return [getattr(cls, name) for name, weight in (mix or cls.default_mix) for _ in range(weight)]

    def wait_time(self) -> float:
        """The declared think time; a sign-in that is due is taken here, before the next action."""
        if time.time() >= _meta["next_sign_in"]:
            _meta["next_sign_in"] += _gap()
            self.sign_in()
        return float(_meta["think"].draw())

    def sign_in(self) -> None:
        """A password sign-in; a class whose users sign in says how."""


class PagesUser(ModelUser):
    """A visitor of any site: reads the deployment's pages (``--castmatch-paths``) one after another."""

    actions = ("read",)
    default_mix = (("read", 1),)

    def read(self) -> None:
        """One of the deployment's pages."""
        paths = [p for p in str(getattr(self.environment.parsed_options, "castmatch_paths", "/")).split(",") if p]
        path = random.choice(paths or ["/"])
        self.client.get(path, name=path)


class CastmatchUser(ModelUser):
    """One casting director: searches, opens profiles, asks for recommendations, sometimes books.

    Each user signs in and books as one of the test accounts (``_accounts``), the users taking the
    accounts in turn, so the deployment's per-user rate limit sees the bookings spread over every
    account and not one director booking for thousands of users.
    """

    actions = ("search", "profile", "recommendations", "booking")
    #: The launch plan's traffic: mostly search, then profiles, recommendations, and now and then a booking.
    default_mix = (("search", 6), ("profile", 3), ("recommendations", 2), ("booking", 1))

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        accounts = _accounts(environment)
        self.slot = self.number % len(accounts) if accounts else 0
        self.token: str | None = None

    @classmethod
    def refuses(cls, environment: Environment, mix: tuple[tuple[str, int], ...], sign_ins: float) -> str:
        """Also: sign-ins and bookings need the profile's test accounts."""
        problem = super().refuses(environment, mix, sign_ins)
        books = any(name == "booking" for name, _ in mix or cls.default_mix)
        if not problem and (books or sign_ins > 0) and not _accounts(environment):
            name = str(getattr(environment.parsed_options, "castmatch_accounts_env", "")) or "no variable named"
            problem = (f"sign-ins and bookings need test accounts, and {name} holds none: the profile's "
                       "[deployment.sign_in] accounts names the variable (JSON [[\"user\", \"password\"], ...])")
        return problem

    def sign_in(self) -> None:
        """A password sign-in as the user's account (the deployment hashes the password): it books with this token."""
        username, password = _accounts(self.environment)[self.slot]
        form = {"grant_type": "password", "username": username, "password": password}
        with self.client.post(TOKEN_PATH, name=TOKEN_PATH, data=form, catch_response=True) as resp:
            if resp.status_code == 200:
                self.token = resp.json().get("access_token")

    def search(self) -> None:
        """The search API with a typical query."""
        q, area = random.choice(QUERIES), random.choice(AREAS)
        self.client.get(f"/api/v1/search?q={q}&area={area}&page={random.randint(1, 2)}", name="/api/v1/search")

    def profile(self) -> None:
        """A talent profile."""
        self.client.get(f"/api/v1/talent/{random.randint(1, TALENTS)}", name="/api/v1/talent/{id}")

    def recommendations(self) -> None:
        """Talent similar to a profile (the recommendation model)."""
        self.client.get(f"/api/v1/talent/{random.randint(1, TALENTS)}/similar", name="/api/v1/talent/{id}/similar")

    def booking(self) -> None:
        """Open a role, then book an audition with a retry-safe Idempotency-Key.

        The keys come from a small fixed set with fixed payloads, so however many runs load a
        deployment, at most BOOKING_KEYS auditions are ever created; every later booking is an
        idempotent replay that still runs authentication, validation and the database lookup.
        """
        key = random.randrange(BOOKING_KEYS)
        role = key % 20 + 1
        self.client.get(f"/api/v1/roles/{role}", name="/api/v1/roles/{id}")
        token = self.token or _account_token(self)
        if token is None:
            return
        # Each account books its own talents: two accounts never compete for one slot.
        self.client.post("/api/v1/auditions", name="/api/v1/auditions",
                         headers={"Authorization": f"Bearer {token}",
                                  "Idempotency-Key": f"castmatch-load-booking-{key}"},
                         json={"talent_id": 101 + self.slot * BOOKING_KEYS + key, "role_id": role,
                               "date": "2031-06-16", "time": f"{10 + key % 8}:00",
                               "notes": "load test booking (replayed)"})


# Each class's own mix until the run's model sets theirs (test_start).
for _user_class in (PagesUser, CastmatchUser):
    _user_class.tasks = _user_class.tasks_for(())


def _accounts(environment: Environment) -> list[tuple[str, str]]:
    """The accounts the users sign in and book as: every account of ``--castmatch-accounts-env`` after the
    first (the one other gates' seeded items belong to), or that one when it is alone; read once."""
    if "accounts" not in _meta:
        name = str(getattr(environment.parsed_options, "castmatch_accounts_env", ""))
        try:
            pairs = [(str(user), str(password)) for user, password in json.loads(os.environ.get(name, "") or "[]")]
        except (ValueError, TypeError):
            pairs = []
        _meta["accounts"] = pairs[1:] or pairs
    accounts: list[tuple[str, str]] = _meta["accounts"]
    return accounts


def _account_token(user: CastmatchUser) -> str | None:
    # One password grant per account and process for the users who have not signed in themselves
    # (a grant per user would measure the password hash): set-up, not judged.
    tokens: dict[int, str | None] = _meta.setdefault("tokens", {})
    if user.slot not in tokens:
        tokens[user.slot] = None
        username, password = _accounts(user.environment)[user.slot]
        form = {"grant_type": "password", "username": username, "password": password}
        with user.client.post(TOKEN_PATH, name="setup: " + TOKEN_PATH, catch_response=True, data=form) as resp:
            if resp.status_code == 200:
                tokens[user.slot] = resp.json().get("access_token")
    return tokens[user.slot]
