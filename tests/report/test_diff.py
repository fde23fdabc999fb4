"""The trend between two reports: only what the new run judged again can be fixed; timing noise has a floor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytest_castmatch import diff
from pytest_castmatch.config import GateConfig
from pytest_castmatch.model import GateResult, Outcome, Scope

from .conftest import sample_gates

Report = Callable[..., dict[str, Any]]


def test_timing_metrics_move_only_beyond_an_absolute_floor_too() -> None:
    assert not diff.beyond_noise(3.0, 6.0, floor=diff.noise_floor("ms"))  # doubled, but 3 ms of jitter
    assert diff.beyond_noise(3.0, 9.0, floor=diff.noise_floor("ms"))
    assert not diff.beyond_noise(0.003, 0.006, floor=diff.noise_floor("s"))
    assert diff.beyond_noise(0.2, 0.3, floor=diff.noise_floor("s"))
    assert diff.noise_floor("ratio") == 0.0
    assert diff.beyond_noise(0.5, 0.6, floor=diff.noise_floor("ratio"))


def test_a_small_latency_doubling_is_not_a_regression(gate_config: GateConfig, report_of: Report) -> None:
    def with_ttfb(value: float) -> dict[str, Any]:
        gates = sample_gates(gate_config, hostile=False)
        gates[0] = GateResult(gates[0].id, gates[0].priority, gates[0].owner, Outcome.PASSED,
                              samples=(*gates[0].samples, *_ttfb(value)))
        return report_of(gates)

    assert diff.compare(with_ttfb(3.0), with_ttfb(6.0)).deltas == ()
    (delta,) = diff.compare(with_ttfb(3.0), with_ttfb(30.0)).deltas
    assert (delta.metric, delta.direction) == ("cwv_ttfb_ms", "worse")


def _ttfb(value: float) -> tuple[Any, ...]:
    from pytest_castmatch.model import Sample

    return (Sample("cwv_ttfb_ms", value, unit="ms"),)


def test_blockers_out_of_the_new_runs_scope_are_not_fixed(gate_config: GateConfig, report_of: Report) -> None:
    old = report_of(sample_gates(gate_config, api_ms=300.0), signed=True)
    kept = [g for g in sample_gates(gate_config, api_ms=300.0) if "contrast" not in g.id and "api_p99" not in g.id]
    scoped = report_of(kept, scope=Scope(full=False, owners=("devops",)), signed=True)
    trend = diff.compare(old, scoped)
    assert trend.fixed == ()
    assert sorted(r["subject"] for r in trend.not_in_scope) == sorted(
        [g.id for g in sample_gates(gate_config) if "contrast" in g.id] + ["metric:api_p99_ms"])

    judged_again = report_of([g if "contrast" not in g.id else GateResult(g.id, g.priority, g.owner, Outcome.PASSED)
                              for g in sample_gates(gate_config, api_ms=100.0)], signed=True)
    fixed = diff.compare(old, judged_again)
    assert fixed.not_in_scope == ()
    assert sorted(r["subject"] for r in fixed.fixed) == sorted(
        [g.id for g in sample_gates(gate_config) if "contrast" in g.id] + ["metric:api_p99_ms"])
