"""Edge cases on the search API: boundary and nonsense parameters are refused with a 4xx that says
which field is wrong, never a 5xx."""

from __future__ import annotations

import pytest

from pytest_castmatch import Finding, Gate
from pytest_castmatch.checks import probes
from pytest_castmatch.checks.web import Client

#: (query, expected status): the boundaries of page/per_page/min_experience and odd text.
CASES: tuple[tuple[str, int], ...] = (
    ("per_page=0", 422), ("per_page=51", 422), ("per_page=-1", 422), ("page=0", 422), ("page=1001", 422),
    ("page=abc", 422), ("min_experience=61", 422), ("min_experience=-1", 422), ("language=klingon", 422),
    ("per_page=50&page=1000", 200), ("per_page=1", 200), ("q=", 200), ("q=%E0%A4%85%E0%A4%AD%E0%A4%BF", 200),
    ("q=" + "a" * 100, 200), ("q=" + "a" * 101, 422), ("q=%22%22%22", 200), ("q=***", 200), ("q=-", 200),
)


@pytest.mark.p1
@pytest.mark.owner("testing-qa")
@pytest.mark.needs("api", "feature:talent-search")
def test_search_edge_cases_answer_4xx_not_5xx(gate: Gate, client: Client) -> None:
    """Each boundary value gets its documented status; refusals name the offending field."""
    findings: list[Finding] = []
    for query, expected in CASES:
        path = f"/api/v1/search?{query}"
        reply = client.get(path)
        findings += probes.leaks(reply, path)
        if reply.status != expected:
            severity = "error" if reply.status >= 500 or expected >= 400 else "warning"
            findings.append(Finding("edge-case-status", f"GET {path} answered {reply.status}, expected {expected}",
                                    severity=severity, page=path, context=reply.text[:200]))
        elif expected == 422 and "error" not in reply.text:
            findings.append(Finding("edge-case-unexplained", f"GET {path}: 422 without an error body", page=path,
                                    severity="warning"))
    gate.check(findings)
    gate.metric("security_probes_run", len(CASES), labels={"probe": "edge-cases"})
