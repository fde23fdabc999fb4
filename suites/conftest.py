"""What every gate suite shares: the deployment under test, its pages and accounts, and the browser.

The deployment comes from its profile (``castmatch_deployment``; README: "Deployment profile").
Without one the gates run against the reference app, started once per run on a free loopback
port (``castmatch_base_url``). The browser is the system Chromium, found by ``pytest_castmatch.sut``;
if none can start, every browser gate errors, and so blocks.

Every browser context a gate opens through pytest-playwright's ``context``/``page`` (or hands to
``failure_evidence``) is traced; when the gate's call fails, a screenshot of the page it was on and
the trace are attached to the gate, beside its findings in the report. A passing gate keeps nothing.
The journeys' traces carry DOM snapshots and a screencast; the checks' traces (hundreds of key
presses and measurements) carry actions, console and network, which cost next to nothing.

HTTP-level gates get a ``client`` with a session of its own, and two test accounts (``directors``)
from the variable the profile's ``[deployment.sign_in] accounts`` names.

Runtime faults (the profile's ``fault_injection`` endpoint: model down, slow model, server errors,
clock skew) are global to the deployment. Every gate holds a shared lock on them while it runs, and a
gate that injects a fault through ``app_faults`` upgrades to an exclusive one, so no other gate of the
run, on any xdist worker, measures or judges the deployment while a fault is on.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from playwright.sync_api import BrowserContext, Page

from pytest_castmatch import Deployment, DeploymentError, Gate, Settings, sut
from pytest_castmatch.checks import inventory, tracing
from pytest_castmatch.checks.web import Client


@pytest.fixture(scope="session")
def base_url(castmatch_base_url: str) -> str:
    """pytest-playwright resolves ``page.goto("/search")`` against this."""
    return castmatch_base_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any], castmatch_settings: Settings) -> dict[str, Any]:
    """Launch the system Chromium with the flags an offline container needs."""
    try:
        return sut.chromium_launch_args(browser_type_launch_args, castmatch_settings.chromium)
    except sut.SutError as exc:
        pytest.fail(str(exc), pytrace=False)


@dataclass
class _Watched:
    """A browser context of one attempt of a gate, and whether its failure evidence was saved."""

    context: BrowserContext
    gate: Gate
    stem: str
    traced: bool
    saved: bool = False


_WATCHED = pytest.StashKey[list[_Watched]]()
_ATTEMPTS = pytest.StashKey[int]()


@pytest.fixture
def failure_evidence(request: pytest.FixtureRequest, gate: Gate) -> Iterator[Callable[..., None]]:
    """``failure_evidence(context, detail=True)``: trace ``context`` (``detail``: with DOM snapshots and a
    screencast); if the gate's call fails, attach a screenshot of its current page and the trace to the
    gate (also for an attempt pytest-rerunfailures retries)."""
    attempt = request.node.stash.get(_ATTEMPTS, 0) + 1
    request.node.stash[_ATTEMPTS] = attempt
    watched: list[_Watched] = []
    request.node.stash[_WATCHED] = watched

    def watch(context: BrowserContext, detail: bool = True) -> None:
        traced = tracing.start(context, title=request.node.nodeid, detail=detail)
        stem = f"attempt-{attempt}" + (f"-context-{len(watched) + 1}" if watched else "")
        watched.append(_Watched(context, gate, stem, traced))

    yield watch
    del request.node.stash[_WATCHED]
    for item in watched:
        if item.traced and not item.saved:
            tracing.discard(item.context)


@pytest.fixture
def context(new_context: Callable[..., BrowserContext], failure_evidence: Callable[..., None]) -> BrowserContext:
    """pytest-playwright's browser context, traced for failure evidence: actions, console and network
    only, as the checks on it act hundreds of times and some time what the page does."""
    opened = new_context()
    failure_evidence(opened, detail=False)
    return opened


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # trylast: this runs inside the castmatch plugin's wrapper, so what is attached here rides on
    # this very report, including a report that pytest-rerunfailures turns into a "rerun".
    report: pytest.TestReport = yield
    if report.when == "call" and report.failed:
        for watched in item.stash.get(_WATCHED, []):
            if watched.saved:
                continue
            watched.saved = True
            found = tracing.capture(watched.context, watched.gate.evidence_dir, watched.stem, trace=watched.traced)
            attached = tuple(watched.gate.attach(path) for path in found.files)
            watched.gate.check([tracing.finding(found, attached, watched.stem)])
    return report
@pytest.fixture(scope="session")
def inventory_pages(castmatch_deployment: Deployment, castmatch_base_url: str) -> list[str]:
    """Pages every browser gate visits: the profile's list, its sitemap's pages, or a bounded crawl."""
    sitemap = castmatch_deployment.get("sitemap")
    try:
        return inventory.pages(castmatch_deployment.pages, castmatch_base_url,
                               sitemap if isinstance(sitemap, str) else "/sitemap.xml")
    except (inventory.InventoryError, OSError) as exc:
        pytest.fail(f"the pages of {castmatch_deployment.name} cannot be listed: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def show_theme(castmatch_deployment: Deployment) -> Callable[[Page, str], None]:
    """``show_theme(page, "dark")``: show the loaded page in a theme the way the deployment switches it
    (the colour-scheme media query, or its toggle control, which starts from light)."""
    themes = castmatch_deployment.themes

    def show(page: Page, theme: str) -> None:
        if themes.mode == "toggle":
            if theme == "dark" and themes.toggle:
                page.locator(themes.toggle).first.click()
        else:
            page.emulate_media(color_scheme="dark" if theme == "dark" else "light")

    return show


@pytest.fixture(scope="session")
def deployment_env(castmatch_deployment: Deployment) -> Mapping[str, str]:
    """Where the variables a profile names (accounts, webhook secret) are read from."""
    return sut.deployment_env(castmatch_deployment)


@pytest.fixture
def client(castmatch_base_url: str) -> Iterator[Client]:
    """A keep-alive client with its own session cookie, so its rate-limit bucket is its own."""
    c = Client(castmatch_base_url)
    c.get("/")
    yield c
    c.close()


@pytest.fixture(scope="session")
def directors(castmatch_deployment: Deployment, deployment_env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """Two test accounts from the profile's accounts variable: (owner of the first seeded items, someone else)."""
    try:
        return tuple(castmatch_deployment.sign_in.credentials(deployment_env, at_least=2)[:2])
    except DeploymentError as exc:
        pytest.fail(str(exc), pytrace=False)


