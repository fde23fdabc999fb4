"""Rate limiting as a client sees it: a burst gets 429 with Retry-After, and the limit recovers.

``burst`` sends requests from several keep-alive connections that share one identity (one
cookie jar or token), as fast as the server answers, until the first 429 or a cap.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from pytest_castmatch.checks.web import Client, Reply
from pytest_castmatch.model import Finding


@dataclass
class Burst:
    """What one burst saw: statuses in completion order and the first refusal."""

    statuses: list[int] = field(default_factory=list)
    refusal: Reply | None = None
    elapsed: float = 0.0

    @property
    def allowed_before_refusal(self) -> int:
        """Requests the server admitted in the burst.

        All successes count, wherever they land in the list: with several workers an admitted
        request's answer can arrive after another worker's first 429.
        """
        return sum(1 for s in self.statuses if s < 400)


def burst(base_url: str, path: str, *, identity: Mapping[str, str], cap: int = 600, workers: int = 4) -> Burst:
    """Fire up to ``cap`` GETs of ``path`` with ``identity`` headers; stop everyone at the first 429."""
    out = Burst()
    lock = threading.Lock()
    stop = threading.Event()

    def worker() -> None:
        client = Client(base_url, headers=dict(identity))
        try:
            while not stop.is_set():
                with lock:
                    if len(out.statuses) >= cap:
                        return
                reply = client.get(path)
                with lock:
                    out.statuses.append(reply.status)
                    if reply.status == 429 and out.refusal is None:
                        out.refusal = reply
                        stop.set()
        finally:
            client.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    out.elapsed = time.monotonic() - started
    return out


def judge(result: Burst, *, path: str, min_burst: int) -> list[Finding]:
    """A 429 came, with a usable Retry-After, and not before ``min_burst`` requests had passed."""
    if result.refusal is None:
        return [Finding("no-rate-limit", f"{len(result.statuses)} requests to {path} in {result.elapsed:.1f} s from "
                        "one client were never refused with 429", criterion="backend-api: rate limits", page=path)]
    found = []
    retry = result.refusal.header("retry-after") or ""
    if not retry.strip().isdigit() or int(retry) < 1:
        found.append(Finding("retry-after-missing", f"429 from {path} has no usable Retry-After ({retry!r})",
                             criterion="RFC 6585 4", page=path))
    if result.allowed_before_refusal < min_burst:
        found.append(Finding("burst-too-small", f"only {result.allowed_before_refusal} requests passed before the "
                             f"first 429; the documented burst is {min_burst}", page=path))
    if any(s >= 500 for s in result.statuses):
        found.append(Finding("server-error", f"the burst to {path} got {sum(s >= 500 for s in result.statuses)} "
                             "5xx answers", page=path))
    return found
