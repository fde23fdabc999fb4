"""Pointer targets of at least 44 x 44 CSS px (WCAG 2.5.5, with its exceptions) on phone and desktop."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page

from pytest_castmatch import Gate
from pytest_castmatch.checks import navigation, targets
from pytest_castmatch.checks.evidence import Evidence, page_path

VIEWPORTS = ((360, 740), (1280, 800))


@pytest.mark.p0
@pytest.mark.owner("interaction-design")
@pytest.mark.needs("pages")
def test_touch_targets_are_44px(page: Page, gate: Gate, inventory_pages: list[str]) -> None:
    """Every pointer target on every page is at least 44 x 44 unless a 2.5.5 exception applies; the
    small targets an exception lets pass are recorded with their reason (targets-exceptions.json)."""
    evidence = Evidence.for_gate(gate)
    page.emulate_media(reduced_motion="reduce")
    passes = []
    for width, height in VIEWPORTS:
        page.set_viewport_size({"width": width, "height": height})
        for path in inventory_pages:
            if gate.check(navigation.visit(page, path)):
                continue
            measured = targets.measure(page)
            gate.check(targets.enhanced(page, viewport=f"{width}x{height}", evidence=evidence, measured=measured))
            passes += [{"page": page_path(page), "viewport": f"{width}x{height}", "selector": m.selector,
                        "size": f"{m.width:g} x {m.height:g}", "exception": m.exception}
                       for m in targets.exceptions(measured)]
    record = gate.evidence_dir / "targets-exceptions.json"
    record.write_text(json.dumps(passes, indent=1, sort_keys=True), encoding="utf-8")
    gate.attach(record)
