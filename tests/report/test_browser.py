"""index.html in a real browser: readable, inert against injected script, and accessible (axe AAA)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_castmatch import publish

from .conftest import png

sync_api = pytest.importorskip("playwright.sync_api")
axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")

AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag2aaa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    }
}
SHOTS = Path("/tmp/report-shots")

Report = Callable[..., dict[str, Any]]


def _open(browser: Any, folder: Path, report: dict[str, Any], previous: dict[str, Any] | None = None) -> Any:
    (folder / "evidence").mkdir(parents=True, exist_ok=True)
    (folder / "evidence" / "contrast.png").write_bytes(png(60, 30))
    publish.publish(report, folder, signer=None, previous=previous)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto((folder / "index.html").as_uri())
    page.requests = requests
    return page


def test_report_reads_in_the_browser_and_injected_script_stays_text(
    browser: Any, report_of: Report, tmp_path: Path
) -> None:
    page = _open(browser, tmp_path, report_of())
    try:
        heading = page.get_by_role("heading", level=1)
        assert heading.is_visible()
        assert heading.inner_text() == "NO-GO"
        table = page.get_by_role("table", name="The Critical Success Metrics against their thresholds")
        assert table.is_visible()
        assert table.get_by_role("row").count() >= 2
        assert page.get_by_text("Unsigned report.").is_visible()
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.dialogs == []
        assert page.locator("script").count() == 0
        assert page.get_by_text("<script>window.__pwned=1;alert(1)</script>", exact=False).first.is_visible()
        assert page.locator("img[src^='data:image/png']").count() >= 1
        assert [u for u in page.requests if not u.startswith(("file:", "data:"))] == []
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "report.png"), full_page=True)
    finally:
        page.close()


def test_report_has_no_axe_violations(browser: Any, gate_config: Any, report_of: Report, tmp_path: Path) -> None:
    from .conftest import sample_gates

    previous = report_of(sample_gates(gate_config, api_ms=120.0))
    page = _open(browser, tmp_path, report_of(sample_gates(gate_config, api_ms=260.0)), previous=previous)
    try:
        results = axe_sync.Axe().run(page, options=AXE_OPTIONS)
        assert results.violations_count == 0, results.generate_report()
        page.screenshot(path=str(SHOTS / "report-trend.png"), full_page=True)
    finally:
        page.close()
