"""The outermost ASGI layer: request ids, JSON access logs, security headers, metrics, rate limits.

One hand-written layer instead of several BaseHTTPMiddleware classes keeps per-request overhead
to a few microseconds, which the load gates need. It wraps the FastAPI app, so even the 500 page
and 429 responses carry the security headers.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import re
import time
from collections import deque
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from castmatch_app import balance, defects, logs
from castmatch_app.runtime import Runtime

log = logging.getLogger("castmatch.access")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
UNLIMITED_PREFIXES = ("/static/", "/media/", "/healthz", "/readyz", "/metrics", "/sw.js", "/manifest.webmanifest",
                      "/favicon.ico", "/robots.txt", "/_test/")
LOAD_WINDOW_S = 1.0
LOAD_THRESHOLD_RPS = 20  # the load defects start above this rate: any real load, even on a busy machine


class TokenBuckets:
    """Per-client token buckets; ``burst`` is the capacity, ``rate`` the refill per second."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.buckets: dict[str, list[float]] = {}

    def take(self, key: str, now: float) -> float:
        """0 when allowed, else the seconds until one token is available."""
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) > 50_000:  # forget idle clients rather than grow without bound
                self.buckets = {k: b for k, b in self.buckets.items() if now - b[1] < 60}
            bucket = self.buckets[key] = [float(self.burst), now]
        tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
        bucket[1] = now
        if tokens >= 1:
            bucket[0] = tokens - 1
            return 0.0
        bucket[0] = tokens
        return (1 - tokens) / self.rate


class Edge:
    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.rt = runtime
        limits = runtime.settings.rate_limits or {}
        self.limiters = {name: TokenBuckets(b.rate, b.burst) for name, b in limits.items()}
        self.recent: deque[float] = deque()
        self.headers = list(SECURITY_HEADERS)
        with defects.using(runtime.settings.defects):
            if not defects.active("missing-security-header"):
                self.headers.append((b"content-security-policy", CSP.encode()))

    def client_key(self, scope: Scope, headers: dict[bytes, bytes]) -> str:
        auth = headers.get(b"authorization", b"")
        if auth[:7].lower() == b"bearer ":
            try:
                claims = self.rt.signer.verify_access(auth[7:].decode("latin-1"), self.rt.now())
                return f"user:{claims.sub}"
            except ValueError:
                pass
        for part in headers.get(b"cookie", b"").decode("latin-1").split(";"):
            name, _, value = part.strip().partition("=")
            if name == "cm_sid":
                sid = self.rt.signer.session_id(value)
                if sid:
                    return f"session:{sid}"
        client = scope.get("client")
        return f"ip:{client[0] if client else 'unknown'}"

    def limit_class(self, path: str) -> str | None:
        if path.startswith(UNLIMITED_PREFIXES) or defects.active("no-rate-limit"):
            return None
        return "api" if path.startswith("/api/") else "pages"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        defects.bind(self.rt.settings.defects)
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope["headers"])
        path: str = scope["path"]
        request_id: str | None = None
        if not defects.active("no-request-id"):
            given = headers.get(b"x-request-id", b"").decode("latin-1")
            # 32 random hex digits, as uuid4().hex gives, without building a UUID object per request.
            request_id = given if REQUEST_ID.match(given) else os.urandom(16).hex()
        scope["castmatch.request_id"] = request_id
        logs.request_id_var.set(request_id)
        status_code = 500
        extra: list[tuple[bytes, bytes]] = list(self.headers)
        if request_id:
            extra.append((b"x-request-id", request_id.encode()))
        if self.rt.lifecycle.draining:
            extra.append((b"connection", b"close"))  # let clients reconnect to the next instance
        elif balance.CURRENT is not None and balance.CURRENT.should_close():
            extra.append((b"connection", b"close"))  # reconnect to a worker with room (see balance)

        response_started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status_code, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status_code = message["status"]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        self.rt.metrics.in_flight.inc()
        try:
            refused = self.refuse(scope, headers, path)
            if refused is not None:
                await self.respond(send_wrapper, *refused)
            else:
                await self.app(scope, receive, send_wrapper)
        except Exception:
            # The app's handler has logged it and rendered the 500 page; only answer if nothing was sent.
            if status_code == 500 and not response_started:
                await self.respond(send_wrapper, 500, {"error": {"code": "server_error"}}, 0)
        finally:
            self.rt.metrics.in_flight.dec()
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            label = getattr(route, "path", None) or ("/static" if path.startswith("/static/") else "unmatched")
            self.rt.metrics.served(scope["method"], label, status_code, elapsed)
            if self.rt.settings.access_log:
                self.log(scope, path, status_code, elapsed, request_id)

    def loaded(self, now: float) -> bool:
        """Whether more than LOAD_THRESHOLD_RPS requests arrived in the last LOAD_WINDOW_S (this one counted)."""
        self.recent.append(now)
        while self.recent and now - self.recent[0] > LOAD_WINDOW_S:
            self.recent.popleft()
        return len(self.recent) > LOAD_THRESHOLD_RPS

    def refuse(self, scope: Scope, headers: dict[bytes, bytes], path: str) -> tuple[int, dict[str, Any],
                                                                                   float] | None:
        now = time.monotonic()
        crash, shed = defects.active("crash-under-load"), defects.active("api-fast-500")
        if (crash or shed) and not path.startswith(("/healthz", "/readyz", "/metrics")) and self.loaded(now):
            if crash and random.random() < 0.08:
                return 500, {"error": {"code": "overloaded", "message": "worker crashed"}}, 0.0
            if shed and path.startswith("/api/"):
                # At once, without touching the endpoint: a fast failure that a percentile over every
                # answer would count as a fast API.
                return 500, {"error": {"code": "overloaded", "message": "shedding load"}}, 0.0
        limit = self.limit_class(path)
        if limit is None or limit not in self.limiters:
            return None
        wait = self.limiters[limit].take(self.client_key(scope, headers), now)
        if wait <= 0:
            return None
        self.rt.metrics.rate_limited.labels(limit).inc()
        seconds = max(1, math.ceil(wait))
        message = self.rt.catalogues.translator("en").text("api.rate_limited", seconds=seconds)
        return 429, {"error": {"code": "rate_limited", "message": message, "retry_after": seconds}}, seconds

    @staticmethod
    async def respond(send: Send, status: int, body: dict[str, Any], retry_after: float) -> None:
        data = json.dumps(body).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                   (b"cache-control", b"no-store")]
        if retry_after:
            headers.append((b"retry-after", str(int(retry_after)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})

    @staticmethod
    def log(scope: Scope, path: str, status: int, elapsed: float, request_id: str | None) -> None:
        client = scope.get("client")
        record: dict[str, Any] = {
            "ts": round(time.time(), 3), "level": "info", "event": "request", "method": scope["method"],
            "path": path, "status": status, "duration_ms": round(elapsed * 1000, 2),
            "client": client[0] if client else None,
        }
        if request_id:
            record["request_id"] = request_id
        log.info(record)
