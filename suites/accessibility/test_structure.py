"""Landmarks, headings, accessible names and languages (English, Hindi, Urdu)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from pytest_castmatch.checks import navigation, structure
from pytest_castmatch.checks.evidence import Evidence
from pytest_castmatch.recorder import Gate

#: The languages CastMatch ships, and whether each is written right to left.
LANGUAGES = {"en": False, "hi": False, "ur": True}


@pytest.mark.p0
@pytest.mark.owner("design-review-qa")
def test_landmarks_and_headings(page: Page, gate: Gate, inventory_pages: list[str]) -> None:
    """One main/banner/contentinfo, navigation, all content in landmarks, the h1 of the main content,
    ordered headings with names; text styled as a heading without being one is for review (1.3.1)."""
    evidence = Evidence.for_gate(gate)
    for path in inventory_pages:
        if gate.check(navigation.visit(page, path)):
            continue
        gate.check(structure.landmarks_and_headings(page, evidence=evidence))
        gate.check(structure.heading_like_text(page, evidence=evidence))


@pytest.mark.p0
@pytest.mark.owner("design-review-qa")
def test_accessible_names(page: Page, gate: Gate, inventory_pages: list[str]) -> None:
    """Every link, button and form control has an accessible name (WCAG 4.1.2)."""
    evidence = Evidence.for_gate(gate)
    for path in inventory_pages:
        if gate.check(navigation.visit(page, path)):
            continue
        gate.check(structure.accessible_names(page, evidence=evidence))


@pytest.mark.p0
@pytest.mark.owner("design-review-qa")
def test_language_of_page_and_parts(page: Page, gate: Gate, inventory_pages: list[str]) -> None:
    """Each page in English, Hindi and Urdu declares its language and direction, and text in
    another script is marked with its own lang (WCAG 3.1.1, 3.1.2)."""
    for path in inventory_pages:
        for lang, rtl in LANGUAGES.items():
            if gate.check(navigation.visit(page, f"{path}{'&' if '?' in path else '?'}lang={lang}")):
                continue
            gate.check(structure.language(page, lang, rtl=rtl))
