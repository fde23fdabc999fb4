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

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright

from pytest_castmatch.checks import journeys
from pytest_castmatch.recorder import Gate

#: Generous for one slow step on a shared runner; a journey step that needs longer is broken anyway.
DEFAULT_TIMEOUT_MS = 15_000


def pytest_configure(config: pytest.Config) -> None:
    # Journeys carry @pytest.mark.flaky(reruns=1); without pytest-rerunfailures the marker must still
    # be known (--strict-markers), and a failure then simply stays a failure.
    if not config.pluginmanager.hasplugin("rerunfailures"):
        config.addinivalue_line("markers", "flaky(reruns=0): retry a failing gate (needs pytest-rerunfailures)")


@dataclass(frozen=True)
class Account:
    """A seeded account the journeys sign in with."""

    username: str
    password: str


def _account(variable: str, default: Account) -> Account:
    # Another deployment has other accounts: CASTMATCH_DIRECTOR="name@example.com:password".
    value = os.environ.get(variable, "")
    if not value:
        return default
    username, sep, password = value.partition(":")
    if not sep:
        raise pytest.UsageError(f"{variable} must be USERNAME:PASSWORD")
    return Account(username, password)


@pytest.fixture(scope="session")
def director() -> Account:
    """The casting director of the journeys (the reference app's seeded Meera, or $CASTMATCH_DIRECTOR)."""
    return _account("CASTMATCH_DIRECTOR", Account("meera@castmatch.test", "Meera-Casting-2025"))


@pytest.fixture(scope="session")
def other_director() -> Account:
    """A second casting director, so booking counts are not shared with the main journey."""
    return _account("CASTMATCH_DIRECTOR_2", Account("arjun@castmatch.test", "Arjun-Casting-2025"))


SignIn = Callable[[Page, journeys.Journey, Account, str], bool]


def _sign_in(page: Page, journey: journeys.Journey, account: Account, next_path: str = "/") -> bool:
    journey.step = "sign in"
    if not journey.opens(f"/signin?next={next_path}"):
        return False
    page.locator("#username").fill(account.username)
    page.locator("#password").fill(account.password)
    page.locator("form[action='/signin'] [type=submit]").click()
    return journey.arrives(lambda url: journeys.page_path(url) == next_path, "sign-in",
                           f"signing in as {account.username} did not lead to {next_path}")


@pytest.fixture(scope="session")
def sign_in() -> SignIn:
    """``sign_in(page, journey, account, next_path)``: sign in through the form, as a person does;
    True when the app then shows ``next_path``."""
    return _sign_in


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
