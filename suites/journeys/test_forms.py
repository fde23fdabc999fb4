"""Forms under real use: every validation message beside its field, announced, cleared once fixed;
and a burst of clicks on submit books exactly once.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page

from pytest_castmatch import Gate
from pytest_castmatch.checks import journeys

FIELDS = ("#role", "#date", "#time")
SUBMIT = "form[action='/auditions/new'] [type=submit]"
#: A person double- or triple-clicks; a stuck page gets hammered. Five clicks, no pause.
CLICKS = 5


@pytest.mark.p0
@pytest.mark.owner("interaction-design")
@pytest.mark.needs("sign_in", "feature:auditions")
@pytest.mark.flaky(reruns=1, rerun_except=journeys.NOT_RETRIED)
@pytest.mark.parametrize("journey_device", journeys.CORE_MATRIX, indirect=True)
def test_booking_form_feedback_and_single_submit(journey_page: Page, journey_device: str, gate: Gate,
                                                 other_director: Any, sign_in: Callable[..., bool]) -> None:
    page = journey_page
    j = journeys.Journey(page, gate.check, name=f"booking form on {journey_device}")
    if not sign_in(page, j, other_director, "/auditions/new?talent=2"):
        return
    before, _ = journeys.snapshot_fields(page, FIELDS)

    j.step = "submit with every field wrong"
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    page.locator("#date").fill(yesterday)
    page.locator("#time").fill("22:30")
    page.locator(SUBMIT).click()
    page.wait_for_load_state()
    wrong, live = journeys.snapshot_fields(page, FIELDS)
    gate.check(journeys.validation_findings(before, wrong, live, page=journeys.page_path(page.url)))

    j.step = "fix two fields, leave the time wrong"
    day = (dt.date.today() + dt.timedelta(days=random.randint(30, 700))).isoformat()
    time = f"{random.randint(9, 19):02d}:{random.randint(0, 59):02d}"
    role = page.locator("#role option:not([value=''])").first.get_attribute("value")
    page.locator("#role").select_option(str(role))
    page.locator("#date").fill(day)
    page.locator(SUBMIT).click()
    page.wait_for_load_state()
    partly, live = journeys.snapshot_fields(page, FIELDS)
    gate.check(journeys.cleared_findings(before, {k: partly[k] for k in ("#role", "#date")},
                                         page=journeys.page_path(page.url)))
    gate.check(journeys.validation_findings(before, {"#time": partly["#time"]}, live,
                                            page=journeys.page_path(page.url)))

    j.step = f"fix the time and click submit {CLICKS} times"
    page.locator("#time").fill(time)
    page.locator(SUBMIT).scroll_into_view_if_needed()
    box = page.locator(SUBMIT).bounding_box()
    if not j.expect(box is not None, "submit-visible", "the submit button is not on screen"):
        return
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for _ in range(CLICKS):
        # Raw pointer clicks: they do not wait for the button to be enabled, exactly like a person.
        page.mouse.click(x, y)
    # No early return: how many bookings the burst made is the finding that matters most.
    j.arrives(lambda url: journeys.page_path(url).startswith("/auditions/")
              and journeys.page_path(url).split("/")[-1].isdigit(), "booking-confirmed",
              "the burst of clicks did not end on a booking confirmation")

    j.step = "count the bookings"
    page.wait_for_timeout(1000)  # let any duplicate request that is still in flight land first
    if not j.opens("/shortlist"):
        return
    booked = page.locator("main li a[href^='/auditions/']").filter(has_text=f"{day} {time}").count()
    j.expect(booked == 1, "single-booking", f"{CLICKS} rapid clicks created {booked} bookings for {day} {time}")
