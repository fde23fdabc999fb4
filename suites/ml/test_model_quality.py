"""Recommendation model gates: ranking quality per A/B variant, feature drift, experiment balance,
edge cases and the popularity fallback.

The labelled set and the drift reference are committed in baselines/ml/ (built by
baselines/ml/make_eval_set.py from the app's seeded generator); thresholds live in gates.toml.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_castmatch import Finding
from pytest_castmatch.checks import mlquality

BASELINES = Path(__file__).resolve().parents[2] / "baselines" / "ml"
K = 10
AB_USERS = 400
STICKY_USERS = 40


@pytest.fixture(scope="module")
def http(castmatch_base_url: str) -> Iterator[requests.Session]:
    """One HTTP session for the module's API calls, with a session cookie of its own.

    The app rate-limits per session cookie, else per address: our own cookie keeps these hundreds
    of calls from spending the loopback address's budget that other gates share.
    """
    with requests.Session() as session:
        session.get(castmatch_base_url + "/", timeout=10)
        yield session


def _baseline(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((BASELINES / name).read_text(encoding="utf-8"))
    return data


@pytest.mark.p0
@pytest.mark.owner("ai-ml")
@pytest.mark.needs("feature:recommendations")
@pytest.mark.parametrize("variant", ["A", "B"])
def test_precision_and_recall_at_10(variant: str, gate: Any, castmatch_base_url: str, http: requests.Session) -> None:
    """precision@10 and recall@10 on the labelled role set, for each experiment variant."""
    labels: dict[str, list[int]] = _baseline("eval_set.json")["labels"]
    client = mlquality.client_for_variant(http, castmatch_base_url, variant)
    results, sources = mlquality.rank_roles(http, castmatch_base_url, labels, K, client)
    assert sources == {"model"}, f"the model did not answer every query (sources {sources}); quality is unmeasured"
    score = mlquality.score_ranking(results, labels, K)
    labels_ = {"variant": variant, "queries": str(score.queries)}
    gate.metric("ml_precision_at_10", round(score.precision, 4), labels=labels_, unit="ratio", samples=score.queries)
    gate.metric("ml_recall_at_10", round(score.recall, 4), labels=labels_, unit="ratio", samples=score.queries)


@pytest.mark.p0
@pytest.mark.owner("ai-ml")
@pytest.mark.needs("feature:recommendations")
def test_feature_drift_psi(gate: Any, castmatch_base_url: str, http: requests.Session) -> None:
    """PSI of each live feature distribution against the committed reference stays under the threshold."""
    reference = _baseline("drift_reference.json")["distribution"]
    live = mlquality.api_get(http, f"{castmatch_base_url}/api/v1/ml/drift").json().get("distribution") or {}
    missing = sorted(set(reference) - set(live))
    assert not missing, f"/api/v1/ml/drift publishes no live distribution for {missing}; drift cannot be measured"
    scores = {name: mlquality.psi(reference[name], live[name]) for name in sorted(reference)}
    threshold = 0.2
    gate.check(mlquality.drift_findings(scores, threshold, page="/api/v1/ml/drift"))
    worst = max(scores, key=lambda name: scores[name])
    gate.metric("ml_feature_psi", round(scores[worst], 4), labels={"feature": worst}, unit="psi")


@pytest.mark.p0
@pytest.mark.owner("ai-ml")
@pytest.mark.needs("feature:recommendations")
def test_ab_assignment_sticky_and_balanced(gate: Any, castmatch_base_url: str, http: requests.Session) -> None:
    """Synthetic users split evenly between A and B (chi-square), and each keeps its variant."""
    url = f"{castmatch_base_url}/api/v1/experiments/assignment"

    def assign(user: str) -> str:
        return str(mlquality.api_get(http, url, {"X-Client-Id": user}).json()["variant"])

    users = [f"synthetic-user-{n}" for n in range(AB_USERS)]
    first = {u: assign(u) for u in users}
    split = mlquality.assignment_split(first.__getitem__, users, ["A", "B"])
    again = {u: assign(u) for u in users[:STICKY_USERS]}
    gate.check(mlquality.stickiness_findings({u: first[u] for u in again}, again))
    gate.check(mlquality.balance_findings(split, alpha=0.001, max_share_gap=0.08))
    gate.metric("ml_ab_share_gap", round(split.max_share_gap, 4), unit="ratio",
                labels={k: str(v) for k, v in sorted(split.counts.items())})


@pytest.mark.p2
@pytest.mark.owner("ai-ml")
@pytest.mark.needs("feature:recommendations", "fault_injection")
def test_edge_cases_and_fallback(gate: Any, castmatch_base_url: str, http: requests.Session,
                                 app_faults: Any) -> None:
    """Odd inputs never crash the recommendation API, and a model outage serves the popularity fallback."""
    problems: list[str] = []

    @settings(max_examples=40, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(
        kind=st.sampled_from(["roles", "talent"]),
        ident=st.one_of(st.integers(-5, 12_000), st.just(2**63), st.text(min_size=1, max_size=12)),
        k=st.one_of(st.integers(-3, 60), st.just(10)),
        client=st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=40),
    )
    def probe(kind: str, ident: object, k: int, client: str) -> None:
        path = f"/api/v1/{kind}/{quote(str(ident), safe='')}/" + (
            "talent" if kind == "roles" else "similar")
        # Unicode user ids travel as UTF-8 bytes, as browsers send them.
        header = client.encode("utf-8").decode("latin-1").strip()
        headers = {"X-Client-Id": header} if header else {}
        response = mlquality.api_get(http, f"{castmatch_base_url}{path}?k={k}", headers)
        where = f"GET {path}?k={k}"
        if response.status_code >= 500:
            problems.append(f"{where} -> {response.status_code}")
        elif response.status_code == 200:
            body = response.json()
            issues = mlquality.well_formed({"items": body.get("results"), "variant": body.get("variant")}, k=k)
            problems.extend(f"{where}: {issue}" for issue in issues)

    probe()
    with app_faults.during(model_down=True):  # exclusive: no other gate of the run sees the model down
        response = mlquality.api_get(http, f"{castmatch_base_url}/api/v1/roles/1/talent?k={K}")
    if response.status_code != 200:
        problems.append(f"with the model down, /api/v1/roles/1/talent answers {response.status_code}, "
                        "not the popularity fallback")
    else:
        body = response.json()
        if body.get("source") != "fallback" or len(body.get("results", [])) != K:
            problems.append(f"with the model down the answer is source={body.get('source')!r} with "
                            f"{len(body.get('results', []))} results, expected {K} fallback results")
    gate.check([Finding(rule="recommendation-robustness", message=p) for p in problems[:20]])
