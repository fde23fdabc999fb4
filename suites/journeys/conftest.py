"""The journeys' browser: a fresh context per gate on one device of the matrix, traced, with evidence on failure.

- ``journey_device`` / ``journey_engine``: the matrix cell (parametrize them with ``indirect=True``);
  desktop Chromium when a gate does not say.
- ``journey_context`` / ``journey_page``: a context with that device's viewport, touch and user agent,
  resolving ``page.goto("/talent")`` against the deployment. Tracing runs from the first request;
  when the gate's call fails, a screenshot, the trace and the page URL are attached to the gate's
  report entry (also for an attempt that pytest-rerunfailures retries, so a flaky gate shows why).
- ``app_faults``: runtime fault injection (``POST /_test/faults``). Faults are global to the app, so
  every journey holds a shared lock on it and a gate that injects a fault upgrades to an exclusive
  one: no other journey of this run (any xdist worker) sees the injected failure.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright

from pytest_castmatch.checks import journeys, tracing
from pytest_castmatch.recorder import Gate

#: Generous for one slow step on a shared runner; a journey step that needs longer is broken anyway.
DEFAULT_TIMEOUT_MS = 15_000


@dataclass
class _Evidence:
    """One attempt's browser context and where its failure evidence goes."""

    context: BrowserContext
    gate: Gate
    attempt: int
    saved: bool = False


_EVIDENCE = pytest.StashKey[_Evidence]()
_ATTEMPTS = pytest.StashKey[int]()


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
    page.goto(f"/signin?next={next_path}")
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


class FaultLock:
    """Shared while a journey runs; exclusive while a gate injects a fault (one lock file per deployment)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: BinaryIO | None = None

    def shared(self) -> None:
        self._handle = open(self.path, "ab")  # noqa: SIM115 - held across the test, closed in release()
        fcntl.flock(self._handle, fcntl.LOCK_SH)

    def exclusive(self) -> None:
        # Converting the same open file keeps this test from waiting on its own shared lock.
        assert self._handle is not None, "take the shared lock first"
        fcntl.flock(self._handle, fcntl.LOCK_EX)

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


@pytest.fixture
def fault_lock(tmp_path_factory: pytest.TempPathFactory, castmatch_base_url: str) -> Iterator[FaultLock]:
    """This test's hold on the deployment's fault switch (shared by default)."""
    # The parent of basetemp is common to every xdist worker of a run (and to runs of one user).
    digest = hashlib.sha256(castmatch_base_url.encode()).hexdigest()[:16]
    lock = FaultLock(tmp_path_factory.getbasetemp().parent / f"castmatch-faults-{digest}.lock")
    lock.shared()
    yield lock
    lock.release()


@dataclass
class AppFaults:
    """Set runtime faults on the deployment; every fault set here is switched off again at teardown."""

    base_url: str
    lock: FaultLock
    changed: set[str] = field(default_factory=set)

    def set(self, **changes: Any) -> dict[str, Any]:
        """``POST /_test/faults`` with ``changes``; fails the gate if the deployment has no fault injection."""
        self.lock.exclusive()
        request = urllib.request.Request(f"{self.base_url}/_test/faults", data=json.dumps(changes).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                state: dict[str, Any] = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            pytest.fail(f"cannot inject faults at {self.base_url}/_test/faults ({exc}); run the app with "
                        "CASTMATCH_FAULT_INJECTION=1 (castmatch-app serve --allow-fault-injection)", pytrace=False)
        self.changed.update(k for k, v in changes.items() if v)
        return state

    def reset(self) -> None:
        """Switch off everything this gate switched on."""
        if self.changed:
            self.set(reset=True)
            self.changed.clear()


@pytest.fixture
def app_faults(castmatch_base_url: str, fault_lock: FaultLock) -> Iterator[AppFaults]:
    """Runtime fault injection for one gate, undone when it ends (even when it fails)."""
    faults = AppFaults(castmatch_base_url, fault_lock)
    yield faults
    faults.reset()


@pytest.fixture
def journey_context(
    request: pytest.FixtureRequest,
    journey_device: str,
    journey_engine: str,
    playwright: Playwright,
    browser_context_args: dict[str, Any],
    engine_browser: Callable[[str], Browser],
    fault_lock: FaultLock,
    gate: Gate,
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
    tracing.start(context, title=request.node.nodeid)
    attempt = request.node.stash.get(_ATTEMPTS, 0) + 1
    request.node.stash[_ATTEMPTS] = attempt
    evidence = _Evidence(context, gate, attempt)
    request.node.stash[_EVIDENCE] = evidence
    yield context
    del request.node.stash[_EVIDENCE]
    if not evidence.saved:
        tracing.discard(context)
    context.close()


@pytest.fixture
def journey_page(journey_context: BrowserContext) -> Page:
    """The page a journey drives."""
    return journey_context.new_page()


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # trylast: this runs inside the castmatch plugin's wrapper, so what is attached here rides on
    # this very report, including a report that pytest-rerunfailures turns into a "rerun".
    report: pytest.TestReport = yield
    evidence = item.stash.get(_EVIDENCE, None)
    if report.when == "call" and report.failed and evidence is not None and not evidence.saved:
        evidence.saved = True
        found = tracing.capture(evidence.context, evidence.gate.evidence_dir, f"attempt-{evidence.attempt}")
        attached = tuple(evidence.gate.attach(path) for path in found.files)
        evidence.gate.check([tracing.finding(found, attached, evidence.attempt)])
    return report
