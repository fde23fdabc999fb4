"""Headings and names from the browser's accessibility tree; text styled as a heading for review."""

from __future__ import annotations

from playwright.sync_api import Page

from pytest_castmatch.checks import axtree, structure
from pytest_castmatch.model import Severity


def test_text_that_looks_like_a_heading_is_a_needs_review_item(page: Page) -> None:
    page.goto("/structure/looks-like-heading.html")
    found = structure.heading_like_text(page)
    assert [(f.rule, f.severity, f.criterion, f.selector) for f in found] == [
        ("heading-like-text", Severity.REVIEW, "WCAG 1.3.1", "#fake")]


def test_real_headings_are_not_heading_like(page: Page) -> None:
    page.goto("/structure/good.html")
    assert structure.heading_like_text(page) == []


def test_names_come_from_the_accessibility_tree(page: Page) -> None:
    page.set_content('<span id="n" hidden>Search talent</span><a href="/x" aria-labelledby="n">Go</a>'
                     '<h2><img src="data:," alt="Profile" role="presentation"></h2>'
                     '<a href="/y" aria-hidden="true">Hidden</a>')
    nodes = {(n.role, n.name) for n in axtree.nodes(page, {"link", "heading"})}
    assert nodes == {("link", "Search talent"), ("heading", "")}
