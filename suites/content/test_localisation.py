"""Localisation gates: complete catalogues with consistent placeholders, no default-language text
showing through on translated pages, every script drawn with a real font, and right-to-left
languages laid out right to left.

A served catalogue (the profile's ``[deployment.languages] catalogue``) is JSON with the language's
``messages`` (key -> text) and, optionally, the keys the deployment itself reports ``missing``.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from pytest_castmatch import Deployment, Finding, Gate
from pytest_castmatch.checks import l10n, navigation


@pytest.mark.p2
@pytest.mark.owner("typography-content")
@pytest.mark.needs("pages", "languages.others", "languages.catalogue")
def test_translations_complete_and_rendered(page: Page, gate: Gate, inventory_pages: list[str],
                                            castmatch_deployment: Deployment,
                                            served_catalogues: dict[str, dict[str, Any]]) -> None:
    """Every key translated with the same placeholders; translated pages show no default-language
    fallback and draw their script with real glyphs."""
    languages = castmatch_deployment.languages
    messages = {lang: data["messages"] for lang, data in served_catalogues.items()}
    gate.check(l10n.catalogue_findings(messages, reference=languages.default))
    for lang, data in served_catalogues.items():
        for key in data.get("missing", []):
            gate.check([Finding(rule="missing-translation", selector=f"{lang}:{key}",
                                message=f"the deployment reports {key!r} missing from its {lang} catalogue")])
    for lang in languages.others:
        for path in inventory_pages:
            if gate.check(navigation.visit(page, languages.url(path, lang))):
                continue
            text = page.locator("body").inner_text() + "\n" + page.title()
            gate.check(l10n.untranslated_on_page(text, lang, messages, languages.default, page=page.url))
        if gate.check(navigation.visit(page, languages.url(inventory_pages[0], lang))):
            continue
        sample = page.locator("h1").first.inner_text()
        gate.check(l10n.glyph_coverage(page, sample, selector="h1"))
        gate.check(l10n.glyph_coverage(page, sample, selector="main p"))


@pytest.mark.p2
@pytest.mark.owner("typography-content")
@pytest.mark.needs("pages", "languages.rtl")
@pytest.mark.parametrize("width", [1280, 360])
def test_right_to_left_languages(page: Page, gate: Gate, width: int, inventory_pages: list[str],
                                 castmatch_deployment: Deployment) -> None:
    """Right-to-left pages declare and render dir=rtl, never scroll sideways and clip no text (desktop and phone)."""
    languages = castmatch_deployment.languages
    page.set_viewport_size({"width": width, "height": 800})
    for lang in languages.rtl:
        for path in inventory_pages:
            if gate.check(navigation.visit(page, languages.url(path, lang))):
                continue
            gate.check(l10n.rtl_layout(page))
