"""web-vitals in the browser on fixture pages: a steady page is good, a janky one is poor on every vital."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from pytest_castmatch.checks import vitals


def measure(browser: Browser, url: str) -> vitals.Vitals:
    context = browser.new_context()
    try:
        return vitals.measure(context.new_page(), url, settle_ms=900)
    finally:
        context.close()


def test_steady_page_reports_every_vital_within_good(browser: Browser, fixture_url: str) -> None:
    v = measure(browser, f"{fixture_url}/vitals-good.html")
    assert set(v.values) == {"LCP", "CLS", "INP", "FCP", "TTFB", "TBT"}
    assert v.findings("good") == []
    assert v.values["CLS"] == 0
    assert v.values["INP"] < 200
    assert 0 < v.values["FCP"] <= v.values["LCP"] < 2500
    assert set(v.metrics()) == {"cwv_lcp_ms", "cwv_cls", "cwv_inp_ms", "cwv_fcp_ms", "cwv_ttfb_ms", "cwv_tbt_ms"}


def test_late_shift_slow_click_and_long_task_are_measured(browser: Browser, fixture_url: str) -> None:
    v = measure(browser, f"{fixture_url}/vitals-bad.html")
    assert v.values["CLS"] > 0.1  # the late banner
    assert v.values["INP"] >= 300  # the 300 ms click handler
    assert v.values["TBT"] >= 300  # the 400 ms task after FCP: 350 ms over the 50 ms budget
    assert [t for t in v.longtasks if t[1] >= 400]


def test_missing_vital_fails_closed() -> None:
    v = vitals.Vitals("http://x/", {"LCP": 1.0, "CLS": 0.0})
    assert {f.rule for f in v.findings("p")} == {"vitals-missing"}
    assert len(v.findings("p")) == 4


def test_missing_library_says_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(vitals.VitalsLibraryMissing, match="npm ci"):
        vitals.library_path(given=str(tmp_path / "nope.js"))


def test_total_blocking_time_counts_only_the_excess_after_fcp() -> None:
    tasks = ((10.0, 200.0), (300.0, 80.0), (500.0, 40.0))
    assert vitals.total_blocking_time(tasks, fcp=100.0) == 150.0 + 30.0
    assert vitals.total_blocking_time(tasks, fcp=250.0) == 30.0


def test_median_of_loads() -> None:
    loads = [vitals.Vitals("u", {"LCP": v, "CLS": 0.0}) for v in (100.0, 900.0, 200.0)]
    loads.append(vitals.Vitals("u", {"LCP": 150.0}))
    merged = vitals.median(loads)
    assert merged.values == {"LCP": 175.0}
    assert len(merged.runs) == 4


def test_the_click_for_inp_lands_where_it_activates_nothing(browser: Browser, fixture_url: str) -> None:
    # The page's top-left corner is a link: a click there would leave the page before INP is read.
    v = measure(browser, f"{fixture_url}/vitals-link-corner.html")
    assert v.url.endswith("/vitals-link-corner.html")
    assert set(v.values) == {"LCP", "CLS", "INP", "FCP", "TTFB", "TBT"}
    assert v.findings("corner") == []


def test_an_interaction_that_leaves_the_page_is_no_measurement(browser: Browser, fixture_url: str) -> None:
    v = measure(browser, f"{fixture_url}/vitals-key-leaves.html")
    assert v.values == {}
    assert v.url.endswith("/vitals-key-leaves.html")
    rules = {f.rule for f in v.findings("leaves")}
    assert rules == {"vitals-error", "vitals-missing"}
    assert v.errors[0].startswith(f"the interaction for INP left {fixture_url}/vitals-key-leaves.html for ")
    assert v.errors[0].split(" for ")[2].startswith(f"{fixture_url}/vitals-good.html")
