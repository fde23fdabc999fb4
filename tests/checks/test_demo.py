"""The fixed pages of a demonstration site in the style of W3C's before/after demo (Citylights): every
check of ours stays silent. They hold what tripped the checks before: floated columns with a footer
paragraph, skip links parked at left: -1000em, a site wrapper with its own h1, a widget that drops
focus to the page mid-walk."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from pytest_castmatch.checks import axe, context, focus, keyboard, layout, links, structure, targets
from pytest_castmatch.model import Finding, Severity
from tests.checks import corpus

PAGES = corpus.pages("demo")


def every_check(page: Page, url: str) -> list[Finding]:
    found: list[Finding] = []
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(url)
    found += keyboard.skip_link(page) + keyboard.reachability(page) + keyboard.operable(page)
    found += focus.focus_appearance(page)
    page.goto(url)
    found += structure.landmarks_and_headings(page) + structure.accessible_names(page)
    found += structure.heading_like_text(page) + structure.language(page, "en")
    found += links.purpose(page) + context.on_input(page)
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(url)
        found += targets.enhanced(page, viewport=str(width))
    page.goto(url)
    found += layout.reflow(page) + layout.breakpoints(page, url, sizes=((360, 740), (768, 1024), (1280, 800)))
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(url)
    found += layout.text_resize(page)
    return found + axe.scan_themes(page, url)


@pytest.mark.parametrize("path", PAGES)
def test_no_false_alarm_on_a_fixed_page(page: Page, corpus_url: str, path: str) -> None:
    found = every_check(page, corpus_url + path)
    # Anything that fails a gate or waits for review would be a false alarm on a page that meets every
    # criterion we check.
    alarms = [f"{f.rule} {f.severity} {f.selector}: {f.message}" for f in found
              if f.severity.fails or f.severity is Severity.REVIEW]
    assert not alarms, "\n".join(alarms)


def test_focus_that_falls_to_the_page_is_reported_and_the_walk_goes_on(page: Page, corpus_url: str) -> None:
    page.goto(corpus_url + "/demo/after-home.html")
    found = keyboard.reachability(page)
    assert [(f.rule, f.severity) for f in found] == [("focus-lost", "warning")]
