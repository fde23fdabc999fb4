"""The journey checks against tiny pages with known answers (one Chromium for the module)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from pytest_castmatch.checks import journeys, tracing

GOOD_FORM = """<!doctype html><title>Book</title><main><form>
<div class="field"><label for="date">Date</label><p id="date-hint">YYYY-MM-DD</p>
<input id="date" aria-describedby="date-hint"></div>
<div class="field"><label for="time">Time</label><input id="time"></div>
<button>Book</button></form></main>"""

#: After an invalid submit: the date error beside its field and in an alert summary.
GOOD_ERRORS = """<!doctype html><title>Book</title><main>
<div role="alert"><h2>There is a problem</h2><a href="#date">Enter the date</a></div><form>
<div class="field"><label for="date">Date</label><p id="date-hint">YYYY-MM-DD</p>
<input id="date" aria-invalid="true" aria-describedby="date-hint date-error">
<p id="date-error">Enter the date</p></div>
<div class="field"><label for="time">Time</label><input id="time"></div>
<button>Book</button></form></main>"""

#: Every way to get it wrong: not invalid, the message far from its field, and never announced.
BAD_ERRORS = """<!doctype html><title>Book</title><main><form>
<div class="field"><label for="date">Date</label><p id="date-hint">YYYY-MM-DD</p>
<input id="date" aria-describedby="date-hint date-error"></div>
<div class="field"><label for="time">Time</label><input id="time"></div>
<p id="date-error">Enter the date</p>
<button>Book</button></form></main>"""

NO_MESSAGE = """<!doctype html><main><form><div><input id="date" aria-invalid="true"></div>
<div><input id="time"></div></form></main>"""

FRIENDLY = """<!doctype html><title>Not found</title><header><nav><a href="/">Home</a><a href="/talent">Find</a>
</nav></header><main><h1>We can't find that page</h1><p><a href="/">Go home</a></p></main>"""
TRACE = FRIENDLY.replace("<p><a", '<pre>Traceback (most recent call last):\n  File "app.py", line 3, in x</pre><p><a')


@pytest.fixture
def chromium(browser: Browser) -> Browser:
    """pytest-playwright's browser (one Playwright per process: a second one would clash)."""
    return browser


def _fields(page: Page, html: str) -> dict[str, journeys.FieldSnapshot | None]:
    page.set_content(html)
    fields, _ = journeys.snapshot_fields(page, ["#date"])
    return fields


def _validation(page: Page, html: str) -> set[str]:
    before = _fields(page, GOOD_FORM)
    page.set_content(html)
    after, live = journeys.snapshot_fields(page, ["#date"])
    return {f.rule for f in journeys.validation_findings(before, after, live, page="/book")}


def test_a_message_beside_its_field_and_announced_passes(page: Page) -> None:
    assert _validation(page, GOOD_ERRORS) == set()


def test_a_message_far_away_unmarked_and_silent_is_caught(page: Page) -> None:
    assert _validation(page, BAD_ERRORS) == {
        "field-feedback/not-invalid", "field-feedback/not-beside", "field-feedback/not-announced"}


def test_a_field_without_any_message_is_caught(page: Page) -> None:
    assert _validation(page, NO_MESSAGE) == {"field-feedback/no-message"}


def test_a_hint_alone_is_not_an_error_message(page: Page) -> None:
    # The hint was there before the submit: it cannot stand in for the error.
    marked = GOOD_FORM.replace('id="date"', 'id="date" aria-invalid="true"')
    assert "field-feedback/no-message" in _validation(page, marked)


def test_cleared_only_when_the_message_and_the_mark_are_gone(page: Page) -> None:
    before = _fields(page, GOOD_FORM)
    assert journeys.cleared_findings(before, _fields(page, GOOD_FORM), page="/book") == []
    stale = journeys.cleared_findings(before, _fields(page, GOOD_ERRORS), page="/book")
    assert [f.rule for f in stale] == ["field-feedback/not-cleared"]


def test_friendly_error_page(page: Page) -> None:
    page.set_content(FRIENDLY)
    assert journeys.error_page_findings(page, 404, 404, "friendly-404") == []
    assert [f.message for f in journeys.error_page_findings(page, 200, 404, "friendly-404")] == [
        "answered status 200, expected 404"]


def test_stack_trace_and_bare_pages_are_caught(page: Page) -> None:
    page.set_content(TRACE)
    assert [f.message for f in journeys.error_page_findings(page, 500, 500, "friendly-500")] == [
        "shows a stack trace to the user"]
    page.set_content("Not Found")
    messages = " | ".join(f.message for f in journeys.error_page_findings(page, 404, 404, "friendly-404"))
    for missing in ("no heading", "no way back", "no site navigation"):
        assert missing in messages


