"""axe-core WCAG 2.2 AAA audit of every inventory page, in each colour theme it has (the launch metric)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page

from pytest_castmatch.checks import axe, navigation
from pytest_castmatch.checks.evidence import Evidence
from pytest_castmatch.model import Severity
from pytest_castmatch.recorder import Gate

CONTRAST_RULES = ("axe/color-contrast", "axe/color-contrast-enhanced")
#: The reference app's theme switch: a page without a ``prefers-color-scheme`` dark theme is still
#: scanned dark when pressing it changes the page's colours.
THEME_TOGGLE = "[data-theme-toggle]"


@pytest.mark.p0
@pytest.mark.owner("design-review-qa")
def test_wcag_aaa_light_and_dark(page: Page, gate: Gate, inventory_pages: list[str],
                                 axe_baseline: list[axe.BaselineEntry]) -> None:
    """Every page passes axe's WCAG 2.2 A/AA/AAA and best-practice rules in each theme it has; what axe
    cannot decide is a needs-review item for the owner."""
    gate.engine("axe-core", axe.axe_version())
    evidence = Evidence.for_gate(gate)
    found = [*axe.expired_entries(axe_baseline, dt.date.today())]
    for path in inventory_pages:
        found += axe.scan_themes(page, path, baseline=axe_baseline, evidence=evidence, toggle=THEME_TOGGLE)
    gate.check(found)
    missing = navigation.missing_pages(found)
    why = f"{len(missing)} of {len(inventory_pages)} pages not scanned: {', '.join(missing)}" if missing else ""
    review = sum(axe.counts(found, Severity.REVIEW).values())
    labels = {"pages": str(len(inventory_pages)), "needs_review": str(review)}
    gate.metric("wcag_aaa_violations", sum(axe.counts(found).values()), labels=labels, not_measured=why,
                samples=len(inventory_pages) - len(missing))  # a sample is one page, scanned in each theme it has


@pytest.mark.p0
@pytest.mark.owner("visual-systems")
def test_dark_mode_contrast(page: Page, gate: Gate, inventory_pages: list[str]) -> None:
    """Dark mode meets AAA contrast (7:1 text, 4.5:1 large text) on every page."""
    evidence = Evidence.for_gate(gate)
    page.emulate_media(color_scheme="dark")
    for path in inventory_pages:
        if gate.check(navigation.visit(page, path)):
            continue
        found = axe.findings(page, theme="dark", evidence=evidence, tags=("wcag2aa", "wcag2aaa"))
        gate.check(f for f in found if f.rule in CONTRAST_RULES)
