"""The page-performance gates' shared measurements: key pages, device profiles, one probe per page.

The key pages come from the deployment profile (``[deployment.pages.key]``, label = path). Each is
loaded once per form factor in a fresh browser context (nothing cached); that one load gives both
the network log the asset rules read and the web-vitals values, so the asset gates and the vitals
gates share the same loads. Every load this run needs is measured on first use. Desktop loads
overlap two at a time: while one page sits out its settle time (idle, waiting for late content),
the next one loads, and only one page is driven at any moment (loaded, clicked, read). Phone loads
stay strictly one after another: with the CPU throttled 4x, a second page loading beside a settling
one inflates the settling page's long tasks, which would fail a good page. Lighthouse runs once per
run for every key page in one Node process, alone: nothing else is measured while it runs.

A load that no selected vitals gate reads (in a run of the asset rules, say) is judged on what it
fetches and what its DOM holds after the settle time, never on time. It skips web-vitals and runs
without CPU throttling (each page still gets its profile's device and viewport, so the same layout
and the same images); such loads settle ``ASSETS_DEPTH`` at a time, both profiles in one pipeline,
after the timed loads have finished. In a full run every load is timed.

Lighthouse measures each key page as a phone, except the pages the profile lists under
``[deployment.pages] desktop`` (one Lighthouse run costs 6-11 s here, so each page gets the profile
its main audience uses; the in-browser vitals cover both profiles on every page).
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, BrowserType, Page, Playwright, Request

from pytest_castmatch import Deployment, Finding, GateConfig, MetricSpec, Settings, deployment_of, sut
from pytest_castmatch.checks import assets, frames, navigation, vitals
from pytest_castmatch.runners import lighthouse

#: The parameter a gate over key pages gets when the profile names none (its needs then decide).
NO_KEY_PAGES = "no-key-pages"
PROFILES = ("mobile", "desktop")
#: A mid-range phone: Pixel 7 emulation with the CPU slowed 4x (Lighthouse's mobile multiplier).
PHONE_DEVICE = "Pixel 7"
PHONE_CPU_SLOWDOWN = 4.0
DESKTOP_VIEWPORT = {"width": 1350, "height": 940}
LIGHTHOUSE_THRESHOLD = 95.0
#: Loads per page and profile when the first one misses a vitals threshold (median decides), in a
#: run that selects the vitals gate (the asset gates read the first load's network log alone).
VITALS_MAX_LOADS = 3
VITALS_GATE = "test_core_web_vitals"
DECISIVE = 2.0
#: Why an untimed probe holds no vitals (an error: reading them fails closed).
NOT_MEASURED = "web vitals were not measured: no gate of this run reads them for this page and profile"
#: How long a page is left alone after its load event before it is read: late content (banners,
#: consent bars) shifts the layout a second or so after load.
SETTLE_MS = 1500
#: Pages loaded and settling at once per profile (1 = strictly one after another; see the module doc).
PIPELINE_DEPTH = {"mobile": 1, "desktop": 2}
#: Untimed loads settling at once: only the load event of each is waited for in turn, and nothing
#: measured on them depends on the CPU the others take.
ASSETS_DEPTH = 4


def _key_pages(deployment: Deployment) -> dict[str, str]:
    return dict(deployment.pages.key) if deployment.has("pages") else {}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A gate asking for ``key_page`` runs once per key page of the profile; ``form_factor`` once per profile."""
    if "key_page" in metafunc.fixturenames:
        metafunc.parametrize("key_page", list(_key_pages(deployment_of(metafunc.config))) or [NO_KEY_PAGES])
    if "form_factor" in metafunc.fixturenames:
        metafunc.parametrize("form_factor", PROFILES)


@dataclass(frozen=True)
class Probe:
    """One load of one key page in one profile: its network log, DOM facts and web vitals."""

    label: str
    profile: str
    load: assets.PageLoad
    owned: dict[str, bool]
    vitals: vitals.Vitals


def context_args(playwright: Playwright, profile: str) -> dict[str, Any]:
    """``new_context`` arguments for a profile (the phone is a Playwright device descriptor)."""
    if profile == "mobile":
        device = dict(playwright.devices[PHONE_DEVICE])
        device.pop("default_browser_type", None)
        return device
    return {"viewport": DESKTOP_VIEWPORT}


