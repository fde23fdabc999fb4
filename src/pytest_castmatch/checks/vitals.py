"""Core Web Vitals measured in the browser with Google's ``web-vitals`` library.

``measure(page, url)`` injects the library before navigation, loads the page, lets late
layout shifts happen, interacts with it for real (a click and a key press, so INP has
interactions to judge), then flushes every metric the way a real tab does when it is
hidden. Total Blocking Time comes from long tasks (``longtask`` entries after FCP).

No thresholds live here: the gate records each value as a metric and gates.toml judges it.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from pytest_castmatch.checks import navigation
from pytest_castmatch.model import Finding
from pytest_castmatch.record import Record, record

#: web-vitals name -> our metric name and unit.
METRICS: dict[str, tuple[str, str]] = {
    "LCP": ("cwv_lcp_ms", "ms"),
    "CLS": ("cwv_cls", "score"),
    "INP": ("cwv_inp_ms", "ms"),
    "FCP": ("cwv_fcp_ms", "ms"),
    "TTFB": ("cwv_ttfb_ms", "ms"),
    "TBT": ("cwv_tbt_ms", "ms"),
}

# Collects every report (reportAllChanges) into window.__cmVitals; the longtask observer is
# buffered so tasks that ran before it was registered still count.
_COLLECTOR = """
(() => {
  const store = window.__cmVitals = {values: {}, longtasks: []};
  const keep = (m) => { store.values[m.name] = m.value; };
  // The IIFE declares `var webVitals`; an init script runs wrapped, so read it from this scope.
  const wv = typeof webVitals !== "undefined" ? webVitals : window.webVitals;
  if (!wv) { store.error = "web-vitals did not load"; return; }
  const opts = {reportAllChanges: true};
  wv.onLCP(keep, opts); wv.onCLS(keep, opts); wv.onINP(keep, opts);
  wv.onFCP(keep, opts); wv.onTTFB(keep, opts);
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) store.longtasks.push([e.startTime, e.duration]);
    }).observe({type: "longtask", buffered: true});
  } catch (e) { store.error = "longtask observer: " + e; }
})();
"""

# What a tab does when the user switches away: web-vitals finalises LCP, CLS and INP on it.
_HIDE = """
() => {
  Object.defineProperty(document, "visibilityState", {value: "hidden", configurable: true});
  Object.defineProperty(document, "hidden", {value: true, configurable: true});
  document.dispatchEvent(new Event("visibilitychange"));
  window.dispatchEvent(new Event("pagehide"));
}
"""

_READ = "() => window.__cmVitals || null"


class VitalsLibraryMissing(RuntimeError):
    """node_modules/web-vitals is not installed; the message says how to install it."""


def library_path(root: Path | None = None, given: str | None = None) -> Path:
    """The web-vitals IIFE build: ``given`` (the ``web_vitals`` setting), else node_modules under the repo root."""
    if given:
        path = Path(given)
    else:
        base = root or Path(__file__).resolve().parents[3]
        path = base / "node_modules" / "web-vitals" / "dist" / "web-vitals.iife.js"
    if not path.is_file():
        raise VitalsLibraryMissing(
            f"web-vitals not found at {path}: run `npm ci` in the repository root (package.json pins "
            "web-vitals) or set CASTMATCH_WEB_VITALS=/path/to/web-vitals.iife.js"
        )
    return path


@record
class Vitals(Record):
    """One page load's vitals in web-vitals units (ms, CLS unitless); absent ones are missing."""

    url: str
    values: dict[str, float]
    longtasks: tuple[tuple[float, float], ...] = ()
    seconds: float = 0.0
    errors: tuple[str, ...] = field(default=())
    runs: tuple[dict[str, float], ...] = ()  # each load's values when this is a median
    #: Set when the page did not answer as it should: no vital was measured on it.
    page_status: tuple[Finding, ...] = ()

    @property
    def loads(self) -> int:
        """How many page loads the values stand on (a median of several, or one)."""
        return 0 if self.page_status else max(len(self.runs), 1)

    def metrics(self) -> dict[str, tuple[float, str]]:
        """Our metric names with value and unit, for ``gate.metric``."""
        return {METRICS[k][0]: (v, METRICS[k][1]) for k, v in self.values.items() if k in METRICS}

    def findings(self, page_label: str) -> list[Finding]:
        """A vital that was never reported fails closed: nothing measured is nothing passed."""
        if self.page_status:
            return list(self.page_status)
        out = [Finding(criterion="Core Web Vitals",
                       rule="vitals-error", message=e, page=page_label) for e in self.errors]
        for name in METRICS:
            if name not in self.values:
                out.append(Finding(
                    rule="vitals-missing", criterion="Core Web Vitals", page=page_label,
                    message=f"{name} was not reported by web-vitals for {self.url}: the measurement is incomplete",
                ))
        return out


def total_blocking_time(longtasks: tuple[tuple[float, float], ...], fcp: float | None) -> float:
    """Sum of each long task's time beyond 50 ms, for tasks starting after FCP (Lighthouse's definition)."""
    start = fcp or 0.0
    return float(sum(max(0.0, d - 50.0) for s, d in longtasks if s + d > start))


