"""Error handling: when the server fails, the user gets a helpful page (no stack trace) with a way
back, and the site works again as soon as the server does.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from pytest_castmatch.checks import journeys
from pytest_castmatch.recorder import Gate


@pytest.mark.p0
@pytest.mark.owner("testing-qa")
@pytest.mark.flaky(reruns=1, rerun_except=journeys.NOT_RETRIED)
@pytest.mark.parametrize("journey_device", journeys.CORE_MATRIX, indirect=True)
def test_server_error_page_and_recovery(journey_page: Page, journey_device: str, gate: Gate,
                                        app_faults: Any) -> None:
    page = journey_page
    j = journeys.Journey(page, gate.check, name=f"server error on {journey_device}")
    if not j.opens("/"):
        return
    j.step = "the server fails"
    with app_faults.during(server_error=True):
        if not j.opens("/talent?area=juhu", expect=(500,)):
            return
        gate.check(journeys.error_page_findings(page, 500, 500, "friendly-500"))

    j.step = "the server recovers"
    back = page.locator("main a[href='/']").first
    if j.sees(back, "way-back", "the error page has no link back to the home page"):
        back.click()
        j.arrives(lambda url: journeys.page_path(url) == "/", "way-back-works",
                  "the error page's home link did not lead home once the server recovered")
    if not j.opens("/talent?area=juhu"):
        return
    j.sees(page.locator("#results a[href^='/talent/']"), "recovered-results",
           "after the server recovered, the search shows no results")
