"""Localisation gates: complete catalogues with consistent placeholders, no English showing through
on Hindi pages, Devanagari drawn with a real font, and Urdu laid out right to left.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from pytest_castmatch.checks import l10n, navigation
from pytest_castmatch.model import Finding

TRANSLATED_PAGES = ("/", "/talent", "/talent/1", "/join", "/signin")
DEVANAGARI_SAMPLE = "हिन्दी में कास्टिंग"


@pytest.mark.p2
@pytest.mark.owner("typography-content")
def test_hindi_complete_and_rendered(page: Page, gate: Any, served_catalogues: dict[str, dict[str, Any]]) -> None:
    """Every key translated in hi and ur with the same placeholders; Hindi pages show no English
    fallback and draw Devanagari with real glyphs."""
    messages = {lang: data["messages"] for lang, data in served_catalogues.items()}
    gate.check(l10n.catalogue_findings(messages))
    for lang, data in served_catalogues.items():
        for key in data.get("missing", []):
            gate.check([Finding(rule="missing-translation", selector=f"{lang}:{key}",
                                     message=f"the app reports {key!r} missing from its {lang} catalogue")])
    for path in TRANSLATED_PAGES:
        if gate.check(navigation.visit(page, f"{path}?lang=hi")):
            continue
        text = page.locator("body").inner_text() + "\n" + page.title()
        gate.check(l10n.untranslated_on_page(text, "hi", messages, page=page.url))
    if gate.check(navigation.visit(page, "/?lang=hi")):
        return
    gate.check(l10n.glyph_coverage(page, page.locator("h1").first.inner_text() or DEVANAGARI_SAMPLE,
                                   selector="h1"))
    gate.check(l10n.glyph_coverage(page, DEVANAGARI_SAMPLE, selector="main p"))


@pytest.mark.p2
@pytest.mark.owner("typography-content")
@pytest.mark.parametrize("width", [1280, 360])
def test_urdu_right_to_left(page: Page, gate: Any, width: int) -> None:
    """Urdu pages declare and render dir=rtl, never scroll sideways and clip no text (desktop and phone)."""
    page.set_viewport_size({"width": width, "height": 800})
    for path in TRANSLATED_PAGES:
        if gate.check(navigation.visit(page, f"{path}?lang=ur")):
            continue
        gate.check(l10n.rtl_layout(page))
