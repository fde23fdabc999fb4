"""The defect matrix: every injected defect turns the gates that must catch it red.

Driven by the app's own catalogue (``castmatch-app defects --json``): for each defect, the
listed gates run in a fresh pytest against the reference app started with that defect,
and must end with a failing gate of the defect's owner and priority. The same gates against
the clean app must all pass. A defect whose gate folder does not exist yet is reported as
skipped with the folder it waits for — absent, never counted as caught.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from castmatch_app.defects import CATALOGUE, Defect

ROOT = Path(__file__).resolve().parents[2]
#: Defects that must show more than a red gate: a metric that reads "not measured" (never "met"),
#: or the finding that says why nothing was measured.
NOT_MEASURED = {"api-fast-500": "api_p99_ms"}
FINDING = {"key-page-404": "page-status"}
#: Defects a check cannot decide: their gate passes, and its needs-review items (of this rule) block the
#: launch until the owner signs them off or waives the gate.
REVIEW = {"styled-heading": "heading-like-text"}


def run_gates(targets: list[str], report_dir: Path, defects: str = "", *, options: tuple[str, ...] = (),
              environment: dict[str, str] | None = None) -> tuple[int, dict[str, Any], str]:
    """Run gates as a user would, in a subprocess (Locust and Playwright must not share one)."""
    # The outer run's xdist variables would make the inner run believe it is an xdist worker
    # (pytest-benchmark then switches itself off); the inner run is a user's own, fresh run.
    env = {k: v for k, v in os.environ.items()
           if k != "CASTMATCH_DEFECTS" and not k.startswith(("PYTEST_XDIST_", "PYTEST_CURRENT_TEST"))}
    env.update(environment or {})
    if defects:
        env["CASTMATCH_DEFECTS"] = defects
    cmd = [sys.executable, "-m", "pytest", *targets, "-p", "no:cacheprovider", "-q", "--gate-report", str(report_dir),
           *options]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    report_file = report_dir / "report.json"
    assert report_file.exists(), f"no report from {' '.join(cmd)}:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}"
    return proc.returncode, json.loads(report_file.read_text()), proc.stdout


def existing(gates: tuple[str, ...]) -> list[str]:
    return [g for g in gates if (ROOT / g.split("::")[0]).exists()]


@cache
def _folders() -> tuple[str, ...]:
    """Each suite folder a defect names, once: one clean run per folder, not per file."""
    return tuple(sorted({"/".join(g.split("::")[0].split("/")[:2]) for d in CATALOGUE for g in d.gates}))


@pytest.mark.parametrize("defect", CATALOGUE, ids=lambda d: d.name)
def test_defect_turns_its_gate_red(defect: Defect, tmp_path: Path) -> None:
    targets = existing(defect.gates)
    if not targets:
        pytest.skip(f"not covered yet: waits for {', '.join(defect.gates)}")
    status, report, out = run_gates(targets, tmp_path / "report", defect.name)
    red = [g for g in report["gates"] if g["outcome"] != "passed"]
    red_metrics = [m for m in report["launch_metrics"] + report["metrics"] if m.get("status") == "missed"]
    # Only a defect listed as undecidable may be caught by needs-review items alone.
    review = ([r for r in report["verdict"]["reasons"] if r["kind"] == "review" and r["blocking"]]
              if defect.name in REVIEW else [])
    assert red or red_metrics or review, (
        f"{defect.name}: every gate in {targets} passed with the defect on, nothing to review:\n{out[-3000:]}")
    owners = ({(g["owner"], g["priority"]) for g in red} | {(m.get("owner"), m.get("priority")) for m in red_metrics}
              | {(r["owner"], r["priority"]) for r in review})
    assert (defect.owner, defect.priority) in owners, (
        f"{defect.name}: red gates belong to {sorted(owners)}, expected {defect.owner} {defect.priority}\n{out[-3000:]}"
    )
    if defect.priority in ("p0", "p1"):
        assert status != 0
        assert report["verdict"]["decision"] == "NO-GO"
    if defect.name in NOT_MEASURED:
        metric = NOT_MEASURED[defect.name]
        statuses = {m["status"] for m in report["launch_metrics"] + report["metrics"] if m["metric"] == metric}
        assert statuses == {"not-measured"}, f"{defect.name}: {metric} is {statuses}\n{out[-3000:]}"
    if defect.name in FINDING:
        rules = {f["rule"] for g in red for f in g["findings"]}
        assert FINDING[defect.name] in rules, f"{defect.name}: red gates report {sorted(rules)}"
    if defect.name in REVIEW:
        reviewed = {r["subject"] for r in review}
        rules = {f["rule"] for g in report["gates"] if g["id"] in reviewed for f in g["findings"]
                 if f["severity"] == "review"}
        assert REVIEW[defect.name] in rules, f"{defect.name}: needs-review items are {sorted(rules)}"


# Timing gates (Lighthouse, p99 under load, frame rate) measure the machine as well as the app:
# run these alone (make matrix), not beside other browser and load work.
@pytest.mark.clean_app
@pytest.mark.parametrize("folder", _folders())
def test_clean_app_passes_every_gate(folder: str, tmp_path: Path) -> None:
    if not (ROOT / folder).exists():
        pytest.skip(f"not built yet: {folder}")
    status, report, out = run_gates([folder], tmp_path / "report")
    # P2 gates advise (e.g. browser engines this machine lacks); every blocking gate must pass.
    not_passed = {g["id"]: g["outcome"] for g in report["gates"] if g["outcome"] != "passed" and g["priority"] != "p2"}
    blocking = [r for r in report["verdict"]["reasons"] if r["blocking"]]
    assert not not_passed, f"gates not passing on the clean app: {not_passed}\n{out[-3000:]}"
    assert not blocking, f"blockers on the clean app: {blocking}"
    assert (status, report["verdict"]["label"]) == (0, "GO for this scope")


def test_gate_modules_have_unique_names() -> None:
    # Suites have no __init__.py: pytest imports each module by its basename, so two
    # test_x.py in different folders break a full run (each folder alone still collects).
    names = [p.name for p in (ROOT / "suites").rglob("test_*.py")]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []
