"""Access control: protected endpoints refuse anonymous callers, and one director cannot read
another's shortlist or audition booking (IDOR), by API or by page."""

from __future__ import annotations

import time

import pytest

from pytest_castmatch import Deployment, Finding, Gate
from pytest_castmatch.checks import access
from pytest_castmatch.checks.web import Client

PROTECTED = ("/api/v1/me", "/api/v1/shortlists", "/api/v1/shortlists/1", "/api/v1/auditions",
             "/api/v1/auditions/1")
#: Resources the first director owns (seeded: shortlist 1, audition 1).
OWNED_BY_FIRST = ("/api/v1/shortlists/1", "/api/v1/auditions/1")


@pytest.mark.p0
@pytest.mark.owner("testing-qa")
@pytest.mark.needs("sign_in", "api.token", "feature:auditions")
def test_access_control_and_idor(gate: Gate, client: Client, directors: tuple[tuple[str, str], ...],
                                 castmatch_deployment: Deployment) -> None:
    """Anonymous and forged-token calls are refused; a second director gets 404/403 for the first's
    shortlist and booking, and never sees them listed as their own."""
    started = time.monotonic()
    findings: list[Finding] = []
    tried = 0
    token: str = castmatch_deployment.value("api.token", str)
    owner = access.sign_in(client, *directors[0], path=token)
    other = access.sign_in(client, *directors[1], path=token)
    for path in OWNED_BY_FIRST:  # precondition: the owner can read them, so a refusal below means something
        reply = client.get(path, headers=access.bearer(owner.access))
        assert reply.status == 200, f"the owner cannot read {path}: {reply.status} {reply.text[:200]}"
    found, n = access.refused(client, PROTECTED, headers=None, why="without a token", rule="unauthenticated-access")
    findings += found
    tried += n
    for what, forged in access.tampered(owner.access):
        found, n = access.refused(client, PROTECTED[:1], headers=access.bearer(forged), why=f"({what})",
                                  rule="forged-token-accepted", criterion="OWASP ASVS 3.5.3")
        findings += found
        tried += n
    found, n = access.refused(client, OWNED_BY_FIRST, headers=access.bearer(other.access),
                              why="as another director", rule="idor", criterion="OWASP ASVS 4.2.1")
    findings += found
    tried += n
    for path, owned in (("/api/v1/shortlists", 1), ("/api/v1/auditions", 1)):
        reply = client.get(path, headers=access.bearer(other.access))
        tried += 1
        if reply.status == 200 and owned in {item.get("id") for item in reply.json()}:
            findings.append(Finding("idor", f"GET {path} lists the first director's item {owned} to another",
                                    page=path, criterion="OWASP ASVS 4.2.1"))
    gate.check(findings)
    gate.metric("security_high_findings", sum(f.severity.fails for f in findings), labels={"source": "access"})
    gate.metric("security_probes_run", tried, labels={"probe": "access"})
    gate.metric("security_check_seconds", time.monotonic() - started, labels={"check": "access"})
