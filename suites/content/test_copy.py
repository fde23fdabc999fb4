"""Copy gates: what visitors read is final copy, names links and buttons by where they go, labels
every field, explains every error with a next step, and uses the product's own terms.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from playwright.sync_api import Page

from pytest_castmatch import Deployment, Form, Gate
from pytest_castmatch.checks import content, navigation
from pytest_castmatch.checks.content import Term
from pytest_castmatch.checks.evidence import page_path


@pytest.mark.p0
@pytest.mark.owner("typography-content")
@pytest.mark.needs("pages", "languages")
def test_no_placeholder_text_and_glossary_terms(page: Page, gate: Gate, glossary: list[Term],
                                                content_pages: tuple[str, ...], castmatch_deployment: Deployment,
                                                served_catalogues: dict[str, dict[str, Any]],
                                                declared_status: dict[str, tuple[int, ...]]) -> None:
    """No lorem ipsum, TODO, undefined/null/NaN, template syntax or raw message keys; glossary terms only."""
    languages = castmatch_deployment.languages
    keys = served_catalogues.get(languages.default, {}).get("messages", {}).keys()
    for path in content_pages:
        if gate.check(navigation.visit(page, languages.url(path, languages.default),
                                       expect=declared_status.get(path, ()))):
            continue
        seen = content.collect(page)
        gate.check(content.placeholder_text(seen, keys))
        gate.check(content.glossary_terms(seen.text, glossary, page=seen.url))


@pytest.mark.p0
@pytest.mark.owner("typography-content")
@pytest.mark.needs("pages", "languages")
def test_descriptive_links_buttons_and_labels(page: Page, gate: Gate, content_pages: tuple[str, ...],
                                              castmatch_deployment: Deployment,
                                              declared_status: dict[str, tuple[int, ...]]) -> None:
    """Every link and button says where it goes or what it does; every form field has a label."""
    languages = castmatch_deployment.languages
    for path in content_pages:
        if gate.check(navigation.visit(page, languages.url(path, languages.default),
                                       expect=declared_status.get(path, ()))):
            continue
        seen = content.collect(page)
        gate.check(content.descriptive_names(seen))
        gate.check(content.labelled_fields(seen))


@pytest.mark.p0
@pytest.mark.owner("typography-content")
@pytest.mark.needs("forms.errors", "languages")
def test_error_messages_say_what_to_do(page: Page, gate: Gate, castmatch_base_url: str,
                                       castmatch_deployment: Deployment) -> None:
    """Invalid forms, a wrong password and invalid API calls answer with messages that say what
    happened and what to do."""
    languages = castmatch_deployment.languages
    forms: tuple[Form, ...] = castmatch_deployment.value("forms", tuple)
    for form in (f for f in forms if f.errors):
        # Submitted empty: every required field reports a problem.
        if gate.check(navigation.visit(page, languages.url(form.page, languages.default))):
            continue
        page.locator(form.submit).first.click()
        page.wait_for_load_state()
        seen = content.collect(page)
        gate.check(content.error_messages(((e["selector"], e["text"]) for e in seen.errors), page=seen.url,
                                          min_messages=form.errors))
    sign_in = castmatch_deployment.optional("sign_in")
    if sign_in is not None and not gate.check(navigation.visit(page, languages.url(sign_in.page,
                                                                                   languages.default))):
        page.locator(sign_in.username).first.fill("nobody@example.com")
        page.locator(sign_in.password).first.fill("wrong-password")
        page.locator(sign_in.submit).first.click()
        page.wait_for_load_state()
        alerts = [t for t in page.locator("main [role=alert], main .field-error, main .error-summary")
                  .all_inner_texts() if t.strip()]
        gate.check(content.error_messages((("sign-in", a) for a in alerts), page=page_path(page)))
    api = castmatch_deployment.optional("api")
    with requests.Session() as http:
        for path in api.errors if api is not None else ():
            response = http.get(castmatch_base_url + path, headers={"Accept-Language": languages.default}, timeout=10)
            try:
                message = str(response.json()["error"]["message"])
            except (ValueError, KeyError, TypeError):
                message = ""
            gate.check(content.error_messages([(f"{response.status_code} {path}", message)], page=path))