def test_form_state_and_deep_link_state(page: Page) -> None:
    page.set_content('<form role="search"><select name="area"><option value="">Any</option>'
                     '<option value="bandra" selected>Bandra</option></select><input name="q" value="">'
                     '<input type="hidden" name="csrf" value="x"></form>')
    state = journeys.form_state(page, "form[role=search]")
    assert state == {"area": "bandra"}
    assert journeys.state_differences({"area": "bandra"}, state) == []
    assert journeys.state_differences({"area": "juhu", "skill": "acting"}, state) == [
        "area: juhu -> bandra", "skill: acting -> (empty)"]
    assert journeys.form_state(page, "form#missing") is None
    assert journeys.query_state("http://x/talent?area=bandra&q=&lang=hi&page=2") == {"area": "bandra"}


def test_sitemap_must_list_each_navigation_page_exactly() -> None:
    listed = ["/", "/talent?area=bandra", "/join"]
    found = journeys.sitemap_lists_navigation(listed, ["/", "/talent", "/join", "/talent"])
    assert [f.selector for f in found] == ["/talent"]
    assert journeys.sitemap_lists_navigation([*listed, "/talent"], ["/talent"]) == []


def test_device_matrix_cells() -> None:
    descriptors = {"Pixel 7": {"viewport": {"width": 412, "height": 839}, "has_touch": True,
                               "default_browser_type": "chromium"}}
    assert journeys.context_options("pixel-7", descriptors) == {"viewport": {"width": 412, "height": 839},
                                                                "has_touch": True}
    assert journeys.context_options("desktop", descriptors) == {"viewport": journeys.DESKTOP_VIEWPORT}
    with pytest.raises(KeyError):
        journeys.context_options("fridge", descriptors)
    cells = journeys.matrix(("desktop", "pixel-7"), {"chromium": True, "firefox": True, "webkit": False})
    assert [c[2] for c in cells] == ["desktop", "pixel-7", "desktop-firefox"]


def test_installed_engines_looks_where_playwright_installs(tmp_path: Path) -> None:
    (tmp_path / "firefox-1466").mkdir()
    found = journeys.installed_engines({"PLAYWRIGHT_BROWSERS_PATH": str(tmp_path)})
    assert found == {"chromium": True, "firefox": True, "webkit": False}
    assert journeys.installed_engines({}, home=tmp_path) == {"chromium": True, "firefox": False, "webkit": False}


def test_capture_saves_screenshot_trace_and_url(chromium: Browser, tmp_path: Path) -> None:
    context = chromium.new_context()
    tracing.start(context, "capture")
    page = context.new_page()
    page.set_content("<h1>Broken step</h1>")
    found = tracing.capture(context, tmp_path / "evidence", "attempt-1")
    context.close()
    assert [p.name for p in found.files] == ["attempt-1.png", "attempt-1-trace.zip"]
    assert all(p.stat().st_size > 0 for p in found.files)
    assert (found.url, found.problems) == ("about:blank", [])
    note = tracing.finding(found, ("a.png",), "attempt-1")
    assert (note.severity, note.evidence) == ("note", ("a.png",))
    assert note.message.startswith("attempt 1 failed on about:blank")


def test_a_context_traced_already_keeps_its_trace_and_gets_a_screenshot(chromium: Browser, tmp_path: Path) -> None:
    context = chromium.new_context()
    assert tracing.start(context, "theirs")
    assert not tracing.start(context, "ours")  # pytest-playwright's --tracing on got there first
    context.new_page().set_content("<h1>Broken step</h1>")
    found = tracing.capture(context, tmp_path, "attempt-1", trace=False)
    context.tracing.stop()  # the other trace is still running, and still its owner's to stop
    context.close()
    assert [p.name for p in found.files] == ["attempt-1.png"]
    assert "kept attempt-1.png" in tracing.finding(found, ("a.png",), "attempt-1").message


def test_capture_without_a_page_still_saves_the_trace(chromium: Browser, tmp_path: Path) -> None:
    context = chromium.new_context()
    tracing.start(context, "capture")
    context.new_page().close()
    found = tracing.capture(context, tmp_path, "attempt-1")
    context.close()
    assert [p.name for p in found.files] == ["attempt-1-trace.zip"]
    assert found.problems == ["no open page to photograph"]
