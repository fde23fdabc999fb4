"""The load suite's shared run: one bounded Locust run per test session, judged by several gates.

The run follows the user model the deployment profile declares in ``[deployment.load.model]``
(users, ramp, warm-up, hold, think-time distribution, sign-ins per second, action mix, connections)
with the profile's user class (``[deployment.load] user``). The ``load_*`` settings override single
fields of it — ``load_users``, ``load_ramp``, ``load_warmup``, ``load_hold``, ``load_think`` (uniform
MIN,MAX), ``load_sign_ins``, ``load_connections`` — for a smaller run on a laptop or a larger one on
a distributed generator; ``load_workers`` sets the Locust workers (one per core by default). The
report names every override beside the model (``pytest_castmatch.runners.loadplan``).

A smaller model still has to give every endpoint, the least used included (a booking's two
requests), the 100 successful answers in the hold that a p99 needs (``min_samples``): a figure
over fewer is "not measured", and blocks.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from pytest_castmatch import Deployment, GateConfig, Settings
from pytest_castmatch.deployment import DeploymentError
from pytest_castmatch.runners import EngineMissing, loadplan, loadreport
from pytest_castmatch.runners import locust as load
from pytest_castmatch.settings import SettingsError


@pytest.fixture(scope="session")
def min_availability(castmatch_config: GateConfig) -> float:
    """The availability threshold in percent (gates.toml ``availability_percent``; 100 when undeclared).

    A latency, throughput or users figure over a window less available than this is not measured.
    """
    spec = castmatch_config.metrics.get("availability_percent")
    return spec.min if spec is not None and spec.min is not None else 100.0


@pytest.fixture(scope="session")
def load_plan(castmatch_base_url: str, castmatch_config: GateConfig, castmatch_settings: Settings,
              castmatch_deployment: Deployment, inventory_pages: list[str]) -> load.LoadPlan:
    """The run's plan: the profile's user model with the settings' overrides, aimed at the deployment.

    No user model, or an override that makes none, fails this fixture, so every load gate errors — and blocks.
    """
    try:
        return loadplan.plan(castmatch_base_url, castmatch_deployment, castmatch_settings,
                             pages=tuple(inventory_pages), saturation=castmatch_config.load_saturation)
    except (DeploymentError, SettingsError) as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def load_run(load_plan: load.LoadPlan, deployment_env: Mapping[str, str],
             tmp_path_factory: pytest.TempPathFactory) -> load.LoadResult:
    """One bounded load run against the deployment under test, shared by the load gates.

    Any failure to run (Locust missing, target refused, run killed at its hard limit) fails this
    fixture, so every gate that needs it errors — and blocks.
    """
    try:
        return load.run(load_plan, tmp_path_factory.mktemp("locust"), env=loadplan.child_env(load_plan, deployment_env))
    except (EngineMissing, load.LoadTargetRefused, load.LoadRunError) as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def load_summary(load_run: load.LoadResult, load_plan: load.LoadPlan) -> dict[str, object]:
    """The declared model beside what the run measured, the server's view included (see ``loadreport``)."""
    server = loadreport.server_latency(load_run, load_plan.latency_histogram, skip_route=load_plan.metrics_path)
    return loadreport.summary(load_run, load_plan.saturation, server)
