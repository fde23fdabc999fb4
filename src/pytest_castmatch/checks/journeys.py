"""User journeys in a real browser: the device matrix, journey steps as findings, form feedback, error pages.

A journey is a sequence of things a person does and expects to see. :class:`Journey` turns each
expectation that is not met into a :class:`Finding` naming the step, the page and what was
expected, so a broken journey reports where it broke rather than a bare timeout. The other checks
are plain functions over a Playwright ``Page``: field-level validation feedback (WCAG 3.3.1 and
4.1.3) and friendly error pages.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page

from pytest_castmatch.checks import navigation
from pytest_castmatch.checks.probes import STACK_TRACE
from pytest_castmatch.model import Finding
from pytest_castmatch.record import Record, record

T = TypeVar("T")

#: Matrix cell -> Playwright device descriptor name (None: a plain desktop window).
DEVICES: dict[str, str | None] = {"desktop": None, "pixel-7": "Pixel 7", "ipad-mini": "iPad Mini"}
#: Every device: the casting director's journey, the launch's main conversion path, runs on all.
FULL_MATRIX: tuple[str, ...] = ("desktop", "pixel-7", "ipad-mini")
#: Desktop and one phone: enough for the other journeys on a shared 2-core runner.
CORE_MATRIX: tuple[str, ...] = ("desktop", "pixel-7")
DESKTOP_VIEWPORT = {"width": 1280, "height": 800}
#: Engines the launch plan asks for ("cross-browser validation"); Chromium is the one always present.
ENGINES: tuple[str, ...] = ("chromium", "firefox", "webkit")
#: How long a person reasonably waits for a visible reaction before the step counts as broken.
STEP_TIMEOUT_MS = 5_000
#: ``@pytest.mark.flaky(rerun_except=...)``: a page that does not exist is no flake; one failure, no retry.
NOT_RETRIED = rf"\[{navigation.RULE}\]"


def context_options(device: str, descriptors: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """``browser.new_context`` arguments for one matrix cell.

    The descriptor's own ``default_browser_type`` is dropped: the engine is the matrix's choice
    (an iPad descriptor names WebKit, but is emulated here on whatever engine runs the cell).
    """
    if device not in DEVICES:
        raise KeyError(f"unknown device {device!r}; known: {', '.join(DEVICES)}")
    name = DEVICES[device]
    if name is None:
        return {"viewport": dict(DESKTOP_VIEWPORT)}
    options = dict(descriptors[name])
    options.pop("default_browser_type", None)
    return options


def installed_engines(env: Mapping[str, str] | None = None, home: Path | None = None) -> dict[str, bool]:
    """Which engines have a Playwright browser build on disk (Chromium counts as installed: it is the system one).

    Looks where Playwright installs browsers: ``$PLAYWRIGHT_BROWSERS_PATH`` or ``~/.cache/ms-playwright``.
    A build on disk may still fail to start; the engine-coverage gate launches each one to be sure.
    """
    env = os.environ if env is None else env
    root = Path(env["PLAYWRIGHT_BROWSERS_PATH"]) if env.get("PLAYWRIGHT_BROWSERS_PATH") else (
        (home or Path.home()) / ".cache" / "ms-playwright")
    found = {"chromium": True}
    for engine in ENGINES[1:]:
        found[engine] = root.is_dir() and any(root.glob(f"{engine}-*"))
    return found


def matrix(devices: Sequence[str], engines: Mapping[str, bool]) -> list[tuple[str, str, str]]:
    """(device, engine, id) cells: every device on Chromium, plus desktop on each other installed engine."""
    cells = [(device, "chromium", device) for device in devices]
    cells += [("desktop", engine, f"desktop-{engine}") for engine in ENGINES[1:] if engines.get(engine)]
    return cells


def page_path(url: str) -> str:
    """Path and query of a URL, the way findings name pages."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


