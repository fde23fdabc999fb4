"""Load benchmark of the reference app: each endpoint as a share of a bare FastAPI route, same server, same run.

    python benchmarks/app_load.py [--seconds 5] [--connections 100] [--workers 2] [--rounds 3]
                                  [--target NAME ...] [--app-pythonpath DIR]

Starts the reference app (``--workers 2 --rate-limit off``: one wrk client would otherwise be one
rate-limit bucket) and, beside it, a bare FastAPI app with one route that returns a small JSON
object, served by the same server code with the same settings (``castmatch-app serve --app``).
Each round runs wrk with ``--latency`` against the bare route and then each endpoint, one after
the other; the table holds the median over the rounds of requests/s, p50 and p99, and each
endpoint's requests/s as a share of the bare route's in the same round. The share is what carries
across runs and machines: this shared runner's absolute speed varies from hour to hour.

``--app-pythonpath DIR`` serves the reference app from another source tree (an older checkout's
``src``) with everything else unchanged, to compare two versions of the app with one command.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

from fastapi import FastAPI

from castmatch_app import testing

TARGETS = {
    "search API": "/api/v1/search?q=dance&area=bandra",
    "profile page": "/talent/42",
    "recommendations": "/api/v1/talent/42/similar",
}
BARE = "bare FastAPI route"
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def bare_app() -> FastAPI:
    """The reference point: FastAPI with one route and nothing else (plus the readiness probe the launcher asks)."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    @app.get("/bare")
    async def bare() -> dict[str, str]:
        return {"status": "ok"}

    return app


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * UNITS[unit]


def run_wrk(url: str, seconds: int, connections: int) -> dict[str, float]:
    """One wrk run: requests/s, p50 and p99 in ms, and how many answers were not 2xx/3xx."""
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if not (p50 and p99 and rps):
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    return {"rps": float(rps.group(1)), "p50_ms": to_ms(p50.group(1)), "p99_ms": to_ms(p99.group(1)),
            "non_2xx": float(errors.group(1)) if errors else 0.0}


def measure(args: argparse.Namespace, folder: Path) -> dict[str, list[dict[str, float]]]:
    """Every round's figures per endpoint (the bare route included), with the share of the bare route."""
    env = {"PYTHONPATH": args.app_pythonpath} if args.app_pythonpath else None
    app = testing.launch(folder / "app", workers=args.workers, rate_limit="off", drain_seconds=0, env=env)
    bare = testing.launch(folder / "bare", workers=args.workers, app="app_load:bare_app",
                          env={"PYTHONPATH": str(Path(__file__).resolve().parent)})
    targets = {BARE: bare.url + "/bare", **{n: app.url + p for n, p in TARGETS.items()
                                            if not args.target or n in args.target}}
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
    try:
        for url in targets.values():
            run_wrk(url, 1, 10)  # warm caches and connections
        for _ in range(args.rounds):
            for name, url in targets.items():
                rounds[name].append(run_wrk(url, args.seconds, args.connections))
                rounds[name][-1]["share"] = rounds[name][-1]["rps"] / rounds[BARE][-1]["rps"]
    finally:
        app.stop(grace=30)
        bare.stop(grace=30)
    return rounds


def main() -> int:
    """Measure, then print a table (or JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--target", action="append", choices=list(TARGETS),
                        help="measure only this endpoint (repeatable; default: all, in this order)")
    parser.add_argument("--app-pythonpath", help="serve the reference app from this source tree")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed")
    with tempfile.TemporaryDirectory(prefix="castmatch-app-load-") as tmp:
        rounds = measure(args, Path(tmp))
    medians = {name: {key: statistics.median(r[key] for r in runs) for key in runs[0]} for name, runs in rounds.items()}
    if args.json:
        print(json.dumps({"medians": medians, "rounds": rounds}, indent=2))
        return 0
    print(f"wrk -t2 -c{args.connections} -d{args.seconds}s --latency, {args.rounds} rounds (medians), "
          f"{args.workers} workers each" + (f", app from {args.app_pythonpath}" if args.app_pythonpath else ""))
    print(f"{'endpoint':<20}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}  share of the bare route")
    for name, m in [*((n, m) for n, m in medians.items() if n != BARE), (BARE, medians[BARE])]:
        shares = ", ".join(f"{r['share']:.0%}" for r in rounds[name])
        print(f"{name:<20}{m['rps']:>9.0f}{m['p50_ms']:>9.2f}{m['p99_ms']:>9.2f}{m['non_2xx']:>9.0f}  "
              f"{m['share']:>4.0%} (rounds: {shares})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
