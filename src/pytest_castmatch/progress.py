"""Live progress of long engine phases, for the person watching a gate run.

Runners and suites call :func:`note` for an event worth a line of its own ("Lighthouse page 3 of 6")
and :func:`tick` for running figures, which print at most once every :data:`EVERY` seconds per phase
("Locust: 50 users, 81 req/s"). The plugin sends the lines to pytest's terminal on the controller of
a run that is not quiet (``-q``). With no sink set (a runner called from a REPL or a benchmark
script, an xdist worker) both do nothing, so an engine never depends on pytest.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

#: Seconds between two :func:`tick` lines of one phase: often enough to show a run is alive,
#: rarely enough that the lines can still be read.
EVERY = 5.0

Sink = Callable[[str], None]

_lock = threading.Lock()
_sink: Sink | None = None
_last: dict[str, float] = {}


def set_sink(sink: Sink | None) -> None:
    """Send progress lines to ``sink`` (``None``: drop them). The plugin sets and clears it."""
    global _sink
    with _lock:
        _sink = sink
        _last.clear()


def active() -> bool:
    """Whether anyone reads progress now (lets a caller skip computing figures nobody sees)."""
    return _sink is not None


def note(phase: str, text: str | Callable[[], str]) -> None:
    """One line for ``phase`` now: ``"<phase>: <text>"``; ``text`` may be a callable, called only when shown."""
    _emit(phase, text, every=0.0)


def tick(phase: str, text: str | Callable[[], str], every: float = EVERY) -> None:
    """A line for ``phase`` unless one was shown less than ``every`` seconds ago."""
    _emit(phase, text, every=every)


def _emit(phase: str, text: str | Callable[[], str], every: float) -> None:
    with _lock:
        sink = _sink
        if sink is None:
            return
        now = time.monotonic()
        if every and now - _last.get(phase, -every) < every:
            return
        _last[phase] = now
        line = f"{phase}: {text() if callable(text) else text}"
        sink(line)
