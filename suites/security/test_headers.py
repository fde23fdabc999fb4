"""Transport and browser security headers, cookie flags, server banner and CORS on pages and API."""

from __future__ import annotations

import time

import pytest

from pytest_castmatch.checks import headers
from pytest_castmatch.config import GateConfig
from pytest_castmatch.recorder import Gate

API_PATHS = ("/api/v1/search?q=actor", "/api/v1/talent/1", "/api/v1/roles?limit=2", "/api/v1/me",
             "/no-such-page", "/api/v1/no-such-endpoint")


@pytest.mark.p0
@pytest.mark.owner("testing-qa")
def test_security_headers_on_pages_and_api(gate: Gate, castmatch_base_url: str,
                                           castmatch_config: GateConfig) -> None:
    """CSP without unsafe-inline and with frame-ancestors, HSTS, nosniff, Referrer- and Permissions-Policy,
    HttpOnly/SameSite (and Secure on https) cookies, no version banner, CORS not open to any origin."""
    started = time.monotonic()
    paths = [*castmatch_config.pages, *API_PATHS]
    findings, checked = headers.audit(castmatch_base_url, paths)
    gate.check(findings)
    gate.metric("security_high_findings", sum(f.severity.fails for f in findings), labels={"source": "headers"})
    gate.metric("security_probes_run", checked, labels={"probe": "headers"})
    gate.metric("security_check_seconds", time.monotonic() - started, labels={"check": "headers"})
