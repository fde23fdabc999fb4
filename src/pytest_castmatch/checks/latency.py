"""API latency without load: a short, concurrent probe of each endpoint with p50/p95/p99.

No Locust here: a handful of threads, each with its own keep-alive ``http.client`` connection and
its own cookie jar (the first page view issues a session cookie, so per-client rate limits see
several ordinary clients rather than one address), request each path in turn. The point is the
latency a lightly loaded deployment gives, per endpoint, as a baseline next to the load gates.
"""

from __future__ import annotations

import http.client
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pytest_castmatch.model import Finding
from pytest_castmatch.traffic import ensure_allowed


@dataclass
class EndpointLatency:
    """What the probe measured for one path (times in milliseconds, of successful answers only)."""

    path: str
    timings_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        """Every request of the probe to this path: answered or not."""
        return sum(self.statuses.values()) + len(self.errors)

    @property
    def count(self) -> int:
        """Successful answers (below 400): the timings the percentiles are taken over."""
        return len(self.timings_ms)

    @property
    def failed(self) -> int:
        """Requests that raised or answered with a status of 400 or more."""
        return len(self.errors) + sum(n for status, n in self.statuses.items() if status >= 400)

    def percentile(self, fraction: float) -> float:
        """Nearest-rank percentile of the successful answers' timings (0 when none succeeded).

        A failed answer is left out: a fast 404 or 500 says nothing of how fast the endpoint serves.
        """
        return nearest_rank(self.timings_ms, fraction)


def too_many_errors(sent: int, successes: int, min_availability_percent: float) -> str:
    """Why a latency, throughput or users figure over a window is no measurement; empty when it is one.

    The figure is taken over the window's successful answers, so it means something only while the
    window itself is available: a window whose share of successful answers is below the availability
    threshold (gates.toml ``availability_percent``) measured a failure, not a service.
    """
    if sent == 0:
        return "no requests were sent in its window"
    available = round(100.0 * successes / sent, 4)
    if available < min_availability_percent:
        return (f"{sent - successes} of {sent} requests failed: {available:g} % answered, below the "
                f"{min_availability_percent:g} % availability threshold")
    return ""


def nearest_rank(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value with at least ``fraction`` of values at or below it."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


class _Client:
    """One keep-alive connection with a minimal cookie jar; reconnects when the server closes."""

    def __init__(self, base_url: str, timeout: float) -> None:
        parts = urlsplit(base_url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.https else 80)
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        return cls(self.host, self.port, timeout=self.timeout)

    def get(self, path: str) -> int:
        headers = {"Accept": "application/json, text/html;q=0.9", "User-Agent": "castmatch-latency-probe"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = self._connect()
            try:
                self.conn.request("GET", self.prefix + path, headers=headers)
                resp = self.conn.getresponse()
                resp.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A keep-alive connection the server closed between requests: retry once on a new one.
                self.close()
                if attempt:
                    raise
                continue
            for value in resp.headers.get_all("Set-Cookie") or []:
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            if resp.headers.get("Connection", "").lower() == "close":
                self.close()
            return resp.status
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def probe(base_url: str, paths: Sequence[str], *, rounds: int = 20, concurrency: int = 4,
          warmup_path: str = "/", timeout: float = 10.0, allowed_hosts: Sequence[str] = ()) -> list[EndpointLatency]:
    """Request every path ``rounds`` times from each of ``concurrency`` threads; time each response.

    The target must pass the traffic guard first (loopback, or one of ``allowed_hosts``): a refused
    host raises :class:`~pytest_castmatch.traffic.TrafficRefused` before any lookup or request.
    Each thread first requests ``warmup_path`` (untimed) to get a session cookie and an open
    connection, so the timings are of the endpoints, not of TCP set-up.
    """
    ensure_allowed(base_url, allowed_hosts)
    results = {p: EndpointLatency(p) for p in paths}
    lock = threading.Lock()

    def worker() -> None:
        client = _Client(base_url, timeout)
        try:
            try:
                client.get(warmup_path)
            except OSError:
                client.close()
            for _ in range(rounds):
                for path in paths:
                    started = time.perf_counter()
                    try:
                        status = client.get(path)
                    except (OSError, http.client.HTTPException) as exc:
                        client.close()
                        with lock:
                            results[path].errors.append(f"{type(exc).__name__}: {exc}")
                        continue
                    elapsed = (time.perf_counter() - started) * 1000
                    with lock:
                        if status < 400:
                            results[path].timings_ms.append(elapsed)
                        results[path].statuses[status] = results[path].statuses.get(status, 0) + 1
        finally:
            client.close()

    threads = [threading.Thread(target=worker, name=f"latency-probe-{i}") for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [results[p] for p in paths]


def findings(results: Sequence[EndpointLatency], base_url: str) -> list[Finding]:
    """An error for every endpoint that failed requests or answered nothing at all."""
    out: list[Finding] = []
    for r in results:
        if r.failed or not r.count:
            codes = ", ".join(f"{s} x{n}" for s, n in sorted(r.statuses.items()) if s >= 400)
            detail = "; ".join(filter(None, [codes, *sorted(set(r.errors))[:3]])) or "no response"
            out.append(Finding(
                rule="latency-probe-errors",
                message=f"{r.path}: {r.failed} of {r.sent} probe requests failed ({detail})",
                severity="error", page=base_url + r.path,
                context="statuses: " + ", ".join(f"{s} x{n}" for s, n in sorted(r.statuses.items())),
            ))
    return out
