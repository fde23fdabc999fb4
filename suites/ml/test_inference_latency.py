"""ML inference latency: the deployment's model, in process, under pytest-benchmark.

The model is the profile's ``ml_model``: ``module:factory``, a zero-argument factory returning the
callable timed as one inference (the reference app: ``castmatch_app.inference:benchmark_model``); if
that callable has a ``close()``, it is called once the benchmark is over, on the benchmark's thread.
A deployment whose profile says it has no model to benchmark makes this gate not applicable.

pytest-benchmark reports mean, median and quartiles but no p99, so the launch metric is taken
from the raw per-round timings. A stored baseline (``baselines/benchmarks/ml_inference.json``,
pytest-benchmark's own JSON, recorded for one model) catches a regression that is still under the
absolute threshold; a model without a recorded baseline fails with the command that records one.

The benchmark runs on a thread of its own: in a full gate run pytest-playwright keeps an event loop
running on the main thread, where a model with an event loop of its own is refused. One hand-off
for the whole benchmark, not one per round, so nothing but the model is timed.

When pytest-benchmark is disabled (``--benchmark-disable``, or under pytest-xdist, where it
switches itself off) the fixture times nothing; this gate then fails and says why, because an
unmeasured latency must never pass.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from pytest_castmatch import Deployment, Gate, Series, progress, resolve

BASELINE = Path(__file__).resolve().parents[2] / "baselines" / "benchmarks" / "ml_inference.json"
BASELINE_NAME = "test_recommendation_inference_p99"
RECORD = ("record a new baseline on the reference machine with: .venv/bin/pytest "
          "suites/ml/test_inference_latency.py -p no:xdist --benchmark-json baselines/benchmarks/ml_inference.json")


def _nearest_rank(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


@pytest.mark.p0
@pytest.mark.owner("ai-ml")
@pytest.mark.needs("ml_model")
# When the benchmark is disabled the gate fails before using the fixture, and says why; the
# fixture's own "not used" warning would only repeat that as a second, teardown error.
@pytest.mark.filterwarnings("ignore:Benchmark fixture was not used")
@pytest.mark.benchmark(min_rounds=30, max_time=1.5, warmup=True, warmup_iterations=5)
def test_recommendation_inference_p99(benchmark: BenchmarkFixture, castmatch_deployment: Deployment,
                                      gate: Gate) -> None:
    """p99 of one inference stays under 150 ms, and near the model's stored baseline."""
    if benchmark.disabled:
        pytest.fail("pytest-benchmark is disabled (--benchmark-disable, or pytest-xdist switched it off), so "
                    "inference latency was not measured. Run this gate without xdist: "
                    "pytest suites/ml/test_inference_latency.py -p no:xdist", pytrace=False)
    spec: str = castmatch_deployment.value("ml_model", str)
    factory: Callable[[], Callable[[], object]] = resolve(spec, "ml_model")
    outcome: dict[str, object] = {}
    rounds = [0]

    def run() -> None:
        try:
            model = factory()

            def infer() -> object:
                rounds[0] += 1
                return model()

            try:
                benchmark(infer)
            finally:
                close = getattr(model, "close", None)
                if callable(close):
                    close()
        except BaseException as exc:  # re-raised on the test's own thread, below
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="ml-benchmark")
    worker.start()
    while worker.is_alive():
        worker.join(timeout=0.5)
        # Shown from this thread, between the timed rounds' thread's work, never inside a timed round.
        progress.tick("benchmark", lambda: f"ML inference: {rounds[0]} rounds so far", every=1.0)
    progress.note("benchmark", f"ML inference: {rounds[0]} rounds done")
    error = outcome.get("error")
    if isinstance(error, BaseException):
        raise error
    gate.engine("pytest-benchmark", version("pytest-benchmark"))
    if benchmark.stats is None:
        pytest.fail("pytest-benchmark recorded no timings; inference latency was not measured", pytrace=False)
    benchmark.extra_info["model"] = spec
    stats = benchmark.stats.stats
    timings_ms = [t * 1000 for t in stats.data]
    gate.metric("ml_inference_p99_ms", round(_nearest_rank(timings_ms, 0.99), 3),
                labels={"rounds": str(len(timings_ms)), "model": spec},
                series=Series(tuple((float(i), round(t, 3)) for i, t in enumerate(timings_ms[:500])),
                              "time of each inference", "ms", x="sample"), samples=len(timings_ms))
    if not BASELINE.exists():
        pytest.fail(f"no stored benchmark baseline at {BASELINE}; {RECORD}", pytrace=False)
    stored = json.loads(BASELINE.read_text())
    entry = next((b for b in stored.get("benchmarks", []) if b.get("name") == BASELINE_NAME
                  and b.get("extra_info", {}).get("model") == spec), None)
    if entry is None:
        pytest.fail(f"{BASELINE} has no baseline for the model {spec}; {RECORD}", pytrace=False)
    baseline_ms = float(entry["stats"]["median"]) * 1000
    gate.metric("ml_inference_baseline_ratio", round(stats.median * 1000 / baseline_ms, 3),
                labels={"median_ms": f"{stats.median * 1000:.3f}", "baseline_median_ms": f"{baseline_ms:.3f}"})
