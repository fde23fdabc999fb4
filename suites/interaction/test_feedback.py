"""Rapid interaction and feedback: one submission per form, results announced to screen readers."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from pytest_castmatch import Deployment, Form, Gate
from pytest_castmatch.checks import interaction, navigation
from pytest_castmatch.checks.evidence import Evidence


@pytest.mark.p0
@pytest.mark.owner("interaction-design")
@pytest.mark.needs("forms.once")
def test_rapid_clicks_submit_once(page: Page, gate: Gate, castmatch_deployment: Deployment) -> None:
    """Three quick clicks on the submit button of each one-shot form send one request, not three."""
    evidence = Evidence.for_gate(gate)
    forms: tuple[Form, ...] = castmatch_deployment.value("forms", tuple)
    for form in (f for f in forms if f.once):
        if gate.check(navigation.visit(page, form.page)):
            continue
        for selector, value in form.fill.items():
            page.fill(selector, value)
        gate.check(interaction.submissions(page, form.form, evidence=evidence))


@pytest.mark.p1
@pytest.mark.owner("interaction-design")
@pytest.mark.needs("pages", "themes.toggle")
def test_feedback_is_announced(page: Page, gate: Gate, inventory_pages: list[str],
                               castmatch_deployment: Deployment) -> None:
    """Switching theme says so in a live region, on every page (WCAG 4.1.3)."""
    evidence = Evidence.for_gate(gate)
    toggle = castmatch_deployment.value("themes.toggle", str)
    for path in inventory_pages:
        if gate.check(navigation.visit(page, path)):
            continue
        gate.check(interaction.announced(page, toggle, evidence=evidence))
