"""Layout checks on pages nobody tuned them to: what really widens a page, what visibly overlaps."""

from __future__ import annotations

from playwright.sync_api import Page

from pytest_castmatch.checks import layout


def test_reflow_names_what_widens_the_page_not_what_is_parked_off_screen(page: Page) -> None:
    page.goto("/layout/offscreen.html")
    found = layout.reflow(page)
    assert [f.selector for f in found] == ["#prices"]
    assert "reaches" in found[0].message


def test_boxes_that_meet_where_nothing_is_painted_twice_do_not_overlap(page: Page) -> None:
    # The footer's box starts beside the floats; its text flows below them.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/layout/floats.html")
    assert page.evaluate("() => { const f = document.querySelector('footer p').getBoundingClientRect(), "
                         "l = document.querySelector('#left').getBoundingClientRect(); return f.top < l.bottom; }")
    assert layout.collisions(page, viewport="1280x800") == []


def test_text_drawn_over_text_overlaps(page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/layout/overlap.html")
    assert [f.rule for f in layout.collisions(page, viewport="1280x800")] == ["layout-overlap"]
