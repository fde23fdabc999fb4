"""Changing a control's setting never changes the context unannounced (WCAG 3.2.2 On Input)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from pytest_castmatch import Gate
from pytest_castmatch.checks import context, navigation
from pytest_castmatch.checks.evidence import Evidence


@pytest.mark.p0
@pytest.mark.owner("design-review-qa")
@pytest.mark.needs("pages")
def test_no_change_of_context_on_input(page: Page, gate: Gate, inventory_pages: list[str]) -> None:
    """Choosing an option, a radio button or a checkbox loads no page, submits no form, opens no
    window and moves no focus, on every page."""
    evidence = Evidence.for_gate(gate)
    for path in inventory_pages:
        if gate.check(navigation.visit(page, path)):
            continue
        gate.check(context.on_input(page, evidence=evidence))
