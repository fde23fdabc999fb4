"""axe runner: injected once per document, AAA tags selected, the same violations as a plain ``axe.run``,
the baseline honoured and expiring."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import pytest
from playwright.sync_api import Page

from pytest_castmatch.checks import axe
from pytest_castmatch.model import Finding

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
