"""The API against its own OpenAPI document: key responses conform, fuzzing finds no 5xx, and the
legacy /api/v0 announces its deprecation.

Fuzzing uses Schemathesis with a fixed budget: ``fuzz_examples`` cases per operation and
``fuzz_budget_s`` seconds in all (README: Settings). A failure names the seed; the ``fuzz_seed``
setting replays it. The OpenAPI document is the profile's ``[deployment.api] openapi``.
"""

from __future__ import annotations

import time

import pytest

from pytest_castmatch import Deployment, Finding, Gate, Settings
from pytest_castmatch.checks import access, fuzz
from pytest_castmatch.checks.web import Client


@pytest.mark.p0
@pytest.mark.owner("integration")
@pytest.mark.needs("api.openapi", "api.token", "sign_in", "feature:talent-search", "feature:auditions",
                   "feature:recommendations")
def test_key_responses_match_the_openapi_contract(gate: Gate, castmatch_base_url: str, client: Client,
                                                  directors: tuple[tuple[str, str], ...],
                                                  castmatch_deployment: Deployment) -> None:
    """Search, talent, recommendations, roles, tokens and auditions answer as the spec says."""
    started = time.monotonic()
    openapi: str = castmatch_deployment.value("api.openapi", str)
    tokens = access.sign_in(client, *directors[0], path=castmatch_deployment.value("api.token", str))
    auth = access.bearer(tokens.access)
    calls = [
        fuzz.ContractCall("GET", "/api/v1/search", query={"q": "actor", "per_page": 5}),
        fuzz.ContractCall("GET", "/api/v1/search", query={"area": "Andheri", "language": "hindi"}),
        fuzz.ContractCall("GET", "/api/v1/search", query={"per_page": 0}, expect_status=422),
        fuzz.ContractCall("GET", "/api/v1/talent/{talent_id}", path_parameters={"talent_id": 1}),
        fuzz.ContractCall("GET", "/api/v1/talent/{talent_id}", path_parameters={"talent_id": 10**9},
                          expect_status=404),
        fuzz.ContractCall("GET", "/api/v1/talent/{talent_id}/similar", path_parameters={"talent_id": 1}),
        fuzz.ContractCall("GET", "/api/v1/roles/{role_id}/talent", path_parameters={"role_id": 1}),
        fuzz.ContractCall("GET", "/api/v1/roles"),
        fuzz.ContractCall("GET", "/api/v1/shortlists/{shortlist_id}", path_parameters={"shortlist_id": 1},
                          headers=auth),
        fuzz.ContractCall("GET", "/api/v1/auditions/{audition_id}", path_parameters={"audition_id": 1},
                          headers=auth),
        fuzz.ContractCall("GET", "/api/v1/auditions", expect_status=401),
        fuzz.ContractCall("POST", "/api/v1/oauth/token", body={"grant_type": "refresh_token",
                          "refresh_token": tokens.refresh}, media_type="application/x-www-form-urlencoded"),
    ]
    findings, made = fuzz.contract(castmatch_base_url + openapi, castmatch_base_url, calls)
    gate.check(findings)
    gate.metric("security_probes_run", made, labels={"probe": "contract"})
    gate.metric("security_check_seconds", time.monotonic() - started, labels={"check": "contract"})


@pytest.mark.p0
@pytest.mark.owner("testing-qa")
@pytest.mark.needs("api.openapi", "load")
def test_fuzzing_every_operation_finds_no_5xx(gate: Gate, castmatch_base_url: str, client: Client,
                                              castmatch_deployment: Deployment, castmatch_settings: Settings) -> None:
    """Schemathesis over every operation: no 5xx, every documented response matches its schema."""
    openapi: str = castmatch_deployment.value("api.openapi", str)
    token = castmatch_deployment.optional("api.token")
    # Not fuzzed: a token endpoint would only measure password hashing under random input.
    exclude = (f"POST {token}",) if token else ()
    examples, budget = castmatch_settings.fuzz_examples, castmatch_settings.fuzz_budget_s
    session = {"Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items())}
    try:
        run = fuzz.run(castmatch_base_url + openapi, castmatch_base_url, max_examples=examples,
                       seed=castmatch_settings.fuzz_seed, budget_s=budget, headers=session, exclude=exclude)
    except fuzz.FuzzEngineMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    gate.engine("schemathesis", run.version)
    print(f"fuzz: {run.cases} cases over {len(run.operations)} operations in {run.elapsed:.1f} s, seed {run.seed}"
          + (" (time budget hit)" if run.budget_hit else ""))
    gate.check(run.findings)
    if run.budget_hit:
        gate.check([Finding("fuzz-budget", f"the {budget:g} s budget ran out before every operation had "
                            f"{examples} cases", severity="warning")])
    gate.metric("fuzz_cases_run", run.cases, labels={"seed": str(run.seed)})
    gate.metric("security_check_seconds", run.elapsed, labels={"check": "fuzz"})


@pytest.mark.p2
@pytest.mark.owner("backend-api")
@pytest.mark.needs("feature:api-v0")
def test_api_v0_announces_deprecation(gate: Gate, client: Client) -> None:
    """Every /api/v0 response carries Deprecation and Sunset (RFC 9745, RFC 8594) and a successor link."""
    findings: list[Finding] = []
    for path in ("/api/v0/search?q=actor", "/api/v0/talent/1", "/api/v0/talent/999999999"):
        reply = client.get(path)
        for header, rfc in (("deprecation", "RFC 9745"), ("sunset", "RFC 8594")):
            if not reply.header(header):
                findings.append(Finding("v0-no-" + header, f"GET {path} ({reply.status}) has no {header} header",
                                        criterion=rfc, page=path))
        if 'rel="successor-version"' not in (reply.header("link") or ""):
            findings.append(Finding("v0-no-successor", f"GET {path} does not link its successor version",
                                    severity="warning", page=path))
    gate.check(findings)
    gate.metric("security_probes_run", 3, labels={"probe": "api-v0"})
