"""The localisation checks: catalogues, English showing through, RTL layout and tofu."""

from __future__ import annotations

from playwright.sync_api import Page

from pytest_castmatch.checks import l10n

CATALOGUES = {
    "en": {"home.title": "Find the right face for every role", "talent.years": "{n} years' experience",
           "lang.en": "English", "site.name": "CastMatch"},
    "hi": {"home.title": "हर भूमिका के लिए सही चेहरा खोजें", "talent.years": "{n} साल का अनुभव", "lang.en": "English",
           "site.name": "CastMatch"},
}


def test_complete_catalogues_pass() -> None:
    assert l10n.catalogue_findings(CATALOGUES) == []


def test_missing_empty_and_placeholder_mismatch() -> None:
    hi = {"talent.years": "{years} साल", "lang.en": "", "site.name": "CastMatch", "extra.key": "x"}
    found = l10n.catalogue_findings({"en": CATALOGUES["en"], "hi": hi})
    assert sorted((f.rule, f.selector, f.severity) for f in found) == [
        ("empty-translation", "hi:lang.en", "error"),
        ("missing-translation", "hi:home.title", "error"),
        ("orphan-translation", "hi:extra.key", "warning"),
        ("placeholder-mismatch", "hi:talent.years", "error"),
    ]


def test_english_fallback_on_a_hindi_page() -> None:
    page_text = "CastMatch English\nFind the right face for every role\n5 साल का अनुभव"
    found = l10n.untranslated_on_page(page_text, "hi", CATALOGUES)
    assert [f.selector for f in found] == ["home.title"]
    assert l10n.untranslated_on_page("CastMatch English हर भूमिका के लिए सही चेहरा खोजें", "hi", CATALOGUES) == []


def test_rtl_page_passes(cpage: Page) -> None:
    cpage.set_viewport_size({"width": 400, "height": 600})
    cpage.set_content('<html lang="ur" dir="rtl"><body><p>اردو میں خوش آمدید</p></body></html>')
    assert l10n.rtl_layout(cpage) == []


def test_ltr_urdu_page_fails(cpage: Page) -> None:
    cpage.set_content('<html lang="ur" dir="ltr"><body><p>اردو</p></body></html>')
    assert [f.rule for f in l10n.rtl_layout(cpage)] == ["wrong-direction"]


def test_overflow_and_clipping(cpage: Page) -> None:
    cpage.set_viewport_size({"width": 400, "height": 600})
    cpage.set_content('<html lang="ur" dir="rtl"><body style="margin:0">'
                      '<p style="width:700px">چوڑا متن</p>'
                      '<p style="width:40px;overflow:hidden;white-space:nowrap">بہت لمبا متن جو کٹ جاتا ہے</p>'
                      '</body></html>')
    rules = {f.rule for f in l10n.rtl_layout(cpage)}
    assert {"horizontal-overflow", "clipped-text"} <= rules


def test_devanagari_renders_with_real_glyphs(cpage: Page) -> None:
    cpage.set_content('<p id="hi" lang="hi">हिन्दी में कास्टिंग</p>')
    assert [f for f in l10n.glyph_coverage(cpage, "हिन्दी में कास्टिंग", selector="#hi") if f.severity == "error"] == []


def test_unassigned_code_points_are_tofu(cpage: Page) -> None:
    cpage.set_content('<p id="x">x</p>')
    found = l10n.glyph_coverage(cpage, "\u0378\u0379\u0380\u0381\u0382", selector="#x")
    assert "tofu" in [f.rule for f in found]
