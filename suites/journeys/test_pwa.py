"""PWA: the service worker installs and precaches; offline, the shell and the offline page still load,
and a booking attempted offline tells the user what happened instead of ending on a browser error.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page
from playwright.sync_api import Error as PlaywrightError

from pytest_castmatch import Deployment, Gate
from pytest_castmatch.checks import journeys

#: Long enough for install + precache on a loaded runner.
SW_READY_MS = 15_000
_READY_JS = """(ms) => Promise.race([
  navigator.serviceWorker.ready.then((r) => (r.active ? r.active.state : 'none')),
  new Promise((resolve) => setTimeout(() => resolve('timeout'), ms)),
])"""
_CACHED_JS = "(paths) => Promise.all(paths.map((p) => caches.match(p).then((r) => !!r && r.ok)))"
ANNOUNCED = "[role=status]:not(:empty), [role=alert]:not(:empty), [aria-live=polite]:not(:empty)"


@pytest.mark.p0
@pytest.mark.owner("frontend-ui")
@pytest.mark.needs("offline", "sign_in", "feature:auditions")
@pytest.mark.flaky(reruns=1, rerun_except=journeys.NOT_RETRIED)
@pytest.mark.parametrize("journey_device", journeys.CORE_MATRIX, indirect=True)
def test_offline_shell_and_booking(journey_page: Page, journey_context: BrowserContext, journey_device: str,
                                   gate: Gate, director: Any, sign_in: Callable[..., bool],
                                   castmatch_deployment: Deployment) -> None:
    page = journey_page
    j = journeys.Journey(page, gate.check, name=f"offline on {journey_device}")
    offline: str = castmatch_deployment.value("offline", str)
    if not j.opens(offline):
        return
    offline_heading = page.locator("h1").first.inner_text().strip()
    if not sign_in(page, j, director, "/"):
        return

    j.step = "install the service worker"
    state = page.evaluate(_READY_JS, SW_READY_MS)
    if not j.expect(state == "activated", "sw-installed", f"the service worker is not active (state: {state})"):
        return
    cached = page.evaluate(_CACHED_JS, ["/", offline])
    j.expect(all(cached), "sw-precache", "the service worker did not cache the shell and the offline page "
             f"(/: {cached[0]}, {offline}: {cached[1]})")

    j.step = "start a booking, then lose the network"
    if not j.opens("/auditions/new?talent=3"):
        return
    if not j.sees(page.locator("#role"), "booking-form", "the booking form did not open"):
        return
    day = (dt.date.today() + dt.timedelta(days=90)).isoformat()
    role = page.locator("#role option:not([value=''])").first.get_attribute("value")
    page.locator("#role").select_option(str(role))
    page.locator("#date").fill(day)
    page.locator("#time").fill("11:15")
    form_url = page.url
    journey_context.set_offline(True)
    try:
        j.step = "book while offline"
        page.locator("form[action='/auditions/new'] [type=submit]").click()
        page.wait_for_timeout(500)  # give a navigation the chance to start, as a person would wait
        j.expect(page.url == form_url, "offline-booking-stays",
                 f"submitting offline left the form for {page.url} (the browser's error page)")
        if j.sees(page.locator(ANNOUNCED), "offline-booking-told",
                  "submitting offline told the user nothing about what happens to the booking"):
            j.expect(page.locator("#date").input_value() == day, "offline-booking-kept",
                     "submitting offline lost what the user had entered")

        j.step = "open the home page offline"
        try:
            if j.opens("/"):
                j.sees(page.locator("h1"), "offline-shell", "the home page shell does not render offline")
        except PlaywrightError as exc:
            j.fail("offline-shell", f"the home page does not load offline: {str(exc).splitlines()[0]}")

        j.step = "open a page never visited, offline"
        try:
            if j.opens(f"/talent?q={uuid.uuid4().hex[:8]}"):
                shown = page.locator("h1").first.inner_text(timeout=journeys.STEP_TIMEOUT_MS).strip()
                j.expect(shown == offline_heading, "offline-page",
                         f"an uncached page offline shows {shown!r}, not the offline page {offline_heading!r}")
        except PlaywrightError as exc:
            j.fail("offline-page", f"an uncached page offline does not show the offline page: "
                   f"{str(exc).splitlines()[0]}")
    finally:
        journey_context.set_offline(False)
