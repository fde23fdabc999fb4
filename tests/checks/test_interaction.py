"""Rapid submission, status messages and theme flash against pages with known answers."""

from __future__ import annotations

from playwright.sync_api import Browser, Page

from pytest_castmatch.checks import interaction, theme


def test_one_shot_form_sends_one_request(page: Page) -> None:
    page.goto("/interaction/once.html")
    assert interaction.submissions(page, "form") == []


def test_unguarded_form_is_caught_sending_several(page: Page) -> None:
    page.goto("/interaction/twice.html")
    found = interaction.submissions(page, "form")
    assert [f.rule for f in found] == ["double-submit"]
    assert "requests" in found[0].message


def test_announced_status_message_passes(page: Page) -> None:
    page.goto("/interaction/announce.html")
    assert interaction.announced(page, "#go") == []


def test_silent_action_is_caught(page: Page) -> None:
    page.goto("/interaction/announce.html")
    found = interaction.announced(page, "#quiet")
    assert [(f.rule, f.criterion) for f in found] == [("status-message", "WCAG 4.1.3")]


def test_theme_applied_after_load_flashes(browser: Browser, corpus_url: str) -> None:
    context = browser.new_context()
    try:
        found = theme.saved_theme_flash(context, context.new_page(), corpus_url + "/interaction/theme-late.html",
                                        "dark")
    finally:
        context.close()
    assert [f.rule for f in found] == ["theme-flash"]


def test_theme_applied_before_first_paint_does_not_flash(browser: Browser, corpus_url: str) -> None:
    context = browser.new_context()
    try:
        found = theme.saved_theme_flash(context, context.new_page(), corpus_url + "/interaction/theme-early.html",
                                        "dark")
    finally:
        context.close()
    assert found == []
