"""ML inference latency: the recommendation model, in process, under pytest-benchmark.

pytest-benchmark reports mean, median and quartiles but no p99, so the launch metric is taken
from the raw per-round timings. A stored baseline (``baselines/benchmarks/ml_inference.json``,
pytest-benchmark's own JSON) catches a regression that is still under the absolute threshold.

The model is timed, not its memo: the recommender's result cache is swapped for one that never
hits, so every round runs the matrix product and the top-k.

The benchmark runs on a thread of its own with its own event loop: in a full gate run
pytest-playwright keeps an event loop running on the main thread, where ``run_until_complete``
is refused. One hand-off for the whole benchmark, not one per round, so nothing but the model is
timed. Defects are applied inside that thread, because a ContextVar does not cross threads.

When pytest-benchmark is disabled (``--benchmark-disable``, or under pytest-xdist, where it
switches itself off) the fixture times nothing; this gate then fails and says why, because an
unmeasured latency must never pass.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import threading
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from castmatch_app import defects
from castmatch_app.catalog import Catalog, ensure_catalog
from castmatch_app.config import Settings
from castmatch_app.faults import Faults
from castmatch_app.metrics import Metrics
from castmatch_app.recommend import Breaker, Recommender
from castmatch_app.runtime import LRU
from pytest_castmatch import progress
from pytest_castmatch.model import Series
from pytest_castmatch.recorder import Gate

BASELINE = Path(__file__).resolve().parents[2] / "baselines" / "benchmarks" / "ml_inference.json"
BASELINE_NAME = "test_recommendation_inference_p99"
RECORD = ("record a new baseline on the reference machine with: .venv/bin/pytest "
          "suites/ml/test_inference_latency.py -p no:xdist --benchmark-json baselines/benchmarks/ml_inference.json")


def _nearest_rank(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


class _NeverHit(LRU):
    """A memo that stores nothing, so the benchmark times the model and not a cache lookup."""

    def __init__(self) -> None:
        super().__init__(0)

    def get(self, key: object) -> None:
        self.misses += 1

    def put(self, key: object, value: object) -> None:
        return None


@pytest.fixture(scope="module")
def recommender() -> Iterator[tuple[Recommender, frozenset[str]]]:
    """The app's recommender built in this process, with the defects named in CASTMATCH_DEFECTS."""
    names = defects.from_env()
    settings = Settings.from_env()
    with defects.using(names):
        catalog = Catalog(ensure_catalog(settings.data_dir, settings.seed, settings.talents))
        model = Recommender(catalog, Faults(), Metrics(), settings.model_timeout_ms / 1000,
                            Breaker(settings.breaker_failures, settings.breaker_reset_s))
    yield model, names
    catalog.close()


@pytest.mark.p0
@pytest.mark.owner("ai-ml")
# When the benchmark is disabled the gate fails before using the fixture, and says why; the
# fixture's own "not used" warning would only repeat that as a second, teardown error.
@pytest.mark.filterwarnings("ignore:Benchmark fixture was not used")
@pytest.mark.benchmark(min_rounds=30, max_time=1.5, warmup=True, warmup_iterations=5)
def test_recommendation_inference_p99(benchmark: BenchmarkFixture, recommender: tuple[Recommender, frozenset[str]],
                                      gate: Gate) -> None:
    """p99 of one recommendation (top 10 for a talent, model path) stays under 150 ms, near the baseline."""
    if benchmark.disabled:
        pytest.fail("pytest-benchmark is disabled (--benchmark-disable, or pytest-xdist switched it off), so "
                    "inference latency was not measured. Run this gate without xdist: "
                    "pytest suites/ml/test_inference_latency.py -p no:xdist", pytrace=False)
    model, names = recommender
    model.memo = _NeverHit()
    talents = itertools.cycle(int(t) for t in model.ids[:: max(1, len(model.ids) // 500)])
    outcome: dict[str, object] = {}
    rounds = [0]

    def run() -> None:
        loop = asyncio.new_event_loop()

        def infer() -> str:
            rounds[0] += 1
            result = loop.run_until_complete(model.recommend(talent_id=next(talents), role=None, k=10,
                                                             user_key="benchmark"))
            return result.source

        try:
            with defects.using(names):
                outcome["source"] = benchmark(infer)
        except BaseException as exc:  # re-raised on the test's own thread, below
            outcome["error"] = exc
        finally:
            loop.close()

    worker = threading.Thread(target=run, name="castmatch-ml-benchmark")
    worker.start()
    while worker.is_alive():
        worker.join(timeout=0.5)
        # Shown from this thread, between the timed rounds' thread's work, never inside a timed round.
        progress.tick("benchmark", lambda: f"ML inference: {rounds[0]} rounds so far", every=1.0)
    progress.note("benchmark", f"ML inference: {rounds[0]} rounds done")
    error = outcome.get("error")
    if isinstance(error, BaseException):
        raise error
    source = outcome.get("source")
    gate.engine("pytest-benchmark", version("pytest-benchmark"))
    assert source == "model", f"the benchmark timed the {source} path, not the model"
    if benchmark.stats is None:
        pytest.fail("pytest-benchmark recorded no timings; inference latency was not measured", pytrace=False)
    stats = benchmark.stats.stats
    timings_ms = [t * 1000 for t in stats.data]
    gate.metric("ml_inference_p99_ms", round(_nearest_rank(timings_ms, 0.99), 3),
                labels={"rounds": str(len(timings_ms)), "model": "recommend top-10"},
                series=Series(tuple((float(i), round(t, 3)) for i, t in enumerate(timings_ms[:500])),
                              "time of each inference", "ms", x="sample"), samples=len(timings_ms))
    if not BASELINE.exists():
        pytest.fail(f"no stored benchmark baseline at {BASELINE}; {RECORD}", pytrace=False)
    stored = json.loads(BASELINE.read_text())
    entry = next((b for b in stored.get("benchmarks", []) if b.get("name") == BASELINE_NAME), None)
    if entry is None:
        pytest.fail(f"{BASELINE} has no entry named {BASELINE_NAME}; {RECORD}", pytrace=False)
    baseline_ms = float(entry["stats"]["median"]) * 1000
    gate.metric("ml_inference_baseline_ratio", round(stats.median * 1000 / baseline_ms, 3),
                labels={"median_ms": f"{stats.median * 1000:.3f}", "baseline_median_ms": f"{baseline_ms:.3f}"})
