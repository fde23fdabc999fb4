"""Load gates: API p99, throughput, availability and users held, from one run of the declared user model.

The run ramps to the model's users, lets the app warm up, then holds; the gates judge the hold
phase (availability counts every request, ramp included) and publish per-second series, so a
slow start or a collapse at the end shows in the report. Every figure is a measurement of the
deployment only when the generator kept up and the declared hold was reached: otherwise it is
"not measured" (and blocks), never a latency. Model and overrides: see suites/load/conftest.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from pytest_castmatch import Deployment, Finding, Gate, GateConfig, Series
from pytest_castmatch.checks import latency
from pytest_castmatch.runners import loadreport
from pytest_castmatch.runners import locust as load


def attach_run(gate: Gate, result: load.LoadResult, summary: Mapping[str, Any]) -> None:
    """The model beside the result (a note and ``load-summary.json``), and the run's own files as evidence."""
    gate.check([Finding(rule="load-model-and-result", severity="note",
                        message="\n".join(loadreport.summary_lines(summary)))])
    target = gate.evidence_dir / "load-summary.json"
    target.write_text(json.dumps(summary, indent=2, sort_keys=True, default=str))
    gate.attach(target)
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
                    message=f"the run never held {result.model.users} users (peak {result.users_peak}); "
                            "there is no steady state to judge")]


def not_measured(window: load.Tally, min_availability: float, summary: Mapping[str, Any]) -> str:
    """Why a figure over ``window``'s successful requests is no measurement; empty when it is one.

    The generator did not keep up or the declared hold was not reached (``summary``), or the window
    failed too often for its successful answers to stand for the service (``latency.too_many_errors``).
    """
    return str(summary["not_measured"] or "") or latency.too_many_errors(window.requests, window.successes,
                                                                         min_availability)


def record(gate: Gate, name: str, value: float, window: load.Tally, why: str, *, labels: dict[str, str],
           series: Series | None = None) -> None:
    """Record a figure taken over ``window``'s successful requests, with its counts; not measured
    (and blocking) when ``why`` says it is no measurement."""
    gate.metric(name, value, labels=labels, series=series or (), samples=window.requests,
                successes=window.successes, not_measured=why)


@pytest.mark.p0
@pytest.mark.owner("backend-api")
@pytest.mark.needs("pages", "load")
def test_api_p99_under_load(load_run: load.LoadResult, load_summary: dict[str, Any], gate: Gate,
                            min_availability: float, castmatch_deployment: Deployment) -> None:
    """p99 of every endpoint, and of all together, stays under the launch threshold while the users hold;
    the server's own histogram says the same of the time it spent on them.

    Percentiles are taken over successful answers only, and each says how many it had.
    """
    gate.engine("locust", load.locust_version())
    gate.check(_no_hold(load_run))
    for name, tally in sorted(load_run.hold_endpoints().items()):
        record(gate, "api_p99_ms", tally.p(0.99), tally, not_measured(tally, min_availability, load_summary),
               labels={"endpoint": name, "phase": "hold"})
    total = load_run.hold_total()
    if total.requests:
        record(gate, "api_p99_ms", total.p(0.99), total, not_measured(total, min_availability, load_summary),
               labels={"endpoint": "all", "phase": "hold"}, series=load_run.series("p99"))
    lacks = castmatch_deployment.get("metrics")
    if lacks is not None and not castmatch_deployment.has("metrics"):
        # The profile says the deployment has no metrics endpoint: the client's percentiles are all there is.
        gate.check([Finding(rule="server-latency-not-applicable", severity="note",
                            message=f"the server's own p99 is not applicable: {lacks.reason('metrics endpoint')}")])
        attach_run(gate, load_run, load_summary)
        return
    # The server's histogram counts every answer, failed ones too: it stands for the service only
    # while the client's hold was available.
    server = load_summary["server_ms"]
    why = not_measured(total, min_availability, load_summary) or str(server["missing"])
    if not why and not server["requests"]:
        why = "the deployment's histogram counted no request during the hold"
    gate.metric("api_server_p99_ms", float(server["p99"]), samples=int(server["requests"]), not_measured=why,
                labels={"histogram": "all routes", "seconds": f"{server['seconds']:g}"})
    attach_run(gate, load_run, load_summary)


