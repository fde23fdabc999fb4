"""axe runner: injected once per document, AAA tags selected, the same violations as a plain ``axe.run``,
the baseline honoured and expiring."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import pytest
from playwright.sync_api import Page

from pytest_castmatch.checks import axe
from pytest_castmatch.model import Finding, Severity

# A plain axe.run with the tags and nothing else, as axe's own documentation shows it.
PLAIN_RUN = """(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                            resultTypes: ['violations', 'incomplete']})
  .then((r) => ({violations: r.violations, incomplete: r.incomplete}))"""

ENTRY = """
[[entry]]
page = "/axe/aaa-contrast.html"
rule = "color-contrast-enhanced"
selector = ".m"
owner = "design-review-qa"
reason = "muted colour being redesigned"
expires = {expires}
"""


def test_axe_is_injected_once_per_document(page: Page) -> None:
    page.goto("/axe/clean.html")
    assert axe.inject(page) is True
    axe.findings(page, theme="light")
    assert axe.inject(page) is False
    page.reload()
    assert axe.inject(page) is True


def test_axe_is_injected_again_when_another_copy_replaced_it(page: Page) -> None:
    page.goto("/axe/clean.html")
    assert axe.inject(page) is True
    page.evaluate(axe.axe_script())  # what axe-playwright-python's Axe().run does on every call
    assert axe.inject(page) is True
    assert axe.inject(page) is False


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("path", ["/axe/colours.html", "/axe/dark-only.html", "/axe/no-main.html",
                                  "/structure/unnamed.html"])
def test_scan_reports_exactly_what_a_plain_axe_run_reports(page: Page, path: str,
                                                          theme: Literal["light", "dark"]) -> None:
    """Memoised colour parsing, the trimmed reporter and no CSSOM preload change no violation and no
    incomplete result."""
    page.emulate_media(color_scheme=theme)
    page.goto(path)
    ours = axe.run(page)
    page.evaluate(axe.axe_script())  # a fresh, untouched copy of axe for the reference run
    plain = page.evaluate(PLAIN_RUN, list(axe.WCAG_AAA_TAGS))
    assert ours.violations == plain["violations"]
    assert ours.incomplete == plain["incomplete"]
    assert ours.violations or (path, theme) == ("/axe/dark-only.html", "light")


def test_the_skipped_cssom_preload_feeds_no_rule_the_tags_run(page: Page) -> None:
    page.goto("/axe/clean.html")
    axe.inject(page)
    preloading = page.evaluate("""async (tags) => {
      const ran = await axe.run(document, {runOnly: {type: 'tag', values: tags}, reporter: 'raw'});
      const ids = new Set(ran.map((rule) => rule.id));
      return axe._audit.rules.filter((rule) => rule.preload && ids.has(rule.id)).map((rule) => rule.id);
    }""", list(axe.WCAG_AAA_TAGS))
    # no-autoplay-audio reads the media preload, which the scan keeps; css-orientation-lock, the one
    # reader of the CSSOM preload, is experimental and never runs under these tags.
    assert preloading == ["no-autoplay-audio"]
    assert axe.run_options(axe.WCAG_AAA_TAGS)["preload"] == {"assets": ["media"]}
    assert axe.run_options([*axe.WCAG_AAA_TAGS, "experimental"])["preload"] == {"assets": ["cssom", "media"]}


def test_aaa_rule_runs_only_when_its_tag_is_selected(page: Page) -> None:
    page.goto("/axe/aaa-contrast.html")
    rules = {f.rule for f in axe.findings(page, theme="light")}
    assert "axe/color-contrast-enhanced" in rules
    aa_only = {f.rule for f in axe.findings(page, theme="light", tags=("wcag2a", "wcag2aa"))}
    assert "axe/color-contrast-enhanced" not in aa_only


def test_criterion_comes_from_the_wcag_tag() -> None:
    assert axe.criterion(["wcag2aaa", "wcag146"]) == "WCAG 1.4.6"
    assert axe.criterion(["wcag21aa", "wcag1410"]) == "WCAG 1.4.10"
    assert axe.criterion(["best-practice"]) is None


def test_live_baseline_entry_turns_the_violation_into_a_note(page: Page, tmp_path: Path) -> None:
    path = tmp_path / "axe-baseline.toml"
    path.write_text(ENTRY.format(expires="2099-01-01"))
    baseline = axe.load_baseline(path, ["design-review-qa"])
    page.goto("/axe/aaa-contrast.html")
    found = [f for f in axe.findings(page, theme="light", baseline=baseline) if f.rule == "axe/color-contrast-enhanced"]
    assert [f.severity for f in found] == ["note"]
    assert axe.expired_entries(baseline, dt.date(2026, 1, 1)) == []


def test_expired_entry_blocks_and_no_longer_covers(page: Page, tmp_path: Path) -> None:
    path = tmp_path / "axe-baseline.toml"
    path.write_text(ENTRY.format(expires="2020-01-01"))
    baseline = axe.load_baseline(path)
    page.goto("/axe/aaa-contrast.html")
    found = [f for f in axe.findings(page, theme="light", baseline=baseline) if f.rule == "axe/color-contrast-enhanced"]
    assert [f.severity for f in found] == ["error"]
    assert [f.rule for f in axe.expired_entries(baseline)] == ["axe-baseline-expired"]


def test_incomplete_or_unknown_owner_entries_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "axe-baseline.toml"
    path.write_text('[[entry]]\npage = "/"\nrule = "region"\n')
    with pytest.raises(axe.BaselineError, match="lacks selector, owner, reason, expires"):
        axe.load_baseline(path)
    path.write_text(ENTRY.format(expires="2099-01-01"))
    with pytest.raises(axe.BaselineError, match="unknown owner"):
        axe.load_baseline(path, ["devops"])


def test_a_missing_baseline_file_is_empty(tmp_path: Path) -> None:
    assert axe.load_baseline(tmp_path / "none.toml") == []


def test_the_launch_count_takes_every_failing_severity_and_only_axe_rules() -> None:
    found = [Finding(rule="axe/color-contrast", severity=s, message="m", selector=f".{s}")
             for s in ("critical", "high", "review")]
    found.append(Finding(rule="keyboard/trap", severity="critical", message="m"))
    assert axe.counts(found) == {"axe/color-contrast": 2}


INCOMPLETE = """<!doctype html><html lang="en"><head><title>t</title><style>
body{{color:#111;background:#fff;font:16px/1.5 sans-serif}}
.g{{background:linear-gradient(90deg,#fff,{end});color:{fg};padding:4px}}
</style></head><body><main><h1>Gradient</h1><p class="g">Text over a gradient background</p>
</main></body></html>"""


@pytest.mark.parametrize(("end", "fg", "expected"), [
    ("#bbf", "#333", []),
    ("#0ff", "#666", [("axe/color-contrast-enhanced", "error")]),
    ("#777", "#555", [("axe/color-contrast-enhanced", "review")]),
])
def test_contrast_axe_cannot_decide_is_measured_on_pixels(page: Page, end: str, fg: str,
                                                          expected: list[tuple[str, str]]) -> None:
    page.set_content(INCOMPLETE.format(end=end, fg=fg))
    found = [(f.rule, f.severity) for f in axe.findings(page, theme="light") if f.selector == "p"]
    assert found == expected


def test_what_axe_cannot_decide_is_a_needs_review_item(page: Page) -> None:
    page.set_content('<!doctype html><html lang="en"><title>t</title><main><h1>Close</h1>'
                     '<button class="x" aria-label="Close">X</button></main>'
                     '<style>.x{color:#666;background:#fff}</style></html>')
    found = [f for f in axe.findings(page, theme="light") if f.severity == Severity.REVIEW]
    assert [(f.rule, f.selector, f.criterion) for f in found] == [
        ("axe/color-contrast-enhanced", "button", "WCAG 1.4.6")]
    assert "too short" in found[0].message
    assert axe.counts(found, Severity.REVIEW) == {"axe/color-contrast-enhanced": 1}
    assert axe.counts(found) == {}


def test_a_page_without_a_dark_theme_is_scanned_once(page: Page) -> None:
    found = axe.scan_themes(page, "/axe/no-main.html")
    assert found
    assert all(f.context and f.context.startswith("theme=light") for f in found)
    assert sum(axe.counts(found).values()) == len({(f.rule, f.selector) for f in found})


def test_a_problem_in_both_themes_is_one_finding_naming_both(page: Page) -> None:
    found = [f for f in axe.scan_themes(page, "/axe/colours.html") if f.selector == ".faint"]
    assert [(f.rule, (f.context or "").split()[0]) for f in found] == [
        ("axe/color-contrast", "theme=light,dark")]


def test_a_dark_theme_behind_a_switch_is_scanned_and_the_switch_put_back(page: Page) -> None:
    assert [f for f in axe.scan_themes(page, "/axe/toggle.html") if f.severity.fails] == []
    found = axe.scan_themes(page, "/axe/toggle.html", toggle="[data-theme-toggle]")
    assert [(f.rule, f.selector, (f.context or "").split()[0]) for f in found if f.severity.fails] == [
        ("axe/color-contrast", ".faint", "theme=dark")]
    assert page.evaluate("document.documentElement.className") == ""
