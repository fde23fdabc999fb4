"""WCAG 3.2.2 On Input: controls whose change loads a page, submits a form or moves focus."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from pytest_castmatch.checks import context
from pytest_castmatch.model import Severity


@pytest.mark.parametrize(("path", "selector", "change"), [
    ("/context/select-navigates.html", "#area", "loads GET"),
    ("/context/radio-submits.html", "body > main > form > fieldset > label:nth-of-type(2) > input", "loads GET"),
    ("/context/focus-moves.html", "#m", "moves focus away"),
])
def test_a_change_of_context_on_input_is_an_error(page: Page, path: str, selector: str, change: str) -> None:
    page.goto(path)
    found = context.on_input(page)
    assert [(f.rule, f.severity, f.criterion, f.selector) for f in found] == [
        ("change-on-input", "error", "WCAG 3.2.2", selector)]
    assert change in found[0].message


def test_the_page_stays_and_the_control_is_put_back(page: Page) -> None:
    page.goto("/context/select-navigates.html")
    context.on_input(page)
    assert page.url.endswith("/context/select-navigates.html")
    assert page.eval_on_selector("#area", "(s) => s.value") == ""


def test_a_control_that_says_what_it_does_is_for_review(page: Page) -> None:
    page.goto("/context/warned.html")
    found = context.on_input(page)
    assert [(f.rule, f.severity) for f in found] == [("change-on-input", Severity.REVIEW)]


def test_changes_that_keep_the_context_pass(page: Page) -> None:
    page.goto("/context/good.html")
    assert context.on_input(page) == []


def test_a_navigation_a_service_worker_answers_is_seen_and_the_page_loaded_again(page: Page) -> None:
    # Requests a service worker handles pass no route: the replaced document shows the navigation.
    page.goto("/context/worker-navigates.html")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    found = context.on_input(page)
    assert [(f.rule, f.severity) for f in found] == [("change-on-input", "error")]
    assert "worker-navigates.html?area=bandra" in found[0].message
    assert page.url.endswith("/context/worker-navigates.html")
