"""The verdict and the report do not depend on how the run was distributed."""

from __future__ import annotations

import json
from typing import Any

from pytest_castmatch.canonical import strip_volatile
from tests.plugin.conftest import GateProject

MIXED = """
    import pytest

    @pytest.mark.p0
    @pytest.mark.owner("backend-api")
    @pytest.mark.parametrize("endpoint", ["/search", "/talent", "/recommend"])
    def test_api(gate, endpoint):
        gate.metric("api_p99_ms", {"/search": 150.0, "/talent": 80.0, "/recommend": 210.0}[endpoint],
                    labels={"endpoint": endpoint})

    @pytest.mark.p1
    @pytest.mark.owner("devops")
    def test_skipped():
        pytest.skip("engine missing")

    @pytest.mark.p2
    @pytest.mark.owner("frontend-ui")
    def test_bundle(gate):
        gate.metric("bundle_kb", 140.0)

    @pytest.mark.p1
    @pytest.mark.owner("devops")
    @pytest.mark.parametrize("n", range(6))
    def test_many(n):
        assert n != 4, "four is unlucky"
"""


def _comparable(report: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = strip_volatile(report)
    return doc


def test_serial_n1_and_n2_reach_the_same_report(project: GateProject) -> None:
    project.suite("test_mixed", MIXED)
    project.lock()
    reports = []
    for args in ([], ["-n", "1"], ["-n", "2"]):
        result = project.pytester.runpytest_subprocess(*args)
        assert result.ret == 1
        reports.append(_comparable(project.report()))
    serial, one, two = reports
    assert serial["verdict"]["decision"] == "NO-GO"
    assert json.dumps(serial, sort_keys=True) == json.dumps(one, sort_keys=True)
    assert json.dumps(serial, sort_keys=True) == json.dumps(two, sort_keys=True)
    outcomes = {g["id"].split("::")[-1]: g["outcome"] for g in serial["gates"]}
    assert outcomes["test_skipped"] == "skipped"
    assert outcomes["test_many[4]"] == "failed"
    assert outcomes["test_api[/recommend]"] == "failed"
