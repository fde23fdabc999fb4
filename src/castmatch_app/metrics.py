"""Prometheus series. A per-app registry keeps several apps in one test process independent."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from castmatch_app import defects

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        # Built but left unregistered under the defect, so the series vanish from /metrics.
        self.request_latency = Histogram(
            "castmatch_http_request_duration_seconds", "HTTP request latency by route.",
            ["method", "route"], buckets=LATENCY_BUCKETS,
            registry=None if defects.active("missing-metrics") else self.registry,
        )
        self.requests = Counter("castmatch_http_requests", "HTTP requests by route and status.",
                                ["method", "route", "status"], registry=self.registry)
        self.inference_latency = Histogram(
            "castmatch_inference_duration_seconds", "Recommendation model latency by A/B variant.",
            ["variant"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.breaker_state = Gauge("castmatch_circuit_breaker_state",
                                   "Recommendation circuit breaker: 0 closed, 0.5 half-open, 1 open.",
                                   registry=self.registry)
        self.ab_exposures = Counter("castmatch_ab_exposures", "Recommendation experiment exposures by variant.",
                                    ["variant"], registry=self.registry)
        self.rate_limited = Counter("castmatch_rate_limited", "Requests refused with 429 by limit class.",
                                    ["limit"], registry=self.registry)
        self.in_flight = Gauge("castmatch_http_in_flight_requests", "Requests being served.",
                               registry=self.registry)
        self.ready = Gauge("castmatch_ready", "1 when the instance accepts traffic.", registry=self.registry)
        self.webhooks = Counter("castmatch_webhook_events", "Calendar webhook deliveries by outcome.",
                                ["outcome"], registry=self.registry)
        self.breaker_state.set(0)
        # labels() takes a lock and builds a key on every call; methods, routes, statuses and
        # variants are small fixed sets, so each labelled series is looked up once and kept.
        self._series: dict[tuple[Any, tuple[str, ...]], Any] = {}

    def series(self, metric: Any, *labels: str) -> Any:
        """``metric.labels(*labels)``, looked up once per metric and label values."""
        key = (metric, labels)
        child = self._series.get(key)
        if child is None:
            child = self._series[key] = metric.labels(*labels)
        return child

    def served(self, method: str, route: str, status: int, seconds: float) -> None:
        """Record one served request in the latency histogram and the request counter."""
        self.series(self.request_latency, method, route).observe(seconds)
        self.series(self.requests, method, route, str(status)).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
