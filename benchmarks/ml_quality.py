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
import tempfile
import time
from pathlib import Path

import requests

from castmatch_app import testing
from pytest_castmatch.checks import mlquality

ROOT = Path(__file__).resolve().parent.parent
BASELINES = ROOT / "baselines" / "ml"


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
    with tempfile.TemporaryDirectory() as tmp:
        app = testing.launch(Path(tmp), defects=args.defect, rate_limit="off")
        try:
            print(f"reference app {app.url} (defects: {', '.join(args.defect) or 'none'})")
            figures(app.url, args.k, args.users)
        finally:
            app.stop()


if __name__ == "__main__":
    main()
