"""Frame times from requestAnimationFrame: a smooth transition against one with periodic stalls."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from pytest_castmatch.checks import frames


def record(browser: Browser, url: str, slowdown: float) -> frames.FrameTimes:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(url)
        box = page.locator("#go").bounding_box()
        assert box is not None
        with frames.cpu_throttled(page, slowdown):
            return frames.record(page, lambda: page.mouse.click(box["x"] + 5, box["y"] + 5), duration_ms=1000)
    finally:
        context.close()


def best(browser: Browser, url: str, slowdown: float, tries: int, enough: float = 100.0) -> frames.FrameTimes:
    """The best of up to ``tries`` recordings, stopping early at ``enough`` percent on time.

    Other processes on the machine can only make a page miss frames, never keep more, so the best
    recording is the closest to what the page itself does; a busy machine spoils some, not all.
    """
    top = record(browser, url, slowdown)
    for _ in range(tries - 1):
        if top.on_time_percent >= enough:
            break
        again = record(browser, url, slowdown)
        top = max(top, again, key=lambda r: r.on_time_percent)
    return top


@pytest.mark.parametrize("slowdown", [1.0, 4.0])
def test_stalls_lose_frames_a_smooth_transition_keeps(browser: Browser, fixture_url: str, slowdown: float) -> None:
    # The janky page's best is an upper bound on what its stalls leave; the smooth page is recorded
    # until it clears that bound or runs out of tries.
    janky = best(browser, f"{fixture_url}/frames-janky.html", slowdown, tries=3)
    smooth = best(browser, f"{fixture_url}/frames-smooth.html", slowdown, tries=8,
                  enough=janky.on_time_percent + 25)
    assert smooth.count >= 30
    assert janky.worst_ms >= 110  # a 140 ms stall spans at least seven 16.7 ms intervals
    assert janky.on_time_percent < 70
    assert smooth.on_time_percent > janky.on_time_percent + 15


def test_on_time_share_counts_the_frames_that_were_due() -> None:
    steady = frames.FrameTimes((16.7,) * 60)
    assert steady.on_time_percent == pytest.approx(100.0)
    # 30 on-time frames and one 500 ms stall (30 intervals without a frame): 30 of 60 intervals.
    stalled = frames.FrameTimes((16.7,) * 30 + (500.0,))
    assert stalled.on_time_percent == pytest.approx(50.0)
    assert frames.FrameTimes((16.7, 33.4)).on_time_percent == pytest.approx(100 / 3)
    assert stalled.worst_ms == 500.0
    assert frames.FrameTimes(()).on_time_percent == 0.0


def test_series_accumulates_time() -> None:
    series = frames.FrameTimes((16.7, 33.4)).series()
    assert series.points == ((16.7, 16.7), (50.1, 33.4))
    assert (series.unit, series.x) == ("ms", "ms")
