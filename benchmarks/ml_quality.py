"""Print the recommendation model's evaluation figures: precision@k and recall@k per A/B variant on
the labelled role set, PSI per feature against the drift reference, and the A/B split of synthetic users.

    .venv/bin/python benchmarks/ml_quality.py [--base-url URL] [--k 10] [--users 2000] [--defect NAME]

Without --base-url it starts the reference app on a free port with rate limits off (so 2,000
assignment calls take seconds) and stops it afterwards; --defect starts it with that defect on.
Figures, not asserts: the gates in suites/ml judge them against baselines/gates.toml.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from pytest_castmatch.checks import mlquality

ROOT = Path(__file__).resolve().parent.parent
BASELINES = ROOT / "baselines" / "ml"


@contextmanager
def reference_app(defects: list[str]) -> Iterator[str]:
    """The reference app on a free loopback port, rate limits off; yields its URL."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "app.log"
        env = {**os.environ, "CASTMATCH_STATE_DB": str(Path(tmp) / "state.sqlite3"),
               "CASTMATCH_DEFECTS": ",".join(defects)}
        with open(log, "wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "castmatch_app", "serve", "--port", "0", "--rate-limit",
                                     "off"], stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            url = ""
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and not url:
                for line in log.read_text(errors="replace").splitlines():
                    if '"listening"' in line:
                        url = json.loads(line)["url"]
                if proc.poll() is not None:
                    raise SystemExit(f"the app exited:\n{log.read_text()[-2000:]}")
                time.sleep(0.05)
            while time.monotonic() < deadline:
                try:
                    if requests.get(url + "/readyz", timeout=1).ok:
                        break
                except requests.RequestException:
                    pass
                time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            proc.wait(20)


def figures(base_url: str, k: int, users: int) -> None:
    """Measure and print every figure against ``base_url``."""
    labels: dict[str, list[int]] = json.loads((BASELINES / "eval_set.json").read_text())["labels"]
    reference = json.loads((BASELINES / "drift_reference.json").read_text())["distribution"]
    with requests.Session() as http:
        print(f"labelled set: {len(labels)} roles (baselines/ml/eval_set.json), k={k}")
        for variant in ("A", "B"):
            client = mlquality.client_for_variant(http, base_url, variant)
            started = time.perf_counter()
            results, sources = mlquality.rank_roles(http, base_url, labels, k, client)
            elapsed = time.perf_counter() - started
            score = mlquality.score_ranking(results, labels, k)
            print(f"  variant {variant}: precision@{k} {score.precision:.3f}  recall@{k} {score.recall:.3f}  "
                  f"(sources {sorted(sources)}, {len(labels)} queries in {elapsed:.2f} s)")
        live = mlquality.api_get(http, base_url + "/api/v1/ml/drift").json()["distribution"]
        scores = {name: mlquality.psi(reference[name], live[name]) for name in sorted(reference)}
        print("PSI, live vs reference (threshold 0.2): " + "  ".join(f"{n} {v:.4f}" for n, v in scores.items()))
        url = base_url + "/api/v1/experiments/assignment"
        population = [f"synthetic-user-{n}" for n in range(users)]
        split = mlquality.assignment_split(
            lambda u: str(mlquality.api_get(http, url, {"X-Client-Id": u}).json()["variant"]), population, ["A", "B"])
        print(f"A/B split over {users} synthetic users: " + ", ".join(f"{v}={c}" for v, c in split.counts.items())
              + f"  chi-square {split.chi_square:.2f}  p {split.p_value:.3g}  largest share gap "
              f"{split.max_share_gap:.2%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", help="a running deployment (default: start the reference app)")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--defect", action="append", default=[], help="start the reference app with this defect")
    args = parser.parse_args()
    if args.base_url:
        figures(args.base_url.rstrip("/"), args.k, args.users)
        return
    with reference_app(args.defect) as url:
        print(f"reference app {url} (defects: {', '.join(args.defect) or 'none'})")
        figures(url, args.k, args.users)


if __name__ == "__main__":
    main()
