"""The declared user model of a load run, and the rule that says when a run measured nothing.

"20,000 concurrent users" means nothing without its model: how fast the users arrive, how long
they are held, how long they think between steps, how many sign in per second and what they do.
The model is declared in the deployment profile's ``[deployment.load.model]`` (read by
:func:`user_model`), because it depends on the deployment's traffic: the action names of the mix are
those of the profile's user class (``[deployment.load] user``), which the locustfile checks. It drives
the Locust run through command-line options every process of the run receives (``locust_args``), and
is printed in the report beside what was measured (``describe``). The rule for a saturated generator
is the gates file's ``[load.saturation]`` (:func:`saturation`).

Pure: no Locust, no pytest; the locustfile reads the same encodings back (``ThinkTime.parse``,
``parse_mix``).
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Mapping
from dataclasses import field
from typing import Any, Protocol

from pytest_castmatch.record import Record, record

#: An action is named like a Python method of the user class that performs it.
ACTION_NAME = re.compile(r"[a-z_][a-z0-9_]*")
DISTRIBUTIONS = ("uniform", "exponential", "constant")


@record
class ThinkTime(Record):
    """Seconds a user waits between two actions.

    ``uniform``: evenly between ``low`` and ``high``. ``exponential``: memoryless with mean ``low``,
    cut off at ``high``. ``constant``: always ``low``.
    """

    distribution: str
    low: float
    high: float

    def __post_init__(self) -> None:
        if self.distribution not in DISTRIBUTIONS:
            raise ValueError(f"think-time distribution {self.distribution!r}: use one of {', '.join(DISTRIBUTIONS)}")
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.low < 0 or self.high < self.low:
            raise ValueError(f"think time {self.low:g}..{self.high:g} s: need 0 <= low <= high")

    @classmethod
    def uniform(cls, low: float, high: float) -> ThinkTime:
        """Evenly between ``low`` and ``high`` seconds."""
        return cls("uniform", low, high)

    @classmethod
    def parse(cls, text: str) -> ThinkTime:
        """``uniform:20:40``, ``exponential:30:120``, ``constant:1`` (the encoding of :meth:`encode`)."""
        name, _, rest = text.partition(":")
        low, _, high = rest.partition(":")
        return cls(name, float(low), float(high or low))

    def encode(self) -> str:
        """The one-word form every Locust process of a run receives."""
        return f"{self.distribution}:{self.low:g}:{self.high:g}"

    @property
    def mean(self) -> float:
        """The mean think time in seconds (the exponential's mean after its cut-off)."""
        if self.distribution == "uniform":
            return (self.low + self.high) / 2
        if self.distribution == "exponential":
            return self.low * (1 - math.exp(-self.high / self.low)) if self.low else 0.0
        return self.low

    def draw(self, rng: random.Random | None = None) -> float:
        """One think time."""
        r = rng or random
        if self.distribution == "uniform":
            return r.uniform(self.low, self.high)
        if self.distribution == "exponential":
            return min(r.expovariate(1 / self.low), self.high) if self.low else 0.0
        return self.low

    def describe(self) -> str:
        """``uniform 20 to 40 s``, ``exponential, mean 30 s, at most 120 s``, ``constant 1 s``."""
        if self.distribution == "uniform":
            return f"uniform {self.low:g} to {self.high:g} s"
        if self.distribution == "exponential":
            return f"exponential, mean {self.low:g} s, at most {self.high:g} s"
        return f"constant {self.low:g} s"


def parse_mix(text: str) -> tuple[tuple[str, int], ...]:
    """``search=6,profile=3`` -> ``(("search", 6), ("profile", 3))``; empty: the user class's own actions."""
    mix = []
    for part in filter(None, text.split(",")):
        name, _, weight = part.partition("=")
        mix.append((name.strip(), int(weight or 1)))
    return check_mix(tuple(mix))


def check_mix(mix: tuple[tuple[str, int], ...]) -> tuple[tuple[str, int], ...]:
    """``mix`` itself, or ValueError naming the first malformed action name or weight below 1.

    Whether the user class has each action is the locustfile's to say: it knows its own actions.
    """
    for name, weight in mix:
        if not ACTION_NAME.fullmatch(name):
            raise ValueError(f"action {name!r} in the mix: an action is named like a method, e.g. search")
        if weight < 1:
            raise ValueError(f"action {name!r} has weight {weight}: weights are whole numbers of at least 1")
    return mix


@record
class UserModel(Record):
    """Who loads the deployment: users, ramp, warm-up, hold, think time, sign-ins, action mix.

    The users arrive evenly over ``ramp_s`` seconds; ``warmup_s`` after the last has arrived the
    hold begins, and it lasts ``hold_s``: the figures the gates judge are taken over the hold.
    ``sign_ins_per_s`` users sign in with a password per second, spread over the whole run as in
    production, on top of the actions (a password hash per user all in the ramp measures the hash).

    ``connections``: 0, every user has a connection of its own to the deployment, as a browser
    talking to the app directly; N, the users' requests reach it over N keep-alive connections (all
    generator processes together), as through the deployment's proxy, which ends the users' own
    connections and keeps a pool of its own to the app.
    """

    users: int
    ramp_s: float
    hold_s: float
    think: ThinkTime
    warmup_s: float = 0.0
    sign_ins_per_s: float = 0.0
    mix: tuple[tuple[str, int], ...] = ()
    connections: int = 0
    #: Requests an action sends when more than one (a booking that opens the role first: 2).
    requests: tuple[tuple[str, int], ...] = ()
    #: Where the model was declared (``deployment.toml:131 [deployment.load.model]``) and what overrode it.
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        check_mix(self.mix)
        if (self.users < 1 or self.ramp_s <= 0 or self.hold_s <= 0 or self.warmup_s < 0 or self.sign_ins_per_s < 0
                or self.connections < 0):
            raise ValueError("a user model needs users >= 1, ramp and hold > 0, warm-up, sign-ins and connections "
                             f">= 0: {self}")

    @property
    def spawn_rate(self) -> float:
        """Users started per second."""
        return self.users / self.ramp_s

    @property
    def run_time_s(self) -> int:
        """Locust's ``--run-time``: ramp, warm-up and hold, in whole seconds."""
        return math.ceil(self.ramp_s + self.warmup_s + self.hold_s)

    @property
    def requests_per_action(self) -> float:
        """Requests one action sends on average, weighted by the mix (one each unless declared)."""
        total = sum(weight for _, weight in self.mix)
        sends = dict(self.requests)
        return sum(sends.get(name, 1) * weight for name, weight in self.mix) / total if total else 1.0

    @property
    def offered_rps(self) -> float:
        """Requests per second the held users ask for: each waits its think time, then acts again."""
        think = self.think.mean
        actions = self.users / think if think > 0 else math.inf
        return actions * self.requests_per_action + self.sign_ins_per_s

    def describe(self) -> str:
        """One line for the report: the model as declared."""
        mix = ", ".join(f"{name} {weight}" for name, weight in self.mix) or "the user class's own"
        return (f"{self.users:,} users arriving over {self.ramp_s:g} s ({self.spawn_rate:g}/s), "
                f"{self.warmup_s:g} s warm-up, held {self.hold_s:g} s; think {self.think.describe()}; "
                f"{self.sign_ins_per_s:g} sign-ins/s; mix {mix}; {self.connections_text}; "
                f"offered {self.offered_rps:,.0f} requests/s")

    @property
    def connections_text(self) -> str:
        """How the users reach the deployment, in words."""
        if self.connections:
            return f"over {self.connections:,} shared keep-alive connections (as through a proxy)"
        return "a connection per user"


    def as_json(self) -> dict[str, Any]:
        """The model for the report's evidence (JSON-safe)."""
        return {"users": self.users, "ramp_seconds": self.ramp_s, "warmup_seconds": self.warmup_s,
                "hold_seconds": self.hold_s, "spawn_rate": self.spawn_rate,
                "think": {"distribution": self.think.distribution, "low": self.think.low, "high": self.think.high,
                          "mean": self.think.mean},
                "sign_ins_per_second": self.sign_ins_per_s, "mix": dict(self.mix),
                "requests_per_action": dict(self.requests),
                "connections": self.connections,
                "offered_rps": round(self.offered_rps, 1), "source": self.source}

    def locust_args(self) -> list[str]:
        """The options that carry the model to every Locust process (the master passes them on)."""
        return ["-u", str(self.users), "-r", f"{self.spawn_rate:g}", "--run-time", f"{self.run_time_s}s",
                "--castmatch-think", self.think.encode(),
                "--castmatch-mix", ",".join(f"{name}={weight}" for name, weight in self.mix),
                "--castmatch-sign-ins", f"{self.sign_ins_per_s:g}", "--castmatch-connections", str(self.connections)]


@record
class Saturation(Record):
    """When a run measured its generator rather than the deployment.

    A generator process (the master or a worker) above ``cpu_percent`` of one core in more than
    ``share`` of the hold's samples, or a worker whose heartbeat did not reach the master for
    ``heartbeat_s`` seconds during the hold, makes every figure of the run "not measured:
    generator saturated": its latencies include time the generator spent not looking.
    """

    cpu_percent: float = 90.0
    share: float = 0.10
    heartbeat_s: float = 3.0


class TomlTable(Protocol):
    """The gates file's line-aware table reader (``pytest_castmatch.config``): errors name file, line and fix."""

    path: Any
    line: int
    keys: tuple[str, ...]
    data: Mapping[str, Any]

    def error(self, key: str, problem: str, fix: str) -> Exception: ...
    def check_keys(self, allowed: list[str]) -> None: ...
    def sub(self, key: str) -> TomlTable: ...
    def number(self, key: str) -> float | None: ...
    def integer(self, key: str, default: int) -> int: ...
    def string(self, key: str, default: str | None = None) -> str: ...
    def strings(self, key: str) -> tuple[str, ...]: ...


def saturation(table: TomlTable) -> Saturation:
    """The gates file's ``[load.saturation]``: when a run measured its generator (defaults when absent)."""
    table.check_keys(["cpu_percent", "share_percent", "heartbeat_seconds"])
    defaults = Saturation()
    rule = Saturation(
        cpu_percent=_positive(table, "cpu_percent", defaults.cpu_percent),
        share=_positive(table, "share_percent", defaults.share * 100) / 100,
        heartbeat_s=_positive(table, "heartbeat_seconds", defaults.heartbeat_s),
    )
    if rule.share > 1:
        raise table.error("share_percent", f"{rule.share * 100:g} % of the hold is more than all of it",
                          "write a share between 0 and 100, e.g. share_percent = 10")
    return rule


def user_model(table: TomlTable) -> UserModel:
    """A profile's ``[deployment.load.model]``: users, ramp, warm-up, hold, think-time distribution,
    sign-ins per second, action mix (with the requests an action sends), connections."""
    table.check_keys(["users", "ramp_seconds", "warmup_seconds", "hold_seconds", "think", "sign_ins_per_second",
                      "mix", "requests_per_action", "connections"])
    users = table.integer("users", 0)
    if users < 1:
        raise table.error("users", f"expected at least 1 user, got {users}", "write users = 20000")
    think = table.sub("think")
    think.check_keys(["distribution", "min", "max", "mean", "seconds"])
    kind = think.string("distribution", "uniform")
    if kind not in DISTRIBUTIONS:
        raise think.error("distribution", f"unknown distribution {kind!r}", f"use one of {', '.join(DISTRIBUTIONS)}")
    needs = {"uniform": ("min", "max"), "exponential": ("mean", "max"), "constant": ("seconds",)}[kind]
    bounds = [_positive(think, key, None, zero=True) for key in needs]
    low, high = bounds[0], bounds[-1]
    if high < low:
        raise think.error(needs[-1], f"{high:g} s is below {needs[0]} = {low:g} s", f"swap {needs[0]} and {needs[-1]}")
    mix = _weights(table.sub("mix"), "weight", "(or leave the action out)")
    requests = _weights(table.sub("requests_per_action"), "number of requests", "(one when left out)")
    for action, _ in requests:
        if action not in dict(mix):
            raise table.sub("requests_per_action").error(action, "not an action of the mix",
                                                         "name an action of [mix], or leave it out")
    return UserModel(
        users=users,
        ramp_s=_positive(table, "ramp_seconds", None),
        warmup_s=_positive(table, "warmup_seconds", 0.0, zero=True),
        hold_s=_positive(table, "hold_seconds", None),
        think=ThinkTime(kind, low, high),
        sign_ins_per_s=_positive(table, "sign_ins_per_second", 0.0, zero=True),
        mix=mix,
        connections=_connections(table),
        requests=requests,
        source=f"{table.path}:{table.line} [{'.'.join(table.keys)}]",
    )


def _weights(table: TomlTable, what: str, leave: str) -> tuple[tuple[str, int], ...]:
    """``{action = whole number >= 1, ...}`` in declaration order."""
    out = []
    for action, weight in table.data.items():
        if not ACTION_NAME.fullmatch(action):
            raise table.error(action, "not an action name", "name a method of the profile's user class, e.g. search")
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 1:
            raise table.error(action, f"expected a whole number of at least 1, got {weight!r}",
                              f"write {action} = 1 {leave}")
        out.append((action, weight))
    return tuple(out)


def _connections(table: TomlTable) -> int:
    """``connections``: 0 (a connection per user, the default) or the size of the proxy's shared pool."""
    value = table.data.get("connections", 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise table.error("connections", f"expected a whole number of at least 0, got {value!r}",
                          "write connections = 0 (a connection per user) or the proxy's pool size, e.g. 64")
    return value


def _positive(table: TomlTable, key: str, default: float | None, *, zero: bool = False) -> float:
    """A number above zero (``zero``: or zero); required when ``default`` is None."""
    value = table.number(key)
    if value is None:
        if default is None:
            raise table.error(key, "missing", f"add {key} = ... to [{'.'.join(table.keys)}]")
        return default
    if value < 0 or (value == 0 and not zero):
        raise table.error(key, f"expected a number {'of at least' if zero else 'above'} 0, got {value:g}",
                          f"write a positive {key}")
    return value


