"""axe-core WCAG 2.2 AAA audit of every page, in every theme the deployment has (the launch metric)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from pytest_castmatch import Deployment, Gate, Severity
from pytest_castmatch.checks import axe, navigation
from pytest_castmatch.checks.evidence import Evidence

CONTRAST_RULES = ("axe/color-contrast", "axe/color-contrast-enhanced")


@pytest.mark.p0
@pytest.mark.owner("design-review-qa")
@pytest.mark.needs("pages", "themes")
def test_wcag_aaa_light_and_dark(page: Page, gate: Gate, inventory_pages: list[str],
                                 axe_baseline: list[axe.BaselineEntry], castmatch_deployment: Deployment) -> None:
    """Every page passes axe's WCAG 2.2 A/AA/AAA and best-practice rules in each theme it has (a light-only
    site is scanned once); what axe cannot decide is a needs-review item for the owner."""
    gate.engine("axe-core", axe.axe_version())
    evidence = Evidence.for_gate(gate)
    themes = castmatch_deployment.themes.names
    found = [*axe.expired_entries(axe_baseline, dt.date.today())]
    for path in inventory_pages:
        found += axe.scan_themes(page, path, themes=themes, baseline=axe_baseline, evidence=evidence,
                                 toggle=castmatch_deployment.themes.toggle)
    gate.check(found)
    missing = navigation.missing_pages(found)
    why = f"{len(missing)} of {len(inventory_pages)} pages not scanned: {', '.join(missing)}" if missing else ""
    review = sum(axe.counts(found, Severity.REVIEW).values())
    labels = {"pages": str(len(inventory_pages)), "themes": ",".join(themes), "needs_review": str(review)}
    gate.metric("wcag_aaa_violations", sum(axe.counts(found).values()), labels=labels, not_measured=why,
                samples=len(inventory_pages) - len(missing))  # a sample is one page, scanned in each theme it has


@pytest.mark.p0
@pytest.mark.owner("visual-systems")
@pytest.mark.needs("pages", "themes.dark")
def test_dark_mode_contrast(page: Page, gate: Gate, inventory_pages: list[str],
                            show_theme: Callable[[Page, str], None]) -> None:
    """Dark mode meets AAA contrast (7:1 text, 4.5:1 large text) on every page."""
    evidence = Evidence.for_gate(gate)
    for path in inventory_pages:
        if gate.check(navigation.visit(page, path)):
            continue
        show_theme(page, "dark")
        found = axe.findings(page, theme="dark", evidence=evidence, tags=("wcag2aa", "wcag2aaa"),
                             rules=[rule.removeprefix("axe/") for rule in CONTRAST_RULES])
        gate.check(f for f in found if f.rule in CONTRAST_RULES)
