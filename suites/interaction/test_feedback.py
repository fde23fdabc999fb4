"""Rapid interaction and feedback: one submission per form, results announced to screen readers."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from pytest_castmatch.checks import interaction, navigation
from pytest_castmatch.checks.evidence import Evidence
from pytest_castmatch.recorder import Gate

#: The one-shot form every visitor can reach (the booking form needs a signed-in director).
FORM_PAGE, FORM = "/signin", "main form[method=post]"
#: A control on every page whose result is a status message.
THEME_TOGGLE = "[data-theme-toggle]"


@pytest.mark.p0
@pytest.mark.owner("interaction-design")
def test_rapid_clicks_submit_once(page: Page, gate: Gate) -> None:
    """Three quick clicks on a form's submit button send one request, not three."""
    if gate.check(navigation.visit(page, FORM_PAGE)):
        return
    page.fill("#username", "director@example.com")
    page.fill("#password", "not-a-real-password")
    gate.check(interaction.submissions(page, FORM, evidence=Evidence.for_gate(gate)))


@pytest.mark.p1
@pytest.mark.owner("interaction-design")
def test_feedback_is_announced(page: Page, gate: Gate, inventory_pages: list[str]) -> None:
    """Switching theme says so in a live region, on every page (WCAG 4.1.3)."""
    evidence = Evidence.for_gate(gate)
    for path in inventory_pages:
        if gate.check(navigation.visit(page, path)):
            continue
        gate.check(interaction.announced(page, THEME_TOGGLE, evidence=evidence))
