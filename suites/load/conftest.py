"""The load suite's shared run: one bounded Locust run per test session, judged by several gates.

Its size comes from the settings (README: Settings), so one command line serves this machine and a
launch-scale distributed run alike: ``load_users`` (50), ``load_seconds`` (30), ``load_spawn_rate``
(25), ``load_workers`` (1), ``load_think`` (0.4,0.9), ``load_warmup`` (3). Its traffic and the
hosts that may receive it come from the deployment profile's ``[deployment.load]``: ``PagesUser``
reads the deployment's pages, ``CastmatchUser`` models CastMatch's traffic (search, profiles,
recommendations, bookings as a test account).

The defaults fit a shared 2-core machine: the reference app is one process, and Locust's master
plus worker run beside it, so one worker leaves the app the CPU it needs to answer in time. The
run lasts long enough for the least-used endpoints (a booking's two requests, 1 in 13 of the
traffic) to get the 100 successful answers a p99 needs (min_samples) in the hold phase.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from pytest_castmatch import Deployment, GateConfig, Load, Settings
from pytest_castmatch.runners import EngineMissing
from pytest_castmatch.runners import locust as load


def load_plan(base_url: str, settings: Settings, deployment: Deployment, pages: list[str]) -> load.LoadPlan:
    """The load plan from the settings and the profile, aimed at ``base_url``."""
    traffic: Load = deployment.value("load", Load)
    sign_in = deployment.optional("sign_in") if traffic.user == "CastmatchUser" else None
    return load.LoadPlan(
        host=base_url,
        users=settings.load_users,
        spawn_rate=settings.load_spawn_rate,
        run_time_s=settings.load_seconds,
        workers=settings.load_workers,
        think=settings.load_think,
        warmup_s=settings.load_warmup,
        allowed_hosts=traffic.allowed_hosts,
        user_class=traffic.user,
        paths=tuple(pages),
        accounts_env=sign_in.accounts if sign_in is not None else "",
    )


@pytest.fixture(scope="session")
def min_availability(castmatch_config: GateConfig) -> float:
    """The availability threshold in percent (gates.toml ``availability_percent``; 100 when undeclared).

    A latency, throughput or users figure over a window less available than this is not measured.
    """
    spec = castmatch_config.metrics.get("availability_percent")
    return spec.min if spec is not None and spec.min is not None else 100.0


@pytest.fixture(scope="session")
def load_run(castmatch_base_url: str, castmatch_settings: Settings, castmatch_deployment: Deployment,
             inventory_pages: list[str], deployment_env: Mapping[str, str],
             tmp_path_factory: pytest.TempPathFactory) -> load.LoadResult:
    """One bounded load run against the deployment under test, shared by the load gates.

    Any failure to run (Locust missing, target refused, run killed at its hard limit) fails this
    fixture, so every gate that needs it errors — and blocks.
    """
    plan = load_plan(castmatch_base_url, castmatch_settings, castmatch_deployment, inventory_pages)
    env = {plan.accounts_env: deployment_env[plan.accounts_env]} if plan.accounts_env in deployment_env else {}
    try:
        return load.run(plan, tmp_path_factory.mktemp("locust"), env=env)
    except (EngineMissing, load.LoadTargetRefused, load.LoadRunError) as exc:
        pytest.fail(str(exc), pytrace=False)
