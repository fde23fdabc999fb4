"""Reduced motion honoured, a working pause for moving content, durations within the motion tokens."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from pytest_castmatch import Deployment, Gate
from pytest_castmatch.checks import motion, navigation
from pytest_castmatch.checks.evidence import Evidence


def _fresh(browser: Browser) -> Page:
    # page.clock must be installed before a document loads, once per context.
    return browser.new_context().new_page()


@pytest.mark.p0
@pytest.mark.owner("motion-ui")
@pytest.mark.needs("pages")
def test_reduced_motion_is_honoured(browser: Browser, castmatch_base_url: str, gate: Gate,
                                    inventory_pages: list[str]) -> None:
    """With prefers-reduced-motion: reduce nothing animates, transitions or auto-advances (WCAG 2.3.3)."""
    evidence = Evidence.for_gate(gate)
    for path in inventory_pages:
        page = _fresh(browser)
        try:
            if gate.check(motion.open_for_motion(page, castmatch_base_url + path, reduce=True)):
                continue  # the page did not answer as it should: nothing to measure on it
            gate.check(motion.reduced(page, evidence=evidence))
        finally:
            page.context.close()


@pytest.mark.p0
@pytest.mark.owner("motion-ui")
@pytest.mark.needs("pages")
def test_moving_content_can_be_paused(browser: Browser, castmatch_base_url: str, gate: Gate,
                                      inventory_pages: list[str]) -> None:
    """Content that moves or advances for over 5 s has a pause control that stops it (WCAG 2.2.2)."""
    evidence = Evidence.for_gate(gate)
    for path in inventory_pages:
        page = _fresh(browser)
        try:
            if gate.check(motion.open_for_motion(page, castmatch_base_url + path, reduce=False)):
                continue
            gate.check(motion.pause_control(page, evidence=evidence))
        finally:
            page.context.close()


@pytest.mark.p1
@pytest.mark.owner("motion-ui")
@pytest.mark.needs("pages", "motion_tokens")
def test_transitions_within_motion_tokens(page: Page, gate: Gate, inventory_pages: list[str],
                                          castmatch_deployment: Deployment) -> None:
    """Every transition and animation lasts one of the design system's motion durations (the profile's)."""
    evidence = Evidence.for_gate(gate)
    tokens: tuple[float, ...] = castmatch_deployment.value("motion_tokens", tuple)
    for path in inventory_pages:
        if gate.check(navigation.visit(page, path)):
            continue
        gate.check(motion.within_tokens(page, tokens, evidence=evidence))
