"""Token lifecycle: refresh works, rotates, and a spent refresh token dies (reuse is refused).

Expiry needs the app's clock moved forward, a global fault: it lives in test_faults.py.
"""

from __future__ import annotations

import pytest

from pytest_castmatch import Deployment, Gate
from pytest_castmatch.checks import access
from pytest_castmatch.checks.web import Client


@pytest.mark.p1
@pytest.mark.owner("integration")
@pytest.mark.needs("api.token", "sign_in")
def test_refresh_tokens_rotate_and_die_after_use(gate: Gate, client: Client, castmatch_deployment: Deployment,
                                                 directors: tuple[tuple[str, str], ...]) -> None:
    """A refresh grant returns a new pair; the spent refresh token is refused the second time."""
    endpoint: str = castmatch_deployment.value("api.token", str)
    tokens = access.sign_in(client, *directors[1], path=endpoint)
    findings, tried = access.refresh_rotation(client, tokens.refresh, path=endpoint)
    gate.check(findings)
    gate.metric("security_probes_run", tried, labels={"probe": "refresh-rotation"})
