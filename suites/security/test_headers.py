"""Transport and browser security headers, cookie flags, server banner and CORS on pages and API."""

from __future__ import annotations

import time

import pytest

from pytest_castmatch import Deployment, Gate
from pytest_castmatch.checks import headers

#: A page no site serves: error pages need the same headers.
MISSING = "/gate-check-no-such-page"


@pytest.mark.p0
@pytest.mark.owner("testing-qa")
@pytest.mark.needs("pages")
def test_security_headers_on_pages_and_api(gate: Gate, castmatch_base_url: str, inventory_pages: list[str],
                                           castmatch_deployment: Deployment) -> None:
    """CSP without unsafe-inline and with frame-ancestors, HSTS, nosniff, Referrer- and Permissions-Policy,
    HttpOnly/SameSite (and Secure on https) cookies, no version banner, CORS not open to any origin.
    Checked on every page, an error page and, where the deployment has an API, its endpoints."""
    started = time.monotonic()
    api = castmatch_deployment.optional("api")
    paths = [*inventory_pages, MISSING, *((*api.probe, *api.errors) if api is not None else ())]
    findings, checked = headers.audit(castmatch_base_url, paths)
    gate.check(findings)
    gate.metric("security_high_findings", sum(f.severity.fails for f in findings), labels={"source": "headers"})
    gate.metric("security_probes_run", checked, labels={"probe": "headers"})
    gate.metric("security_check_seconds", time.monotonic() - started, labels={"check": "headers"})
