"""Keyboard-only operation and visible focus on every inventory page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from pytest_castmatch import Gate
from pytest_castmatch.checks import focus, keyboard, navigation
from pytest_castmatch.checks.evidence import Evidence


@pytest.mark.p0
@pytest.mark.owner("design-review-qa")
@pytest.mark.needs("pages")
def test_keyboard_operation(page: Page, gate: Gate, inventory_pages: list[str]) -> None:
    """Tab/Shift+Tab reach every control in layout order, nothing traps focus, the repeated blocks can be
    bypassed and a skip link works, custom controls answer Enter/Space/Escape (WCAG 2.1.1, 2.1.2, 2.4.1,
    2.4.3)."""
    evidence = Evidence.for_gate(gate)
    page.emulate_media(reduced_motion="reduce")  # a rotating carousel must not move focus targets mid-walk
    for path in inventory_pages:
        if gate.check(navigation.visit(page, path)):
            continue
        gate.check(keyboard.skip_link(page, evidence=evidence))
        gate.check(keyboard.reachability(page, evidence=evidence))
        gate.check(keyboard.operable(page))


@pytest.mark.p0
@pytest.mark.owner("design-review-qa")
@pytest.mark.needs("pages")
def test_focus_appearance(page: Page, gate: Gate, inventory_pages: list[str]) -> None:
    """Every kind of focusable control shows a focus indicator (WCAG 2.4.7) meeting 2.4.13 (AAA)."""
    evidence = Evidence.for_gate(gate)
    page.emulate_media(reduced_motion="reduce")
    for path in inventory_pages:
        if gate.check(navigation.visit(page, path)):
            continue
        gate.check(focus.focus_appearance(page, evidence=evidence))
