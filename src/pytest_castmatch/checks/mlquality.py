"""Recommendation quality: ranking metrics, drift (PSI) and A/B assignment balance.

Plain NumPy over lists of ids and histograms, so the same functions score the live API in a gate,
an in-process recommender in a test, and the figures ``benchmarks/ml_quality.py`` prints.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import requests

from pytest_castmatch.model import Finding
from pytest_castmatch.record import Record, record

#: Floor for empty histogram bins: PSI is undefined for a zero proportion on either side.
PSI_EPSILON = 1e-4


def precision_at_k(ranked: Sequence[int], relevant: Iterable[int], k: int) -> float:
    """Share of the first ``k`` recommendations that are relevant (a short list counts its gaps as misses)."""
    if k <= 0:
        raise ValueError("k must be positive")
    wanted = set(relevant)
    return sum(1 for item in ranked[:k] if item in wanted) / k


def recall_at_k(ranked: Sequence[int], relevant: Iterable[int], k: int) -> float:
    """Share of the relevant items found in the first ``k``; an empty relevant set scores 1 by convention."""
    wanted = set(relevant)
    if not wanted:
        return 1.0
    return sum(1 for item in ranked[:k] if item in wanted) / min(len(wanted), k)


@record
class RankingScore(Record):
    """Mean precision@k and recall@k over a labelled query set."""

    k: int
    precision: float
    recall: float
    queries: int


def score_ranking(results: Mapping[str, Sequence[int]], labels: Mapping[str, Sequence[int]], k: int) -> RankingScore:
    """Average precision@k and recall@k over every labelled query; a query without results scores 0."""
    if not labels:
        raise ValueError("the labelled set is empty")
    precisions, recalls = [], []
    for query, relevant in labels.items():
        ranked = results.get(query, ())
        precisions.append(precision_at_k(ranked, relevant, k))
        recalls.append(recall_at_k(ranked, relevant, k))
    return RankingScore(k, float(np.mean(precisions)), float(np.mean(recalls)), len(labels))


def proportions(counts: Sequence[float]) -> npt.NDArray[np.float64]:
    """Counts -> proportions summing to 1 (all zeros stay zeros)."""
    values = np.asarray(counts, dtype=np.float64)
    total = values.sum()
    return values / total if total > 0 else values


def psi(reference: Sequence[float], current: Sequence[float]) -> float:
    """Population stability index: sum((cur - ref) * ln(cur / ref)) over bins of two distributions.

    Inputs are counts or proportions over the same bins; both are normalised. Rule of thumb:
    < 0.1 stable, 0.1-0.2 moderate shift, > 0.2 significant drift.
    """
    if len(reference) != len(current):
        raise ValueError(f"PSI needs the same bins on both sides: {len(reference)} != {len(current)}")
    ref = np.clip(proportions(reference), PSI_EPSILON, None)
    cur = np.clip(proportions(current), PSI_EPSILON, None)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def histogram(values: Sequence[float], edges: Sequence[float]) -> list[int]:
    """Counts of ``values`` in the bins ``edges`` (values outside fall into the end bins)."""
    clipped = np.clip(np.asarray(values, dtype=np.float64), edges[0], np.nextafter(edges[-1], -math.inf))
    counts, _ = np.histogram(clipped, bins=np.asarray(edges, dtype=np.float64))
    return [int(c) for c in counts]


def category_counts(rows: Iterable[Iterable[str]], vocabulary: Sequence[str]) -> list[int]:
    """How often each vocabulary item occurs over multi-valued rows (e.g. each talent's languages)."""
    index = {v: i for i, v in enumerate(vocabulary)}
    counts = [0] * len(vocabulary)
    for row in rows:
        for item in row:
            if item in index:
                counts[index[item]] += 1
    return counts


def drift_findings(scores: Mapping[str, float], threshold: float, *, page: str | None = None) -> list[Finding]:
    """One error per feature whose PSI exceeds ``threshold``."""
    return [
        Finding(rule="feature-drift", message=f"feature {name!r} drifted: PSI {value:.3f} > {threshold}",
                page=page, context=f"psi={value:.4f}")
        for name, value in sorted(scores.items()) if value > threshold
    ]


@record
class Split(Record):
    """How a population of users fell into experiment variants."""

    counts: dict[str, int]
    chi_square: float
    p_value: float
    max_share_gap: float


def chi_square_uniform(counts: Mapping[str, int]) -> tuple[float, float]:
    """Pearson chi-square against an even split, and its p-value (exact for 1 and 2 degrees of freedom)."""
    observed = np.asarray(list(counts.values()), dtype=np.float64)
    if len(observed) < 2 or observed.sum() == 0:
        return math.inf, 0.0
    expected = observed.sum() / len(observed)
    statistic = float(np.sum((observed - expected) ** 2 / expected))
    dof = len(observed) - 1
    if dof == 1:
        p = math.erfc(math.sqrt(statistic / 2))
    elif dof == 2:
        p = math.exp(-statistic / 2)
    else:  # Wilson-Hilferty normal approximation, good enough for a gate
        z = ((statistic / dof) ** (1 / 3) - (1 - 2 / (9 * dof))) / math.sqrt(2 / (9 * dof))
        p = 0.5 * math.erfc(z / math.sqrt(2))
    return statistic, p


def assignment_split(assign: Callable[[str], str], users: Sequence[str], variants: Sequence[str]) -> Split:
    """Assign every user once and describe the split."""
    counts = {v: 0 for v in variants}
    for user in users:
        variant = assign(user)
        counts[variant] = counts.get(variant, 0) + 1
    statistic, p = chi_square_uniform(counts)
    n = max(len(users), 1)
    gap = max(abs(c / n - 1 / len(counts)) for c in counts.values())
    return Split(counts, statistic, p, gap)


def balance_findings(split: Split, *, alpha: float, max_share_gap: float) -> list[Finding]:
    """Errors when the split is both statistically and practically unbalanced, or a variant is unknown."""
    out = []
    context = ", ".join(f"{k}={v}" for k, v in sorted(split.counts.items()))
    if split.p_value < alpha or split.max_share_gap > max_share_gap:
        out.append(Finding(
            rule="ab-unbalanced", context=context,
            message=(f"A/B split is unbalanced: {context} (chi-square {split.chi_square:.1f}, p={split.p_value:.2g}, "
                     f"largest gap from an even share {split.max_share_gap:.1%}; allowed p >= {alpha}, "
                     f"gap <= {max_share_gap:.0%})"),
        ))
    return out


def stickiness_findings(first: Mapping[str, str], again: Mapping[str, str]) -> list[Finding]:
    """Errors for users whose variant changed between two assignments."""
    moved = sorted(u for u in first if again.get(u) != first[u])
    if not moved:
        return []
    sample = ", ".join(f"{u}: {first[u]}->{again.get(u)}" for u in moved[:5])
    return [Finding(rule="ab-not-sticky", message=f"{len(moved)} of {len(first)} users changed variant ({sample})")]


def well_formed(result: Any, *, k: int, known_ids: Callable[[int], bool] | None = None) -> list[str]:
    """Problems with one recommendation result (a mapping with ``items``/ids, scores, variant, source)."""
    problems: list[str] = []
    if not isinstance(result, Mapping):
        return [f"result is {type(result).__name__}, not an object"]
    items = result.get("items")
    if not isinstance(items, list):
        return ["'items' is not a list"]
    if len(items) > k:
        problems.append(f"{len(items)} items for k={k}")
    ids = [i.get("id") if isinstance(i, Mapping) else i for i in items]
    if any(not isinstance(i, int) or isinstance(i, bool) for i in ids):
        problems.append(f"non-integer ids: {ids[:5]}")
    elif len(set(ids)) != len(ids):
        problems.append("duplicate ids")
    elif known_ids is not None and not all(known_ids(int(i)) for i in ids if i is not None):
        problems.append("ids of unknown talents")
    for item in items:
        score = item.get("score") if isinstance(item, Mapping) else None
        if score is not None and (not isinstance(score, int | float) or not math.isfinite(score)):
            problems.append(f"non-finite score {score!r}")
            break
    if result.get("variant") not in ("A", "B"):
        problems.append(f"variant {result.get('variant')!r} is not A or B")
    return problems


def api_get(session: requests.Session, url: str, headers: Mapping[str, str] | None = None,
            timeout: float = 10.0) -> requests.Response:
    """GET that waits out rate limiting (429 + Retry-After) a few times, as a polite client does."""
    response = session.get(url, headers=dict(headers or {}), timeout=timeout)
    for _ in range(5):
        if response.status_code != 429:
            break
        time.sleep(min(float(response.headers.get("Retry-After", "1")), 5.0))
        response = session.get(url, headers=dict(headers or {}), timeout=timeout)
    return response


def client_for_variant(session: requests.Session, base_url: str, variant: str, tries: int = 64) -> str:
    """An ``X-Client-Id`` the experiment assigns to ``variant`` (asked of the app, not guessed)."""
    for n in range(tries):
        client = f"quality-probe-{n}"
        body = api_get(session, f"{base_url}/api/v1/experiments/assignment", {"X-Client-Id": client}).json()
        if body.get("variant") == variant:
            return client
    raise LookupError(f"no client among {tries} probes was assigned to variant {variant!r}")


def rank_roles(session: requests.Session, base_url: str, roles: Iterable[str], k: int,
               client: str, fallback_retries: int = 20) -> tuple[dict[str, list[int]], set[str]]:
    """Ranked talent ids per role from ``/api/v1/roles/{id}/talent``, and the result sources seen."""
    results: dict[str, list[int]] = {}
    sources: set[str] = set()
    for role in roles:
        for attempt in range(fallback_retries + 1):
            response = api_get(session, f"{base_url}/api/v1/roles/{role}/talent?k={k}", {"X-Client-Id": client})
            response.raise_for_status()
            body = response.json()
            # A fallback answer means the model was briefly out (another gate may be injecting an outage):
            # wait for it rather than score popularity as if it were the model.
            if body.get("source") == "model" or attempt == fallback_retries:
                break
            time.sleep(0.5)
        sources.add(str(body.get("source")))
        results[role] = [int(item["id"]) for item in body.get("results", [])]
    return results, sources
