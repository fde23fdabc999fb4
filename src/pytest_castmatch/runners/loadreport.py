"""The report side of a load run: the server's own view of the hold, and the model beside the result.

"20,000 concurrent users" is never a bare number: :func:`summary` puts the declared user model next
to what the hold measured (users held, hold seconds, requests/s, p50/p95/p99 per endpoint from the
client and from the server's histogram, errors, the generator's and the app's CPU and memory) and
whether the measurement is valid. The load gates attach it as evidence and print it as a note; the
benchmarks print the same lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Any

from pytest_castmatch.record import Record, record
from pytest_castmatch.runners.loadresult import LoadResult, mean
from pytest_castmatch.runners.usermodel import Saturation


@record
class ServerLatency(Record):
    """The deployment's own request-latency histogram over the hold: the difference of two scrapes.

    ``routes`` maps each route label to (requests, p50, p95, p99 in ms); ``total`` is every route
    together. ``missing`` says why there is nothing (no metrics endpoint, fewer than two scrapes
    inside the hold, no such histogram); the percentiles are Prometheus' ``histogram_quantile``,
    interpolated inside the bucket they fall in.
    """

    routes: dict[str, tuple[int, float, float, float]] = field(default_factory=dict)
    total: tuple[int, float, float, float] = (0, 0.0, 0.0, 0.0)
    seconds: float = 0.0
    missing: str = ""


def server_latency(result: LoadResult, family: str, skip_route: str = "") -> ServerLatency:
    """The hold as the deployment's histogram ``family`` saw it, per ``route`` label (``skip_route`` left out)."""
    if not family:
        return ServerLatency(missing="no latency histogram declared ([load] latency_histogram)")
    pair = result.hold_scrapes()
    if pair is None:
        return ServerLatency(missing=f"fewer than two reads of the metrics endpoint inside the hold "
                                     f"({len(result.scrapes)} in the run)")
    from pytest_castmatch.checks import ops  # prometheus_client: needed only for the server's view

    try:
        before, after = (ops.histogram_buckets(s.text, family, by="route") for s in pair)
    except ValueError as exc:
        return ServerLatency(missing=f"the metrics endpoint is no valid exposition text: {exc}")
    if not after:
        return ServerLatency(missing=f"the metrics endpoint has no histogram {family!r}")
    routes: dict[str, tuple[int, float, float, float]] = {}
    total: dict[float, float] = {}
    for route, buckets in sorted(after.items()):
        if route == skip_route:
            continue
        delta = ops.bucket_delta(before.get(route, {}), buckets)
        for le, count in delta.items():
            total[le] = total.get(le, 0.0) + count
        routes[route] = _quantiles(delta)
    return ServerLatency(routes={r: q for r, q in routes.items() if q[0]}, total=_quantiles(total),
                         seconds=round(pair[1].t - pair[0].t, 1))


def _quantiles(buckets: Mapping[float, float]) -> tuple[int, float, float, float]:
    from pytest_castmatch.checks import ops

    count = int(max(buckets.values(), default=0.0))
    ms = [round(1000 * (ops.histogram_quantile(buckets, q) or 0.0), 1) for q in (0.50, 0.95, 0.99)]
    return count, ms[0], ms[1], ms[2]


