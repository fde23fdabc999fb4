"""The load suite's shared run: one bounded Locust run per test session, judged by several gates.

The size of the run comes from the environment, so one command line serves this machine and a
launch-scale distributed run alike:

=========================  ==========================================================  =========
variable                   meaning                                                     default
=========================  ==========================================================  =========
CASTMATCH_LOAD_USERS       users to reach and hold (the launch target is 20,000)       50
CASTMATCH_LOAD_SECONDS     run time including the ramp                                 30
CASTMATCH_LOAD_SPAWN_RATE  users started per second                                    25
CASTMATCH_LOAD_WORKERS     Locust worker processes (the runner's default: one a core)  1
CASTMATCH_LOAD_THINK       think time range MIN,MAX in seconds                         0.4,0.9
CASTMATCH_LOAD_WARMUP      seconds after the ramp before the hold phase is judged      3
=========================  ==========================================================  =========

The defaults fit a shared 2-core machine: the reference app is one process, and Locust's master
plus worker run beside it, so one worker leaves the app the CPU it needs to answer in time. The
run lasts long enough for the least-used endpoints (a booking's two requests, 1 in 13 of the
traffic) to get the 100 successful answers a p99 needs (min_samples) in the hold phase.
"""

from __future__ import annotations

import os

import pytest

from pytest_castmatch.config import GateConfig
from pytest_castmatch.runners import EngineMissing
from pytest_castmatch.runners import locust as load


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise pytest.UsageError(f"{name}={raw!r}: expected a number, e.g. {name}={default:g}") from None
    if value <= 0:
        raise pytest.UsageError(f"{name}={raw!r}: must be positive")
    return value


def load_plan(base_url: str, config: GateConfig) -> load.LoadPlan:
    """The load plan from the environment (see the table above), aimed at ``base_url``."""
    low, _, high = os.environ.get("CASTMATCH_LOAD_THINK", "0.4,0.9").partition(",")
    try:
        think = (float(low), float(high or low))
    except ValueError:
        raise pytest.UsageError("CASTMATCH_LOAD_THINK: expected MIN,MAX seconds, e.g. 0.4,0.9") from None
    return load.LoadPlan(
        host=base_url,
        users=int(_env_number("CASTMATCH_LOAD_USERS", 50)),
        spawn_rate=_env_number("CASTMATCH_LOAD_SPAWN_RATE", 25),
        run_time_s=int(_env_number("CASTMATCH_LOAD_SECONDS", 30)),
        workers=int(_env_number("CASTMATCH_LOAD_WORKERS", 1)),
        think=think,
        warmup_s=_env_number("CASTMATCH_LOAD_WARMUP", 3),
        allowed_hosts=tuple(config.load_hosts),
    )


@pytest.fixture(scope="session")
def min_availability(castmatch_config: GateConfig) -> float:
    """The availability threshold in percent (gates.toml ``availability_percent``; 100 when undeclared).

    A latency, throughput or users figure over a window less available than this is not measured.
    """
    spec = castmatch_config.metrics.get("availability_percent")
    return spec.min if spec is not None and spec.min is not None else 100.0


@pytest.fixture(scope="session")
def load_run(castmatch_base_url: str, castmatch_config: GateConfig,
             tmp_path_factory: pytest.TempPathFactory) -> load.LoadResult:
    """One bounded load run against the deployment under test, shared by the load gates.

    Any failure to run (Locust missing, target refused, run killed at its hard limit) fails this
    fixture, so every gate that needs it errors — and blocks.
    """
    plan = load_plan(castmatch_base_url, castmatch_config)
    try:
        return load.run(plan, tmp_path_factory.mktemp("locust"))
    except (EngineMissing, load.LoadTargetRefused, load.LoadRunError) as exc:
        pytest.fail(str(exc), pytrace=False)
