"""Two casting directors and one talent: once a slot is booked, a second booking of it is refused, and the
second director is told why beside the time they chose.
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

SUBMIT = "form[action='/auditions/new'] [type=submit]"


def _fill_booking(page: Page, day: str, time: str) -> None:
    role = page.locator("#role option:not([value=''])").first.get_attribute("value")
    page.locator("#role").select_option(str(role))
    page.locator("#date").fill(day)
    page.locator("#time").fill(time)
    page.locator(SUBMIT).click()


def _confirmed(url: str) -> bool:
    path = journeys.page_path(url)
    return path.startswith("/auditions/") and path.split("/")[-1].isdigit()


@pytest.mark.p0
@pytest.mark.owner("testing-qa")
@pytest.mark.needs("sign_in", "feature:auditions")
@pytest.mark.flaky(reruns=1)
def test_a_booked_slot_is_refused_to_a_second_booking(journey_page: Page, gate: Gate, director: Any,
                                                      other_director: Any, sign_in: Callable[..., bool]) -> None:
    page = journey_page
    j = journeys.Journey(page, gate.check, name="two directors, one talent, one slot")
    # A talent and a slot no other journey books, so this gate meets only the booking it makes itself.
    talent = random.randint(1000, 9000)
    day = (dt.date.today() + dt.timedelta(days=random.randint(30, 700))).isoformat()
    time = f"{random.randint(9, 19):02d}:{random.choice((0, 15, 30, 45)):02d}"
    form = f"/auditions/new?talent={talent}"

    if not sign_in(page, j, director, form):
        return
    j.step = "the first director books the slot"
    _fill_booking(page, day, time)
    if not j.arrives(_confirmed, "first-booking", f"booking talent {talent} on {day} at {time} was not confirmed"):
        return
    page.locator("form[action='/signout'] [type=submit]").click()
    if not j.arrives(lambda url: journeys.page_path(url) == "/", "sign-out", "signing out did not return home"):
        return

    if not sign_in(page, j, other_director, form):
        return
    j.step = "a second director books the same slot"
    _fill_booking(page, day, time)
    # The form is at /auditions/new?talent=N; what the submission answered is at /auditions/new (the
    # refusal, re-rendered) or at the new booking.
    if not j.arrives(lambda url: _confirmed(url) or journeys.page_path(url) == "/auditions/new", "booking-answered",
                     "submitting the booking form led nowhere"):
        return
    if not j.expect(not _confirmed(page.url), "slot-booked-twice",
                    f"talent {talent} was booked a second time for {day} at {time}"):
        return
    j.sees(page.locator("[role=alert]"), "slot-taken-unexplained",
           "the refused booking shows no error summary saying why")
    j.expect(page.locator("#time").get_attribute("aria-invalid") == "true", "slot-taken-not-at-field",
             "the refusal is not marked on the time field, where the director must change something")

    j.step = "the second director's bookings"
    page.goto("/shortlist")
    listed = page.locator("main li a[href^='/auditions/']").filter(has_text=f"{day} {time}").count()
    j.expect(listed == 0, "slot-booked-twice", f"the second director's bookings list {day} {time} anyway")
