"""How much the security and API-robustness checks try, and how long they take.

Prints one line per check: requests (or fuzz cases) sent, findings, seconds. Runs against
``--base-url URL`` or, by default, the reference app started on a free loopback port.

    .venv/bin/python benchmarks/security_probes.py [--base-url URL] [--examples 25] [--seed 1]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pytest_castmatch import sut
from pytest_castmatch.checks import fuzz, headers, probes, ratelimit
from pytest_castmatch.checks.web import Client
from pytest_castmatch.runners import bandit

PAGES = ["/", "/talent?q=actor", "/talent/1", "/signin", "/join", "/api/v1/search?q=actor", "/api/v1/talent/1"]


def timed(name: str, fn: Callable[[], tuple[int, int]]) -> None:
    started = time.perf_counter()
    tried, found = fn()
    elapsed = time.perf_counter() - started
    print(f"{name:<22} {tried:>6} sent  {found:>3} findings  {elapsed:7.2f} s  ({tried / max(elapsed, 1e-9):.0f}/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="")
    parser.add_argument("--examples", type=int, default=25, help="fuzz cases per operation")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    run_dir = Path(tempfile.mkdtemp(prefix="castmatch-bench-"))
    base = args.base_url.rstrip("/") or sut.ensure_app(run_dir).url
    try:
        client = Client(base)
        client.get("/")

        def static() -> tuple[int, int]:
            baseline = bandit.load_baseline(Path(__file__).resolve().parents[1] / "baselines" / "bandit-baseline.toml")
            scan = bandit.scan(bandit.default_target(baseline, Path.cwd()))
            return int(scan.metrics.get("loc", 0)), len(scan.results)

        def header_audit() -> tuple[int, int]:
            found, checked = headers.audit(base, PAGES)
            return checked, len(found)

        def sqli() -> tuple[int, int]:
            out = probes.Probed()
            for param in ("area", "q"):
                out.add(probes.sql_injection(client, "/api/v1/search", param, count=lambda j: int(j["total"])))
            return out.tried, len(out.findings)

        def hostile() -> tuple[int, int]:
            out = probes.path_traversal(client, ["/static/", "/media/headshots/"])
            out.add(probes.hostile_bodies(client, "POST", "/api/v1/auditions"))
            return out.tried, len(out.findings)

        def burst() -> tuple[int, int]:
            fresh = Client(base)
            fresh.get("/")
            identity = {"Cookie": f"cm_sid={fresh.cookies['cm_sid']}"}
            result = ratelimit.burst(base, "/api/v1/roles?limit=1", identity=identity)
            fresh.close()
            return len(result.statuses), len(ratelimit.judge(result, path="/api/v1/roles", min_burst=100))

        def fuzzing() -> tuple[int, int]:
            run = fuzz.run(base + "/api/v1/openapi.json", base, max_examples=args.examples, seed=args.seed,
                           headers={"Cookie": f"cm_sid={client.cookies['cm_sid']}"},
                           exclude=["POST /api/v1/oauth/token"])
            return run.cases, len(run.findings)

        print(f"target {base}")
        for name, fn in (("bandit (lines)", static), ("headers (responses)", header_audit), ("sql injection", sqli),
                         ("traversal + bodies", hostile), ("rate-limit burst", burst),
                         (f"fuzz ({args.examples}/operation)", fuzzing)):
            timed(name, fn)
        client.close()
    finally:
        if not args.base_url:
            sut.stop_app(run_dir)


if __name__ == "__main__":
    main()
