"""Wall time of the journey gates with and without pytest-xdist, and proof the verdict is the same.

Runs ``pytest suites/journeys`` twice in fresh subprocesses (each starts its own reference app, or
uses ``--base-url``): serially, then with ``-n N``. Prints both wall times, both verdicts and any
gate whose outcome differs. Exit status 1 when the verdicts or the per-gate outcomes differ.

    .venv/bin/python benchmarks/journeys.py            # -n 2
    .venv/bin/python benchmarks/journeys.py --workers 3 --base-url http://127.0.0.1:8765
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def run(extra: list[str], report_dir: Path, base_url: str | None) -> tuple[float, dict[str, Any], int]:
    """One ``pytest suites/journeys`` run: (wall seconds, its report, exit status)."""
    cmd = [sys.executable, "-m", "pytest", "suites/journeys", "-p", "no:cacheprovider", "-q",
           "--gate-report", str(report_dir), *extra]
    if base_url:
        cmd += ["--base-url", base_url]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    report_file = report_dir / "report.json"
    if not report_file.exists():
        sys.exit(f"no report from {' '.join(cmd)}:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    report: dict[str, Any] = json.loads(report_file.read_text())
    return wall, report, proc.returncode


def outcomes(report: dict[str, Any]) -> dict[str, str]:
    """Gate id -> outcome."""
    return {g["id"]: g["outcome"] for g in report["gates"]}


def main(argv: list[str] | None = None) -> int:
    """Run both ways and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers for the parallel run")
    parser.add_argument("--base-url", default=None, help="gate this deployment instead of the reference app")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="journeys-bench-") as tmp:
        serial = run([], Path(tmp) / "serial", args.base_url)
        parallel = run(["-n", str(args.workers)], Path(tmp) / "parallel", args.base_url)
    rows = [("serial", *serial), (f"-n {args.workers}", *parallel)]
    for label, wall, report, status in rows:
        gates = outcomes(report)
        tally = ", ".join(f"{n} {o}" for o, n in sorted(_count(gates.values()).items()))
        print(f"{label:>7}: {wall:6.1f} s wall  verdict {report['verdict']['label']!r} (exit {status}); "
              f"{len(gates)} gates: {tally}")
    a, b = outcomes(serial[1]), outcomes(parallel[1])
    differ = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    for gate in differ:
        print(f"  differs: {gate}: serial {a.get(gate)}, parallel {b.get(gate)}")
    same = serial[1]["verdict"]["decision"] == parallel[1]["verdict"]["decision"] and not differ
    print(f"same verdict and outcomes: {'yes' if same else 'NO'}; speed-up {serial[0] / parallel[0]:.2f}x")
    return 0 if same else 1


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


if __name__ == "__main__":
    raise SystemExit(main())
