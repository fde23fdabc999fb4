"""Link purpose on every inventory page: in context (WCAG 2.4.4) and from the link alone (2.4.9, AAA)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from pytest_castmatch import Gate
from pytest_castmatch.checks import links, navigation
from pytest_castmatch.checks.evidence import Evidence


@pytest.mark.p0
@pytest.mark.owner("design-review-qa")
@pytest.mark.needs("pages")
def test_links_say_where_they_go(page: Page, gate: Gate, inventory_pages: list[str]) -> None:
    """Every link has a name that says where it goes; 'Read more' and 'Click here' fail 2.4.9, and
    2.4.4 too when nothing around them says more."""
    evidence = Evidence.for_gate(gate)
    for path in inventory_pages:
        if gate.check(navigation.visit(page, path)):
            continue
        gate.check(links.purpose(page, evidence=evidence))
