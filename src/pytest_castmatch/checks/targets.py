"""Pointer target size, WCAG 2.5.5 Target Size (Enhanced, AAA): at least 44 x 44 CSS px.

axe only checks the 24 px AA rule (2.5.8). What is measured is the target's **clickable area**: every
point where a click reaches the target (its boxes, text overflowing them, and its labels), with
transforms, rounded corners, clip paths, clipping ancestors and covering elements applied, sampled
with ``elementFromPoint``. The target passes when that area contains a 44 x 44 square. A covering
element inside a scroll box is judged with that box scrolled to each end, and the page is scrolled so
the target sits at the top, middle and bottom of the window: what a user can scroll away does not count.

Not targets (nothing a pointer can reach): ``:disabled`` controls (a disabled fieldset included),
``aria-disabled`` controls taken out of the focus order, ``display: none``, ``visibility: hidden``,
``pointer-events: none``, inert, wholly clipped or covered, and ``aria-hidden`` content that is not
focusable.

The criterion's exceptions, by WCAG's definitions, are passes with their reason, never findings:

- **equivalent**: a control with the same action (the same link destination, the same form submission,
  or the same inline handler) on the page has a 44 x 44 clickable area;
- **inline**: the target is an inline box in a sentence or block of text;
- **user agent**: the control's size is the browser's own (it renders the same as a copy of it with no
  author styles);
- **essential**: a pin on a map or a point of a chart: a small target placed on a graphic much larger
  than itself, where its position is the information.
"""



from __future__ import annotations

from importlib import resources
from typing import Any

from playwright.sync_api import Page

from pytest_castmatch.checks.evidence import SELECTOR_JS, Evidence, page_path, shoot
from pytest_castmatch.model import Finding
from pytest_castmatch.record import Record, record

MINIMUM = 44.0


def _script() -> str:
    return SELECTOR_JS + resources.files("pytest_castmatch.checks").joinpath("targets.js").read_text("utf-8")


@record
class Measured(Record):
    """One pointer target whose clickable area holds no ``minimum`` square, and why it may still pass.

    ``width`` and ``height`` span the clickable part; ``square`` is the side of the largest square
    wholly inside it. ``exception`` names the WCAG exception that applies ("" when none does);
    ``covered`` names what covers part of it.
    """

    selector: str
    width: float
    height: float
    square: float
    covered: str
    exception: str
    html: str


def measure(page: Page, minimum: float = MINIMUM) -> list[Measured]:
    """Every reachable pointer target on the page that holds no ``minimum`` square, exception or not."""
    raw: list[dict[str, Any]] = page.evaluate(_script(), minimum)
    return [Measured(str(r["selector"]), float(r["width"]), float(r["height"]), float(r["square"]),
                     str(r["covered"]), str(r["exception"]), str(r["html"])) for r in raw]


def exceptions(measured: list[Measured]) -> list[Measured]:
    """The small targets an exception lets pass (a pass with its reason, not a finding)."""
    return [m for m in measured if m.exception]


def enhanced(page: Page, *, viewport: str = "", evidence: Evidence | None = None,
             minimum: float = MINIMUM, measured: list[Measured] | None = None) -> list[Finding]:
    """WCAG 2.5.5 findings for the page as it is now: one error per small target no exception covers.

    Pass ``measured`` (from :func:`measure`) to reuse a measurement, e.g. to also record the exceptions.
    """
    path = page_path(page)
    where = f"viewport={viewport} " if viewport else ""
    out = []
    for m in measure(page, minimum) if measured is None else measured:
        if m.exception:
            continue
        covered = f"; {m.covered} covers part of it" if m.covered else ""
        out.append(Finding(
            rule="target-size-enhanced", criterion="WCAG 2.5.5", page=path, selector=m.selector,
            message=f"pointer target's clickable area is {m.width:g} x {m.height:g} CSS px with no "
                    f"{minimum:g} x {minimum:g} square in it{covered}",
            context=f"{where}{m.html}", evidence=shoot(evidence, page, m.selector, f"target-{path}-{m.selector}"),
        ))
    return out
