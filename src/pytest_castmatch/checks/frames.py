"""Frame times from ``requestAnimationFrame`` while an animation runs, on desktop or a throttled phone.

A frame is *on time* when it arrives within one 16.7 ms vsync interval of the previous one.
rAF timestamps are vsync-aligned, so an on-time frame measures ~16.7 ms and a frame that
missed its vsync measures ~33 ms or more; a delta under 1.5 intervals (25 ms) absorbs timer
jitter without hiding a single dropped frame. The gate judges the share of on-time frames and
the worst frame.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from playwright.sync_api import Page

from pytest_castmatch.model import Series
from pytest_castmatch.record import Record
from pytest_castmatch.record import record as value_type  # this module has its own record()

FRAME_MS = 1000 / 60
ON_TIME_MS = FRAME_MS * 1.5

_START = """
() => {
  const rec = window.__cmFrames = {deltas: [], stop: false, last: -1};
  const tick = (t) => {
    if (rec.last >= 0) rec.deltas.push(t - rec.last);
    rec.last = t;
    if (!rec.stop) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}
"""
_STOP = "() => { const r = window.__cmFrames; r.stop = true; return r.deltas; }"


@value_type
class FrameTimes(Record):
    """The frame-to-frame intervals (ms) of one recording."""

    deltas: tuple[float, ...]
    profile: str = "desktop"

    @property
    def count(self) -> int:
        return len(self.deltas)

    @property
    def on_time_percent(self) -> float:
        """Share of the 60 Hz vsync intervals of the recording in which a frame arrived (see module doc).

        Counted against the intervals that passed, not the frames delivered: a 140 ms stall is one
        long delta but eight intervals without a frame, and must weigh as eight.
        """
        intervals = sum(max(1, round(d / FRAME_MS)) for d in self.deltas)
        if not intervals:
            return 0.0
        return 100.0 * sum(1 for d in self.deltas if d < ON_TIME_MS) / intervals

    @property
    def worst_ms(self) -> float:
        return max(self.deltas, default=0.0)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.deltas) if self.deltas else 0.0

    def series(self) -> Series:
        """(elapsed ms, frame ms) points for the report's plot."""
        out, t = [], 0.0
        for d in self.deltas:
            t += d
            out.append((round(t, 1), round(d, 2)))
        return Series(tuple(out), "time between frames", "ms", x="ms")

    def merged(self, other: FrameTimes) -> FrameTimes:
        return FrameTimes(self.deltas + other.deltas, self.profile)


@contextmanager
def cpu_throttled(page: Page, rate: float) -> Iterator[None]:
    """Slow the page's CPU ``rate`` times through CDP (Chromium only), restoring it afterwards."""
    if rate <= 1:
        yield
        return
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
    try:
        yield
    finally:
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
        cdp.detach()


def record(page: Page, action: Callable[[], None], *, duration_ms: int = 1200, profile: str = "desktop") -> FrameTimes:
    """Record frame intervals while ``action`` starts an animation and for ``duration_ms`` after it."""
    page.evaluate(_START)
    page.wait_for_timeout(50)
    action()
    page.wait_for_timeout(duration_ms)
    deltas = page.evaluate(_STOP)
    return FrameTimes(tuple(float(d) for d in deltas), profile)
