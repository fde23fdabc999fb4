"""Short-lived app instances of their own for the operations gates.

Logs and lifecycle can only be judged on a process whose output we capture and whose start and
stop we control, so these gates start one through the profile's launcher instead of measuring
the shared deployment.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_castmatch import Deployment, Instance, Launched, resolve


@pytest.fixture
def own_app(tmp_path: Path, castmatch_deployment: Deployment) -> Iterator[Launched]:
    """A fresh app on a free loopback port, started by the profile's ``[deployment.instance] launcher``,
    its output captured to a file, not yet ready: the gate decides what to wait for (``own_app.wait_ready()``)."""
    instance: Instance = castmatch_deployment.value("instance", Instance)
    launch = resolve(instance.launcher, "[deployment.instance] launcher")
    app: Launched = launch(tmp_path, drain_seconds=1, fault_injection=True, access_log=True, ready=False)
    try:
        yield app
    finally:
        app.stop()