class Journey:
    """The steps of one journey; every unmet expectation is recorded at once through ``record``.

    Each ``expect``-style method returns whether the step held, so a journey can stop at the first
    broken step (later steps would only report the same break again).
    """

    def __init__(self, page: Page, record: Callable[[list[Finding]], object], *, name: str,
                 criterion: str | None = None) -> None:
        self.page = page
        self.record = record
        self.name = name
        self.criterion = criterion
        self.step = "start"
        self.broken = 0

    def opens(self, url: str, *, expect: Collection[int] = ()) -> bool:
        """Navigate to ``url``; a page that does not answer 2xx (or a status in ``expect``) breaks the step.

        The journey then stops at once with that one finding, instead of waiting out every later
        step on a page that is not there.
        """
        missing = navigation.visit(self.page, url, expect=expect)
        if not missing:
            return True
        self.broken += 1
        self.record([replace(f, message=f"{self.name}, step '{self.step}': {f.message}") for f in missing])
        return False

    def fail(self, rule: str, message: str, selector: str | None = None, criterion: str | None = None) -> bool:
        """Record a broken step; always returns False."""
        self.broken += 1
        self.record([Finding(rule=f"journey/{rule}", message=f"{self.name}, step '{self.step}': {message}",
                             criterion=criterion or self.criterion, page=page_path(self.page.url),
                             selector=selector)])
        return False

    def expect(self, ok: bool, rule: str, message: str, selector: str | None = None) -> bool:
        """Record ``message`` unless ``ok``."""
        return True if ok else self.fail(rule, message, selector)

    def sees(self, locator: Locator, rule: str, message: str, timeout_ms: float = STEP_TIMEOUT_MS) -> bool:
        """The element becomes visible within ``timeout_ms``."""
        try:
            locator.first.wait_for(state="visible", timeout=timeout_ms)
        except PlaywrightError:
            return self.fail(rule, message)
        return True

    def arrives(self, predicate: Callable[[str], bool], rule: str, message: str,
                timeout_ms: float = STEP_TIMEOUT_MS) -> bool:
        """The page's URL satisfies ``predicate`` within ``timeout_ms`` (navigations and pushState alike)."""
        try:
            self.page.wait_for_url(lambda url: predicate(url), timeout=timeout_ms)
        except PlaywrightError:
            return self.fail(rule, f"{message} (the browser is at {page_path(self.page.url)})")
        return True

    def does(self, action: Callable[[], T], rule: str, message: str) -> T | None:
        """Run a browser action; a Playwright error (timeout, navigation failure) is a broken step."""
        try:
            return action()
        except PlaywrightError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            self.fail(rule, f"{message}: {first}")
            return None


# -- query strings and form state ---------------------------------------------------------------------

def query_state(url: str, ignore: Iterable[str] = ("lang", "page")) -> dict[str, str]:
    """The non-empty query parameters of ``url`` (the filters a deep link carries)."""
    skip = set(ignore)
    return {k: v for k, v in parse_qsl(urlsplit(url).query) if v and k not in skip}


_FORM_STATE_JS = """(selector) => {
  const form = document.querySelector(selector);
  if (!form) return null;
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.type === 'submit' || el.type === 'button' || el.type === 'hidden') continue;
    if ((el.type === 'checkbox' || el.type === 'radio') && !el.checked) continue;
    if (el.value) out[el.name] = el.value;
  }
  return out;
}"""


def form_state(page: Page, form_selector: str) -> dict[str, str] | None:
    """The non-empty values a person sees in the form (None when there is no such form)."""
    state: dict[str, str] | None = page.evaluate(_FORM_STATE_JS, form_selector)
    return state


def state_differences(expected: Mapping[str, str], actual: Mapping[str, str] | None) -> list[str]:
    """Human-readable differences between two filter states ("area: Andheri -> (empty)")."""
    if actual is None:
        return ["the filter form is missing"]
    keys = sorted(set(expected) | set(actual))
    return [f"{k}: {expected.get(k, '(empty)')} -> {actual.get(k, '(empty)')}"
            for k in keys if expected.get(k, "") != actual.get(k, "")]


