"""Page status first: every page-visiting check measures nothing on a page that is not there."""

from __future__ import annotations

from playwright.sync_api import Browser, Page

from pytest_castmatch.checks import assets, axe, journeys, layout, motion, navigation, theme, vitals
from pytest_castmatch.model import Finding

PAGE = "/structure/good.html"
MISSING = "/structure/no-such-page.html"


def _only_status(found: list[Finding], status: str = "404", path: str = MISSING) -> None:
    assert [(f.rule, f.severity, f.page) for f in found] == [(navigation.RULE, "error", path)]
    assert f"page answered {status}" in found[0].message


def test_a_page_that_answers_2xx_is_visited(page: Page, corpus_url: str) -> None:
    assert navigation.visit(page, corpus_url + PAGE) == []


def test_a_missing_page_is_one_blocking_finding(page: Page, corpus_url: str) -> None:
    found = navigation.visit(page, corpus_url + MISSING)
    _only_status(found)
    assert found[0].message == "page answered 404 (expected 2xx): nothing was measured on it"
    assert navigation.missing_pages([*found, Finding("other", "x", page="/")]) == [MISSING]


def test_a_declared_status_is_the_only_one_accepted(page: Page, corpus_url: str) -> None:
    # The not-found page itself is declared 404; a page that should be missing but answers 200 is wrong.
    assert navigation.visit(page, corpus_url + MISSING, expect=(404,)) == []
    found = navigation.visit(page, corpus_url + PAGE, expect=(404,))
    _only_status(found, "200", PAGE)
    assert "(expected 404)" in found[0].message


def test_every_check_that_navigates_measures_nothing_on_a_missing_page(page: Page, browser: Browser,
                                                                       corpus_url: str) -> None:
    url = corpus_url + MISSING
    _only_status(axe.scan_themes(page, url))
    _only_status(layout.breakpoints(page, url, sizes=((360, 740),)))
    context = browser.new_context()
    try:
        _only_status(motion.open_for_motion(context.new_page(), url, reduce=True))
        _only_status(theme.saved_theme_flash(context, context.new_page(), url, "dark"))
        measured = vitals.measure(context.new_page(), url, settle_ms=0)
        assert (measured.metrics(), measured.loads) == ({}, 0)
        _only_status(measured.findings("missing"))
        load = assets.record(context.new_page(), url, settle_ms=0)
        assert assets.budgets(load) == {}
        for rule in (assets.render_blocking, assets.images, assets.lazy_loading, assets.fonts,
                     assets.cache_headers):
            _only_status(rule(load, "missing"))
        _only_status(assets.code_split(load, "missing", {}))
    finally:
        context.close()


def test_a_journey_stops_at_a_missing_page_with_one_finding(page: Page, corpus_url: str) -> None:
    recorded: list[Finding] = []
    j = journeys.Journey(page, recorded.extend, name="casting director")
    j.step = "open the search"
    assert j.opens(corpus_url + PAGE)
    assert not j.opens(corpus_url + MISSING)
    assert j.broken == 1
    _only_status(recorded)
    assert recorded[0].message.startswith("casting director, step 'open the search': page answered 404")
