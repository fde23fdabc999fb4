"""axe-core over a Playwright page: WCAG 2.2 A/AA/AAA and best practice, with a per-page baseline.

axe-playwright-python's ``Axe().run`` re-injects the 500 kB script on every call and, when given
options, drops its ``resultTypes``; here the bundled ``axe.min.js`` is injected once per document and
``axe.run`` is called with our own options. AAA rules (``color-contrast-enhanced``...) only run when
their tag is selected, so the tags are explicit.

A scan does the same rule work as a plain ``axe.run`` and reports the same violations and incomplete
results, minus three costs that change neither (see ``_SETUP`` and ``RUN_OPTIONS``): colour strings
parsed once per run instead of once per node, no CSSOM preload (only the experimental
``css-orientation-lock`` reads it, and the tags never select experimental rules), and no serialising
of passed or inapplicable rules that would be thrown away.

A violation is an error; an incomplete result (axe could not decide: text over a gradient or a
picture, partly hidden text) is a needs-review item, never dropped. A page is scanned in its dark
theme only where it has one, and a problem found in both themes is reported once.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from pytest_castmatch.checks import contrast, navigation
from pytest_castmatch.checks.evidence import Evidence, page_path, shoot
from pytest_castmatch.checks.theme import colours, colours_differ
from pytest_castmatch.model import Finding, Severity
from pytest_castmatch.record import Record, record

#: Every WCAG 2.x level up to AAA, plus Deque's best practices.
WCAG_AAA_TAGS: tuple[str, ...] = (
    "wcag2a", "wcag2aa", "wcag2aaa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice",
)

#: Where a rule's criterion is read from: axe tags such as ``wcag143`` -> "WCAG 1.4.3".
_LEVEL_TAGS = frozenset(WCAG_AAA_TAGS) | {"wcag21aaa", "wcag22a", "wcag22aaa"}


class BaselineError(ValueError):
    """The baseline file is malformed; the message names the entry and the fix."""


@cache
def axe_script() -> str:
    """The axe-core build bundled with axe-playwright-python (read once per process)."""
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or spec.origin is None:
        raise RuntimeError("axe-playwright-python is not installed: pip install axe-playwright-python "
                           "(it bundles the axe-core build the accessibility gates run)")
    return (Path(spec.origin).parent / "axe.min.js").read_text(encoding="utf-8")


def axe_version() -> str:
    """The bundled axe-core version, for the report's environment."""
    head = axe_script()[:200]
    marker = "axe v"
    start = head.find(marker)
    return head[start + len(marker):].split()[0] if start >= 0 else "unknown"


#: Options of every scan besides the tags. ``preload`` keeps axe's media preload (``no-autoplay-audio``
#: needs the media's duration) and drops the CSSOM one, which parses every stylesheet again for the
#: experimental ``css-orientation-lock`` alone (see ``run_options``). ``resultTypes`` keeps one node
#: per passed rule, and the reporter drops those too (``_SETUP``).
RUN_OPTIONS: Mapping[str, Any] = {
    "resultTypes": ["violations", "incomplete"],
    "preload": {"assets": ["media"]},
    "reporter": "castmatch-results",
}


def run_options(tags: Sequence[str], rules: Sequence[str] = ()) -> dict[str, Any]:
    """``axe.run`` options for ``tags``, or for just the named ``rules`` when given: axe skips experimental
    rules unless the tag itself is asked for, and only then may the CSSOM preload be read."""
    only = {"type": "rule", "values": list(rules)} if rules else {"type": "tag", "values": list(tags)}
    options = {**RUN_OPTIONS, "runOnly": only}
    if "experimental" in tags:
        options["preload"] = {"assets": ["cssom", "media"]}
    return options