def open_context(browser: Browser, playwright: Playwright, base_url: str, profile: str) -> BrowserContext:
    """A fresh browser context for a profile, resolving paths against the deployment."""
    return browser.new_context(base_url=base_url, **context_args(playwright, profile))


@dataclass
class _Pending:
    """A probe load that has fired its load event and is settling."""

    label: str
    profile: str
    context: BrowserContext
    page: Page
    requests: list[Request]
    stack: contextlib.ExitStack
    started: float
    loaded: float
    missing: list[Finding]


class Probes:
    """Key-page loads measured on first use and kept for the session.

    ``wanted`` is every (page, profile) the run's gates will ask for: the first ``get`` measures
    them all in one pipeline (see the module doc) rather than one after another.

    A load whose vitals miss a threshold narrowly is measured twice more and each vital's median
    kept: a neighbour process on a shared machine can spoil one load, a slow page is slow every
    time. A miss by more than ``DECISIVE`` times the limit is not noise and is not re-measured.

    ``timed`` is every (page, profile) whose vitals a gate of the run reads (None: every one). Any
    other load measures no vitals (its ``vitals`` report the omission, so a reader fails closed), is
    never throttled or re-measured, and overlaps ``ASSETS_DEPTH`` at a time (see the module doc).
    """

    def __init__(self, browser: Browser, playwright: Playwright, base_url: str,
                 limits: Mapping[str, MetricSpec], wanted: Iterable[tuple[str, str]] = (),
                 depth: Mapping[str, int] | None = None, *, pages: Mapping[str, str],
                 scripts: Mapping[str, str], timed: Iterable[tuple[str, str]] | None = None) -> None:
        self.browser, self.playwright, self.base_url = browser, playwright, base_url
        self.pages, self.scripts = pages, scripts
        self.limits = limits
        self.timed = None if timed is None else frozenset(timed)
        self.wanted = list(dict.fromkeys(wanted))
        self.depth = dict(PIPELINE_DEPTH if depth is None else depth)
        self._done: dict[tuple[str, str], Probe] = {}

    def new_context(self, profile: str) -> BrowserContext:
        return open_context(self.browser, self.playwright, self.base_url, profile)

    def is_timed(self, label: str, profile: str) -> bool:
        """Whether a gate of the run reads this load's vitals (so it is throttled and measured)."""
        return self.timed is None or (label, profile) in self.timed

    def get(self, label: str, profile: str) -> Probe:
        key = (label, profile)
        if key not in self._done:
            todo = [k for k in self.wanted if k not in self._done]
            self._measure_all(todo if key in todo else [key])
        return self._done[key]

    def _measure_all(self, keys: list[tuple[str, str]]) -> None:
        first = dict(zip(keys, self.measure_many(keys), strict=True))
        retry = [k for k, p in first.items()
                 if self.is_timed(*k) and self._misses(p.vitals) and not self._misses(p.vitals, DECISIVE)]
        again = self.measure_many([k for k in retry for _ in range(VITALS_MAX_LOADS - 1)])
        for key, probe in first.items():
            if key in retry:
                extra = [p.vitals for p in again if (p.label, p.profile) == key]
                probe = replace(probe, vitals=vitals.median([probe.vitals, *extra]))
            self._done[key] = probe

    def _misses(self, measured: vitals.Vitals, factor: float = 1.0) -> bool:
        """Whether any vital is over ``factor`` times its limit (all vitals have a max)."""
        for name, (value, _) in measured.metrics().items():
            spec = self.limits.get(name)
            if spec is not None and spec.max is not None and value > spec.max * factor:
                return True
        return False

    def measure(self, label: str, profile: str) -> Probe:
        """One fresh load of a key page in a profile, on its own (no retries)."""
        return self.measure_many([(label, profile)])[0]

    def measure_many(self, keys: list[tuple[str, str]]) -> list[Probe]:
        """One fresh load per key (no retries). Timed loads go first, in key order within each
        profile, up to the profile's ``depth`` settling at once, a profile's loads never overlapping
        another's; then the untimed ones in one pipeline, ``ASSETS_DEPTH`` at once."""
        timed = [i for i, key in enumerate(keys) if self.is_timed(*key)]
        batches = [([i for i in timed if keys[i][1] == profile], self.depth.get(profile, 1))
                   for profile in dict.fromkeys(keys[i][1] for i in timed)]
        batches.append(([i for i in range(len(keys)) if i not in timed], ASSETS_DEPTH))
        done: dict[int, Probe] = {}
        for idx, depth in batches:
            for i, probe in zip(idx, self._pipeline([keys[i] for i in idx], depth), strict=True):
                done[i] = probe
        return [done[i] for i in range(len(keys))]

    def _pipeline(self, keys: list[tuple[str, str]], depth: int) -> list[Probe]:
        out: list[Probe] = []
        pending: deque[_Pending] = deque()
        try:
            for label, profile in keys:
                pending.append(self._load(label, profile))
                while len(pending) >= max(1, depth):
                    out.append(self._finish(pending.popleft()))
            while pending:
                out.append(self._finish(pending.popleft()))
        finally:
            for left in pending:
                left.stack.close()
        return out

    def _load(self, label: str, profile: str) -> _Pending:
        stack = contextlib.ExitStack()
        try:
            context = self.new_context(profile)
            stack.callback(context.close)
            page = context.new_page()
            timed = self.is_timed(label, profile)
            if timed:
                vitals.prepare(page)
            requests = assets.listen(page)
            stack.enter_context(frames.cpu_throttled(page, PHONE_CPU_SLOWDOWN if timed and profile == "mobile"
                                                     else 1.0))
            started = time.perf_counter()
            missing = navigation.visit(page, self.pages[label])
            return _Pending(label, profile, context, page, requests, stack, started, time.perf_counter(), missing)
        except BaseException:
            stack.close()
            raise

    def _finish(self, load: _Pending) -> Probe:
        if load.missing:
            # Not the page asked for (a 404, a 500): measure nothing on it; every gate reads the finding.
            with load.stack:
                url, status = load.page.url, tuple(load.missing)
            return Probe(load.label, load.profile, assets.PageLoad(url, (), page_status=status), {},
                         vitals.Vitals(url, {}, page_status=status))
        with load.stack:
            # The full settle time after this page's own load event, however long the others took.
            left = SETTLE_MS / 1000 - (time.perf_counter() - load.loaded)
            if left > 0:
                load.page.wait_for_timeout(left * 1000)
            snap = assets.snapshot(load.page, load.requests)
            owned = assets.owned_scripts(load.page, self.scripts)
            measured = (vitals.collect(load.page, started=load.started) if self.is_timed(load.label, load.profile)
                        else vitals.Vitals(load.page.url, {}, errors=(NOT_MEASURED,)))
        return Probe(load.label, load.profile, snap, owned, measured)


