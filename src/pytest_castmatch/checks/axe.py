"""axe-core over a Playwright page: WCAG 2.2 A/AA/AAA and best practice, with a per-page baseline.

axe-playwright-python's ``Axe().run`` re-injects the 500 kB script on every call and, when given
options, drops its ``resultTypes``; here the bundled ``axe.min.js`` is injected once per document and
``axe.run`` is called with our own options. AAA rules (``color-contrast-enhanced``...) only run when
their tag is selected, so the tags are explicit.

A scan does the same rule work as a plain ``axe.run`` and reports the same violations, minus three
costs that change no violation (see ``_SETUP`` and ``RUN_OPTIONS``): colour strings parsed once per
run instead of once per node, no CSSOM preload (only the experimental ``css-orientation-lock`` reads
it, and the tags never select experimental rules), and no serialising of passed or inapplicable rules
that would be thrown away.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from pytest_castmatch.checks import navigation
from pytest_castmatch.checks.evidence import Evidence, page_path, shoot
from pytest_castmatch.model import Finding

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
    "resultTypes": ["violations"],
    "preload": {"assets": ["media"]},
    "reporter": "castmatch-violations",
}


def run_options(tags: Sequence[str]) -> dict[str, Any]:
    """``axe.run`` options for ``tags``: axe skips experimental rules unless the tag itself is asked for,
    and only then may the CSSOM preload be read."""
    options = {**RUN_OPTIONS, "runOnly": {"type": "tag", "values": list(tags)}}
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
# Reporter: axe's own v1 reporter, given only the rules that have violations and none of their
# passes: the violations it returns are the ones ``axe.run`` returns, without first computing a unique
# selector and a failure summary for a node of every other rule.
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
  engine.addReporter('castmatch-violations', (results, options, done) => {
    const failed = results.filter((rule) => rule.violations && rule.violations.length)
      .map((rule) => Object.assign({}, rule, {passes: [], incomplete: [], inapplicable: []}));
    v1(failed, options, (report) => done(report.violations));
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


def run(page: Page, tags: Sequence[str] = WCAG_AAA_TAGS, context: Any = None) -> list[dict[str, Any]]:
    """Run axe once over the page (injecting it if needed) and return its violations."""
    options = run_options(tags)
    # One round trip when axe is already in the document; the injection only on a miss.
    result = page.evaluate(_RUN, [context, options])
    if result is None:
        inject(page)
        result = page.evaluate(_RUN, [context, options])
    return list(result)


def criterion(tags: Iterable[str]) -> str | None:
    """``["wcag2aaa", "wcag146"]`` -> ``"WCAG 1.4.6"``; best-practice rules have none."""
    for tag in tags:
        digits = tag[4:]
        if tag.startswith("wcag") and tag not in _LEVEL_TAGS and digits.isdigit() and len(digits) >= 3:
            return f"WCAG {digits[0]}.{digits[1]}.{digits[2:]}"
    return None


@dataclass(frozen=True)
class BaselineEntry:
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


def findings(
    page: Page,
    *,
    theme: str,
    baseline: Sequence[BaselineEntry] = (),
    tags: Sequence[str] = WCAG_AAA_TAGS,
    evidence: Evidence | None = None,
    today: dt.date | None = None,
) -> list[Finding]:
    """axe violations on the page as it is now, one finding per rule and element.

    A violation covered by a live baseline entry is reported as a note; everything else is an error.
    """
    path = page_path(page)
    day = today or dt.date.today()
    out = []
    for violation in run(page, tags):
        rule = str(violation["id"])
        for node in violation.get("nodes", []):
            selector = " ".join(str(t) if isinstance(t, str) else " >>> ".join(t) for t in node.get("target", []))
            entry = next((e for e in baseline if e.matches(path, rule, selector) and e.expires >= day), None)
            severity = "note" if entry else "error"
            message = f"{violation.get('help', rule)} ({violation.get('impact') or 'n/a'})"
            if entry:
                message += f" — baselined by {entry.owner} until {entry.expires}: {entry.reason}"
            pic = () if entry else shoot(evidence, page, selector, f"{theme}-{rule}-{path}")
            out.append(Finding(
                rule=f"axe/{rule}", message=message, severity=severity, criterion=criterion(violation.get("tags", [])),
                page=path, selector=selector, context=f"theme={theme} {node.get('failureSummary', '')}".strip()[:500],
                evidence=pic,
            ))
    return out


def scan_themes(
    page: Page,
    url: str,
    *,
    themes: Sequence[str] = ("light", "dark"),
    baseline: Sequence[BaselineEntry] = (),
    evidence: Evidence | None = None,
) -> list[Finding]:
    """Load ``url`` once and scan it in each colour scheme (axe stays injected across themes)."""
    out: list[Finding] = []
    if missing := navigation.visit(page, url):
        return missing
    for theme in themes:
        page.emulate_media(color_scheme=theme)  # type: ignore[arg-type]
        out.extend(findings(page, theme=theme, baseline=baseline, evidence=evidence))
    return out


def counts(found: Iterable[Finding]) -> Mapping[str, int]:
    """Blocking violations per rule (what the launch metric counts)."""
    tally: dict[str, int] = {}
    for f in found:
        if f.severity.fails and f.rule.startswith("axe/"):
            tally[f.rule] = tally.get(f.rule, 0) + 1
    return tally
