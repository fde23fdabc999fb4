"""Laws of the pure verdict, checked over generated runs (Hypothesis)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_castmatch import inventory
from pytest_castmatch.config import GateConfig, MetricSpec, Owner
from pytest_castmatch.model import GateResult, Outcome, Priority, Sample, Scope
from pytest_castmatch.verdict import RunFacts, judge

OWNERS = ("backend-api", "devops", "ai-ml")
CONFIG = GateConfig(
    path=Path("gates.toml"),
    launch_name="test",
    launch_date=dt.date(2025, 1, 13),
    owners={o: Owner(o, o) for o in OWNERS},
    metrics={
        "api_p99_ms": MetricSpec("api_p99_ms", "API p99", "backend-api", Priority.P0, "ms", max=200, launch=True,
                                 min_samples=100),
        "bundle_kb": MetricSpec("bundle_kb", "bundle", "devops", Priority.P2, "kB", max=100),
    },
)

gates = st.builds(
    GateResult,
    id=st.text("abcdefgh", min_size=1, max_size=6).map(lambda s: f"suites/test_x.py::test_{s}"),
    priority=st.sampled_from(list(Priority)),
    owner=st.sampled_from(OWNERS),
    outcome=st.sampled_from(list(Outcome)),
    samples=st.lists(
        st.builds(Sample, metric=st.sampled_from(["api_p99_ms", "bundle_kb"]),
                  value=st.floats(0, 400, allow_nan=False), samples=st.sampled_from([0, 1, 99, 100, 5000]),
                  not_measured=st.sampled_from(["", "the window failed too often"])),
        max_size=2,
    ).map(tuple),
)
facts = st.builds(
    RunFacts,
    scope=st.builds(Scope, full=st.booleans()),
    complete=st.booleans(),
    interrupted=st.booleans(),
    signed=st.booleans(),
)


def _unique(run: list[GateResult]) -> list[GateResult]:
    return list({g.id: g for g in run}.values())


@given(st.lists(gates, max_size=8), facts, st.sampled_from([Priority.P0, Priority.P1]),
       st.sampled_from([o for o in Outcome if o not in (Outcome.PASSED, Outcome.NOT_APPLICABLE)]))
def test_adding_a_blocking_gate_that_did_not_pass_never_turns_no_go_into_go(
    run: list[GateResult], run_facts: RunFacts, priority: Priority, outcome: Outcome
) -> None:
    run = _unique(run)
    before = judge(CONFIG, run, run_facts).verdict
    extra = GateResult("suites/test_new.py::test_added", priority, "devops", outcome)
    after = judge(CONFIG, [*run, extra], run_facts).verdict
    assert not after.go
    if not before.go:
        assert not after.go


@given(st.lists(gates, max_size=8), facts, st.sampled_from(list(Priority)))
def test_a_not_applicable_gate_never_turns_no_go_into_go(run: list[GateResult], run_facts: RunFacts,
                                                         priority: Priority) -> None:
    run = _unique(run)
    before = judge(CONFIG, run, run_facts).verdict
    extra = GateResult("suites/test_new.py::test_added", priority, "devops", Outcome.NOT_APPLICABLE, message="x")
    after = judge(CONFIG, [*run, extra], run_facts).verdict
    if not before.go:
        assert not after.go
    assert after.launch <= before.launch


@given(st.lists(gates, max_size=8), facts, st.sampled_from(list(Priority)),
       st.lists(st.builds(Sample, metric=st.sampled_from(["api_p99_ms", "bundle_kb"]), value=st.floats(0, 400),
                          samples=st.sampled_from([0, 100, 5000])), min_size=1, max_size=2))
def test_a_not_applicable_gate_with_measurements_never_yields_go(run: list[GateResult], run_facts: RunFacts,
                                                                 priority: Priority, samples: list[Sample]) -> None:
    # A gate ends not applicable before it runs: measurements beside that outcome contradict it,
    # whatever the gate's priority and whatever the measurements say.
    extra = GateResult("suites/test_new.py::test_added", priority, "devops", Outcome.NOT_APPLICABLE, message="x",
                       samples=tuple(samples))
    verdict = judge(CONFIG, [*_unique(run), extra], run_facts).verdict
    assert not verdict.go
    assert any(r.subject == extra.id and r.blocking and "not applicable, yet" in r.message for r in verdict.reasons)


@given(st.lists(gates, max_size=8), facts)
def test_go_needs_every_blocking_gate_passed_and_go_for_launch_needs_a_full_signed_run(
    run: list[GateResult], run_facts: RunFacts
) -> None:
    run = _unique(run)
    verdict = judge(CONFIG, run, run_facts).verdict
    if verdict.go:
        assert run, "an empty run decides nothing"
        assert all(g.passed or g.outcome is Outcome.NOT_APPLICABLE for g in run if g.priority.blocking)
        assert not any(g.outcome is Outcome.NOT_APPLICABLE and g.samples for g in run)
        assert any(g.outcome is not Outcome.NOT_APPLICABLE for g in run), "a run where nothing applied judged nothing"
        assert not run_facts.interrupted
    if verdict.launch:
        assert run_facts.scope.full
        assert run_facts.complete
        assert run_facts.signed
        assert any(s.metric == "api_p99_ms" for g in run for s in g.samples)


@given(st.lists(gates, max_size=8), facts)
def test_the_verdict_does_not_depend_on_the_order_gates_arrive(run: list[GateResult], run_facts: RunFacts) -> None:
    run = _unique(run)
    assert judge(CONFIG, run, run_facts) == judge(CONFIG, list(reversed(run)), run_facts)


entries = st.lists(
    st.builds(inventory.Entry, id=st.text("abcdef", min_size=1, max_size=5).map(lambda s: f"suites/test_{s}.py::test"),
              priority=st.sampled_from(list(Priority)), owner=st.sampled_from(OWNERS)),
    min_size=1, max_size=10, unique_by=lambda e: e.id,
)


@settings(deadline=None)
@given(entries, st.data(), facts)
def test_a_listed_gate_missing_from_the_run_never_yields_go(
    listed: list[inventory.Entry], data: st.DataObject, run_facts: RunFacts
) -> None:
    judged = data.draw(st.lists(st.sampled_from(listed), unique_by=lambda e: e.id))
    owners = data.draw(st.lists(st.sampled_from(OWNERS), unique=True))
    selection = inventory.Selection(owners=tuple(owners))
    gates = [GateResult(e.id, e.priority, e.owner, Outcome.PASSED,
                        samples=(Sample("api_p99_ms", 100.0, samples=100),))
             for e in judged]
    check = inventory.compare({e.id: e for e in listed}, gates, selection, file="baselines/gates.lock")
    verdict = judge(CONFIG, gates, dataclasses.replace(run_facts, inventory=check)).verdict
    missing = [e for e in listed if selection.covers(e) and e not in judged]
    assert {m.id for m in check.missing} == {e.id for e in missing}
    if missing:
        assert not verdict.go
    elif judged and run_facts.complete and not run_facts.interrupted and (run_facts.signed or not run_facts.scope.full):
        assert verdict.go, verdict.blockers  # the law is not kept by blocking everything


@given(st.lists(gates, max_size=8), facts)
def test_a_launch_metric_is_met_only_when_every_sample_of_it_is_a_valid_measurement(
    run: list[GateResult], run_facts: RunFacts
) -> None:
    run = _unique(run)
    judgement = judge(CONFIG, run, run_facts)
    (row,) = judgement.launch_metrics
    api = [s for g in run for s in g.samples if s.metric == "api_p99_ms"]
    if row.status == "met":
        assert api
        assert all(s.samples >= 100 and not s.not_measured for s in api)
    if judgement.verdict.go:
        # A blocking gate with a void measurement never counts as passed.
        assert not any(s.samples < (100 if s.metric == "api_p99_ms" else 1) or s.not_measured
                       for g in run if g.priority.blocking for s in g.samples)
