"""index.html in Chromium: it reads, its filters work, every link resolves, it fits a 360 px phone,
hostile gate names stay text, only its own hashed script runs, and axe finds nothing at AAA."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from pytest_castmatch import publish
from pytest_castmatch.config import GateConfig

from .conftest import build_report, rich_gates, sample_gates, write_evidence

sync_api = pytest.importorskip("playwright.sync_api")
axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")

AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag2aaa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    }
}


@pytest.fixture(scope="module")
def folder(gate_config: GateConfig, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published report with every kind of evidence, a trend and a history."""
    out = tmp_path_factory.mktemp("report")
    write_evidence(out)
    previous = build_report(gate_config, sample_gates(gate_config, api_ms=120.0))
    earlier = [build_report(gate_config, sample_gates(gate_config, api_ms=ms), commit=f"{i}" * 40)
               | {"generated_at": f"2025-01-0{i}T12:00:00Z"} for i, ms in ((1, 90.0), (2, 150.0))]
    publish.publish(build_report(gate_config, rich_gates(gate_config)), out, signer=None, previous=previous,
                    history=earlier)
    return out


@pytest.fixture(scope="module")
def page(browser: Any, folder: Path) -> Iterator[Any]:
    """index.html open at laptop width, with what it asked for and said recorded."""
    opened = browser.new_page(viewport={"width": 1280, "height": 900})
    opened.dialogs, opened.requests, opened.console = [], [], []
    opened.on("dialog", lambda d: (opened.dialogs.append(d.message), d.dismiss()))
    opened.on("request", lambda r: opened.requests.append(r.url))
    opened.on("console", lambda m: opened.console.append(f"{m.type}: {m.text}"))
    opened.goto((folder / "index.html").as_uri())
    yield opened
    opened.close()


def _visible_rows(page: Any) -> list[str]:
    return [str(t) for t in page.eval_on_selector_all(
        "#gate-table tbody tr:not([hidden])", "rows => rows.map(r => r.getAttribute('data-outcome'))")]


def test_the_verdict_and_the_metrics_read_first(page: Any) -> None:
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "NO-GO"
    table = page.get_by_role("table", name="The Critical Success Metrics against their thresholds")
    assert table.is_visible()
    assert table.get_by_role("row").count() >= 2
    assert page.get_by_text("Unsigned report.").is_visible()
    assert page.get_by_role("navigation", name="Contents").is_visible()


def test_filters_narrow_the_table_of_gates(page: Any) -> None:
    total = page.locator("#gate-table tbody tr").count()
    assert page.locator("#gate-filters").is_visible()  # the script ran under the page's CSP
    assert page.locator("#gate-count").inner_text() == f"{total} of {total} gates shown"
    page.get_by_label("Outcome", exact=True).select_option("flaky")
    assert _visible_rows(page) == ["flaky"]
    page.get_by_label("Outcome", exact=True).select_option("")
    page.get_by_label("Priority", exact=True).select_option("p2")
    assert set(_visible_rows(page)) == {"failed"}
    assert page.locator("#gate-count").inner_text() == f"1 of {total} gates shown"
    page.get_by_label("Priority", exact=True).select_option("")
    page.get_by_label("Owner", exact=True).select_option(index=1)
    owner = page.get_by_label("Owner", exact=True).input_value()
    owners = page.eval_on_selector_all("#gate-table tbody tr:not([hidden])",
                                       "rows => rows.map(r => r.getAttribute('data-owner'))")
    assert owners
    assert set(owners) == {owner}
    page.get_by_role("button", name="Clear").click()
    page.get_by_label("Search", exact=True).fill("bandit")
    assert len(_visible_rows(page)) == 1
    page.get_by_role("button", name="Clear").click()
    page.wait_for_function(f"document.querySelectorAll('#gate-table tbody tr:not([hidden])').length === {total}")


def test_every_link_resolves(page: Any, folder: Path) -> None:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => [a.getAttribute('href'), a.href])")
    files = [(raw, url) for raw, url in hrefs if url.startswith("file:") and not raw.startswith("#")]
    assert len(files) >= 7  # screenshots, the trace, Lighthouse reports, data files
    for raw, url in files:
        assert Path(unquote(urlsplit(url).path)).is_file(), raw
    for raw, _ in hrefs:
        if raw.startswith("#"):
            assert page.locator(f"[id='{raw[1:]}']").count() == 1, raw
    web = [raw for raw, url in hrefs if url.startswith("http")]
    assert web
    assert all(u.startswith("https://") for u in web)


def test_hostile_gate_names_stay_text_and_only_the_hashed_script_runs(page: Any) -> None:
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.dialogs == []
    assert page.locator("script").count() == 1
    assert page.get_by_text("<script>window.__pwned=1;alert(1)</script>", exact=False).first.is_visible()
    assert [u for u in page.requests if not u.startswith(("file:", "data:"))] == []
    assert [m for m in page.console if m.startswith("error")] == []
    # The CSP lets no other inline script run, whatever finds its way into the page.
    page.evaluate("""() => { const s = document.createElement('script');
                              s.textContent = 'window.__injected = 1'; document.body.appendChild(s); }""")
    assert page.evaluate("typeof window.__injected") == "undefined"


@pytest.mark.parametrize("width", [360, 390, 1280])
def test_no_horizontal_page_scroll(browser: Any, folder: Path, width: int) -> None:
    narrow = browser.new_page(viewport={"width": width, "height": 800})
    try:
        narrow.goto((folder / "index.html").as_uri())
        narrow.eval_on_selector_all("details", "all => all.forEach(d => d.open = true)")
        sizes = narrow.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert sizes[0] <= sizes[1], sizes
        metrics = narrow.get_by_role("table", name="The Critical Success Metrics against their thresholds")
        status = metrics.get_by_role("columnheader", name="Status")
        box = status.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= width
    finally:
        narrow.close()


def test_the_report_has_no_axe_violations_at_aaa(browser: Any, folder: Path) -> None:
    for width in (1280, 360):
        checked = browser.new_page(viewport={"width": width, "height": 900})
        try:
            checked.goto((folder / "index.html").as_uri())
            results = axe_sync.Axe().run(checked, options=AXE_OPTIONS)
            assert results.violations_count == 0, (width, results.generate_report())
        finally:
            checked.close()
