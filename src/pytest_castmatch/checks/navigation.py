"""Open a page and make sure it is the page asked for before anything on it is measured.

A 404 page is a page: it loads, paints, has a heading, scores well in Lighthouse. A gate that
measures it reports the error page's figures as the key page's. So every check and gate that
visits a page does it through :func:`visit`: navigate, read the navigation response's status,
and unless it is a 2xx (or a status declared for that page, such as 404 for the not-found page)
return a blocking ``page-status`` finding, and the caller measures nothing on that page.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Literal

from playwright.sync_api import Page

from pytest_castmatch.checks.evidence import page_path
from pytest_castmatch.model import Finding, Severity

#: The rule of the finding for a page that did not answer as it should.
RULE = "page-status"

WaitUntil = Literal["commit", "domcontentloaded", "load", "networkidle"]


def visit(page: Page, url: str, *, expect: Collection[int] = (), wait_until: WaitUntil = "load",
          timeout: float | None = None) -> list[Finding]:
    """Navigate ``page`` to ``url``; [] when the page answered 2xx (or a status in ``expect``).

    Otherwise one blocking finding, "page answered 404" and the like: nothing on that page is the
    page the gate meant to measure. Redirects are followed (the final answer counts); a navigation
    with no response at all (the same document, a download) is a finding too. Playwright's own
    errors (timeout, connection refused) propagate, as from ``page.goto``.
    """
    response = page.goto(url, wait_until=wait_until, timeout=timeout)
    status = response.status if response is not None else None
    if status is not None and (status in expect or (not expect and 200 <= status < 300)):
        return []
    wanted = ", ".join(str(s) for s in sorted(expect)) if expect else "2xx"
    answered = f"answered {status}" if status is not None else "gave no response"
    return [Finding(
        rule=RULE, severity=Severity.HIGH, page=page_path(page), context=f"expected {wanted}",
        message=f"page {answered} (expected {wanted}): nothing was measured on it",
    )]


def missing_pages(findings: Iterable[Finding]) -> list[str]:
    """The pages that ``visit`` could not open, in the order found (from a check's findings)."""
    return list(dict.fromkeys(f.page or "" for f in findings if f.rule == RULE))
