"""pytest-castmatch: the launch gate for a web app, as a pytest plugin plus gate suites.

The public vocabulary for gate authors (suites import these names, not the modules behind them):

- ``Gate``: what a gate test holds as its ``gate`` fixture (``check``, ``metric``, ``attach``);
- ``Finding`` (what a check found), its ``Severity``, and ``Priority``; ``Outcome`` (``NOT_APPLICABLE`` among them);
- ``Series``: the points of a metric and what they plot (``gate.metric(..., series=Series(...))``);
- ``Settings``: the run's resolved settings (fixture ``castmatch_settings``);
- ``Deployment``: the deployment under test as its profile describes it (fixture ``castmatch_deployment``),
  with the capability types a gate reads from it;
- ``GateConfig``: the gates file (fixture ``castmatch_config``);
- ``deployment_of(config)`` and ``settings_of(config)``: the same two from a hook (collection time).

Importing this package stays light: no cryptography, no Jinja2, no pytest plugin state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_castmatch.config import GateConfig, MetricSpec
from pytest_castmatch.deployment import (
    Animation,
    Api,
    Backup,
    Deployment,
    DeploymentError,
    Form,
    Health,
    Instance,
    Languages,
    Launched,
    Load,
    Metrics,
    Pages,
    RateLimit,
    Restart,
    SignIn,
    Themes,
    resolve,
)
from pytest_castmatch.model import Finding, Outcome, Priority, Series, Severity
from pytest_castmatch.recorder import Gate
from pytest_castmatch.settings import Settings

if TYPE_CHECKING:
    import pytest

__all__ = [
    "Animation",
    "Api",
    "Backup",
    "Deployment",
    "DeploymentError",
    "Finding",
    "Form",
    "Gate",
    "GateConfig",
    "Health",
    "Instance",
    "Languages",
    "Launched",
    "Load",
    "MetricSpec",
    "Metrics",
    "Outcome",
    "Pages",
    "Priority",
    "RateLimit",
    "Restart",
    "Series",
    "Settings",
    "Severity",
    "SignIn",
    "Themes",
    "deployment_of",
    "resolve",
    "settings_of",
]


def deployment_of(config: pytest.Config) -> Deployment:
    """The run's deployment (loads the gate run's settings and profile on first use)."""
    from pytest_castmatch.plugin import gate_run

    return gate_run(config).deployment


def settings_of(config: pytest.Config) -> Settings:
    """The run's resolved settings (loads them on first use)."""
    from pytest_castmatch.plugin import gate_run

    return gate_run(config).settings
