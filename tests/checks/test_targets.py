"""WCAG 2.5.5 target sizes against pages whose every target carries its expected answer."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from pytest_castmatch.checks import targets
from tests.checks import corpus


@pytest.mark.parametrize("path", corpus.pages("targets"))
def test_targets_match_the_known_answers(page: Page, corpus_url: str, path: str) -> None:
    page.set_viewport_size({"width": 800, "height": 600})
    page.goto(corpus_url + path)
    tally = corpus.judge_targets(page)
    assert not tally.wrong, "\n".join(tally.wrong)
    assert tally.tp + tally.tn > 0


def test_findings_carry_criterion_and_page(page: Page, corpus_url: str) -> None:
    page.goto(corpus_url + "/targets/sizes.html")
    found = [f for f in targets.enhanced(page, viewport="800x600") if f.severity == "error"]
    assert {f.selector for f in found} >= {"#small", "#short"}
    assert all(f.criterion == "WCAG 2.5.5" and f.page == "/targets/sizes.html" for f in found)
    assert "30 x 30" in next(f.message for f in found if f.selector == "#small")


def test_measuring_leaves_the_page_where_it_was(page: Page, corpus_url: str) -> None:
    page.goto(corpus_url + "/targets/clipped.html")
    page.evaluate("window.scrollTo(0, 300)")
    targets.measure(page)
    assert page.evaluate("window.scrollY") == 300


def test_exceptions_are_passes_with_their_reason_not_findings(page: Page, corpus_url: str) -> None:
    page.set_viewport_size({"width": 800, "height": 600})
    page.goto(corpus_url + "/targets/inline.html")
    measured = targets.measure(page)
    found = targets.enhanced(page, measured=measured)
    assert {m.selector: m.exception for m in targets.exceptions(measured)} == {"#in-sentence": "inline"}
    assert "#in-sentence" not in {f.selector for f in found}
    assert all(f.severity == "error" for f in found)


def test_a_cover_is_named_in_the_finding(page: Page, corpus_url: str) -> None:
    page.set_viewport_size({"width": 800, "height": 600})
    page.goto(corpus_url + "/targets/overlap.html")
    found = {f.selector: f.message for f in targets.enhanced(page)}
    assert "covers part of it" in found["#half-covered"]
