"""Runtime settings, read from the environment so that every worker process sees the same values.

The CLI translates its flags into these variables before it starts workers.

=============================  ===========================================================
variable                       meaning (default)
=============================  ===========================================================
CASTMATCH_DATA_DIR             cache directory for the generated catalogue
                               (``~/.cache/castmatch-app``)
CASTMATCH_STATE_DB             SQLite file for accounts, sessions, shortlists, bookings
                               (``<data dir>/state.sqlite3``)
CASTMATCH_SEED                 generator seed (``20250113``)
CASTMATCH_TALENTS              number of generated talents (``10000``)
CASTMATCH_RATE_LIMITS          ``api=RATE/BURST,pages=RATE/BURST`` or ``off``
                               (``api=50/100,pages=20/60``)
CASTMATCH_ACCESS_TOKEN_TTL     access token lifetime in seconds (``900``)
CASTMATCH_REFRESH_TOKEN_TTL    refresh token lifetime in seconds (``1209600``)
CASTMATCH_WEBHOOK_SECRET       HMAC key of the calendar webhook (``castmatch-calendar-secret``)
CASTMATCH_MODEL_TIMEOUT_MS     recommendation model timeout (``250``)
CASTMATCH_BREAKER_FAILURES     consecutive failures that open the breaker (``5``)
CASTMATCH_BREAKER_RESET_S      seconds before an open breaker lets a trial call through (``5``)
CASTMATCH_DRAIN_SECONDS        readiness-off period after SIGTERM before closing (``1``)
CASTMATCH_FAULT_INJECTION      ``1`` mounts ``POST /_test/faults`` (off)
CASTMATCH_ACCESS_LOG           ``0`` silences per-request log lines (on)
=============================  ===========================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from castmatch_app import defects


@dataclass(frozen=True, slots=True)
class Bucket:
    rate: float  # tokens refilled per second
    burst: int  # bucket capacity: how far a client may run ahead of the rate


def parse_rate_limits(text: str) -> dict[str, Bucket] | None:
    """``api=50/100,pages=20/60`` -> buckets; ``off`` -> None (no limits, for capacity benchmarks)."""
    text = text.strip()
    if text.lower() in {"off", "none", "0"}:
        return None
    limits = {"api": Bucket(50.0, 100), "pages": Bucket(20.0, 60)}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, _, spec = part.partition("=")
        rate, _, burst = spec.partition("/")
        if key not in limits or not rate:
            raise ValueError(f"bad rate limit {part!r}: use api=RATE/BURST,pages=RATE/BURST or off")
        limits[key] = Bucket(float(rate), int(burst or float(rate) * 2))
    return limits


def default_data_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "castmatch-app"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    state_db: Path
    seed: int = 20250113
    talents: int = 10_000
    rate_limits: dict[str, Bucket] | None = field(default_factory=lambda: parse_rate_limits(""))
    access_token_ttl: int = 900
    refresh_token_ttl: int = 14 * 24 * 3600
    webhook_secret: str = "castmatch-calendar-secret"
    model_timeout_ms: int = 250
    breaker_failures: int = 5
    breaker_reset_s: float = 5.0
    drain_seconds: float = 1.0
    fault_injection: bool = False
    access_log: bool = True
    defects: frozenset[str] = frozenset()

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        data_dir = Path(env.get("CASTMATCH_DATA_DIR") or default_data_dir()).expanduser()
        values: dict[str, object] = {
            "data_dir": data_dir,
            "state_db": Path(env.get("CASTMATCH_STATE_DB") or data_dir / "state.sqlite3").expanduser(),
            "seed": int(env.get("CASTMATCH_SEED", "20250113")),
            "talents": int(env.get("CASTMATCH_TALENTS", "10000")),
            "rate_limits": parse_rate_limits(env.get("CASTMATCH_RATE_LIMITS", "")),
            "access_token_ttl": int(env.get("CASTMATCH_ACCESS_TOKEN_TTL", "900")),
            "refresh_token_ttl": int(env.get("CASTMATCH_REFRESH_TOKEN_TTL", str(14 * 24 * 3600))),
            "webhook_secret": env.get("CASTMATCH_WEBHOOK_SECRET", "castmatch-calendar-secret"),
            "model_timeout_ms": int(env.get("CASTMATCH_MODEL_TIMEOUT_MS", "250")),
            "breaker_failures": int(env.get("CASTMATCH_BREAKER_FAILURES", "5")),
            "breaker_reset_s": float(env.get("CASTMATCH_BREAKER_RESET_S", "5")),
            "drain_seconds": float(env.get("CASTMATCH_DRAIN_SECONDS", "1")),
            "fault_injection": env.get("CASTMATCH_FAULT_INJECTION", "") in {"1", "true", "yes"},
            "access_log": env.get("CASTMATCH_ACCESS_LOG", "1") not in {"0", "false", "no"},
            "defects": defects.from_env(),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
