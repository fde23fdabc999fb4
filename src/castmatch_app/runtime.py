"""Everything one running app holds: settings, data, model, caches, metrics and lifecycle flags."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from castmatch_app.assets import Assets
from castmatch_app.catalog import Catalog
from castmatch_app.config import Settings
from castmatch_app.faults import Faults
from castmatch_app.i18n import Catalogues
from castmatch_app.metrics import Metrics
from castmatch_app.security import Signer
from castmatch_app.state import State


@dataclass
class Lifecycle:
    ready: bool = False
    draining: bool = False


# One per process: the server's signal handler flips ``draining`` for every app it serves.
LIFECYCLE = Lifecycle()


class LRU:
    """A small bounded cache for hot query results (bytes ready to send)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict[Any, Any] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: Any) -> Any:
        value = self.data.get(key)
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        self.data.move_to_end(key)
        return value

    def put(self, key: Any, value: Any) -> None:
        self.data[key] = value
        self.data.move_to_end(key)
        if len(self.data) > self.size:
            self.data.popitem(last=False)


@dataclass
class Runtime:
    settings: Settings
    catalog: Catalog
    state: State
    assets: Assets
    catalogues: Catalogues
    metrics: Metrics
    faults: Faults
    signer: Signer
    lifecycle: Lifecycle = field(default_factory=lambda: LIFECYCLE)
    cache: LRU = field(default_factory=lambda: LRU(20_000))
    started: float = field(default_factory=time.time)
    recommender: Any = None  # built after start-up; readiness waits for it

    def now(self) -> float:
        """Wall clock as the token checks see it (fault injection may move it forward)."""
        return time.time() + self.faults.clock_offset_s
