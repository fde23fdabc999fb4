"""Landmarks, headings, accessible names, and the language of every page in every language it ships."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from pytest_castmatch import Deployment, Gate
from pytest_castmatch.checks import navigation, structure
from pytest_castmatch.checks.evidence import Evidence


@pytest.mark.p0
@pytest.mark.owner("design-review-qa")
@pytest.mark.needs("pages")
def test_landmarks_and_headings(page: Page, gate: Gate, inventory_pages: list[str]) -> None:
    """One main, at most one banner and contentinfo, all content in landmarks, the h1 of the main content,
    ordered headings with names; text styled as a heading without being one is for review (1.3.1)."""
    evidence = Evidence.for_gate(gate)
    for path in inventory_pages:
        if gate.check(navigation.visit(page, path)):
            continue
        gate.check(structure.landmarks_and_headings(page, evidence=evidence))
        gate.check(structure.heading_like_text(page, evidence=evidence))


@pytest.mark.p0
@pytest.mark.owner("design-review-qa")
@pytest.mark.needs("pages")
def test_accessible_names(page: Page, gate: Gate, inventory_pages: list[str]) -> None:
    """Every link, button and form control has an accessible name (WCAG 4.1.2)."""
    evidence = Evidence.for_gate(gate)
    for path in inventory_pages:
        if gate.check(navigation.visit(page, path)):
            continue
        gate.check(structure.accessible_names(page, evidence=evidence))


@pytest.mark.p0
@pytest.mark.owner("design-review-qa")
@pytest.mark.needs("pages", "languages")
def test_language_of_page_and_parts(page: Page, gate: Gate, inventory_pages: list[str],
                                    castmatch_deployment: Deployment) -> None:
    """Each page, in each language the deployment ships, declares its language and direction, and text
    in another script is marked with its own lang (WCAG 3.1.1, 3.1.2)."""
    languages = castmatch_deployment.languages
    for path in inventory_pages:
        for lang in languages.all:
            if gate.check(navigation.visit(page, languages.url(path, lang))):
                continue
            gate.check(structure.language(page, lang, rtl=lang in languages.rtl))
