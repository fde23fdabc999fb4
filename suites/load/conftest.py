"""The load suite's shared run: one bounded Locust run per test session, judged by several gates.

The run follows the user model declared in gates.toml ``[load.model]`` (users, ramp, warm-up, hold,
think-time distribution, sign-ins per second, action mix). Single fields can be overridden from
the environment, for a smaller run on a laptop or a larger one on a distributed generator; the
report names every override beside the model:

=========================  =====================================================================
variable                   overrides
=========================  =====================================================================
CASTMATCH_LOAD_USERS       ``users``
CASTMATCH_LOAD_RAMP        ``ramp_seconds``
CASTMATCH_LOAD_WARMUP      ``warmup_seconds``
CASTMATCH_LOAD_HOLD        ``hold_seconds``
CASTMATCH_LOAD_THINK       ``think``: MIN,MAX seconds, uniform
CASTMATCH_LOAD_SIGN_INS    ``sign_ins_per_second``
CASTMATCH_LOAD_CONNECTIONS ``connections``
CASTMATCH_LOAD_WORKERS     Locust worker processes (default: one per core)
=========================  =====================================================================

A smaller model still has to give every endpoint, the least used included (a booking's two
requests), the 100 successful answers in the hold that a p99 needs (``min_samples``): a figure
over fewer is "not measured", and blocks.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

import pytest

from pytest_castmatch import Deployment, GateConfig, Load
from pytest_castmatch.runners import EngineMissing, loadreport
from pytest_castmatch.runners import locust as load


class PlanError(ValueError):
    """The declared model or an override cannot make a load plan; the message names the fix."""


#: variable -> (model field, how to read it)
OVERRIDES = {
    "CASTMATCH_LOAD_USERS": ("users", int),
    "CASTMATCH_LOAD_RAMP": ("ramp_s", float),
    "CASTMATCH_LOAD_WARMUP": ("warmup_s", float),
    "CASTMATCH_LOAD_HOLD": ("hold_s", float),
    "CASTMATCH_LOAD_SIGN_INS": ("sign_ins_per_s", float),
    "CASTMATCH_LOAD_CONNECTIONS": ("connections", int),
}


def user_model(config: GateConfig) -> load.UserModel:
    """The declared model with the environment's overrides applied; :class:`PlanError` names a bad value."""
    declared = config.load.model
    if declared is None:
        raise PlanError(f"{config.path}: no [load.model] — declare the user model the load gates run "
                                "(users, ramp_seconds, hold_seconds, think; README: Load)")
    changes: dict[str, object] = {}
    for name, (field, kind) in OVERRIDES.items():
        raw = os.environ.get(name, "")
        if raw:
            try:
                changes[field] = kind(raw)
            except ValueError:
                raise PlanError(f"{name}={raw!r}: expected a number") from None
    raw = os.environ.get("CASTMATCH_LOAD_THINK", "")
    if raw:
        low, _, high = raw.partition(",")
        try:
            changes["think"] = load.ThinkTime.uniform(float(low), float(high or low))
        except ValueError:
            raise PlanError(f"CASTMATCH_LOAD_THINK={raw!r}: expected MIN,MAX seconds, e.g. 0.4,0.9") from None
    if not changes:
        return declared
    given = ", ".join(f"{name}={os.environ[name]}" for name in [*OVERRIDES, "CASTMATCH_LOAD_THINK"]
                      if os.environ.get(name))
    try:
        return dataclasses.replace(declared, **changes,  # type: ignore[arg-type]
                                   source=f"{declared.source}, overridden by {given}")
    except ValueError as exc:
        raise PlanError(f"{given}: {exc}") from None


def load_plan(base_url: str, config: GateConfig, deployment: Deployment, pages: list[str]) -> load.LoadPlan:
    """The load plan: the user model aimed at ``base_url``, watching the deployment's processes and metrics."""
    workers = os.environ.get("CASTMATCH_LOAD_WORKERS", "")
    if workers and (not workers.isdigit() or int(workers) < 1):
        raise PlanError(f"CASTMATCH_LOAD_WORKERS={workers!r}: expected a whole number of at least 1")
    traffic: Load = deployment.value("load", Load)
    sign_in = deployment.optional("sign_in") if traffic.user == "CastmatchUser" else None
    return load.LoadPlan(
        host=base_url,
        model=user_model(config),
        workers=int(workers) if workers else os.cpu_count() or 1,
        allowed_hosts=traffic.allowed_hosts,
        user_class=traffic.user,
        paths=tuple(pages),
        accounts_env=sign_in.accounts if sign_in is not None else "",
        metrics_path=config.load.metrics_path,
        latency_histogram=config.load.latency_histogram,
        saturation=config.load.saturation,
        app_pids=load.local_processes(base_url),
    )


@pytest.fixture(scope="session")
def min_availability(castmatch_config: GateConfig) -> float:
    """The availability threshold in percent (gates.toml ``availability_percent``; 100 when undeclared).

    A latency, throughput or users figure over a window less available than this is not measured.
    """
    spec = castmatch_config.metrics.get("availability_percent")
    return spec.min if spec is not None and spec.min is not None else 100.0


@pytest.fixture(scope="session")
def load_run(castmatch_base_url: str, castmatch_config: GateConfig, castmatch_deployment: Deployment,
             inventory_pages: list[str], deployment_env: Mapping[str, str],
             tmp_path_factory: pytest.TempPathFactory) -> load.LoadResult:
    """One bounded load run against the deployment under test, shared by the load gates.

    Any failure to run (Locust missing, target refused, run killed at its hard limit) fails this
    fixture, so every gate that needs it errors — and blocks.
    """
    try:
        plan = load_plan(castmatch_base_url, castmatch_config, castmatch_deployment, inventory_pages)
        env = {plan.accounts_env: deployment_env[plan.accounts_env]} if plan.accounts_env in deployment_env else {}
        return load.run(plan, tmp_path_factory.mktemp("locust"), env=env)
    except (PlanError, EngineMissing, load.LoadTargetRefused, load.LoadRunError) as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def load_summary(load_run: load.LoadResult, castmatch_config: GateConfig) -> dict[str, object]:
    """The declared model beside what the run measured, the server's view included (see ``loadreport``)."""
    server = loadreport.server_latency(load_run, castmatch_config.load.latency_histogram,
                                       skip_route=castmatch_config.load.metrics_path)
    return loadreport.summary(load_run, castmatch_config.load.saturation, server)
