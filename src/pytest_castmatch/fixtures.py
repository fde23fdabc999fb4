"""The fixtures a gate uses: ``gate``, and the run's gates file, settings, deployment and its address."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_castmatch.plugin import GATE_KEY, gate_run

if TYPE_CHECKING:  # loaded with the run (GateRun.activate); an idle run imports none of them
    from pytest_castmatch.config import GateConfig
    from pytest_castmatch.deployment import Deployment
    from pytest_castmatch.recorder import Gate
    from pytest_castmatch.settings import Settings


@pytest.fixture
def gate(request: pytest.FixtureRequest) -> Gate:
    """Record findings (``gate.check``), metrics (``gate.metric``) and evidence for this gate."""
    from pytest_castmatch.recorder import Gate

    run = gate_run(request.config)
    recorder = Gate(request.node.nodeid, run.gate_config, run.evidence_root)
    request.node.stash[GATE_KEY] = recorder
    if isinstance(request.node, pytest.Item) and (tracked := run._gate_item(request.node)) is not None:
        tracked.recorder = recorder  # what its phase reports carry
    return recorder


@pytest.fixture(scope="session")
def castmatch_config(request: pytest.FixtureRequest) -> GateConfig:
    """The parsed gates file: owners, metric thresholds, launch metrics."""
    run = gate_run(request.config)
    if run.gate_config is None:
        pytest.fail(run.config_error, pytrace=False)
    return run.gate_config


@pytest.fixture(scope="session")
def castmatch_settings(request: pytest.FixtureRequest) -> Settings:
    """The run's settings, resolved once (README: Settings)."""
    return gate_run(request.config).settings


@pytest.fixture(scope="session")
def castmatch_deployment(request: pytest.FixtureRequest) -> Deployment:
    """The deployment under test as its profile describes it."""
    return gate_run(request.config).deployment


@pytest.fixture(scope="session")
def castmatch_base_url(request: pytest.FixtureRequest) -> str:
    """The deployment's address: ``--base-url``, else the profile's ``base_url``, else the reference app
    started on loopback (only when no deployment was given)."""
    run = gate_run(request.config)
    deployment = run.deployment
    if deployment.base_url:
        return deployment.base_url
    if not deployment.reference:
        pytest.fail(f"the deployment profile ({deployment.source}) has no address: set [deployment] base_url "
                    "or pass --base-url", pytrace=False)
    from pytest_castmatch import sut

    try:
        return sut.ensure_app(run.run_dir, owner=run.owner_pid).url
    except sut.SutError as exc:
        pytest.fail(str(exc), pytrace=False)