def wanted_probes(items: Iterable[pytest.Item], labels: Iterable[str]) -> list[tuple[str, str]]:
    """The (page, profile) loads the selected gates read: a gate parametrized by key page or form
    factor reads those; one that judges every page reads the profiles its ``probe_profiles``
    marker names (all profiles without one)."""
    out: list[tuple[str, str]] = []
    for item in items:
        if "probes" not in getattr(item, "fixturenames", ()):
            continue
        params = item.callspec.params if isinstance(item, pytest.Function) and hasattr(item, "callspec") else {}
        marker = item.get_closest_marker("probe_profiles")
        profiles = [str(params["form_factor"])] if "form_factor" in params else \
            [str(p) for p in (marker.args if marker else PROFILES)]
        pages = [str(params["key_page"])] if "key_page" in params else list(labels)
        out += [(page, profile) for page in pages for profile in profiles]
    return list(dict.fromkeys(out))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "probe_profiles(*profiles): the probe profiles a gate over every key page reads")


@pytest.fixture(scope="session")
def browser(browser_type: BrowserType, browser_type_launch_args: dict[str, Any],
            castmatch_settings: Settings) -> Iterator[Browser]:
    """The full Chromium, even headless: what a page costs and how it paints is measured in the browser its
    users run (the headless shell the other suites drive fetches lazy images this one leaves alone)."""
    try:
        args: dict[str, Any] = sut.chromium_launch_args(browser_type_launch_args, castmatch_settings.chromium,
                                                        headless_shell=False)
    except sut.SutError as exc:
        pytest.fail(str(exc), pytrace=False)
    launched = browser_type.launch(**args)
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def key_pages(castmatch_deployment: Deployment) -> dict[str, str]:
    """The key pages every performance gate judges: label -> path (the profile's)."""
    return dict(castmatch_deployment.pages.key)