# Run once per document, after axe itself.
#
# Colour: the contrast rules build a colour object from a computed-style string for every layer of
# every text node (about 700 on the home page, 7 distinct strings), and colorjs's parse of the string
# is their costliest step. The parse depends on the string alone, so within one run each distinct
# string is parsed once and the same four channel values are set again from then on (the setters
# derive everything else). The memo lives for one run only, a parse that throws is not memoised (it
# throws again, with axe's own bookkeeping), and outside our runs the method behaves as before.
#
# Reporter: axe's own v1 reporter, given only the rules that have violations or incomplete results and
# none of their passes: what it returns is what ``axe.run`` returns for those two result types,
# without first computing a unique selector and a summary for a node of every other rule.
_SETUP = """() => {
  const engine = window.axe;
  let memo = null;
  const Color = engine.commons && engine.commons.color && engine.commons.color.Color;
  if (Color && typeof Color.prototype.parseString === 'function') {
    const parse = Color.prototype.parseString;
    Color.prototype.parseString = function (text) {
      const known = memo && memo.get(text);
      if (known) {
        this.r = known[0]; this.g = known[1]; this.b = known[2]; this.alpha = known[3];
        return this;
      }
      const out = parse.call(this, text);
      if (memo) memo.set(text, [this.r, this.g, this.b, this.alpha]);
      return out;
    };
  }
  const v1 = engine.getReporter('v1');
  engine.addReporter('castmatch-results', (results, options, done) => {
    const kept = results
      .filter((rule) => (rule.violations && rule.violations.length) || (rule.incomplete && rule.incomplete.length))
      .map((rule) => Object.assign({}, rule, {passes: [], inapplicable: []}));
    v1(kept, options, (report) => done({violations: report.violations, incomplete: report.incomplete}));
  });
  window.__castmatchAxe = {
    engine,
    run: async (context, options) => {
      memo = new Map();
      try {
        return await engine.run(context || document, options);
      } finally {
        memo = null;
      }
    },
  };
}"""

# null when this document has no axe of ours (new document, or another tool replaced ``window.axe``).
_RUN = """([context, options]) => {
  const scan = window.__castmatchAxe;
  return scan && scan.engine === window.axe ? scan.run(context, options) : null;
}"""


def inject(page: Page) -> bool:
    """Put axe into the current document unless it is already there; True when it was injected."""
    if page.evaluate("() => !!window.__castmatchAxe && window.__castmatchAxe.engine === window.axe"):
        return False
    page.evaluate(axe_script())
    page.evaluate(_SETUP)
    return True


@record
class Results(Record):
    """What one axe run found: violations, and incomplete results (axe could not decide)."""

    violations: list[dict[str, Any]]
    incomplete: list[dict[str, Any]]


def run(page: Page, tags: Sequence[str] = WCAG_AAA_TAGS, context: Any = None, rules: Sequence[str] = ()) -> Results:
    """Run axe once over the page (injecting it if needed): its violations and incomplete results
    (of the named ``rules`` alone when given, else of every rule ``tags`` select)."""
    options = run_options(tags, rules)
    # One round trip when axe is already in the document; the injection only on a miss.
    result = page.evaluate(_RUN, [context, options])
    if result is None:
        inject(page)
        result = page.evaluate(_RUN, [context, options])
    return Results(list(result["violations"]), list(result["incomplete"]))


def criterion(tags: Iterable[str]) -> str | None:
    """``["wcag2aaa", "wcag146"]`` -> ``"WCAG 1.4.6"``; best-practice rules have none."""
    for tag in tags:
        digits = tag[4:]
        if tag.startswith("wcag") and tag not in _LEVEL_TAGS and digits.isdigit() and len(digits) >= 3:
            return f"WCAG {digits[0]}.{digits[1]}.{digits[2:]}"
    return None


@record
class BaselineEntry(Record):
    """A known violation accepted until ``expires``: one page, one rule, one selector."""

    page: str
    rule: str
    selector: str
    owner: str
    reason: str
    expires: dt.date

    def matches(self, page: str, rule: str, selector: str) -> bool:
        return (self.page in (page, "*")) and self.rule == rule and self.selector in (selector, "*")


