"""The load plan of a run: the deployment's declared user model, with the settings' overrides, aimed at it.

The model is the deployment profile's ``[deployment.load.model]``; each ``load_*`` setting that is set
(an option, ``--gate-set``, a ``CASTMATCH_LOAD_*`` variable, the gates file's ``[settings]``)
overrides one field of it, and the model's ``source`` names every override with where it came from,
so the report never shows a model that was not run. The load gates and ``benchmarks/load_20k.py``
build their plans here. Pure: no pytest, no Locust.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any

from pytest_castmatch.deployment import Deployment, DeploymentError, Load, Metrics, SignIn
from pytest_castmatch.runners.locust import LoadPlan, local_processes
from pytest_castmatch.runners.usermodel import Saturation, ThinkTime, UserModel
from pytest_castmatch.settings import BY_NAME, Settings, SettingsError

#: setting -> the model field it overrides
OVERRIDES: Mapping[str, str] = {"load_users": "users", "load_ramp": "ramp_s", "load_warmup": "warmup_s",
                                "load_hold": "hold_s", "load_think": "think", "load_sign_ins": "sign_ins_per_s",
                                "load_connections": "connections"}


def declared_model(deployment: Deployment) -> UserModel:
    """The profile's user model; :class:`DeploymentError` naming the key to write when it declares none."""
    traffic: Load = deployment.value("load", Load)
    if traffic.model is None:
        raise DeploymentError(f"{deployment.where('load')}: the deployment profile declares no user model — add "
                              "[deployment.load.model] with users, ramp_seconds, hold_seconds and think (README: Load)")
    return traffic.model


def with_overrides(model: UserModel, settings: Settings) -> UserModel:
    """``model`` with every ``load_*`` setting that is set; :class:`SettingsError` when the result is no model."""
    changes: dict[str, Any] = {}
    given = []
    for name, field in OVERRIDES.items():
        value = getattr(settings, name)
        if value is None:
            continue
        changes[field] = ThinkTime.uniform(*value) if name == "load_think" else value
        shown = ",".join(f"{v:g}" for v in value) if isinstance(value, tuple) else f"{value:g}"
        where = settings.sources.get(name, "default")
        given.append(f"{BY_NAME[name].env}={shown}" if where == "env" else f"{name}={shown} ({where})")
    if not changes:
        return model
    try:
        return dataclasses.replace(model, **changes, source=f"{model.source}, overridden by {'; '.join(given)}")
    except ValueError as exc:
        raise SettingsError(f"{'; '.join(given)}: {exc}") from None


def plan(base_url: str, deployment: Deployment, settings: Settings, *, pages: tuple[str, ...] = (),
         saturation: Saturation | None = None) -> LoadPlan:
    """The run's plan: the profile's model with the settings' overrides, aimed at ``base_url``."""
    model = with_overrides(declared_model(deployment), settings)
    return for_model(base_url, deployment, model, workers=settings.load_workers or os.cpu_count() or 1, pages=pages,
                     saturation=saturation)


def for_model(base_url: str, deployment: Deployment, model: UserModel, *, workers: int, pages: tuple[str, ...] = (),
              saturation: Saturation | None = None) -> LoadPlan:
    """``model`` run with the profile's traffic (user class, accounts, hosts) against ``base_url``, reading the
    deployment's own latency histogram when its profile names one."""
    traffic: Load = deployment.value("load", Load)
    sign_in = deployment.optional("sign_in") if traffic.user == "CastmatchUser" else None
    metrics = deployment.get("metrics")
    return LoadPlan(
        host=base_url,
        model=model,
        workers=workers,
        allowed_hosts=traffic.allowed_hosts,
        user_class=traffic.user,
        paths=pages,
        accounts_env=sign_in.accounts if isinstance(sign_in, SignIn) else "",
        metrics_path=metrics.path if isinstance(metrics, Metrics) and traffic.latency_histogram else "",
        latency_histogram=traffic.latency_histogram if isinstance(metrics, Metrics) else "",
        saturation=saturation or Saturation(),
        app_pids=local_processes(base_url),
    )


def child_env(load_plan: LoadPlan, env: Mapping[str, str]) -> dict[str, str]:
    """The variables the Locust processes need from the deployment's (its accounts variable, when named)."""
    name = load_plan.accounts_env
    return {name: env[name]} if name and name in env else {}
