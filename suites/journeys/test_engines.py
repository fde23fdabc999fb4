"""Cross-browser coverage: which engines the journeys actually ran on.

The journeys run on Chromium everywhere, and on Firefox and WebKit where Playwright's builds of them
are installed (``playwright install firefox webkit``; they cannot be downloaded on every runner). An
engine that nothing ran on must be visible in the report, never silently green: this advisory (p2)
gate fails, naming each engine that is not covered and how to cover it. It does not block the launch.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Playwright

from pytest_castmatch import Finding, Gate
from pytest_castmatch.checks import journeys


@pytest.mark.p2
@pytest.mark.owner("testing-qa")
@pytest.mark.needs
def test_engine_coverage(playwright: Playwright, gate: Gate) -> None:
    installed = journeys.installed_engines()
    for engine in journeys.ENGINES[1:]:
        if not installed[engine]:
            gate.check([Finding(rule="engine-not-covered", page=None, criterion=None,
                                message=f"no journey ran on {engine}: Playwright's {engine} build is not installed "
                                        f"(run `playwright install {engine}` where downloads are allowed)")])
            continue
        try:
            browser = getattr(playwright, engine).launch()
        except PlaywrightError as exc:
            gate.check([Finding(rule="engine-not-covered",
                                message=f"no journey ran on {engine}: it is installed but does not start: "
                                        f"{str(exc).strip().splitlines()[0]}")])
            continue
        gate.engine(engine, browser.version)
        browser.close()
