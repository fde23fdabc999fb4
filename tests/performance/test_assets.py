"""The asset rules on fixture pages with known answers (a clean page and one that breaks every rule)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from pytest_castmatch.checks import assets
from pytest_castmatch.model import Finding


@pytest.fixture(scope="module")
def loads(browser: Browser, fixture_url: str) -> dict[str, assets.PageLoad]:
    out = {}
    for name in ("good", "bad"):
        context = browser.new_context(viewport={"width": 800, "height": 600})
        try:
            out[name] = assets.record(context.new_page(), f"{fixture_url}/{name}.html")
        finally:
            context.close()
    return out


def rules(findings: list[Finding], severity: str = "error") -> set[str]:
    return {f.rule for f in findings if f.severity == severity}


def test_clean_page_breaks_no_rule(loads: dict[str, assets.PageLoad]) -> None:
    good = loads["good"]
    assert assets.render_blocking(good, "good") == []
    assert assets.images(good, "good") == []
    assert rules(assets.lazy_loading(good, "good")) == set()
    assert assets.fonts(good, "good") == []
    assert assets.cache_headers(good, "good") == []


def test_budgets_count_compressed_bytes_and_requests(loads: dict[str, assets.PageLoad]) -> None:
    good, bad = assets.budgets(loads["good"]), assets.budgets(loads["bad"])
    # good: the page, one stylesheet, one script, one image in view (the lazy one is not fetched).
    assert good["page_requests"] == 4
    assert 0 < good["page_js_kb"] < 0.1
    assert 0 < good["page_css_kb"] < 0.5
    assert bad["page_image_kb"] > 900  # the noisy PNG is about a megabyte


def test_sync_script_and_second_stylesheet_block_rendering(loads: dict[str, assets.PageLoad]) -> None:
    found = assets.render_blocking(loads["bad"], "bad")
    assert rules(found) == {"render-blocking-script", "render-blocking-css"}
    assert any("app.js" in f.message for f in found if f.rule == "render-blocking-script")


def test_png_without_dimensions_over_budget(loads: dict[str, assets.PageLoad]) -> None:
    found = assets.images(loads["bad"], "bad")
    assert rules(found) == {"image-dimensions", "image-format", "image-bytes"}
    assert all("big.png" in f.message for f in found)


def test_below_fold_image_without_lazy(loads: dict[str, assets.PageLoad]) -> None:
    found = assets.lazy_loading(loads["bad"], "bad")
    assert [f.rule for f in found] == ["image-not-lazy"]
    assert "photo.webp?eager" in found[0].message


def test_font_face_without_display(loads: dict[str, assets.PageLoad]) -> None:
    found = assets.fonts(loads["bad"], "bad")
    assert [f.rule for f in found] == ["font-display"]
    assert "Blocking Sans" in found[0].message


def test_no_store_static_asset(loads: dict[str, assets.PageLoad]) -> None:
    found = assets.cache_headers(loads["bad"], "bad")
    assert [f.context for f in found] == ["Cache-Control: no-store"]
    assert "/nocache/big.png" in found[0].message


def test_code_split_flags_a_script_whose_element_is_absent(loads: dict[str, assets.PageLoad]) -> None:
    good = loads["good"]
    assert assets.code_split(good, "good", {"app.js": True}) == []
    found = assets.code_split(good, "good", {"app.js": False, "other.js": False})
    assert [f.rule for f in found] == ["code-split"]


def test_fetched_web_font_must_be_preloaded() -> None:
    font = assets.Resource("http://x/f.woff2", "font", 200, {}, 10_000)
    load = assets.PageLoad("http://x/", (font,), {"preloads": []})
    assert [f.rule for f in assets.fonts(load, "p")] == ["font-preload"]
    preloaded = assets.PageLoad("http://x/", (font,), {"preloads": ["http://x/f.woff2"]})
    assert assets.fonts(preloaded, "p") == []


@pytest.mark.parametrize(("header", "ok"), [
    ("public, max-age=31536000, immutable", True), ("max-age=86400", True), ("max-age=600", False),
    ("max-age=600, immutable", True), ("no-cache", False), ("", False), ("public, s-maxage=5", False),
])
def test_cache_control_rule(header: str, ok: bool) -> None:
    res = assets.Resource("http://x/app.js", "script", 200, {"cache-control": header} if header else {}, 100)
    load = assets.PageLoad("http://x/", (res,), {})
    assert (assets.cache_headers(load, "p") == []) is ok
