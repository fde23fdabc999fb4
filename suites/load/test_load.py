"""Load gates: API p99, throughput, availability and users held, from one bounded Locust run.

The run ramps to the target users, lets the app warm up, then holds; the gates judge the hold
phase (availability counts every request, ramp included) and publish per-second series, so a
slow start or a collapse at the end shows in the report. Size and traffic: see suites/load/conftest.py.
"""

from __future__ import annotations

import pytest

from pytest_castmatch import Finding, Gate, GateConfig, Series
from pytest_castmatch.checks import latency
from pytest_castmatch.runners import locust as load


def attach_run(gate: Gate, result: load.LoadResult) -> None:
    """Copy the run's statistics (per-window JSON, Locust CSVs, master log) into the gate's evidence."""
    for name in ("windows.json", "stats_stats.csv", "stats_failures.csv", "master.log"):
        source = result.out_dir / name
        if source.exists():
            target = gate.evidence_dir / name
            target.write_bytes(source.read_bytes())
            gate.attach(target)


def _no_hold(result: load.LoadResult) -> list[Finding]:
    if result.hold():
        return []
    return [Finding(rule="load-no-hold-phase", severity="error",
                    message=f"the run never held {result.plan.users} users (peak {result.users_peak}); "
                            "there is no steady state to judge")]


def record(gate: Gate, name: str, value: float, window: load.Tally, min_availability: float, *,
           labels: dict[str, str], series: Series | None = None) -> None:
    """Record a figure taken over ``window``'s successful requests, with its counts; not measured
    when the window failed too often for its successful answers to stand for the service."""
    gate.metric(name, value, labels=labels, series=series or (), samples=window.requests,
                successes=window.successes,
                not_measured=latency.too_many_errors(window.requests, window.successes, min_availability))


@pytest.mark.p0
@pytest.mark.owner("backend-api")
@pytest.mark.needs("pages", "load")
def test_api_p99_under_load(load_run: load.LoadResult, gate: Gate, min_availability: float) -> None:
    """p99 of every endpoint, and of all together, stays under the launch threshold while the users hold.

    Percentiles are taken over successful answers only, and each says how many it had.
    """
    gate.engine("locust", load.locust_version())
    gate.check(_no_hold(load_run))
    for name, tally in sorted(load_run.hold_endpoints().items()):
        record(gate, "api_p99_ms", tally.p(0.99), tally, min_availability,
               labels={"endpoint": name, "phase": "hold"})
    total = load_run.hold_total()
    if total.requests:
        record(gate, "api_p99_ms", total.p(0.99), total, min_availability,
               labels={"endpoint": "all", "phase": "hold"}, series=load_run.series("p99"))
    attach_run(gate, load_run)


@pytest.mark.p1
@pytest.mark.owner("backend-api")
@pytest.mark.needs("pages", "load")
def test_throughput_holds_under_load(load_run: load.LoadResult, gate: Gate, min_availability: float) -> None:
    """The app serves what the users ask for: successful requests/s over the rate the users offer.

    Each user waits its think time and then asks again, so an app that keeps up serves about
    users / mean think time requests a second; one that slows under load serves far fewer.
    """
    gate.check(_no_hold(load_run))
    low, high = load_run.plan.think
    offered = load_run.plan.users / ((low + high) / 2)
    record(gate, "load_throughput_ratio", round(load_run.hold_rps / offered, 3), load_run.hold_total(),
           min_availability, labels={"offered_rps": f"{offered:.0f}", "achieved_rps": f"{load_run.hold_rps:.0f}"},
           series=load_run.series("rps"))


@pytest.mark.p0
@pytest.mark.owner("devops")
@pytest.mark.needs("pages", "load")
def test_availability_under_load(load_run: load.LoadResult, gate: Gate) -> None:
    """Every request of the run, ramp included, is answered: 99.99 % or better (the launch uptime)."""
    whole = load_run.whole_run()
    if not whole.requests:
        gate.check([Finding(rule="load-no-requests", message="the load run sent no requests", severity="error")])
        return
    gate.metric("availability_percent", round(100.0 * whole.successes / whole.requests, 4),
                labels={"requests": str(whole.requests), "failures": str(whole.failures)},
                series=load_run.series("failures"), samples=whole.requests)
    gate.check(Finding(rule="load-request-failed", severity="note",
                       message=f"{e['occurrences']} x {e['method']} {e['name']}: {e['error']}"[:300])
               for e in load_run.errors[:10])


@pytest.mark.p0
@pytest.mark.owner("devops")
@pytest.mark.needs("pages", "load")
def test_concurrent_users_held(load_run: load.LoadResult, gate: Gate, castmatch_config: GateConfig,
                               min_availability: float) -> None:
    """The target number of users is reached and held to the end of the run, and they were served.

    Users who only got errors were not held by the service: the figure is not measured when the
    run's requests failed more often than the availability threshold allows.

    ``concurrent_users`` (the launch metric, 20,000) is recorded only by a launch-scale run
    (``load_users`` at or above the launch target, usually distributed); a smaller run
    would only record a miss it never tried to meet. The full gate then reports the launch metric
    as not measured, which blocks a launch just the same.
    """
    plan = load_run.plan
    held = load_run.users_held
    whole = load_run.whole_run()
    record(gate, "load_users_reached_percent", round(100.0 * held / plan.users, 2), whole, min_availability,
           labels={"target": str(plan.users), "held": str(held), "workers": str(load_run.workers_connected)},
           series=load_run.series("users"))
    launch = castmatch_config.metrics.get("concurrent_users")
    if launch is not None and launch.min is not None and plan.users >= launch.min:
        record(gate, "concurrent_users", held, whole, min_availability, labels={"target": str(plan.users)},
               series=load_run.series("users"))
    elif launch is not None:
        gate.check([Finding(rule="load-not-launch-scale", severity="note",
                            message=f"held {held} of {plan.users} users; the launch target of {launch.min:g} "
                                    "needs the load_users setting and a distributed run (see the load runner)")])