def load_baseline(path: Path, owners: Iterable[str] = ()) -> list[BaselineEntry]:
    """Read ``baselines/axe-baseline.toml`` (``[[entry]]`` tables); a missing file is an empty baseline."""
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise BaselineError(f"{path}: not valid TOML: {exc}") from None
    known = set(owners)
    out = []
    for n, raw in enumerate(data.get("entry", []), start=1):
        missing = [k for k in ("page", "rule", "selector", "owner", "reason", "expires") if k not in raw]
        if missing:
            raise BaselineError(f"{path}: entry {n} lacks {', '.join(missing)} — every entry needs page, rule, "
                                "selector, owner, reason and expires (a date)")
        if not isinstance(raw["expires"], dt.date):
            raise BaselineError(f"{path}: entry {n}: expires must be a TOML date like 2026-03-31")
        if known and raw["owner"] not in known:
            raise BaselineError(f"{path}: entry {n}: unknown owner {raw['owner']!r} — use a team from gates.toml")
        out.append(BaselineEntry(str(raw["page"]), str(raw["rule"]), str(raw["selector"]), str(raw["owner"]),
                                 str(raw["reason"]), raw["expires"]))
    return out


def expired_entries(baseline: Iterable[BaselineEntry], today: dt.date | None = None) -> list[Finding]:
    """One blocking finding per baseline entry past its expiry date."""
    day = today or dt.date.today()
    return [
        Finding(rule="axe-baseline-expired", criterion=None, page=e.page, selector=e.selector,
                message=f"baseline entry for {e.rule} (owner {e.owner}) expired on {e.expires}: fix the "
                        f"violation or renew the entry with a reason",
                context=e.reason)
        for e in baseline if e.expires < day
    ]


def _target(node: Mapping[str, Any]) -> str:
    return " ".join(str(t) if isinstance(t, str) else " >>> ".join(t) for t in node.get("target", []))


def _reason(node: Mapping[str, Any]) -> str:
    """Why axe could not decide: the first message of the node's checks."""
    for key in ("any", "all", "none"):
        for check in node.get(key, []):
            if check.get("message"):
                return str(check["message"])
    return "axe could not decide"


def findings(
    page: Page,
    *,
    theme: str,
    baseline: Sequence[BaselineEntry] = (),
    tags: Sequence[str] = WCAG_AAA_TAGS,
    evidence: Evidence | None = None,
    today: dt.date | None = None,
    rules: Sequence[str] = (),
) -> list[Finding]:
    """axe's results on the page as it is now, one finding per rule and element (of ``rules`` alone
    when given: a gate that judges a few rules runs only those; ``tags`` still say the level).

    A violation is an error. An incomplete result is a needs-review item, except undecided text
    contrast that its rendered pixels decide (see :mod:`contrast`). Any of them covered by a live
    baseline entry is a note.
    """
    path = page_path(page)
    day = today or dt.date.today()
    results = run(page, tags, rules=rules)
    # (rule, criterion, severity, selector, message, detail) before the baseline is applied.
    raw: list[tuple[str, str | None, Severity, str, str, str]] = []
    for rule_result in results.violations:
        rule = str(rule_result["id"])
        for node in rule_result.get("nodes", []):
            raw.append((rule, criterion(rule_result.get("tags", [])), Severity.HIGH, _target(node),
                        f"{rule_result.get('help', rule)} ({rule_result.get('impact') or 'n/a'})",
                        str(node.get("failureSummary", ""))))
    judged: set[str] = set()
    for rule_result in results.incomplete:
        rule = str(rule_result["id"])
        for node in rule_result.get("nodes", []):
            selector = _target(node)
            decided = None
            if rule in contrast.RULES:
                if selector in judged:
                    continue
                judged.add(selector)
                decided = contrast.decide(page, node, aaa="wcag2aaa" in tags)
            if decided is None:
                raw.append((rule, criterion(rule_result.get("tags", [])), Severity.REVIEW, selector,
                            f"needs review: {rule_result.get('help', rule)}: {_reason(node)}", ""))
            else:
                raw.extend((r, contrast.RULES[r], sev, selector, msg, "") for r, sev, msg in decided)
    out = []
    for rule, crit, severity, selector, message, detail in raw:
        entry = next((e for e in baseline if e.matches(path, rule, selector) and e.expires >= day), None)
        if entry:
            severity = Severity.NOTE
            message += f" — baselined by {entry.owner} until {entry.expires}: {entry.reason}"
        pic = () if entry else shoot(evidence, page, selector, f"{theme}-{rule}-{path}")
        out.append(Finding(rule=f"axe/{rule}", message=message, severity=severity, criterion=crit, page=path,
                           selector=selector, context=f"theme={theme} {detail}".strip()[:500], evidence=pic))
    return out