@pytest.fixture(scope="session")
def probes(browser: Browser, playwright: Playwright, castmatch_base_url: str, key_pages: dict[str, str],
           castmatch_config: GateConfig, castmatch_deployment: Deployment, request: pytest.FixtureRequest) -> Probes:
    """Every key page measured once per profile the run's gates read, on first use (timed where a
    vitals gate reads it)."""
    items = request.session.items
    timed = wanted_probes([item for item in items if getattr(item, "originalname", "") == VITALS_GATE], key_pages)
    return Probes(browser, playwright, castmatch_base_url, castmatch_config.metrics,
                  wanted_probes(items, key_pages), pages=key_pages, scripts=castmatch_deployment.pages.scripts,
                  timed=timed)


@pytest.fixture(scope="session")
def profile_context(browser: Browser, playwright: Playwright,
                    castmatch_base_url: str) -> Callable[[str], BrowserContext]:
    """A fresh browser context for a profile (for gates that drive a page rather than read a probe)."""
    return functools.partial(open_context, browser, playwright, castmatch_base_url)


@dataclass(frozen=True)
class LighthouseBatch:
    engine: lighthouse.Engine
    results: dict[str, lighthouse.Result]
    seconds: float
    #: The worker's timestamped events (seconds since it started): where the batch's time went.
    log: tuple[tuple[float, str], ...] = ()
    #: Key pages that did not answer as they should (their page-status finding): not audited.
    missing: dict[str, tuple[Finding, ...]] = field(default_factory=dict)


@pytest.fixture(scope="session")
def lighthouse_batch(castmatch_base_url: str, tmp_path_factory: pytest.TempPathFactory, key_pages: dict[str, str],
                     castmatch_deployment: Deployment, castmatch_settings: Settings,
                     request: pytest.FixtureRequest, probes: Probes) -> LighthouseBatch:
    """Lighthouse over the key pages this run gates, in one batch (EngineMissing, so the gates error, if absent).

    Runs per page: ``lighthouse_runs``, then more, up to ``lighthouse_max_runs``, while a category's
    median is within 3 points of the threshold and the runs left could still carry it across. A page
    whose probe load did not answer as it should is not audited: its gate reports the page status (an
    audit of a 404 page measures the error page, and takes Lighthouse 15-20 s to refuse).
    """
    engine = lighthouse.find_engine(given=castmatch_settings.lighthouse)
    wanted = {item.callspec.params["key_page"] for item in request.session.items
              if isinstance(item, pytest.Function) and item.originalname == "test_lighthouse_scores"
              and hasattr(item, "callspec") and "key_page" in item.callspec.params}
    desktop = castmatch_deployment.pages.desktop
    form_factor = {label: "desktop" if label in desktop else "mobile" for label in key_pages}
    labels = [label for label in key_pages if label in wanted or not wanted]
    missing = {label: status for label in labels
               if (status := probes.get(label, form_factor[label]).load.page_status)}
    jobs = [lighthouse.Job(label, castmatch_base_url + key_pages[label], form_factor[label])
            for label in labels if label not in missing]
    started = time.perf_counter()
    log: list[tuple[float, str]] = []
    runs = castmatch_settings.lighthouse_runs
    max_runs = max(runs, castmatch_settings.lighthouse_max_runs)
    results = lighthouse.run(jobs, tmp_path_factory.mktemp("lighthouse"), runs=runs, max_runs=max_runs,
                             threshold=LIGHTHOUSE_THRESHOLD, engine=engine, log=log,
                             browser=castmatch_settings.chromium) if jobs else []
    return LighthouseBatch(engine, {r.job.label: r for r in results}, time.perf_counter() - started, tuple(log),
                           missing)
