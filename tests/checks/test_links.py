"""Link purpose: 2.4.9 from the link alone, 2.4.4 with its programmatically determined context."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from pytest_castmatch.checks import links


@pytest.mark.parametrize(("html", "criteria"), [
    ('<a href="/talent/7">View Asha Rao\'s profile</a>', []),
    ('<p><a href="/talent/7">Read more</a></p>', ["WCAG 2.4.4"]),
    ('<p>Asha Rao has played leads in three Marathi films. <a href="/talent/7">Read more</a></p>', ["WCAG 2.4.9"]),
    ('<ul><li>Ulysses<ul><li><a href="/u.html">HTML</a></li></ul></li></ul>', ["WCAG 2.4.9"]),
    ('<table><tr><th>Brief</th></tr><tr><td><a href="/b.pdf">PDF</a></td></tr></table>', ["WCAG 2.4.9"]),
    ('<h2 id="r">Casting call</h2><a href="/c" aria-describedby="r">Details</a>', ["WCAG 2.4.9"]),
    ('<a href="/x"><img src="data:," alt=""></a>', ["WCAG 2.4.4"]),
    ('<a role="button" href="/x">Read more</a><a>Read more</a>', []),
])
def test_link_purpose(page: Page, html: str, criteria: list[str]) -> None:
    page.set_content(f"<!doctype html><html lang='en'><body><main>{html}</main></body></html>")
    found = links.purpose(page)
    assert [f.criterion for f in found] == criteria
    assert all(f.rule == "link-purpose" and f.severity == "error" for f in found)
