"""The fixture corpus: tiny pages with known answers, served on a loopback port, and the tally.

Element-level answers live on the elements (``data-expect="fail" | "pass" | "exception:<kind>"``);
page-level answers in ``<meta name="cm-expect" content="rule rule ...">`` (rules the page must
raise; every other rule the check knows must stay silent).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.loopback import serving_files

PAGES = Path(__file__).parent / "pages"


@contextmanager
def serve(root: Path = PAGES) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1, port 0; yields the base URL."""
    with serving_files(root) as url:
        yield url


def pages(folder: str) -> list[str]:
    """The fixture pages of one check, as URL paths."""
    return sorted(f"/{folder}/{p.name}" for p in (PAGES / folder).glob("*.html"))


@dataclass
class Tally:
    """True/false positives and negatives of one check over the corpus."""

    check: str
    tp: int = 0
    fp: int = 0
    tn: int = 0
    fn: int = 0
    wrong: list[str] = field(default_factory=list)

    def add(self, expected: bool, found: bool, what: str) -> None:
        if expected and found:
            self.tp += 1
        elif expected:
            self.fn += 1
            self.wrong.append(f"missed: {what}")
        elif found:
            self.fp += 1
            self.wrong.append(f"false alarm: {what}")
        else:
            self.tn += 1

    def add_rules(self, page: str, known: Iterable[str], expected: Iterable[str], found: Iterable[str]) -> None:
        exp, got = set(expected), set(found)
        for rule in sorted(set(known) | exp | got):
            self.add(rule in exp, rule in got, f"{page} {rule}")

    def row(self) -> str:
        return f"{self.check:<12} {self.tp:>4} {self.fp:>4} {self.tn:>4} {self.fn:>4}"


HEADER = f"{'check':<12} {'TP':>4} {'FP':>4} {'TN':>4} {'FN':>4}"


# -- running each check over its fixture pages -------------------------------------------------

from collections.abc import Callable  # noqa: E402 - grouped with the runners that need it

from playwright.sync_api import Page  # noqa: E402

from pytest_castmatch.checks import axe, keyboard, layout, motion, structure, targets  # noqa: E402
from pytest_castmatch.model import Finding  # noqa: E402

KNOWN: dict[str, tuple[str, ...]] = {
    "keyboard": ("keyboard-trap", "keyboard-unreachable", "keyboard-reverse-order", "focus-order", "skip-link",
                 "bypass-blocks", "keyboard-operable", "keyboard-escape", "focus-visible", "focus-appearance"),
    "layout": ("reflow", "layout-horizontal-scroll", "layout-overlap", "layout-clipped-text", "layout-spills-out",
               "text-resize-overlap", "text-resize-clipped-text", "text-resize-spills-out"),
    "structure": ("landmarks", "one-h1", "heading-order", "heading-empty", "accessible-name", "page-language",
                  "page-direction", "language-of-parts"),
    "motion": ("reduced-motion", "reduced-motion-autoplay", "pause-control-missing", "pause-control-ineffective",
               "motion-duration-token"),
    "axe": ("axe/color-contrast", "axe/color-contrast-enhanced", "axe/landmark-one-main", "axe/region",
            "axe/page-has-heading-one", "axe/button-name", "axe/html-has-lang"),
}

_META = """() => { const m = document.querySelector('meta[name=cm-expect]');
  return m ? {rules: m.content, check: m.dataset.check || '', lang: m.dataset.lang || '', rtl: m.dataset.rtl || '',
              theme: m.dataset.themeOnly || ''} : null; }"""


def expectation(page: Page) -> dict[str, str]:
    """The page's ``cm-expect`` meta: expected rules and how to run the check."""
    meta = page.evaluate(_META)
    assert meta is not None, f"{page.url} has no <meta name=cm-expect>"
    return {str(k): str(v) for k, v in meta.items()}


def _errors(found: list[Finding]) -> set[str]:
    return {f.rule for f in found if f.severity == "error"}


def run_keyboard(page: Page, url: str) -> tuple[set[str], dict[str, str]]:
    page.goto(url)
    return _errors(keyboard.all_checks(page)), expectation(page)


def run_layout(page: Page, url: str) -> tuple[set[str], dict[str, str]]:
    page.goto(url)
    found = layout.reflow(page)
    found += layout.breakpoints(page, url, sizes=((360, 740), (1024, 768)))
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(url)
    found += layout.text_resize(page)
    return _errors(found), expectation(page)


def run_structure(page: Page, url: str) -> tuple[set[str], dict[str, str]]:
    page.goto(url)
    meta = expectation(page)
    found = structure.landmarks_and_headings(page) + structure.accessible_names(page)
    found += structure.language(page, meta["lang"] or "en", rtl=bool(meta["rtl"]) if meta["lang"] else None)
    return _errors(found), meta


def run_motion(page: Page, url: str) -> tuple[set[str], dict[str, str]]:
    page.goto(url)
    meta = expectation(page)
    check = meta["check"]
    motion.open_for_motion(page, url, reduce=check == "reduced")
    if check == "reduced":
        found = motion.reduced(page)
    elif check == "pause":
        found = motion.pause_control(page)
    else:
        found = motion.within_tokens(page, (150, 320))
    return _errors(found), meta


def run_axe(page: Page, url: str) -> tuple[set[str], dict[str, str]]:
    page.goto(url)
    meta = expectation(page)
    found = axe.scan_themes(page, url)
    rules = _errors(found)
    if meta["theme"]:
        # The rule must fire in that theme only.
        mark = f"theme={meta['theme']}"
        here = {f.rule for f in found if f.severity == "error" and mark in (f.context or "")}
        other = {f.rule for f in found if f.severity == "error" and mark not in (f.context or "")}
        rules = here | {r + "@other-theme" for r in other}
    return rules, meta


RUNNERS: dict[str, Callable[[Page, str], tuple[set[str], dict[str, str]]]] = {
    "keyboard": run_keyboard, "layout": run_layout, "structure": run_structure, "motion": run_motion, "axe": run_axe,
}


def judge_page(check: str, page: Page, base: str, path: str, tally: Tally) -> None:
    """Run ``check`` on one fixture page and add its answers to ``tally``."""
    found, meta = RUNNERS[check](page, base + path)
    tally.add_rules(path, KNOWN[check], meta["rules"].split(), found)


_ELEMENT_ANSWERS = """() => Array.from(document.querySelectorAll('[data-expect]'))
  .map((el) => [el.id, el.dataset.expect])"""


def judge_targets(page: Page, tally: Tally | None = None) -> Tally:
    """Compare what the target-size check says about each element with its ``data-expect`` answer."""
    tally = tally or Tally("targets")
    expected: list[list[str]] = page.evaluate(_ELEMENT_ANSWERS)
    found = {m.selector.lstrip("#"): m for m in targets.measure(page)}
    for ident, answer in expected:
        m = found.get(ident)
        tally.add(answer == "fail", m is not None and not m.exception, f"{page.url} #{ident} ({answer})")
        if answer.startswith("exception:"):
            tally.add(True, m is not None and m.exception == answer.split(":", 1)[1],
                      f"{page.url} #{ident} {answer}, got {m.exception if m else 'nothing'}")
    for ident in set(found) - {i for i, _ in expected}:
        tally.add(False, True, f"{page.url} unexpected target {ident}")
    return tally
