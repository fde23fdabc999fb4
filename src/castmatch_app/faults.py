"""Runtime fault injection for resilience gates (separate from start-up defects).

Only reachable when the app runs with ``--allow-fault-injection``; then ``POST /_test/faults``
with e.g. ``{"model_down": true}`` or ``{"model_slow_ms": 500}`` changes these values live.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class Faults:
    model_down: bool = False
    model_slow_ms: int = 0
    server_error: bool = False  # page and API routes raise, to exercise the 500 handlers
    clock_offset_s: int = 0  # shifts the token clock, to test expiry without waiting

    def update(self, changes: dict[str, Any]) -> None:
        known = {f.name: f.type for f in fields(self)}
        for key, value in changes.items():
            if key not in known:
                raise ValueError(f"unknown fault {key!r}; known faults: {', '.join(sorted(known))}")
            if known[key] == "bool" and not isinstance(value, bool):
                raise ValueError(f"fault {key!r} takes true or false")
            if known[key] == "int" and (isinstance(value, bool) or not isinstance(value, int) or value < -10**7
                                        or value > 10**7):
                raise ValueError(f"fault {key!r} takes an integer")
            setattr(self, key, value)

    def reset(self) -> None:
        for f in fields(self):
            setattr(self, f.name, f.default)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
