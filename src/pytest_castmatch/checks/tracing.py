"""Failure evidence for browser gates: a Playwright trace per test, kept only when the test failed.

Tracing starts when a gate's browser context opens. When the gate fails, :func:`capture` stores a
screenshot of the page the user was on, the trace (open it with ``playwright show-trace``) and that
page's URL; when it passes, :func:`discard` drops the trace without writing it. Collecting evidence
never raises: a crashed page must not hide the failure it is meant to explain.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import BrowserContext, Page
from playwright.sync_api import Error as PlaywrightError

from pytest_castmatch.model import Finding

#: Long enough for a slow page to settle into a screenshot; short enough that a hung page cannot
#: stall the teardown of every later gate.
SCREENSHOT_TIMEOUT_MS = 5_000


@dataclass
class Evidence:
    """What was saved for one failed attempt."""

    url: str = ""
    files: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def start(context: BrowserContext, title: str, *, detail: bool = True) -> bool:
    """Start recording a trace for everything ``context`` does: its actions, console and network, and
    with ``detail`` a DOM snapshot per action and a screencast.

    Detail suits a user's journey, a few dozen actions; a check that presses Tab three hundred times
    would spend seconds on snapshots. False when the context is traced already (pytest-playwright's
    ``--tracing on``): that trace is left alone, and a failure's evidence is then the screenshot alone.
    """
    try:
        context.tracing.start(title=title, screenshots=detail, snapshots=detail)
    except PlaywrightError:
        return False
    return True


def discard(context: BrowserContext) -> None:
    """Stop tracing without saving: the gate passed, the trace would only take disk space."""
    with contextlib.suppress(PlaywrightError):
        context.tracing.stop()


def current_page(context: BrowserContext) -> Page | None:
    """The page the user was last looking at: the newest page that is still open."""
    pages = [p for p in context.pages if not p.is_closed()]
    return pages[-1] if pages else None


def capture(context: BrowserContext, folder: Path, stem: str, *, trace: bool = True) -> Evidence:
    """Save ``<stem>.png`` (the current page), ``<stem>-trace.zip`` (when ``trace``) and the URL into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    found = Evidence()
    page = current_page(context)
    if page is None:
        found.problems.append("no open page to photograph")
    else:
        found.url = page.url
        shot = folder / f"{stem}.png"
        try:
            page.screenshot(path=str(shot), full_page=True, timeout=SCREENSHOT_TIMEOUT_MS)
            found.files.append(shot)
        except PlaywrightError as exc:
            found.problems.append(f"screenshot failed: {_first_line(exc)}")
    if not trace:
        return found
    path = folder / f"{stem}-trace.zip"
    try:
        context.tracing.stop(path=str(path))
        found.files.append(path)
    except PlaywrightError as exc:
        found.problems.append(f"trace not saved: {_first_line(exc)}")
    return found


def finding(evidence: Evidence, attached: tuple[str, ...], attempt: str) -> Finding:
    """A note for the gate's report entry: where the failure happened and what was kept.

    ``attempt`` names the attempt (and context) the evidence is of, as its files are named.
    """
    where = evidence.url or "(no page)"
    extra = f"; {'; '.join(evidence.problems)}" if evidence.problems else ""
    return Finding(
        rule="failure-evidence",
        message=f"{attempt.replace('-', ' ')} failed on {where}; kept "
                f"{', '.join(p.name for p in evidence.files) or 'nothing'}{extra}",
        severity="note",
        page=evidence.url or None,
        evidence=attached,
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
