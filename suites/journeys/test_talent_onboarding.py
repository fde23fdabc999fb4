"""Talent onboarding: sign up in three steps (details, skills, headshot upload) with feedback on every
field, finish with a confirmation, and talent profiles are found in search.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import FilePayload, Page

from pytest_castmatch import Gate
from pytest_castmatch.checks import journeys

DETAILS = ("#name", "#email", "#age", "#area")
#: The reference app's approved talent account (Kabir Khan) owns profile 1.
APPROVED_PROFILE = "/talent/1"


def _on_step(j: journeys.Journey, page: Page, number: int, path: str) -> bool:
    if not j.arrives(lambda url: journeys.page_path(url) == path, f"step-{number}",
                     f"onboarding did not continue to step {number} ({path})"):
        return False
    current = page.locator("[aria-current=step]")
    return j.expect(current.count() == 1 and str(number) in current.inner_text(), f"step-{number}-progress",
                    f"the progress list does not mark step {number} as the current one")


@pytest.mark.p1
@pytest.mark.owner("ux-wireframe")
@pytest.mark.needs("feature:talent-onboarding", "feature:talent-search")
@pytest.mark.flaky(reruns=1, rerun_except=journeys.NOT_RETRIED)
@pytest.mark.parametrize("journey_device", journeys.CORE_MATRIX, indirect=True)
def test_talent_signs_up_in_steps(journey_page: Page, journey_device: str, gate: Gate) -> None:
    page = journey_page
    j = journeys.Journey(page, gate.check, name=f"talent onboarding on {journey_device}")
    if not j.opens("/join"):
        return
    if not _on_step(j, page, 1, "/join"):
        return

    j.step = "step 1 with nothing filled in"
    before, _ = journeys.snapshot_fields(page, DETAILS)
    page.locator("form[action='/join'] [type=submit]").click()
    page.wait_for_load_state()
    after, live = journeys.snapshot_fields(page, DETAILS)
    gate.check(journeys.validation_findings(before, after, live, page=journeys.page_path(page.url)))

    j.step = "step 1: details"
    name = f"Journey Talent {uuid.uuid4().hex[:6]}"
    page.locator("#name").fill(name)
    page.locator("#email").fill(f"{uuid.uuid4().hex[:10]}@example.com")
    page.locator("#age").fill("27")
    page.locator("#area").select_option("bandra")
    page.locator("input[name=languages][value=hindi]").check()
    page.locator("form[action='/join'] [type=submit]").click()
    if not _on_step(j, page, 2, "/join/skills"):
        return

    j.step = "step 2: skills"
    page.locator("input[name=skills][value=acting]").check()
    page.locator("main form [type=submit]").click()
    if not _on_step(j, page, 3, "/join/headshot"):
        return

    j.step = "step 3: headshot upload"
    photo: FilePayload = {"name": "headshot.png", "mimeType": "image/png", "buffer": journeys.portrait_png()}
    page.locator("#photo").set_input_files(files=[photo])
    page.locator("main form [type=submit]").click()
    if not j.arrives(lambda url: journeys.page_path(url) == "/join/done", "finished",
                     "submitting the headshot did not finish onboarding"):
        return
    j.sees(page.locator("[role=status]").filter(has_text=name), "confirmation",
           f"the confirmation does not greet {name} or say what happens next")

    j.step = "a talent profile is found in search"
    if not j.opens(APPROVED_PROFILE):
        return
    talent = page.locator("h1").first.inner_text().strip()
    if not j.opens("/talent"):
        return
    page.locator("form[role=search] [name=q]").fill(talent)
    page.locator("form[role=search] [type=submit]").click()
    j.sees(page.locator(f"#results a[href='{APPROVED_PROFILE}']"), "found-in-search",
           f"searching for {talent!r} does not find {APPROVED_PROFILE}")