# A point on the page where a click does nothing but be a click: on the first of the candidates
# (the given selector's elements, else the heading, the main content, a paragraph, the body) whose
# box has a visible spot with no link, control, label or other activatable element under it. A click
# there cannot navigate, submit or toggle anything, whatever the page's layout puts at its corner.
_INERT_POINT = """
(selector) => {
  const active = 'a[href], area[href], button, input, select, textarea, label, summary, iframe, video, audio, '
    + '[onclick], [contenteditable]:not([contenteditable=false]), [tabindex]:not([tabindex="-1"]), '
    + '[role=button], [role=link], [role=checkbox], [role=radio], [role=switch], [role=tab], [role=menuitem], '
    + '[role=option], [role=slider], [role=textbox], [role=combobox]';
  const candidates = [...document.querySelectorAll(selector || 'h1, main, p, body')];
  const spots = [0.5, 0.25, 0.75, 0.1, 0.9];
  for (const el of candidates) {
    const r = el.getBoundingClientRect();
    for (const fy of spots) for (const fx of spots) {
      const x = r.left + r.width * fx, y = r.top + r.height * fy;
      if (x < 1 || y < 1 || x >= innerWidth - 1 || y >= innerHeight - 1) continue;
      const hit = document.elementFromPoint(x, y);
      if (hit && (hit === el || el.contains(hit)) && !hit.closest(active)) return [x, y];
    }
  }
  return null;
}
"""


def _interact(page: Page, selector: str | None) -> str:
    """Real input through the browser (trusted events), so INP has interactions to judge: a click
    where it activates nothing (none when the page has no such spot) and two key presses that type
    nothing. Returns an error when the page left the URL it was measured on."""
    before = page.url
    point = page.evaluate(_INERT_POINT, selector)
    if point:
        page.mouse.click(float(point[0]), float(point[1]))
    page.keyboard.press("Shift")
    page.keyboard.press("End")
    page.wait_for_timeout(150)
    if page.url.split("#", 1)[0] != before.split("#", 1)[0]:
        return (f"the interaction for INP left {before} for {page.url}: the vitals of the page asked for "
                "are incomplete")
    return ""


def prepare(page: Page, library: Path | None = None) -> None:
    """Inject web-vitals and the long-task observer; call before the first navigation of ``page``."""
    lib = (library or library_path()).read_text("utf-8")
    page.add_init_script(script=lib + "\n" + _COLLECTOR)


def collect(page: Page, *, interact_selector: str | None = None, started: float | None = None) -> Vitals:
    """Interact with the loaded page, flush web-vitals as a hidden tab does, and read every value."""
    url = page.url
    left = _interact(page, interact_selector)
    seconds = time.perf_counter() - started if started is not None else 0.0
    if left:
        # Another page's values (or none) are no measurement of this one: report only why.
        return Vitals(url, {}, seconds=seconds, errors=(left,))
    page.evaluate(_HIDE)
    page.wait_for_timeout(50)
    raw: Mapping[str, Any] | None = page.evaluate(_READ)
    seconds = time.perf_counter() - started if started is not None else 0.0
    if not raw:
        return Vitals(page.url, {}, seconds=seconds, errors=("the vitals collector never ran (init script blocked?)",))
    values = {str(k): float(v) for k, v in dict(raw.get("values") or {}).items()}
    longtasks = tuple((float(s), float(d)) for s, d in raw.get("longtasks") or ())
    if "FCP" in values or longtasks:
        values["TBT"] = total_blocking_time(longtasks, values.get("FCP"))
    errors = (str(raw["error"]),) if raw.get("error") else ()
    return Vitals(page.url, values, longtasks, seconds, errors)


def measure(page: Page, url: str, *, settle_ms: int = 1500, interact_selector: str | None = None,
            library: Path | None = None, timeout_ms: int = 30_000) -> Vitals:
    """Load ``url`` in a fresh ``page`` and return its web vitals.

    ``settle_ms`` after the load event lets late content shift the layout before the
    interactions; late shifts are the ones users hate most.
    """
    prepare(page, library)
    started = time.perf_counter()
    if missing := navigation.visit(page, url, timeout=timeout_ms):
        return Vitals(page.url, {}, page_status=tuple(missing))
    page.wait_for_timeout(settle_ms)
    return collect(page, interact_selector=interact_selector, started=started)


def median(loads: list[Vitals]) -> Vitals:
    """Each vital's median over several loads of one page (a vital missing from any load stays missing)."""
    names = set.intersection(*(set(v.values) for v in loads)) if loads else set()
    values = {n: float(statistics.median(v.values[n] for v in loads)) for n in names}
    errors = tuple(e for v in loads for e in v.errors)
    return Vitals(loads[0].url, values, loads[0].longtasks, sum(v.seconds for v in loads), errors,
                  runs=tuple(v.values for v in loads),
                  page_status=next((v.page_status for v in loads if v.page_status), ()))


def to_json(vitals: Vitals) -> str:
    """The measurement as evidence (one JSON document)."""
    return json.dumps({"url": vitals.url, "values": vitals.values, "longtasks": vitals.longtasks,
                       "seconds": round(vitals.seconds, 3), "errors": vitals.errors, "runs": vitals.runs},
                      indent=2, sort_keys=True)
