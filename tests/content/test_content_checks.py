"""The content checks against tiny pages with known answers."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from pytest_castmatch.checks import content
from pytest_castmatch.model import Finding

CLEAN = """<!doctype html><html lang="en"><title>Find talent</title><body><main>
<h1>Find the right face</h1><p>Search 10,000 actors and book auditions.</p>
<a href="/talent">Browse all talent</a>
<button aria-label="Next talent"><svg aria-hidden="true"></svg></button>
<form><label for="q">Name or skill</label><input id="q" name="q">
<label>Area <select name="area"><option>Any</option></select></label>
<input type="search" aria-label="Quick search" name="s"><input type="hidden" name="csrf" value="x">
<button type="submit">Search talent</button></form></main></body></html>"""


def rules(findings: list[Finding]) -> list[str]:
    return sorted(f.rule for f in findings)


def test_clean_page_has_no_findings(cpage: Page) -> None:
    cpage.set_content(CLEAN)
    seen = content.collect(cpage)
    assert content.placeholder_text(seen, ["home.title", "nav.search"]) == []
    assert content.descriptive_names(seen) == []
    assert content.labelled_fields(seen) == []


@pytest.mark.parametrize(("body", "rule"), [
    ("<p>Lorem ipsum dolor sit amet.</p>", "lorem-ipsum"),
    ("<p>TODO: final copy</p>", "todo-marker"),
    ("<p>Age undefined</p>", "debug-value"),
    ("<p>NaN years</p>", "debug-value"),
    ("<p>Hello {{ name }}</p>", "template-leak"),
    ("<p>home.title</p>", "raw-message-key"),
    ('<img alt="TODO alt text" src="data:,">', "todo-marker"),
])
def test_placeholder_text_is_found(cpage: Page, body: str, rule: str) -> None:
    cpage.set_content(f"<!doctype html><title>t</title><body>{body}</body>")
    assert rules(content.placeholder_text(content.collect(cpage), ["home.title"])) == [rule]


def test_ordinary_words_are_not_placeholders(cpage: Page) -> None:
    cpage.set_content("<p>Nullah Road, Annandale; nonesuch; sub-null; Todos Santos</p>")
    assert content.placeholder_text(content.collect(cpage)) == []


@pytest.mark.parametrize(("html", "rule"), [
    ('<a href="/talent">Click here</a>', "control-generic-name"),
    ('<a href="/x">Read more</a>', "control-generic-name"),
    ('<a href="/x">here.</a>', "control-generic-name"),
    ("<button></button>", "control-no-name"),
    ('<a href="/x"><img src="data:," alt=""></a>', "control-no-name"),
])
def test_undescriptive_controls(cpage: Page, html: str, rule: str) -> None:
    cpage.set_content(f"<!doctype html><body>{html}</body>")
    assert rules(content.descriptive_names(content.collect(cpage))) == [rule]


@pytest.mark.parametrize(("name", "generic"), [
    ("Read more", True), ("  CLICK   here! ", True), ("PDF", True), ("this page", True), ("Find out more", True),
    ("Read more about Asha Rao", False), ("Download the casting brief (PDF)", False), ("Thistle", False),
    ("Viewpoint", False),
])
def test_a_generic_name_says_nothing_on_its_own(name: str, generic: bool) -> None:
    assert content.generic_name(name) is generic


def test_unlabelled_field(cpage: Page) -> None:
    cpage.set_content('<form><input name="age"><label for="n">Name</label><input id="n"></form>')
    found = content.labelled_fields(content.collect(cpage))
    assert [f.selector for f in found] == ["input[name=age]"]


@pytest.mark.parametrize("message", [
    "Enter your age as a number from 18 to 70.",
    "This form expired. Reload the page and submit it again.",
    "Too many requests. Wait 3 seconds, then try again.",
])
def test_actionable_messages(message: str) -> None:
    assert content.actionable(message) is None


@pytest.mark.parametrize("message", ["Invalid input.", "Error.", "", "Something went wrong", "Bad value here now"])
def test_vague_messages(message: str) -> None:
    assert content.actionable(message) is not None


def test_error_messages_need_at_least_one() -> None:
    assert rules(content.error_messages([], min_messages=1)) == ["error-not-shown"]
    assert rules(content.error_messages([("#age", "Invalid input.")])) == ["error-not-actionable"]


def test_errors_shown_on_a_form_are_collected(cpage: Page) -> None:
    cpage.set_content('<input id="age" aria-invalid="true" aria-describedby="age-e"><p id="age-e">Invalid.</p>')
    seen = content.collect(cpage)
    assert [e["text"] for e in seen.errors] == ["Invalid."]


def test_glossary() -> None:
    terms = content.load_glossary({"terms": {"s": {"preferred": "shortlist", "avoid": ["short list", "favourites"]},
                                             "i": {"preferred": "sign in", "avoid": ["login"]}}})
    assert content.glossary_terms("Add to your shortlist, then sign in.", terms) == []
    found = content.glossary_terms("Add to Favourites. Login first; the login-page", terms)
    assert sorted(f.context is not None and f.message.split("'")[1] for f in found) == ["Favourites", "Login"]