@pytest.mark.p1
@pytest.mark.owner("backend-api")
@pytest.mark.needs("pages", "load")
def test_throughput_holds_under_load(load_run: load.LoadResult, load_summary: dict[str, Any], gate: Gate,
                                     min_availability: float) -> None:
    """The app serves what the users ask for: successful requests/s over the rate the model offers.

    Each user waits its think time and then acts again, so an app that keeps up serves about
    users / mean think time actions a second (the model's ``offered_rps``); one that slows under
    load serves far fewer.
    """
    gate.check(_no_hold(load_run))
    offered = load_run.model.offered_rps
    hold = load_run.hold_total()
    record(gate, "load_throughput_ratio", round(load_run.hold_rps / offered, 3), hold,
           not_measured(hold, min_availability, load_summary),
           labels={"offered_rps": f"{offered:.0f}", "achieved_rps": f"{load_run.hold_rps:.0f}"},
           series=load_run.series("rps"))


@pytest.mark.p0
@pytest.mark.owner("devops")
@pytest.mark.needs("pages", "load")
def test_availability_under_load(load_run: load.LoadResult, load_summary: dict[str, Any], gate: Gate) -> None:
    """Every request of the run, ramp included, is answered: 99.99 % or better (the launch uptime).

    A saturated generator times out requests the deployment would have answered: no measurement then.
    """
    whole = load_run.whole_run()
    if not whole.requests:
        gate.check([Finding(rule="load-no-requests", message="the load run sent no requests", severity="error")])
        return
    gate.metric("availability_percent", round(100.0 * whole.successes / whole.requests, 4),
                labels={"requests": str(whole.requests), "failures": str(whole.failures)},
                series=load_run.series("failures"), samples=whole.requests,
                not_measured=str(load_summary["not_measured"] or ""))
    gate.check(Finding(rule="load-request-failed", severity="note",
                       message=f"{e['occurrences']} x {e['method']} {e['name']}: {e['error']}"[:300])
               for e in load_run.errors[:10])


@pytest.mark.p0
@pytest.mark.owner("devops")
@pytest.mark.needs("pages", "load")
def test_concurrent_users_held(load_run: load.LoadResult, load_summary: dict[str, Any], gate: Gate,
                               castmatch_config: GateConfig, min_availability: float) -> None:
    """The model's users are reached and held for the declared hold, and they were served.

    Users who only got errors were not held by the service: the figure is not measured when the
    run's requests failed more often than the availability threshold allows, when the generator
    was saturated, or when the hold fell short of the declared one.

    ``concurrent_users`` (the launch metric, 20,000) is recorded only by a run whose model declares
    at least the launch target; a smaller run (an override for a quick check) would only record a
    miss it never tried to meet, and the full gate then reports the launch metric as not measured.
    """
    model = load_run.model
    held = load_run.users_held
    whole = load_run.whole_run()
    labels = {"target": str(model.users), "held": str(held), "hold_s": f"{load_run.hold_s:g}",
              "workers": str(load_run.workers_connected), "model": model.source}
    why = not_measured(whole, min_availability, load_summary)
    record(gate, "load_users_reached_percent", round(100.0 * held / model.users, 2), whole, why, labels=labels,
           series=load_run.series("users"))
    launch = castmatch_config.metrics.get("concurrent_users")
    if launch is not None and launch.min is not None and model.users >= launch.min:
        record(gate, "concurrent_users", held, whole, why, labels=labels, series=load_run.series("users"))
    elif launch is not None:
        gate.check([Finding(rule="load-not-launch-scale", severity="note",
                            message=f"held {held} of {model.users} users; the launch target of {launch.min:g} "
                                    f"needs a model of that size ({model.source})")])
    gate.check([Finding(rule="load-model-and-result", severity="note",
                        message="\n".join(loadreport.summary_lines(load_summary)))])
