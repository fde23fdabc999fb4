"""Fuzzing and contract checks against a tiny FastAPI app; the XSS watch in the real browser."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from playwright.sync_api import Page
from pydantic import BaseModel

from pytest_castmatch.checks import fuzz, probes


class Count(BaseModel):
    total: int


def build(broken: bool) -> FastAPI:
    app = FastAPI()

    @app.get("/items", responses={200: {"model": Count}})
    def items(n: int = 1) -> Any:
        if broken and n < 0:
            raise RuntimeError("negative")
        return JSONResponse({"total": str(n) if broken else n})

    return app


@pytest.fixture(params=[False, True], ids=["clean", "broken"])
def api(request: pytest.FixtureRequest) -> Iterator[tuple[str, bool]]:
    server = uvicorn.Server(uvicorn.Config(build(request.param), host="127.0.0.1", port=0, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", request.param
    server.should_exit = True
    thread.join(timeout=5)


def test_fuzz_counts_cases_and_finds_5xx_and_drift(api: tuple[str, bool]) -> None:
    url, broken = api
    run = fuzz.run(url + "/openapi.json", url, max_examples=30, seed=7, budget_s=30)
    assert run.cases == 30
    assert run.seed == 7
    assert [op.label for op in run.operations] == ["GET /items"]
    kinds = {f.rule for f in run.findings}
    if broken:
        assert kinds == {"fuzz-server-error", "fuzz-schema-violation"}
        assert all("seed 7" in f.message and "curl" in (f.context or "") for f in run.findings)
    else:
        assert run.findings == []


def test_contract_checks_documented_status_and_schema(api: tuple[str, bool]) -> None:
    url, broken = api
    calls = [fuzz.ContractCall("GET", "/items", query={"n": 3}), fuzz.ContractCall("GET", "/nope")]
    found, made = fuzz.contract(url + "/openapi.json", url, calls)
    assert made == 1
    expected = {"contract-missing-operation"} | ({"contract-violation"} if broken else set())
    assert {f.rule for f in found} == expected


@pytest.mark.parametrize(("html", "rule"), [
    ('<p>&lt;img src=x data-xss-probe=1&gt;</p>', None),
    ('<img src=x data-xss-probe=1 onerror="window.__xss=1">', "xss-executed"),
    ("<svg data-xss-probe=3 onload=alert(3)></svg>", "xss-executed"),
    ("<meta http-equiv=Content-Security-Policy content=\"script-src 'none'\">"
     '<img src=x data-xss-probe=1 onerror="window.__xss=1">', "xss-markup-injected"),
])
def test_xss_watch(page: Page, html: str, rule: str | None) -> None:
    watch = probes.XssWatch(page)
    page.set_content(html)
    page.wait_for_timeout(100)
    found = watch.inspect("fixture", "payload")
    assert [f.rule for f in found] == ([rule] if rule else [])
    assert watch.tried == 1
