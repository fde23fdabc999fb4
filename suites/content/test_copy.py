"""Copy gates: what visitors read is final copy, names links and buttons by where they go, labels
every field, explains every error with a next step, and uses the product's own terms.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from playwright.sync_api import Page

from pytest_castmatch.checks import content, navigation
from pytest_castmatch.checks.content import Term


@pytest.mark.p0
@pytest.mark.owner("typography-content")
def test_no_placeholder_text_and_glossary_terms(page: Page, gate: Any, glossary: list[Term],
                                                content_pages: tuple[str, ...],
                                                served_catalogues: dict[str, dict[str, Any]],
                                                declared_status: dict[str, tuple[int, ...]]) -> None:
    """No lorem ipsum, TODO, undefined/null/NaN, template syntax or raw message keys; glossary terms only."""
    keys = served_catalogues["en"]["messages"].keys()
    for path in content_pages:
        url = path + ("&" if "?" in path else "?") + "lang=en"
        if gate.check(navigation.visit(page, url, expect=declared_status.get(path, ()))):
            continue
        seen = content.collect(page)
        gate.check(content.placeholder_text(seen, keys))
        gate.check(content.glossary_terms(seen.text, glossary, page=seen.url))


@pytest.mark.p0
@pytest.mark.owner("typography-content")
def test_descriptive_links_buttons_and_labels(page: Page, gate: Any, content_pages: tuple[str, ...],
                                              declared_status: dict[str, tuple[int, ...]]) -> None:
    """Every link and button says where it goes or what it does; every form field has a label."""
    for path in content_pages:
        url = path + ("&" if "?" in path else "?") + "lang=en"
        if gate.check(navigation.visit(page, url, expect=declared_status.get(path, ()))):
            continue
        seen = content.collect(page)
        gate.check(content.descriptive_names(seen))
        gate.check(content.labelled_fields(seen))


@pytest.mark.p0
@pytest.mark.owner("typography-content")
def test_error_messages_say_what_to_do(page: Page, gate: Any, castmatch_base_url: str) -> None:
    """Invalid forms and API calls answer with messages that say what happened and what to do."""
    # Onboarding step 1 submitted empty: every required field reports a problem.
    if not gate.check(navigation.visit(page, "/join?lang=en")):
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()
        seen = content.collect(page)
        gate.check(content.error_messages(((e["selector"], e["text"]) for e in seen.errors), page=seen.url,
                                          min_messages=2))
    # Sign-in with a wrong password.
    if not gate.check(navigation.visit(page, "/signin?lang=en")):
        page.locator("main input[type=email], main input[name=username]").first.fill("nobody@castmatch.test")
        page.locator("main input[type=password]").first.fill("wrong-password")
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()
        signin_text = page.locator("main").inner_text()
        alerts = [t for t in page.locator("main [role=alert], main .field-error, main .error-summary")
                  .all_inner_texts() if t.strip()]
        gate.check(content.error_messages((("signin", a) for a in alerts), page=page.url))
        assert signin_text, "the sign-in page rendered no main content"
    # API errors carry a message a developer can act on.
    with requests.Session() as http:
        for path in ("/api/v1/talent/999999999", "/api/v1/roles/999999/talent", "/api/v1/search?per_page=abc"):
            response = http.get(castmatch_base_url + path, headers={"Accept-Language": "en"}, timeout=10)
            try:
                message = str(response.json()["error"]["message"])
            except (ValueError, KeyError, TypeError):
                message = ""
            gate.check(content.error_messages([(f"{response.status_code} {path}", message)], page=path))
