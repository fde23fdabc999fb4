"""60 fps while the home page's carousel slides, on a desktop and on a throttled phone (motion-ui).

Frame times come from requestAnimationFrame while the carousel is driven with real clicks
(next, next, previous: the track slides with a transform transition each time) and a button
hover transition. Each profile is recorded until one recording meets both thresholds, at most
``MAX_RECORDINGS`` times, and the best recording is judged: a page that janks by itself (long
main-thread tasks) janks in every recording, while a neighbour process stealing the CPU on a
shared machine spoils only some of them.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page

from pytest_castmatch.checks import frames, navigation
from pytest_castmatch.config import GateConfig
from pytest_castmatch.model import Finding
from pytest_castmatch.recorder import Gate

MAX_RECORDINGS = 8
SLOWDOWN = {"desktop": 1.0, "mobile": 4.0}


def _drive_carousel(page: Page) -> Callable[[], None]:
    # Positions are read before recording: Playwright's own actionability scripts would
    # otherwise run on the page's main thread in the middle of the measurement.
    boxes = [page.locator(sel).bounding_box() for sel in ("[data-carousel-next]", "[data-carousel-prev]")]
    hover = page.locator(".btn").first.bounding_box()

    def action() -> None:
        for box in (boxes[0], boxes[0], boxes[1]):
            if box:
                page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.wait_for_timeout(420)
        if hover:
            page.mouse.move(hover["x"] + hover["width"] / 2, hover["y"] + hover["height"] / 2)

    page.evaluate("() => document.querySelector('[data-carousel]').scrollIntoView({block: 'center'})")
    page.wait_for_timeout(100)
    return action


@pytest.mark.p0
@pytest.mark.owner("motion-ui")
def test_carousel_frame_rate(gate: Gate, profile_context: Callable[[str], BrowserContext], form_factor: str,
                             castmatch_config: GateConfig) -> None:
    """Share of 60 Hz frames on time and the worst frame while the carousel and a button animate."""
    on_time, worst = castmatch_config.metrics["frames_on_time_percent"], castmatch_config.metrics["frames_worst_ms"]

    def smooth(r: frames.FrameTimes) -> bool:
        return not on_time.violates(r.on_time_percent) and not worst.violates(r.worst_ms)

    context = profile_context(form_factor)
    recordings: list[frames.FrameTimes] = []
    try:
        page = context.new_page()
        if missing := navigation.visit(page, "/"):
            gate.check(missing)
            return
        if page.locator("[data-carousel] [data-carousel-next]").count() == 0:
            gate.check([Finding(rule="frames-no-carousel", criterion="60 fps (RAIL)", page="/",
                                message="the home page has no carousel with a next control to animate")])
            return
        with frames.cpu_throttled(page, SLOWDOWN[form_factor]):
            while len(recordings) < MAX_RECORDINGS and not any(smooth(r) for r in recordings):
                action = _drive_carousel(page)
                recordings.append(frames.record(page, action, duration_ms=300, profile=form_factor))
    finally:
        context.close()
    best = max(recordings, key=lambda r: (smooth(r), r.on_time_percent, -r.worst_ms))
    labels = {"animation": "carousel", "profile": form_factor}
    # Samples are frames: too few of them (min_samples in gates.toml) is no frame-rate measurement.
    gate.metric("frames_on_time_percent", round(best.on_time_percent, 1), labels=labels, series=best.series(),
                samples=best.count)
    gate.metric("frames_worst_ms", round(best.worst_ms, 1), labels=labels, samples=best.count)
    summary = "; ".join(f"{r.count} frames, {r.on_time_percent:.0f}% on time, worst {r.worst_ms:.0f} ms"
                        for r in recordings)
    gate.check([Finding(criterion="60 fps (RAIL)",
                        rule="frames-recordings", severity="note", page="/", message=summary)])
