"""axe runner: injected once per document, AAA tags selected, the baseline honoured and expiring."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import Page

from pytest_castmatch.checks import axe

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
