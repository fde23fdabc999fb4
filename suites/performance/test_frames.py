"""60 fps while the profile's animation runs, on a desktop and on a throttled phone (motion-ui).

The animation is the profile's ``[deployment.animation]`` (the reference app: its home page
carousel). Frame times come from requestAnimationFrame while it is driven with real clicks (next,
next, previous: the track slides with a transform transition each time) and a hover transition.
Each profile is recorded until one recording meets both thresholds, at most ``MAX_RECORDINGS``
times, and the best recording is judged: a page that janks by itself (long main-thread tasks)
janks in every recording, while a neighbour process stealing the CPU on a shared machine spoils
only some of them.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page

from pytest_castmatch import Animation, Deployment, Finding, Gate, GateConfig
from pytest_castmatch.checks import frames, navigation

MAX_RECORDINGS = 8
SLOWDOWN = {"desktop": 1.0, "mobile": 4.0}


def _drive(page: Page, animation: Animation) -> Callable[[], None]:
    # Positions are read before recording: Playwright's own actionability scripts would
    # otherwise run on the page's main thread in the middle of the measurement.
    boxes = [page.locator(sel).first.bounding_box() for sel in (animation.next, animation.previous)]
    hover = page.locator(animation.hover).first.bounding_box() if animation.hover else None

    def action() -> None:
        for box in (boxes[0], boxes[0], boxes[1]):
            if box:
                page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.wait_for_timeout(420)
        if hover:
            page.mouse.move(hover["x"] + hover["width"] / 2, hover["y"] + hover["height"] / 2)

    page.locator(animation.target).first.scroll_into_view_if_needed()
    page.wait_for_timeout(100)
    return action


@pytest.mark.p0
@pytest.mark.owner("motion-ui")
@pytest.mark.needs("animation")
def test_carousel_frame_rate(gate: Gate, profile_context: Callable[[str], BrowserContext], form_factor: str,
                             castmatch_config: GateConfig, castmatch_deployment: Deployment) -> None:
    """Share of 60 Hz frames on time and the worst frame while the profile's animation runs."""
    animation: Animation = castmatch_deployment.value("animation", Animation)
    on_time, worst = castmatch_config.metrics["frames_on_time_percent"], castmatch_config.metrics["frames_worst_ms"]

    def smooth(r: frames.FrameTimes) -> bool:
        return not on_time.violates(r.on_time_percent) and not worst.violates(r.worst_ms)

    context = profile_context(form_factor)
    recordings: list[frames.FrameTimes] = []
    try:
        page = context.new_page()
        if missing := navigation.visit(page, animation.page):
            gate.check(missing)
            return
        if page.locator(animation.target).count() == 0 or page.locator(animation.next).count() == 0:
            gate.check([Finding(rule="frames-no-carousel", criterion="60 fps (RAIL)", page=animation.page,
                                message=f"{animation.page} has no {animation.target} with a {animation.next} "
                                        "control to animate")])
            return
        with frames.cpu_throttled(page, SLOWDOWN[form_factor]):
            while len(recordings) < MAX_RECORDINGS and not any(smooth(r) for r in recordings):
                action = _drive(page, animation)
                recordings.append(frames.record(page, action, duration_ms=300, profile=form_factor))
    finally:
        context.close()
    best = max(recordings, key=lambda r: (smooth(r), r.on_time_percent, -r.worst_ms))
    labels = {"animation": animation.target, "profile": form_factor}
    # Samples are frames: too few of them (min_samples in gates.toml) is no frame-rate measurement.
    gate.metric("frames_on_time_percent", round(best.on_time_percent, 1), labels=labels, series=best.series(),
                samples=best.count)
    gate.metric("frames_worst_ms", round(best.worst_ms, 1), labels=labels, samples=best.count)
    summary = "; ".join(f"{r.count} frames, {r.on_time_percent:.0f}% on time, worst {r.worst_ms:.0f} ms"
                        for r in recordings)
    gate.check([Finding(criterion="60 fps (RAIL)",
                        rule="frames-recordings", severity="note", page=animation.page, message=summary)])
