"""Observability gates: the Prometheus series the launch dashboards need, and structured logs whose
request ids match the X-Request-ID each response carries.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from pytest_castmatch import Deployment, Finding, Gate, Launched, Metrics
from pytest_castmatch.checks import ops


@pytest.mark.p0
@pytest.mark.owner("devops")
@pytest.mark.needs("metrics")
def test_metrics_expose_dashboard_series(gate: Gate, castmatch_base_url: str, castmatch_deployment: Deployment) -> None:
    """The metrics endpoint parses as Prometheus text and has every series the dashboards read
    (the profile's ``[deployment.metrics] series``)."""
    metrics: Metrics = castmatch_deployment.value("metrics", Metrics)
    with requests.Session() as http:
        # Traffic first, so labelled series have samples to show.
        for path in metrics.traffic:
            http.get(castmatch_base_url + path, timeout=10)
        response = http.get(castmatch_base_url + metrics.path, timeout=10)
    assert response.status_code == 200, f"{metrics.path} answers {response.status_code}"
    gate.check(ops.required_series(response.text, metrics.series))


@pytest.mark.p1
@pytest.mark.owner("devops")
@pytest.mark.needs("instance")
def test_logs_are_json_with_request_ids(gate: Any, own_app: Launched) -> None:
    """Every log line is a JSON object; each response's X-Request-ID is on the log record of its request."""
    own_app.wait_ready(60)
    url = own_app.url
    seen: list[tuple[str, str | None]] = []
    with requests.Session() as http:
        given = f"gate-{uuid.uuid4().hex[:12]}"
        for path, headers in (("/", {}), ("/api/v1/talent/1", {}), ("/no-such-page", {}),
                              ("/api/v1/search?q=dance", {"X-Request-ID": given})):
            response = http.get(url + path, headers=headers, timeout=10)
            seen.append((path, response.headers.get("X-Request-ID")))
        echoed = seen[-1][1]
    own_app.stop()
    log = own_app.log.read_text(encoding="utf-8", errors="replace")
    gate.check(ops.request_id_findings(log, seen))
    if echoed is not None and echoed != given:
        gate.check([Finding(rule="request-id-not-propagated", page=seen[-1][0],
                                message=f"the caller sent X-Request-ID {given}, the response carries {echoed}")])
    copy = Path(gate.evidence_dir) / "app.log"
    shutil.copyfile(own_app.log, copy)
    gate.attach(copy)