# -- validation feedback beside each field ------------------------------------------------------------

_FIELDS_JS = """(selectors) => {
  const LABELABLE = 'input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea';
  const LIVE = '[role=alert], [role=status], [role=log], [aria-live=polite], [aria-live=assertive]';
  const visible = (el) => !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const live = (el) => !!el.closest(LIVE);
  const liveTexts = Array.from(document.querySelectorAll(LIVE))
    .map((el) => el.textContent.replace(/\\s+/g, ' ').trim()).filter(Boolean);
  const fields = {};
  for (const selector of selectors) {
    const field = document.querySelector(selector);
    if (!field) { fields[selector] = null; continue; }
    const ids = (field.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
    const described = ids.map((id) => {
      const el = document.getElementById(id);
      if (!el) return {id, exists: false, text: '', visible: false, live: false, beside: false};
      // Beside its field: the smallest element holding both holds no other form control.
      let common = field.parentElement;
      while (common && !common.contains(el)) common = common.parentElement;
      const others = common ? Array.from(common.querySelectorAll(LABELABLE))
        .filter((c) => c !== field && !field.contains(c)) : [];
      return {id, exists: true, text: el.textContent.replace(/\\s+/g, ' ').trim(), visible: visible(el),
              live: live(el), beside: !!common && others.length === 0};
    });
    fields[selector] = {invalid: field.getAttribute('aria-invalid') === 'true', described};
  }
  return {fields, liveTexts};
}"""


@record
class FieldSnapshot(Record):
    """One field's accessible error state at one moment."""

    invalid: bool
    described: tuple[dict[str, Any], ...]


def snapshot_fields(page: Page, selectors: Sequence[str]) -> tuple[dict[str, FieldSnapshot | None], list[str]]:
    """Each field's aria-invalid and aria-describedby targets, and every live region's text."""
    raw: dict[str, Any] = page.evaluate(_FIELDS_JS, list(selectors))
    fields: dict[str, FieldSnapshot | None] = {}
    for selector, data in raw["fields"].items():
        fields[selector] = None if data is None else FieldSnapshot(bool(data["invalid"]), tuple(data["described"]))
    return fields, [str(t) for t in raw["liveTexts"]]


def validation_findings(before: Mapping[str, FieldSnapshot | None], after: Mapping[str, FieldSnapshot | None],
                        live_texts: Sequence[str], *, page: str) -> list[Finding]:
    """Fields that failed validation must say so beside themselves, programmatically, and be announced.

    ``before`` is the form as first shown, ``after`` the same fields after an invalid submit: the
    error is what ``aria-describedby`` references after that was not referenced before (hints stay).
    """
    out: list[Finding] = []
    for selector, now in after.items():
        def miss(rule: str, message: str, criterion: str = "WCAG 3.3.1", where: str = selector) -> None:
            out.append(Finding(rule=f"field-feedback/{rule}", message=message, criterion=criterion, page=page,
                               selector=where))

        if now is None:
            miss("missing-field", f"{selector} is not on the page after submitting the form")
            continue
        old = before.get(selector)
        known = {d["id"] for d in old.described} if old else set()
        errors = [d for d in now.described if d["id"] not in known and d["exists"] and d["text"]]
        if not now.invalid:
            miss("not-invalid", f"{selector} was rejected but is not marked aria-invalid=\"true\"")
        if not errors:
            miss("no-message", f"{selector} has no error message tied to it with aria-describedby")
            continue
        for error in errors:
            if not error["visible"]:
                miss("hidden-message", f"the error for {selector} (#{error['id']}) is not visible")
            if not error["beside"]:
                miss("not-beside", f"the error for {selector} (#{error['id']}) is not beside its field")
            text = str(error["text"])
            if not (error["live"] or any(text in t for t in live_texts)):
                miss("not-announced", f"the error for {selector} ({text!r}) is in no live region or alert",
                     "WCAG 4.1.3")
    return out


