"""Ranking metrics, PSI, A/B balance and result shape, with hand-computed answers."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_castmatch.checks import mlquality as m


def test_precision_and_recall_at_k() -> None:
    ranked = [1, 2, 3, 4, 5]
    assert m.precision_at_k(ranked, {2, 4, 9}, 5) == pytest.approx(2 / 5)
    assert m.recall_at_k(ranked, {2, 4, 9}, 5) == pytest.approx(2 / 3)
    assert m.precision_at_k([1], {1}, 5) == pytest.approx(1 / 5)  # a short list counts its gaps as misses
    assert m.recall_at_k(ranked, set(range(100)), 5) == 1.0  # recall@k is capped by k
    with pytest.raises(ValueError, match="positive"):
        m.precision_at_k(ranked, {1}, 0)


def test_score_ranking_averages_queries() -> None:
    score = m.score_ranking({"a": [1, 2], "b": [9, 8]}, {"a": [1, 2], "b": [1], "c": [3]}, 2)
    assert score.precision == pytest.approx((1 + 0 + 0) / 3)
    assert score.recall == pytest.approx((1 + 0 + 0) / 3)
    assert score.queries == 3


def test_psi_known_value() -> None:
    ref, cur = [0.5, 0.5], [0.6, 0.4]
    expected = (0.6 - 0.5) * math.log(0.6 / 0.5) + (0.4 - 0.5) * math.log(0.4 / 0.5)
    assert m.psi(ref, cur) == pytest.approx(expected)
    assert m.psi([10, 30], [1, 3]) == pytest.approx(0.0)  # counts are normalised
    with pytest.raises(ValueError, match="same bins"):
        m.psi([1, 2], [1, 2, 3])


@given(st.lists(st.floats(0.01, 100), min_size=2, max_size=12), st.lists(st.floats(0.01, 100), min_size=2,
                                                                          max_size=12))
def test_psi_is_non_negative_and_symmetric(a: list[float], b: list[float]) -> None:
    n = min(len(a), len(b))
    assert m.psi(a[:n], b[:n]) >= -1e-12
    assert m.psi(a[:n], b[:n]) == pytest.approx(m.psi(b[:n], a[:n]))


def test_histogram_and_category_counts() -> None:
    assert m.histogram([18, 19, 25, 80, 5], [18, 22, 30, 71]) == [3, 1, 1]
    assert m.category_counts([["hindi", "english"], ["hindi"], ["klingon"]], ["hindi", "english"]) == [2, 1]


def test_drift_findings_only_above_threshold() -> None:
    found = m.drift_findings({"age": 0.05, "experience": 0.5}, 0.2)
    assert [f.message.split("'")[1] for f in found] == ["experience"]


def test_chi_square_exact_p_values() -> None:
    statistic, p = m.chi_square_uniform({"A": 1000, "B": 1000})
    assert (statistic, p) == (0.0, 1.0)
    statistic, p = m.chi_square_uniform({"A": 1100, "B": 900})
    assert statistic == pytest.approx(20.0)
    assert p == pytest.approx(math.erfc(math.sqrt(10)))


def test_balanced_and_skewed_splits() -> None:
    users = [f"u{n}" for n in range(2000)]
    even = m.assignment_split(lambda u: "A" if int(u[1:]) % 2 else "B", users, ["A", "B"])
    assert m.balance_findings(even, alpha=0.001, max_share_gap=0.05) == []
    skewed = m.assignment_split(lambda u: "A" if int(u[1:]) % 100 < 85 else "B", users, ["A", "B"])
    assert skewed.counts == {"A": 1700, "B": 300}
    assert [f.rule for f in m.balance_findings(skewed, alpha=0.001, max_share_gap=0.05)] == ["ab-unbalanced"]


def test_stickiness() -> None:
    assert m.stickiness_findings({"u1": "A", "u2": "B"}, {"u1": "A", "u2": "B"}) == []
    found = m.stickiness_findings({"u1": "A", "u2": "B"}, {"u1": "B", "u2": "B"})
    assert "1 of 2" in found[0].message


@pytest.mark.parametrize(("result", "problem"), [
    ({"items": [{"id": 1}, {"id": 1}], "variant": "A"}, "duplicate ids"),
    ({"items": [{"id": "1"}], "variant": "A"}, "non-integer ids"),
    ({"items": [{"id": 1, "score": float("nan")}], "variant": "B"}, "non-finite score"),
    ({"items": [{"id": 1}], "variant": "C"}, "is not A or B"),
    ({"items": None, "variant": "A"}, "not a list"),
    ([], "not an object"),
])
def test_malformed_results(result: object, problem: str) -> None:
    assert any(problem in p for p in m.well_formed(result, k=5))


def test_well_formed_result() -> None:
    assert m.well_formed({"items": [{"id": 1, "score": 0.9}, {"id": 2, "score": 0.5}], "variant": "B"}, k=2) == []
    assert m.well_formed({"items": [{"id": 3}], "variant": "A"}, k=2, known_ids=lambda i: i < 3) == [
        "ids of unknown talents"]