def summary(result: LoadResult, rule: Saturation, server: ServerLatency) -> dict[str, Any]:
    """The declared model beside what the hold measured, JSON-safe: the report's evidence and the
    benchmark's print-out read the same figures."""
    hold = result.hold_total()
    cpu = result.generator_cpu()
    app = result.app_usage()
    return {
        "model": result.model.as_json(),
        "users_held": result.users_held, "hold_seconds": result.hold_s, "reached_at_s": result.reached_at_s,
        "requests": hold.requests, "failures": hold.failures, "rps": round(result.hold_rps, 1),
        "client_ms": {"p50": hold.p(0.50), "p95": hold.p(0.95), "p99": hold.p(0.99)},
        "endpoints": {name: {"requests": t.requests, "failures": t.failures, "p50": t.p(0.50), "p95": t.p(0.95),
                             "p99": t.p(0.99)} for name, t in sorted(result.hold_endpoints().items())},
        "server_ms": {"requests": server.total[0], "p50": server.total[1], "p95": server.total[2],
                      "p99": server.total[3], "routes": server.routes, "seconds": server.seconds,
                      "missing": server.missing},
        "errors": sorted(result.errors, key=lambda e: -int(e["occurrences"]))[:10],
        "generator": {"cpu_mean_percent": {p: round(mean(v), 1) for p, v in sorted(cpu.items())},
                      "cpu_peak_percent": {p: max(v) for p, v in sorted(cpu.items())},
                      "rss_mb": round(result.generator_rss_mb()), "heartbeat_age_max_s": result.heartbeat_ages(),
                      "loop_lag_ms": {w: {"median": sorted(v)[len(v) // 2], "max": max(v)}
                                      for w, v in sorted(result.loop_lag_ms().items())},
                      "workers": result.workers_connected},
        "app": None if app is None else {"cpu_mean_percent": round(app[0], 1), "cpu_peak_percent": round(app[1], 1),
                                         "rss_mb": round(app[2])},
        "not_measured": result.short_hold() or result.saturated(rule),
    }


def summary_lines(data: Mapping[str, Any]) -> list[str]:
    """:func:`summary` as the lines a person reads: the model first, then what was held and measured."""
    model, client, server = data["model"], data["client_ms"], data["server_ms"]
    gen, app = data["generator"], data["app"]
    think = model["think"]
    lines = [
        f"model: {model['users']:,} users over a {model['ramp_seconds']:g} s ramp, {model['warmup_seconds']:g} s "
        f"warm-up, {model['hold_seconds']:g} s hold; think {think['distribution']} {think['low']:g}/"
        f"{think['high']:g} s (mean {think['mean']:g} s); {model['sign_ins_per_second']:g} sign-ins/s; mix "
        + ", ".join(f"{k} {v}" for k, v in model["mix"].items())
        + (f"; {model['connections']:,} shared connections" if model.get("connections") else "; a connection per user")
        + f"; offers {model['offered_rps']:,.0f} req/s",
        f"held: {data['users_held']:,} users for {data['hold_seconds']:g} s; {data['requests']:,} requests, "
        f"{data['failures']:,} failed, {data['rps']:,.0f} req/s",
        f"client p50/p95/p99: {client['p50']:g}/{client['p95']:g}/{client['p99']:g} ms; server p50/p95/p99: "
        + (f"{server['p50']:g}/{server['p95']:g}/{server['p99']:g} ms over {server['requests']:,} requests"
           if not server["missing"] else f"not available ({server['missing']})"),
    ]
    lines += [f"  {name}: {e['requests']:,} requests, {e['failures']:,} failed, p50/p95/p99 "
              f"{e['p50']:g}/{e['p95']:g}/{e['p99']:g} ms" for name, e in data["endpoints"].items()]
    lines.append("generator: " + ", ".join(f"{p} CPU mean {m:g} % peak {gen['cpu_peak_percent'][p]:g} %"
                                           for p, m in gen["cpu_mean_percent"].items())
                 + f"; RSS {gen['rss_mb']:,} MiB; longest heartbeat wait "
                 + (", ".join(f"{w} {a:g} s" for w, a in gen["heartbeat_age_max_s"].items()) or "none")
                 + "; event loop late per second, median/max: "
                 + (", ".join(f"{w} {v['median']:g}/{v['max']:g} ms" for w, v in gen["loop_lag_ms"].items())
                    or "not measured"))
    lines.append("app: " + (f"CPU mean {app['cpu_mean_percent']:g} % peak {app['cpu_peak_percent']:g} % of a core, "
                            f"RSS {app['rss_mb']:,} MiB" if app else "not sampled (not a process on this machine)"))
    lines += [f"  error: {e['occurrences']:,} x {e['method']} {e['name']}: {str(e['error'])[:160]}"
              for e in data["errors"]]
    lines.append(f"not measured: {data['not_measured']}" if data["not_measured"] else "valid: the generator kept up")
    return lines
