"""Error handling: when the server fails, the user gets a helpful page (no stack trace) with a way
back, and the site works again as soon as the server does.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from pytest_castmatch import Gate
from pytest_castmatch.checks import journeys


@pytest.mark.p0
@pytest.mark.owner("testing-qa")
@pytest.mark.needs("pages", "fault_injection")
@pytest.mark.flaky(reruns=1, rerun_except=journeys.NOT_RETRIED)
@pytest.mark.parametrize("journey_device", journeys.CORE_MATRIX, indirect=True)
def test_server_error_page_and_recovery(journey_page: Page, journey_device: str, gate: Gate,
                                        app_faults: Any, inventory_pages: list[str]) -> None:
    page = journey_page
    j = journeys.Journey(page, gate.check, name=f"server error on {journey_device}")
    # A page other than home: the error page's way back must lead somewhere else than where it is.
    target = next((p for p in inventory_pages if p != "/"), inventory_pages[0])
    if not j.opens("/"):
        return
    j.step = "the server fails"
    with app_faults.during(server_error=True):
        if not j.opens(target, expect=(500,)):
            return
        gate.check(journeys.error_page_findings(page, 500, 500, "friendly-500"))

    j.step = "the server recovers"
    back = page.locator("main a[href='/']").first
    if j.sees(back, "way-back", "the error page has no link back to the home page"):
        back.click()
        j.arrives(lambda url: journeys.page_path(url) == "/", "way-back-works",
                  "the error page's home link did not lead home once the server recovered")
    if not j.opens(target):
        return
    j.sees(page.locator("main"), "recovered-page", f"after the server recovered, {target} shows no main content")
