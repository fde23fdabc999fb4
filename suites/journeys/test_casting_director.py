"""The casting director's critical path, end to end, on every device of the matrix.

Sign in, search with filters, open a profile, shortlist it, book an audition, see the
confirmation and the booking on the shortlist page, sign out. Each expectation a person has
along the way is a step; the first broken step is reported with the page it broke on.
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

#: Filters with plenty of results in the reference catalogue (area and language are the plan's
#: main search facets for Mumbai casting).
FILTERS = {"area": "andheri", "language": "hindi"}
#: Every device on Chromium; desktop also on Firefox and WebKit where Playwright's builds are installed
#: (test_engines.py reports the engines no journey ran on).
CELLS = journeys.matrix(journeys.FULL_MATRIX, journeys.installed_engines())


def _slot() -> tuple[str, str]:
    """A future date and time unlikely to collide with another run's booking."""
    day = dt.date.today() + dt.timedelta(days=random.randint(30, 700))
    return day.isoformat(), f"{random.randint(9, 19):02d}:{random.randint(0, 59):02d}"


@pytest.mark.p0
@pytest.mark.owner("testing-qa")
@pytest.mark.needs("sign_in", "feature:talent-search", "feature:auditions")
@pytest.mark.flaky(reruns=1, rerun_except=journeys.NOT_RETRIED)
@pytest.mark.parametrize(("journey_device", "journey_engine"),
                         [pytest.param(d, e, id=i) for d, e, i in CELLS], indirect=True)
def test_casting_director_books_an_audition(
    journey_page: Page, journey_device: str, journey_engine: str, gate: Gate, director: Any,
    sign_in: Callable[..., bool]
) -> None:
    page = journey_page
    j = journeys.Journey(page, gate.check, name=f"casting director on {journey_device} ({journey_engine})")
    if not sign_in(page, j, director, "/"):
        return
    if not j.sees(page.locator("nav a[href='/shortlist']"), "signed-in-nav",
                  "after signing in, the navigation offers no link to the shortlist"):
        return

    j.step = "search with filters"
    if not j.opens("/talent"):
        return
    for name, value in FILTERS.items():
        page.locator(f"form[role=search] [name={name}]").select_option(value)
    page.locator("form[role=search] [type=submit]").click()
    if not j.arrives(lambda url: journeys.query_state(url) == FILTERS, "filtered-search",
                     f"applying the filters {FILTERS} did not show them in the address"):
        return
    cards = page.locator("#results a[href^='/talent/']")
    if not j.sees(cards, "search-results", "the filtered search shows no talent"):
        return

    j.step = "open a profile"
    # Each device opens a different profile, so parallel cells never shortlist the same talent.
    cell = next(i for i, (d, e, _) in enumerate(CELLS) if (d, e) == (journey_device, journey_engine))
    card = cards.nth(cell % max(cards.count(), 1))
    href = str(card.get_attribute("href"))
    card.click()
    if not j.arrives(lambda url: journeys.page_path(url) == href, "open-profile",
                     f"clicking a search result did not open {href}"):
        return
    if not j.sees(page.locator("h1"), "profile-heading", "the profile page has no heading"):
        return
    talent_id = href.rsplit("/", 1)[-1]

    j.step = "shortlist"
    add = page.locator("form[action='/shortlist/add'] [type=submit]")
    if not add.count():
        # Shortlisted by an earlier run: take it off first, so the journey starts where a person does.
        if not j.opens("/shortlist"):
            return
        page.locator(f"form[action='/shortlist/remove']:has(input[value='{talent_id}']) [type=submit]").click()
        page.wait_for_url(lambda url: journeys.page_path(url) == "/shortlist")
        if not j.opens(href):
            return
    add.click()
    feedback = page.locator("[role=status]:not(:empty), [aria-live=polite]:not(:empty), [role=alert]:not(:empty)")
    if not j.sees(feedback, "shortlist-feedback", "clicking 'Add to shortlist' gave no announced feedback"):
        return

    j.step = "book an audition"
    page.locator(f"a[href='/auditions/new?talent={talent_id}']").click()
    if not j.arrives(lambda url: journeys.page_path(url).startswith("/auditions/new"), "booking-form",
                     "the profile's booking link did not open the booking form"):
        return
    day, time = _slot()
    role = page.locator("#role option:not([value=''])").first.get_attribute("value")
    page.locator("#role").select_option(str(role))
    page.locator("#date").fill(day)
    page.locator("#time").fill(time)
    page.locator("#notes").fill(f"Journey check on {journey_device}: bring a monologue.")
    page.locator("form[action='/auditions/new'] [type=submit]").click()
    if not j.arrives(lambda url: journeys.page_path(url).split("/")[-1].isdigit()
                     and journeys.page_path(url).startswith("/auditions/"), "booking-confirmed",
                     "submitting a valid booking did not lead to its confirmation"):
        return
    booking = journeys.page_path(page.url)
    j.sees(page.locator("[role=status]"), "booking-confirmation", "the confirmation page announces nothing")
    j.expect(f"{day} {time}" in page.locator("main").inner_text(), "booking-details",
             f"the confirmation does not show the booked slot {day} {time}")

    j.step = "see the booking and the shortlist"
    if not j.opens("/shortlist"):
        return
    j.sees(page.locator(f"main a[href='/talent/{talent_id}']"), "shortlisted",
           f"talent {talent_id} is not on the shortlist after 'Add to shortlist'")
    j.sees(page.locator(f"main a[href='{booking}']"), "booking-listed",
           f"the booking {booking} is not listed with the shortlist")

    j.step = "sign out"
    page.locator("form[action='/signout'] [type=submit]").click()
    if not j.arrives(lambda url: journeys.page_path(url) == "/", "sign-out", "signing out did not return home"):
        return
    j.sees(page.locator("nav a[href='/signin']"), "signed-out-nav", "after signing out, there is no sign-in link")
    if not j.opens("/shortlist"):
        return
    j.expect(journeys.page_path(page.url).startswith("/signin"), "signed-out-shortlist",
             "after signing out, the shortlist is still open")
