"""The recommendation model as a benchmark target: what the reference profile's ``ml_model`` names.

``benchmark_model()`` builds the app's recommender in this process, with the defects named in
``CASTMATCH_DEFECTS``, and returns one inference as a zero-argument callable: the top 10 for the
next talent of a fixed sample, model path only. The model is timed, not its memo: the result cache
is swapped for one that never hits, so every call runs the matrix product and the top-k.
"""

from __future__ import annotations

import asyncio
import itertools

from castmatch_app import defects
from castmatch_app.catalog import Catalog, ensure_catalog
from castmatch_app.config import Settings
from castmatch_app.faults import Faults
from castmatch_app.metrics import Metrics
from castmatch_app.recommend import Breaker, Recommender
from castmatch_app.runtime import LRU

#: Talents sampled across the catalogue, so the benchmark is not one cached row.
SAMPLE = 500


class _NeverHit(LRU):
    """A memo that stores nothing, so the benchmark times the model and not a cache lookup."""

    def __init__(self) -> None:
        super().__init__(0)

    def get(self, key: object) -> None:
        self.misses += 1

    def put(self, key: object, value: object) -> None:
        return None


class Inference:
    """One recommendation per call; raises if the model did not answer (a fallback is not the model).

    The event loop is made by the first call, on the thread that runs the benchmark, and defects
    apply inside each call: a ContextVar does not cross threads. ``close`` (on that thread) frees
    the loop and the catalogue.
    """

    def __init__(self, model: Recommender, catalog: Catalog, names: frozenset[str]) -> None:
        self.model, self.catalog, self.names = model, catalog, names
        self.talents = itertools.cycle(int(t) for t in model.ids[:: max(1, len(model.ids) // SAMPLE)])
        self.loop: asyncio.AbstractEventLoop | None = None

    def __call__(self) -> None:
        if self.loop is None:
            self.loop = asyncio.new_event_loop()
        with defects.using(self.names):
            result = self.loop.run_until_complete(self.model.recommend(talent_id=next(self.talents), role=None,
                                                                       k=10, user_key="benchmark"))
        if result.source != "model":
            raise RuntimeError(f"the recommendation came from the {result.source} path, not the model")

    def close(self) -> None:
        """Close the event loop and the catalogue."""
        if self.loop is not None:
            self.loop.close()
        self.catalog.close()


def benchmark_model() -> Inference:
    """The app's recommender with the defects named in ``CASTMATCH_DEFECTS``, as one inference per call."""
    names = defects.from_env()
    settings = Settings.from_env()
    with defects.using(names):
        catalog = Catalog(ensure_catalog(settings.data_dir, settings.seed, settings.talents))
        model = Recommender(catalog, Faults(), Metrics(), settings.model_timeout_ms / 1000,
                            Breaker(settings.breaker_failures, settings.breaker_reset_s))
    model.memo = _NeverHit()
    return Inference(model, catalog, names)
