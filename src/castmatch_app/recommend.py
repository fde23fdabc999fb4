"""Recommendations: talent vectors built with NumPy at start-up, cosine top-k, two A/B variants.

Vectors are L2-normalised once, so cosine similarity is one matrix-vector product per request.
Model calls go through a circuit breaker; when the model fails or the breaker is open, the most
popular talents are served instead (``source: "fallback"``).
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from castmatch_app import defects, generator
from castmatch_app.catalog import Catalog
from castmatch_app.faults import Faults
from castmatch_app.metrics import Metrics
from castmatch_app.runtime import LRU

Matrix = npt.NDArray[np.float32]
EXPERIMENT = "recs-2025-01"
# Per-block weights: (skills, languages, area, gender, age, experience). Variant B leans on skills.
WEIGHTS = {"A": (1.0, 0.45, 0.25, 0.3, 0.35, 0.2), "B": (1.4, 0.3, 0.35, 0.2, 0.25, 0.3)}
AGE_BINS = np.array([18, 22, 26, 30, 35, 40, 50, 71])
EXPERIENCE_BINS = np.array([0, 1, 3, 6, 10, 15, 55])
PSI_THRESHOLD = 0.2


class ModelUnavailableError(RuntimeError):
    pass


@dataclass
class Features:
    skills: Matrix
    languages: Matrix
    area: Matrix
    gender: Matrix
    age: npt.NDArray[np.float64]
    experience: npt.NDArray[np.float64]


def _one_hot(values: list[str], vocabulary: tuple[str, ...]) -> Matrix:
    index = {v: i for i, v in enumerate(vocabulary)}
    rows: list[int] = []
    cols: list[int] = []
    for row, value in enumerate(values):
        for item in value.split(","):
            col = index.get(item)
            if col is not None:
                rows.append(row)
                cols.append(col)
    out = np.zeros((len(values), len(vocabulary)), dtype=np.float32)
    out[rows, cols] = 1.0  # one vectorised assignment instead of one per cell
    return out


def features(rows: list[Any]) -> Features:
    return Features(
        skills=_one_hot([r[1] for r in rows], generator.SKILLS),
        languages=_one_hot([r[2] for r in rows], generator.LANGUAGES),
        area=_one_hot([r[3] for r in rows], generator.AREAS),
        gender=_one_hot([g for g in (_gender_of(r) for r in rows)], generator.GENDERS),
        age=np.array([r[4] for r in rows], dtype=np.float64),
        experience=np.array([r[5] for r in rows], dtype=np.float64),
    )


def _gender_of(row: Any) -> str:
    return str(row[9]) if len(row) > 9 else ""


def drift(rows: list[Any]) -> list[Any]:
    """Simulated production drift: an older, more experienced, English-first population."""
    rng = random.Random(7)
    out = []
    for r in rows:
        languages = "english," + r[2].replace("hindi,", "").replace("hindi", "") if rng.random() < 0.7 else r[2]
        out.append((r[0], r[1], languages.strip(","), r[3], min(70, r[4] + 14), r[5] + 8, *r[6:]))
    return out


def embed(f: Features, variant: str) -> Matrix:
    w = WEIGHTS[variant]
    age = np.asarray((f.age - 18.0) / 52.0, dtype=np.float32)[:, None]
    experience = np.asarray(np.minimum(f.experience, 30.0) / 30.0, dtype=np.float32)[:, None]
    matrix = np.hstack([f.skills * w[0], f.languages * w[1], f.area * w[2], f.gender * w[3],
                        age * w[4], experience * w[5]]).astype(np.float32)
    if defects.active("degraded-model"):
        noise = np.asarray(np.random.default_rng(3).normal(0.0, 1.2, matrix.shape), dtype=np.float32)
        matrix = matrix + noise
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    out: Matrix = np.asarray(matrix / np.maximum(norms, 1e-6), dtype=np.float32)
    return out


def psi(reference: npt.NDArray[np.float64], live: npt.NDArray[np.float64]) -> float:
    """Population stability index between two histograms (proportions)."""
    ref = np.clip(reference, 1e-4, None)
    cur = np.clip(live, 1e-4, None)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def distribution(f: Features) -> dict[str, npt.NDArray[np.float64]]:
    n = max(len(f.age), 1)
    return {
        "age": np.histogram(f.age, bins=AGE_BINS)[0] / n,
        "experience": np.histogram(f.experience, bins=EXPERIENCE_BINS)[0] / n,
        "languages": f.languages.sum(axis=0).astype(np.float64) / max(float(f.languages.sum()), 1.0),
        "skills": f.skills.sum(axis=0).astype(np.float64) / max(float(f.skills.sum()), 1.0),
        "area": f.area.sum(axis=0).astype(np.float64) / n,
    }


_FEATURES: dict[tuple[str, bool], tuple[list[Any], Features, Features]] = {}


def _load_features(catalog: Catalog, drifted: bool) -> tuple[list[Any], Features, Features]:
    """Rows plus reference and live features, memoised per catalogue file (immutable once built)."""
    key = (str(catalog.path), drifted)
    if key not in _FEATURES:
        genders = {r[0]: r[1] for r in catalog.db.execute("SELECT id, gender FROM talents")}
        rows: list[Any] = [(*r, genders[r[0]]) for r in catalog.feature_rows()]
        reference = features(rows)
        _FEATURES[key] = (rows, reference, features(drift(rows)) if drifted else reference)
    return _FEATURES[key]


@dataclass
class Breaker:
    failures_to_open: int
    reset_after_s: float
    state: str = "closed"  # closed | open | half_open
    failures: int = 0
    opened_at: float = 0.0

    def allow(self) -> bool:
        if self.state == "open":
            if time.monotonic() - self.opened_at < self.reset_after_s:
                return False
            self.state = "half_open"  # let one trial call through
        return True

    def success(self) -> None:
        self.state, self.failures = "closed", 0

    def failure(self) -> None:
        self.failures += 1
        if defects.active("circuit-never-opens"):
            return
        if self.state == "half_open" or self.failures >= self.failures_to_open:
            self.state, self.opened_at = "open", time.monotonic()


@dataclass
class Result:
    ids: list[int]
    scores: list[float]
    variant: str
    source: str  # "model" or "fallback"


@dataclass
class Recommender:
    catalog: Catalog
    faults: Faults
    metrics: Metrics
    timeout_s: float
    breaker: Breaker
    ids: npt.NDArray[np.int64] = field(init=False)
    vectors: dict[str, Matrix] = field(init=False)
    labels: npt.NDArray[np.int64] = field(init=False)
    drift_report: dict[str, Any] = field(init=False)
    popular_ids: list[int] = field(init=False)
    memo: LRU = field(default_factory=lambda: LRU(50_000))

    def __post_init__(self) -> None:
        rows, reference, live = _load_features(self.catalog, defects.active("drifted-data"))
        self.ids = np.array([r[0] for r in rows], dtype=np.int64)
        self.labels = np.array([r[8] for r in rows], dtype=np.int64)
        self.position = {int(t): i for i, t in enumerate(self.ids)}
        self.vectors = {v: embed(live, v) for v in WEIGHTS}
        self.popular_ids = [t["id"] for t in self.catalog.popular(60)]
        ref_dist, live_dist = distribution(reference), distribution(live)
        scores = {k: round(psi(ref_dist[k], live_dist[k]), 4) for k in ref_dist}
        self.drift_report = {"metric": "psi", "threshold": PSI_THRESHOLD, "features": scores,
                             "max_psi": max(scores.values()),
                             "drift_detected": max(scores.values()) > PSI_THRESHOLD,
                             # The live proportions themselves, so a monitor can compute PSI on its own.
                             "distribution": {k: [round(float(x), 6) for x in v] for k, v in live_dist.items()}}

    @staticmethod
    def variant_for(user_key: str) -> str:
        bucket = int.from_bytes(hashlib.sha256(f"{EXPERIMENT}:{user_key}".encode()).digest()[:8], "big") % 100
        split = 85 if defects.active("unbalanced-ab") else 50
        return "A" if bucket < split else "B"

    def role_vector(self, role: dict[str, Any], variant: str) -> Matrix:
        f = Features(
            skills=_one_hot([",".join(role["skills"])], generator.SKILLS),
            languages=_one_hot([",".join(role["languages"])], generator.LANGUAGES),
            area=_one_hot([role["area"]], generator.AREAS),
            gender=_one_hot([role["gender"]], generator.GENDERS),
            age=np.array([(role["age_min"] + role["age_max"]) / 2]),
            experience=np.array([5.0]),
        )
        with defects.using(frozenset()):  # the query side is never noised
            vector: Matrix = embed(f, variant)[0]
        return vector

    def _top_k(self, query: Matrix, variant: str, k: int, exclude: int | None) -> tuple[list[int], list[float]]:
        scores = self.vectors[variant] @ query
        if exclude is not None:
            scores[self.position[exclude]] = -2.0
        top = np.argpartition(-scores, k)[:k]
        top = top[np.argsort(-scores[top])]
        return [int(self.ids[i]) for i in top], [round(float(scores[i]), 4) for i in top]

    async def _infer(self, query: Matrix, variant: str, k: int, exclude: int | None,
                     memo_key: tuple[Any, ...]) -> tuple[list[int], list[float]]:
        """The model call. Its memo sits behind the availability checks: a down model stays down."""
        if self.faults.model_down:
            raise ModelUnavailableError("recommendation model is unavailable")
        delay = self.faults.model_slow_ms / 1000
        if defects.active("slow-recommendations"):
            delay += random.uniform(0.18, 0.21)
        if delay:
            # Only a wait can overrun the deadline (the matrix product below cannot be interrupted),
            # so only a wait is put under one: no timer is armed for a model that answers at once.
            async with asyncio.timeout(self.timeout_s):
                await asyncio.sleep(delay)
        hit = self.memo.get(memo_key)
        if hit is None:
            hit = self._top_k(query, variant, k, exclude)
            self.memo.put(memo_key, hit)
        return hit  # type: ignore[no-any-return]

    async def recommend(self, *, talent_id: int | None, role: dict[str, Any] | None, k: int,
                        user_key: str) -> Result:
        variant = self.variant_for(user_key)
        self.metrics.series(self.metrics.ab_exposures, variant).inc()
        if talent_id is not None:
            query = self.vectors[variant][self.position[talent_id]]
            memo_key: tuple[Any, ...] = (variant, "talent", talent_id, k)
        else:
            assert role is not None
            query = self.role_vector(role, variant)
            memo_key = (variant, "role", role["id"], k)
        if self.breaker.allow():
            started = time.perf_counter()
            try:
                ids, scores = await self._infer(query, variant, k, talent_id, memo_key)
            except (ModelUnavailableError, TimeoutError):
                self.breaker.failure()
            else:
                self.breaker.success()
                return Result(ids, scores, variant, "model")
            finally:
                self.metrics.series(self.metrics.inference_latency, variant).observe(time.perf_counter() - started)
                self.metrics.breaker_state.set({"closed": 0, "half_open": 0.5, "open": 1}[self.breaker.state])
        if defects.active("no-model-fallback"):
            raise ModelUnavailableError("recommendation model is unavailable")
        ids = [i for i in self.popular_ids if i != talent_id][:k]
        return Result(ids, [0.0] * len(ids), variant, "fallback")

    def labelled_set(self, size: int) -> dict[str, Any]:
        rng = np.random.default_rng(11)
        queries = sorted(int(x) for x in rng.choice(self.ids, size=min(size, len(self.ids)), replace=False))
        return {"label": "archetype", "relevance": "a recommendation is relevant when its label equals "
                "the query's label", "queries": queries,
                "labels": {str(int(i)): int(label) for i, label in zip(self.ids, self.labels, strict=True)}}