def cleared_findings(before: Mapping[str, FieldSnapshot | None], now: Mapping[str, FieldSnapshot | None],
                     *, page: str) -> list[Finding]:
    """Fields whose error was fixed must drop aria-invalid and every message added since ``before``."""
    out: list[Finding] = []
    for selector, current in now.items():
        if current is None:
            continue
        old = before.get(selector)
        known = {d["id"] for d in old.described} if old else set()
        stale = [d for d in current.described if d["id"] not in known and d["exists"] and d["visible"] and d["text"]]
        if current.invalid or stale:
            shown = f" ({stale[0]['text']!r})" if stale else ""
            out.append(Finding(rule="field-feedback/not-cleared", criterion="WCAG 3.3.1", page=page, selector=selector,
                               message=f"{selector} still shows its error after it was fixed{shown}"))
    return out


# -- error pages ----------------------------------------------------------------------------------------

_PAGE_FACTS_JS = """() => ({
  contentType: document.contentType,
  headings: Array.from(document.querySelectorAll('h1')).map((h) => h.textContent.trim()).filter(Boolean),
  homeLinks: Array.from(document.querySelectorAll('a[href]')).filter((a) => {
    if (a.getAttribute('href') === '/') return true;
    try {
      const url = new URL(a.getAttribute('href'), location.href);
      return url.origin === location.origin && url.pathname === '/';
    } catch (error) {
      return false;
    }
  }).length,
  searchForms: document.querySelectorAll('form[role=search], form input[type=search]').length,
  navLinks: document.querySelectorAll('nav a[href], header a[href]').length,
  html: document.documentElement.outerHTML,
})"""


def error_page_findings(page: Page, status: int | None, expected: int, rule: str) -> list[Finding]:
    """A friendly error page: the right status, an HTML page with a heading, navigation and a way back,
    and (for server errors) no stack trace."""
    where = page_path(page.url)
    facts: dict[str, Any] = page.evaluate(_PAGE_FACTS_JS)
    out: list[Finding] = []

    def miss(message: str, criterion: str | None = None, context: str | None = None) -> None:
        out.append(Finding(rule=rule, message=message, criterion=criterion, page=where, context=context))

    if status != expected:
        miss(f"answered status {status}, expected {expected}")
    if facts["contentType"] != "text/html":
        miss(f"is a bare {facts['contentType']} response, not a page a person can use")
    if not facts["headings"]:
        miss("has no heading that says what happened", "WCAG 2.4.6")
    if not (facts["homeLinks"] or facts["searchForms"]):
        miss("offers no way back: no link to the home page and no search")
    if facts["navLinks"] < 2:
        miss("has no site navigation", "WCAG 3.2.3")
    if match := STACK_TRACE.search(str(facts["html"])):
        text = str(facts["html"])
        miss("shows a stack trace to the user", "OWASP ASVS 7.4.1",
             text[max(0, match.start() - 80): match.end() + 160])
    return out


# -- a headshot to upload --------------------------------------------------------------------------------

def portrait_png(width: int = 120, height: int = 150) -> bytes:
    """A small valid PNG (a plain portrait-shaped image) for upload journeys."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + b"\xb0\x80\x60" * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * height))
            + chunk(b"IEND", b""))


# -- sitemap against navigation ----------------------------------------------------------------------------

def sitemap_lists_navigation(listed: Iterable[str], navigation: Iterable[str], *,
                             page: str = "/sitemap.xml") -> list[Finding]:
    """Pages the navigation links to that the sitemap does not list, compared path *and* query.

    ``/talent`` is a page of its own: listing ``/talent?area=bandra`` does not list the search page.
    """
    have = set(listed)
    return [Finding(rule="sitemap-missing-nav-page", page=page, selector=path, criterion="WCAG 2.4.5",
                    message=f"the navigation links to {path}, which sitemap.xml does not list")
            for path in dict.fromkeys(navigation) if path not in have]
