"""Reflow at 320 CSS px, the plan's breakpoints in both orientations, and 200 % text."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from pytest_castmatch import Gate
from pytest_castmatch.checks import layout, navigation
from pytest_castmatch.checks.evidence import Evidence


@pytest.mark.p0
@pytest.mark.owner("design-review-qa")
@pytest.mark.needs("pages")
def test_reflow_at_320px(page: Page, gate: Gate, inventory_pages: list[str]) -> None:
    """No page scrolls sideways at 320 CSS px (WCAG 1.4.10)."""
    evidence = Evidence.for_gate(gate)
    page.set_viewport_size({"width": layout.REFLOW[0], "height": layout.REFLOW[1]})
    for path in inventory_pages:
        if gate.check(navigation.visit(page, path)):
            continue
        gate.check(layout.reflow(page, evidence=evidence))


@pytest.mark.p0
@pytest.mark.owner("design-review-qa")
@pytest.mark.needs("pages")
def test_breakpoints_and_orientation(page: Page, gate: Gate, inventory_pages: list[str]) -> None:
    """At 360, 768, 1024 and 1440 px, portrait and landscape: no overlap, no overflow."""
    evidence = Evidence.for_gate(gate)
    page.emulate_media(reduced_motion="reduce")
    for path in inventory_pages:
        gate.check(layout.breakpoints(page, path, evidence=evidence))


@pytest.mark.p0
@pytest.mark.owner("design-review-qa")
@pytest.mark.needs("pages")
def test_text_resized_to_200_percent(page: Page, gate: Gate, inventory_pages: list[str]) -> None:
    """With every font size doubled nothing overlaps or is cut off (WCAG 1.4.4)."""
    evidence = Evidence.for_gate(gate)
    page.emulate_media(reduced_motion="reduce")
    for path in inventory_pages:
        if gate.check(navigation.visit(page, path)):
            continue
        gate.check(layout.text_resize(page, evidence=evidence))