class FaultLock:
    """Shared while a gate runs; exclusive while a gate injects a fault (one lock file for the run's workers)."""

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


@pytest.fixture(autouse=True)
def fault_lock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultLock]:
    """Every gate's hold on the deployment's fault switch (shared unless it injects a fault)."""
    # The parent of basetemp is common to every xdist worker of a run (and to runs of one user):
    # one lock for all of them, without starting the app for gates that never talk to it.
    lock = FaultLock(tmp_path_factory.getbasetemp().parent / "castmatch-faults.lock")
    lock.shared()
    yield lock
    lock.release()


@dataclass
class AppFaults:
    """Set runtime faults on the deployment; every fault set here is switched off again at teardown."""

    endpoint: str
    lock: FaultLock
    changed: set[str] = field(default_factory=set)

    def set(self, **changes: Any) -> dict[str, Any]:
        """``POST`` ``changes`` to the fault-injection endpoint; fails the gate if it does not answer."""
        self.lock.exclusive()
        request = urllib.request.Request(self.endpoint, data=json.dumps(changes).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                state: dict[str, Any] = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            pytest.fail(f"cannot inject faults at {self.endpoint} ({exc}), though the deployment profile "
                        "names it as [deployment] fault_injection", pytrace=False)
        self.changed.update(k for k, v in changes.items() if v)
        self.changed.difference_update(k for k, v in changes.items() if not v)
        return state

    @contextlib.contextmanager
    def during(self, **changes: Any) -> Iterator[None]:
        """The faults on for the ``with`` block only, healed as it ends (even when it fails).

        Healing resets every fault: while this gate holds the lock alone, none but its own can be on.
        """
        self.set(**changes)
        try:
            yield
        finally:
            self.reset()

    def reset(self) -> None:
        """Switch off everything this gate switched on."""
        if self.changed:
            self.set(reset=True)
            self.changed.clear()


@pytest.fixture
def app_faults(castmatch_base_url: str, castmatch_deployment: Deployment, fault_lock: FaultLock) -> Iterator[AppFaults]:
    """Runtime fault injection for one gate (``needs("fault_injection")``), undone when it ends (even when it fails)."""
    faults = AppFaults(castmatch_base_url + castmatch_deployment.value("fault_injection", str), fault_lock)
    yield faults
    faults.reset()
