"""Our checks against the W3C ACT test cases of the rules they implement: none may be inconsistent."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.act import implementation

RULES, CASES = implementation.load()


def test_every_vendored_rule_has_an_implementation_and_cases() -> None:
    assert {r.id for r in RULES} == set(implementation.PROCEDURES)
    assert {c.rule for c in CASES} == {r.id for r in RULES}
    assert all(c.expected in ("passed", "failed", "inapplicable") for c in CASES)


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_no_implemented_rule_is_inconsistent(page: Page, act_url: str, rule: implementation.Rule) -> None:
    result = implementation.run_rule(page, act_url, rule, CASES)
    assert not result.errors, result.errors
    assert result.consistency != "inconsistent", "\n".join(result.wrong)
    assert result.count("failed", "failed") > 0


@pytest.mark.parametrize(("results", "level"), [
    ([("failed", "failed"), ("passed", "passed"), ("inapplicable", "passed")], "consistent"),
    ([("failed", "failed"), ("failed", "passed"), ("passed", "passed")], "partially consistent"),
    ([("failed", "cantTell"), ("passed", "cantTell"), ("inapplicable", "passed")], "partially consistent"),
    ([("failed", "failed"), ("passed", "failed")], "inconsistent"),
    ([("failed", "passed"), ("passed", "passed")], "inconsistent"),
    ([("failed", "failed"), ("failed", "untested")], "partially consistent"),
])
def test_consistency_follows_act(results: list[tuple[str, str]], level: str) -> None:
    rule = implementation.Rule("x", "x", "", "", ("2.5.5",), ())
    assert implementation.consistency(results, rule, ("2.5.5",)) == level


def test_failing_other_requirements_is_only_partially_consistent() -> None:
    rule = implementation.Rule("x", "x", "", "", ("2.4.4",), ("2.4.9",))
    results = [("failed", "failed"), ("passed", "passed")]
    assert implementation.consistency(results, rule, ("2.4.4", "2.4.9")) == "consistent"
    assert implementation.consistency(results, rule, ("1.3.1",)) == "partially consistent"


def test_the_table_counts_cases_agreeing_of_all() -> None:
    rule = implementation.Rule("gi8qkf", "Interactive component has enhanced size", "", "", ("2.5.5",), ())
    case = {e: implementation.Case("gi8qkf", e, e, f"{e}.html") for e in ("passed", "failed", "inapplicable")}
    result = implementation.RuleResult(rule, implementation.PROCEDURES["gi8qkf"], [
        (case["failed"], "failed"), (case["failed"], "passed"), (case["passed"], "passed"),
        (case["inapplicable"], "passed"), (case["failed"], "cantTell")])
    # agree, passed/inapplicable left alone, failed found, review, false positives, false negatives
    assert implementation.row(result).split()[-8:] == ["3/5", "2", "1", "1", "0", "1", "partially", "consistent"]