def scan_themes(
    page: Page,
    url: str,
    *,
    themes: Sequence[str] = ("light", "dark"),
    baseline: Sequence[BaselineEntry] = (),
    evidence: Evidence | None = None,
    toggle: str | None = None,
) -> list[Finding]:
    """Load ``url`` once and scan it in each colour theme it has (axe stays injected across themes).

    The dark theme is scanned only where the page has one: its colours change under
    ``prefers-color-scheme: dark``, or, when ``toggle`` names the page's theme switch, after pressing
    it (and pressing it again to leave the page as it was). A problem found in several themes is one
    finding naming them all.
    """
    out: list[Finding] = []
    if missing := navigation.visit(page, url):
        return missing
    light: list[str] | None = None
    for name in themes:
        page.emulate_media(color_scheme=name)  # type: ignore[arg-type]
        if name == "light":
            light = colours(page)
        elif name == "dark" and light is not None and not colours_differ(light, colours(page)):
            if toggle and page.locator(toggle).count():
                out.extend(_scan_toggled(page, light, toggle, baseline, evidence))
            continue
        out.extend(findings(page, theme=name, baseline=baseline, evidence=evidence))
    return merge_themes(out)


def _scan_toggled(page: Page, light: list[str], toggle: str, baseline: Sequence[BaselineEntry],
                  evidence: Evidence | None) -> list[Finding]:
    page.emulate_media(color_scheme="light")
    page.locator(toggle).first.click()
    page.wait_for_load_state("load")
    differs = colours_differ(light, colours(page))
    found = findings(page, theme="dark", baseline=baseline, evidence=evidence) if differs else []
    page.locator(toggle).first.click()
    page.wait_for_load_state("load")
    return found


def merge_themes(found: Iterable[Finding]) -> list[Finding]:
    """One finding per (rule, page, element, severity): the themes it was found in joined in its context."""
    merged: dict[tuple[str, str | None, str | None, Severity], Finding] = {}
    themes: dict[tuple[str, str | None, str | None, Severity], list[str]] = {}
    for f in found:
        key = (f.rule, f.page, f.selector, f.severity)
        name = (f.context or "").split(" ", 1)[0].removeprefix("theme=")
        if key not in merged:
            merged[key] = f
            themes[key] = [name]
        elif name not in themes[key]:
            themes[key].append(name)
    out = []
    for key, f in merged.items():
        rest = (f.context or "").split(" ", 1)[1] if " " in (f.context or "") else ""
        context = f"theme={','.join(themes[key])} {rest}".strip()
        out.append(Finding(rule=f.rule, message=f.message, severity=f.severity, criterion=f.criterion, page=f.page,
                           selector=f.selector, context=context, evidence=f.evidence))
    return out


def counts(found: Iterable[Finding], severity: Severity | None = None) -> Mapping[str, int]:
    """Unique problems per rule: blocking violations of every failing severity (what the launch metric
    counts) by default, one severity (``Severity.REVIEW`` for the items awaiting review) when given. The
    same element's problem in two themes or two scans counts once."""
    seen: set[tuple[str, str | None, str | None]] = set()
    tally: dict[str, int] = {}
    for f in found:
        key = (f.rule, f.page, f.selector)
        wanted = f.severity.fails if severity is None else f.severity is severity
        if wanted and f.rule.startswith("axe/") and key not in seen:
            seen.add(key)
            tally[f.rule] = tally.get(f.rule, 0) + 1
    return tally
