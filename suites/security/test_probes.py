"""OWASP probes: XSS in the real browser, SQL injection on search filters, traversal and hostile input.

Every probe counts what it sent (``security_probes_run``) and each gate records its blocking
findings as a labelled sample of the launch metric ``security_high_findings``.
"""

from __future__ import annotations

import re
import time
from urllib.parse import quote

import pytest
from playwright.sync_api import Page

from pytest_castmatch import Finding, Gate
from pytest_castmatch.checks import navigation, probes
from pytest_castmatch.checks.web import Client

SEARCH_API = "/api/v1/search"
SEARCH_PAGE = "/talent"
#: Query parameters that are free text (the rest are validated choices the API refuses).
SQL_PARAMS = ("area", "q")
EDGE_QUERIES = ("per_page=0", "per_page=-1", "per_page=100000", "page=0", "page=99999999999999999999",
                "min_experience=-5", "q=" + "%F0%9F%8E%AC" * 40, "q=%00%01", "area=" + "x" * 5000)


def _onboarding_until_upload(client: Client) -> dict[str, str]:
    """Walk the talent sign-up to its headshot step; the form fields the upload must carry."""
    page = client.get("/join").text
    match = re.search(r'name="csrf" value="([^"]+)"', page[page.find('action="/join"'):])
    assert match, "no CSRF token on /join"
    csrf = match.group(1)
    step1 = client.post("/join", form={"csrf": csrf, "name": "Probe Talent", "email": "probe@castmatch.test",
                                       "age": "30", "area": "andheri", "languages": "hindi"})
    step2 = client.post("/join/skills", form={"csrf": csrf, "skills": "acting"})
    assert (step1.status, step2.status) == (303, 303), f"onboarding refused the probe: {step1.status} {step2.status}"
    return {"csrf": csrf}


def _record(gate: Gate, source: str, out: probes.Probed, started: float) -> None:
    gate.check(out.findings)
    gate.metric("security_high_findings", sum(f.severity.fails for f in out.findings), labels={"source": source})
    gate.metric("security_probes_run", out.tried, labels={"probe": source})
    gate.metric("security_check_seconds", time.monotonic() - started, labels={"check": source})


@pytest.mark.p0
@pytest.mark.owner("testing-qa")
@pytest.mark.needs("feature:talent-search", "feature:talent-onboarding")
def test_xss_payloads_never_run(gate: Gate, page: Page) -> None:
    """Reflected XSS through the search URL and form, and through a form re-rendered with errors:
    no dialog, no ``window.__xss``, no payload element in the DOM."""
    started = time.monotonic()
    watch = probes.XssWatch(page)
    out = probes.Probed()
    for payload in probes.XSS_PAYLOADS:
        path = f"{SEARCH_PAGE}?q={quote(payload)}"
        # A page that refuses the payload (400, 422) has answered; one that is not there has not, and
        # no probe of this gate can run on a page that is not there.
        if missing := navigation.visit(page, path, expect=(200, 400, 422)):
            out.findings += missing
            break
        out.findings += watch.inspect(path, payload)
        if missing := navigation.visit(page, SEARCH_PAGE):
            out.findings += missing
            break
        page.fill("#q", payload)
        with page.expect_navigation(wait_until="load"):
            page.locator("#q").press("Enter")
        out.findings += watch.inspect(f"{SEARCH_PAGE} (search form)", payload)
        if missing := navigation.visit(page, "/join"):
            out.findings += missing
            break
        page.fill("#name", payload)
        page.fill("#email", "not-an-email")
        with page.expect_navigation(wait_until="load"):
            page.locator("#name").press("Enter")
        out.findings += watch.inspect("/join (form re-rendered with errors)", payload)
    out.tried = watch.tried
    _record(gate, "xss", out, started)


@pytest.mark.p0
@pytest.mark.owner("testing-qa")
@pytest.mark.needs("api", "feature:talent-search")
def test_sql_injection_on_search_filters(gate: Gate, client: Client) -> None:
    """Boolean- and error-based SQL injection through the free-text search filters: no extra rows,
    no database errors, no 5xx."""
    started = time.monotonic()
    out = probes.Probed()
    for param in SQL_PARAMS:
        out.add(probes.sql_injection(client, SEARCH_API, param, count=lambda body: int(body["total"]),
                                     params={"per_page": "50"}))
    _record(gate, "sql-injection", out, started)


@pytest.mark.p0
@pytest.mark.owner("testing-qa")
@pytest.mark.needs("api", "feature:talent-onboarding", "feature:auditions")
def test_hostile_input_is_refused(gate: Gate, client: Client) -> None:
    """Path traversal on static and media routes and through upload file names, malformed/oversize
    bodies on the JSON and upload endpoints, out-of-range parameters and unknown routes: all 4xx (or
    a normal redirect), never 5xx, never a stack trace."""
    started = time.monotonic()
    out = probes.path_traversal(client, ("/static/", "/media/headshots/", "/static/x/"))
    for method, path in (("POST", "/api/v1/auditions"), ("POST", "/api/v1/webhooks/calendar"),
                         ("POST", "/api/v1/oauth/token"), ("POST", "/join/headshot")):
        out.add(probes.hostile_bodies(client, method, path))
    out.add(probes.upload_names(client, "/join/headshot", field_name="photo",
                                fields=lambda: _onboarding_until_upload(client), served_under=("/media/headshots/",)))
    for query in EDGE_QUERIES:
        for path in (f"{SEARCH_API}?{query}", f"{SEARCH_PAGE}?{query}"):
            reply = client.get(path)
            out.tried += 1
            out.findings += probes.leaks(reply, path)
            if reply.status >= 500:
                out.findings.append(Finding("server-error", f"GET {path} answered {reply.status}", page=path))
    for path in ("/no-such-page", "/api/v1/no-such-endpoint", "/talent/999999999", "/api/v1/talent/abc"):
        reply = client.get(path)
        out.tried += 1
        out.findings += probes.leaks(reply, path)
        if reply.status != 404 and reply.status != 422:
            out.findings.append(Finding("unexpected-status", f"GET {path} answered {reply.status}, "
                                               "expected 404 or 422", severity="warning", page=path))
    _record(gate, "hostile-input", out, started)
