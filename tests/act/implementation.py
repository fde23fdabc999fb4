"""Our implementation of W3C ACT rules: which check answers each rule, and ACT's consistency measure.

The vendored test cases (``tests/act/<rule>/*.html``, listed in ``cases.json``; see NOTICE.md) are
served on loopback and each is given to the check that implements its rule. A case's outcome is
``failed`` when the check records a finding that fails its gate for that rule, ``cantTell`` when it
records a needs-review item, and ``passed`` otherwise (ACT treats passed and inapplicable alike here).

Consistency follows the ACT Rules Community Group's implementation mapping (act-tools,
``getConsistency``): any failed outcome on a passed or inapplicable case makes an implementation
**inconsistent**; it is **consistent** when it finds at least one failed case, reports no failed
case as passed, answers every case and fails exactly the rule's accessibility requirements; otherwise
(misses, or only some requirements) it is **partially consistent**.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from pytest_castmatch.checks import axe, focus, keyboard, layout, links, motion, structure, targets
from pytest_castmatch.model import Finding, Severity
from tests.loopback import serving_files

ROOT = Path(__file__).parent
#: ACT's test cases do not name a viewport; this is the one every case is opened in.
VIEWPORT = {"width": 1280, "height": 1024}


@dataclass(frozen=True)
class Rule:
    """One ACT rule as vendored: its id, name, source commit and accessibility requirements."""

    id: str
    name: str
    commit: str
    source: str
    requirements: tuple[str, ...]
    secondary: tuple[str, ...]


@dataclass(frozen=True)
class Case:
    """One ACT test case and the outcome the rule expects."""

    rule: str
    title: str
    expected: str
    file: str


@dataclass(frozen=True)
class Procedure:
    """How one of our checks answers an ACT rule.

    ``run`` opens the case and returns the check's findings; ``counts`` says which of them speak
    for this rule; ``fails`` lists the WCAG criteria a failure of the check claims.
    """

    check: str
    run: Callable[[Page, str], list[Finding]]
    counts: Callable[[Finding], bool]
    fails: tuple[str, ...]


def load() -> tuple[list[Rule], list[Case]]:
    """The vendored rules and test cases (``cases.json``)."""
    data = json.loads((ROOT / "cases.json").read_text(encoding="utf-8"))
    rules = [Rule(r["id"], r["name"], r["commit"], r["source"], tuple(r["requirements"]), tuple(r["secondary"]))
             for r in data["rules"]]
    cases = [Case(c["rule"], c["title"], c["expected"], c["file"]) for c in data["cases"]]
    return rules, cases


@contextmanager
def serve() -> Iterator[str]:
    """Serve the vendored cases (and their test assets at ``/test-assets``) on 127.0.0.1, port 0."""
    with serving_files(ROOT) as url:
        yield url


def _open(page: Page, url: str) -> None:
    page.set_viewport_size(VIEWPORT)  # type: ignore[arg-type]
    page.goto(url, wait_until="load")


def _rule(*names: str) -> Callable[[Finding], bool]:
    return lambda f: f.rule in names


def _criterion(*criteria: str) -> Callable[[Finding], bool]:
    wanted = {f"WCAG {c}" for c in criteria}
    return lambda f: f.criterion in wanted


def _targets(page: Page, url: str) -> list[Finding]:
    _open(page, url)
    return targets.enhanced(page)


def _contrast(page: Page, url: str) -> list[Finding]:
    # axe's enhanced-contrast rule leaves text below 4.5:1 to its AA rule: both speak for 1.4.6.
    _open(page, url)
    return axe.findings(page, theme="light", tags=("wcag2aa", "wcag2aaa"))


def _focus(page: Page, url: str) -> list[Finding]:
    _open(page, url)
    return focus.focus_appearance(page)


def _zoom_text(page: Page, url: str) -> list[Finding]:
    # 1280 x 1024 at 200 % zoom is a 640 x 512 viewport (the rule's own note).
    page.set_viewport_size({"width": 640, "height": 512})
    page.goto(url, wait_until="load")
    return layout.collisions(page, viewport="640x512")


def _updates(page: Page, url: str) -> list[Finding]:
    page.set_viewport_size(VIEWPORT)  # type: ignore[arg-type]
    motion.open_for_motion(page, url, reduce=False)
    return motion.pause_control(page)


def _trap(page: Page, url: str) -> list[Finding]:
    _open(page, url)
    return keyboard.reachability(page)


def _headings(page: Page, url: str) -> list[Finding]:
    _open(page, url)
    return structure.landmarks_and_headings(page)


def _bypass(page: Page, url: str) -> list[Finding]:
    _open(page, url)
    return keyboard.skip_link(page)


def _names(page: Page, url: str) -> list[Finding]:
    _open(page, url)
    return structure.accessible_names(page)


def _axe(page: Page, url: str) -> list[Finding]:
    # The gate's own axe run: every WCAG level it judges (A to AAA), on the page as loaded.
    _open(page, url)
    return axe.findings(page, theme="light")


def _page_language(page: Page, url: str) -> list[Finding]:
    _open(page, url)
    return structure.language(page)


def _links(page: Page, url: str) -> list[Finding]:
    _open(page, url)
    return links.purpose(page)


#: The roles ACT's form-field rule (e086e5) applies to.
FORM_FIELD_ROLES = frozenset({"checkbox", "combobox", "listbox", "menuitemcheckbox", "menuitemradio", "radio",
                              "searchbox", "slider", "spinbutton", "switch", "textbox"})

PROCEDURES: dict[str, Procedure] = {
    "gi8qkf": Procedure("targets.enhanced", _targets, _rule("target-size-enhanced"), ("2.5.5",)),
    "09o5cg": Procedure("axe.findings (AA + AAA)", _contrast,
                        _rule("axe/color-contrast", "axe/color-contrast-enhanced"), ("1.4.6", "1.4.3")),
    "oj04fd": Procedure("focus.focus_appearance", _focus, _rule("focus-visible"), ("2.4.7",)),
    "59br37": Procedure("layout.collisions (640 x 512)", _zoom_text, _rule("layout-clipped-text"), ("1.4.4",)),
    "efbfc7": Procedure("motion.pause_control", _updates, _criterion("2.2.2"), ("2.2.2",)),
    "80af7b": Procedure("keyboard.reachability", _trap, _rule("keyboard-trap"), ("2.1.2",)),
    "ffd0e9": Procedure("structure.landmarks_and_headings", _headings, _rule("heading-empty"), ()),
    "5effbb": Procedure("links.purpose", _links, _criterion("2.4.4"), ("2.4.4",)),
    "aizyf1": Procedure("links.purpose", _links, _criterion("2.4.4", "2.4.9"), ("2.4.9",)),
    "cf77f2": Procedure("keyboard.skip_link", _bypass, _criterion("2.4.1"), ("2.4.1",)),
    "c487ae": Procedure("structure.accessible_names", _names,
                        lambda f: f.rule == "accessible-name" and f.message.split(" ")[0] in structure.LINK_ROLES,
                        ("4.1.2",)),
    "97a4e1": Procedure("structure.accessible_names", _names,
                        lambda f: f.rule == "accessible-name" and f.message.startswith("button "), ("4.1.2",)),
    "b5c3f8": Procedure("structure.language", _page_language, _rule("page-language"), ("3.1.1",)),
    "e086e5": Procedure("structure.accessible_names", _names,
                        lambda f: f.rule == "accessible-name" and f.message.split(" ")[0] in FORM_FIELD_ROLES,
                        ("4.1.2",)),
    "59796f": Procedure("structure.accessible_names", _names,
                        lambda f: f.rule == "accessible-name" and f.message.startswith("button "), ("4.1.2",)),
    "23a2a8": Procedure("axe.findings (A to AAA)", _axe, _rule("axe/image-alt", "axe/role-img-alt", "axe/svg-img-alt"),
                        ("1.1.1",)),
    "afw4f7": Procedure("axe.findings (A to AAA)", _axe, _rule("axe/color-contrast"), ("1.4.3",)),
}


def outcome(found: Iterable[Finding], counts: Callable[[Finding], bool]) -> str:
    """ACT outcome of one case from the findings that speak for the rule."""
    mine = [f for f in found if counts(f)]
    if any(f.severity.fails for f in mine):
        return "failed"
    if any(f.severity is Severity.REVIEW for f in mine):
        return "cantTell"
    return "passed"


@dataclass
class RuleResult:
    """One rule's cases, what our check said about each, and the case counts."""

    rule: Rule
    procedure: Procedure
    results: list[tuple[Case, str]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    def count(self, expected: str, got: str) -> int:
        """Cases expected ``expected`` (passed also stands for inapplicable) that came out ``got``."""
        want = {"passed", "inapplicable"} if expected == "passed" else {expected}
        return sum(1 for case, out in self.results if case.expected in want and out == got)

    @property
    def wrong(self) -> list[str]:
        """Cases whose outcome disagrees with the expected one (cantTell is not a disagreement)."""
        return [f"{case.file} ({case.title}): expected {case.expected}, got {out}"
                + (f" ({self.errors[case.file]})" if case.file in self.errors else "")
                for case, out in self.results
                if out == "untested" or (out != "cantTell" and (out == "failed") != (case.expected == "failed"))]

    @property
    def consistency(self) -> str:
        """ACT's verdict on this implementation of the rule."""
        return consistency([(c.expected, out) for c, out in self.results], self.rule, self.procedure.fails)


def consistency(results: Sequence[tuple[str, str]], rule: Rule, fails: Sequence[str]) -> str:
    """``consistent``, ``partially consistent`` or ``inconsistent`` by ACT's definitions."""
    false_positive = any(expected in ("passed", "inapplicable") and out == "failed" for expected, out in results)
    true_positive = any(expected == "failed" and out == "failed" for expected, out in results)
    false_negative = any(expected == "failed" and out in ("passed", "inapplicable", "untested")
                         for expected, out in results)
    untested = any(out == "untested" for _, out in results)
    cant_tell = any(out == "cantTell" for _, out in results)
    inapplicable_right = all(out != "failed" for expected, out in results if expected == "inapplicable")
    allowed = set(rule.requirements) | set(rule.secondary)
    maps_all = set(rule.requirements) <= set(fails) and set(fails) <= allowed
    if false_positive:
        return "inconsistent"
    if maps_all and not false_negative and not untested and true_positive:
        return "consistent"
    if true_positive or (cant_tell and inapplicable_right):
        return "partially consistent"
    return "inconsistent"


def run_rule(page: Page, base: str, rule: Rule, cases: Iterable[Case]) -> RuleResult:
    """Every case of ``rule`` through the check that implements it."""
    procedure = PROCEDURES[rule.id]
    result = RuleResult(rule, procedure)
    for case in cases:
        if case.rule != rule.id:
            continue
        try:
            found = procedure.run(page, f"{base}/{case.file}")
        except PlaywrightError as exc:
            # A check that breaks on a page answers nothing: "untested", never a pass.
            result.errors[case.file] = str(exc).splitlines()[0]
            result.results.append((case, "untested"))
            continue
        result.results.append((case, outcome(found, procedure.counts)))
    return result


HEADER = (f"{'rule':<7} {'name':<58} {'check':<32} {'agree':>7} {'P/I ok':>6} {'F found':>7} "
          f"{'review':>6} {'FP':>3} {'FN':>3}  consistency")


def row(r: RuleResult) -> str:
    """One line of the implementation table: cases whose outcome agrees with the expected one, of all
    the rule's cases; the counts behind it; ACT's consistency."""
    total = len(r.results)
    ok = r.count("passed", "passed")
    found = r.count("failed", "failed")
    review = sum(1 for _, out in r.results if out == "cantTell")
    fp = r.count("passed", "failed")
    fn = r.count("failed", "passed")
    agree = f"{ok + found}/{total}"
    return (f"{r.rule.id:<7} {r.rule.name[:58]:<58} {r.procedure.check:<32} {agree:>7} {ok:>6} {found:>7} "
            f"{review:>6} {fp:>3} {fn:>3}  {r.consistency}")
