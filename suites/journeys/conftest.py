"""The journeys' browser: a fresh context per gate on one device of the matrix, traced, with evidence on failure.

- ``journey_device`` / ``journey_engine``: the matrix cell (parametrize them with ``indirect=True``);
  desktop Chromium when a gate does not say.
- ``journey_context`` / ``journey_page``: a context with that device's viewport, touch and user agent,
  resolving ``page.goto("/talent")`` against the deployment. It is watched by ``failure_evidence``
  (suites/conftest.py): when the gate's call fails, a screenshot, the trace and the page URL are
  attached to the gate's report entry (also for an attempt that pytest-rerunfailures retries, so a
  flaky gate shows why).
- ``app_faults`` (from suites/conftest.py): runtime fault injection, exclusive to the gate using it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright

from pytest_castmatch import Deployment, Gate
from pytest_castmatch.checks import journeys

#: Generous for one slow step on a shared runner; a journey step that needs longer is broken anyway.
DEFAULT_TIMEOUT_MS = 15_000


def pytest_configure(config: pytest.Config) -> None:
    # Journeys carry @pytest.mark.flaky(reruns=1); without pytest-rerunfailures the marker must still
    # be known (--strict-markers), and a failure then simply stays a failure.
    if not config.pluginmanager.hasplugin("rerunfailures"):
        config.addinivalue_line("markers", "flaky(reruns=0): retry a failing gate (needs pytest-rerunfailures)")


@dataclass(frozen=True)
class Account:
    """A test account the journeys sign in with."""

    username: str
    password: str


@pytest.fixture(scope="session")
def accounts(castmatch_deployment: Deployment, deployment_env: Mapping[str, str]) -> list[Account]:
    """The profile's test accounts (``[deployment.sign_in] accounts`` names the variable)."""
    return [Account(u, p) for u, p in castmatch_deployment.sign_in.credentials(deployment_env)]


@pytest.fixture(scope="session")
def director(accounts: list[Account]) -> Account:
    """The account of the main journeys (the first one)."""
    return accounts[0]


@pytest.fixture(scope="session")
def other_director(castmatch_deployment: Deployment, deployment_env: Mapping[str, str]) -> Account:
    """A second account, so booking counts are not shared with the main journey."""
    return Account(*castmatch_deployment.sign_in.credentials(deployment_env, at_least=2)[1])


SignIn = Callable[[Page, journeys.Journey, Account, str], bool]


@pytest.fixture(scope="session")
def sign_in(castmatch_deployment: Deployment) -> SignIn:
    """``sign_in(page, journey, account, next_path)``: sign in through the deployment's form, as a person
    does; True when it then shows ``next_path``."""
    form = castmatch_deployment.sign_in

    def run(page: Page, journey: journeys.Journey, account: Account, next_path: str = "/") -> bool:
        journey.step = "sign in"
        if not journey.opens(f"{form.page}?next={next_path}"):
            return False
        page.locator(form.username).fill(account.username)
        page.locator(form.password).fill(account.password)
        page.locator(form.submit).click()
        return journey.arrives(lambda url: journeys.page_path(url) == next_path, "sign-in",
                               f"signing in as {account.username} did not lead to {next_path}")

    return run


@pytest.fixture
def journey_device(request: pytest.FixtureRequest) -> str:
    """The device of this matrix cell (a key of ``journeys.DEVICES``)."""
    return str(getattr(request, "param", "desktop"))


@pytest.fixture
def journey_engine(request: pytest.FixtureRequest) -> str:
    """The browser engine of this matrix cell (``chromium`` unless parametrized)."""
    return str(getattr(request, "param", "chromium"))


@pytest.fixture(scope="session")
def engine_browser(playwright: Playwright) -> Iterator[Callable[[str], Browser]]:
    """Launch firefox or webkit on first use (Playwright's own builds), once per session."""
    launched: dict[str, Browser] = {}

    def get(engine: str) -> Browser:
        if engine not in launched:
            launched[engine] = getattr(playwright, engine).launch()
        return launched[engine]

    yield get
    for browser in launched.values():
        browser.close()


@pytest.fixture
def journey_context(
    request: pytest.FixtureRequest,
    journey_device: str,
    journey_engine: str,
    playwright: Playwright,
    browser_context_args: dict[str, Any],
    engine_browser: Callable[[str], Browser],
    gate: Gate,
    failure_evidence: Callable[..., None],
) -> Iterator[BrowserContext]:
    """A traced browser context on this cell's device and engine; evidence is kept only on failure."""
    if journey_engine == "chromium":
        browser: Browser = request.getfixturevalue("browser")
    else:
        browser = engine_browser(journey_engine)
    gate.engine(journey_engine, browser.version)
    options = {**browser_context_args, **journeys.context_options(journey_device, playwright.devices)}
    context = browser.new_context(**options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    failure_evidence(context)
    yield context
    context.close()


@pytest.fixture
def journey_page(journey_context: BrowserContext) -> Page:
    """The page a journey drives."""
    return journey_context.new_page()
