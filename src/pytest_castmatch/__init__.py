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

Importing this package stays light: each name is imported on first use; no cryptography, no Jinja2,
no pytest plugin state.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

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

#: Where each public name lives: imported on first use, so importing this package (as pytest does
#: for every run of a project that installs the plugin) costs nothing until a gate needs it.
_HOME = {
    "Animation": "pytest_castmatch.deployment",
    "Api": "pytest_castmatch.deployment",
    "Backup": "pytest_castmatch.deployment",
    "Deployment": "pytest_castmatch.deployment",
    "DeploymentError": "pytest_castmatch.deployment",
    "Finding": "pytest_castmatch.model",
    "Form": "pytest_castmatch.deployment",
    "Gate": "pytest_castmatch.recorder",
    "GateConfig": "pytest_castmatch.config",
    "Health": "pytest_castmatch.deployment",
    "Instance": "pytest_castmatch.deployment",
    "Languages": "pytest_castmatch.deployment",
    "Launched": "pytest_castmatch.deployment",
    "Load": "pytest_castmatch.deployment",
    "MetricSpec": "pytest_castmatch.config",
    "Metrics": "pytest_castmatch.deployment",
    "Outcome": "pytest_castmatch.model",
    "Pages": "pytest_castmatch.deployment",
    "Priority": "pytest_castmatch.model",
    "RateLimit": "pytest_castmatch.deployment",
    "Restart": "pytest_castmatch.deployment",
    "Series": "pytest_castmatch.model",
    "Settings": "pytest_castmatch.settings",
    "Severity": "pytest_castmatch.model",
    "SignIn": "pytest_castmatch.deployment",
    "Themes": "pytest_castmatch.deployment",
    "resolve": "pytest_castmatch.deployment",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'pytest_castmatch' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


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
