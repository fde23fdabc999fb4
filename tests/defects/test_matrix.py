"""The defect matrix: every injected defect turns the gates that must catch it red.

For each defect of the app's catalogue, the gates ``catches.CATCHES`` names run as a user runs
them (``pytest TARGETS``, in a process of their own) against the reference app started with that
defect, and must end with a failing gate of the defect's owner and priority; a P0 or P1 defect
must also make the run NO-GO with a non-zero exit status. The same gate folders against the clean
app must all pass (``make matrix``: they hold timing gates, so they run alone).

Rows whose gates live in the same folder run together, one test per folder with a subtest per
defect: one warm process collects the folder's gates once and forks a child per row (``rows.py``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from castmatch_app.defects import BY_NAME, CATALOGUE
from tests.defects.catches import CATCHES, folder_of

ROOT = Path(__file__).resolve().parents[2]
#: Defects that must show more than a red gate: a metric that reads "not measured" (never "met"),
#: or the finding that says why nothing was measured.
NOT_MEASURED = {"api-fast-500": "api_p99_ms"}
FINDING = {"key-page-404": "page-status"}
#: Defects a check cannot decide: their gate passes, and its needs-review items (of this rule) block the
#: launch until the owner signs them off or waives the gate.
REVIEW = {"styled-heading": "heading-like-text"}
#: Folders whose rows take longest (browser page loads, Lighthouse, load runs): they start first.
SLOWEST = ("suites/performance", "suites/journeys", "suites/load")
#: Rows run two at a time: a row spends about half its time waiting (app and browser start-up, load
#: holds, timed animations), and each has its own app, port and temp root, so concurrent rows share
#: nothing but the machine. A busy machine can only add red to a row, and every row must be red: the
#: clean app's run of the same gates (``make matrix``) runs alone.
PARALLEL_ROWS = 2
#: Rows by the folder of their first gate: each folder's rows run in one warm process.
GROUPS: dict[str, list[str]] = {}
for _name in sorted(CATCHES):
    GROUPS.setdefault(folder_of(CATCHES[_name][0]), []).append(_name)
#: Overrides of the declared user model for the matrix rows (the load_* settings, README: Settings).
#: 100 users acting every 0.3-0.5 s offer about 270 requests/s (one Locust worker spends about a fifth
#: of a core on them), so a 10 s hold gives the least used endpoints, a booking's two requests (one
#: action in 12), about 200 successful answers each: twice the 100 a p99 needs (min_samples). A think
#: time far above the clean app's latency keeps the throughput ratio a measure of the app.
#: No password sign-ins: at a rate this machine affords, the token endpoint would get fewer than
#: 100 answers in the hold, and read "not measured".
SMALL_LOAD = {"CASTMATCH_LOAD_USERS": "100", "CASTMATCH_LOAD_RAMP": "1", "CASTMATCH_LOAD_WARMUP": "2",
              "CASTMATCH_LOAD_HOLD": "10", "CASTMATCH_LOAD_THINK": "0.3,0.5", "CASTMATCH_LOAD_SIGN_INS": "0",
              "CASTMATCH_LOAD_WORKERS": "1"}


@dataclass(frozen=True)
class RowResult:
    """One row's run: its exit status, its report (None when it wrote none) and its output."""

    status: int
    report: dict[str, Any] | None
    output: str

    def tail(self) -> str:
        """The end of the row's output, for failure messages."""
        return self.output[-3000:]


def run_rows(rows: dict[str, tuple[str, ...]], defects: dict[str, str], folder: Path, timeout: float = 600.0, *,
             options: tuple[str, ...] = (), environment: dict[str, str] | None = None,
             small_load: bool = True, parallel: int = 1) -> dict[str, RowResult]:
    """Run each row's targets in one warm process; ``defects`` maps a row to its CASTMATCH_DEFECTS.

    ``parallel`` rows run at once.
    ``options`` and ``environment`` apply to every row (e.g. ``--base-url`` and a short load plan).
    ``small_load``: the load gates run ``SMALL_LOAD``; without it, the model the deployment profile declares.
    """
    # The outer run's xdist variables would make each row believe it is an xdist worker
    # (pytest-benchmark then switches itself off); a row is a user's own, fresh run.
    env = {k: v for k, v in os.environ.items()
           if k != "CASTMATCH_DEFECTS" and not k.startswith(("PYTEST_XDIST_", "PYTEST_CURRENT_TEST"))}
    env["OPENBLAS_NUM_THREADS"] = "1"  # no BLAS thread pool in a process that forks
    # The load gates run a small model here: each load defect shows at 100 users within 15 s, and
    # the declared launch model (20,000 users) is the full gate's to run.
    for name, value in SMALL_LOAD.items() if small_load else ():
        env.setdefault(name, value)
    folder.mkdir(parents=True, exist_ok=True)
    plan = {"rows": [{"defects": [d for d in defects[name].split(",") if d], "targets": list(targets),
                      "folder": str(folder / name), "options": list(options), "environment": environment or {}}
                     for name, targets in rows.items()]}
    (folder / "plan.json").write_text(json.dumps(plan, indent=2))
    runner = subprocess.run([sys.executable, "-m", "tests.defects.rows", str(folder / "plan.json"),
                             "--row-timeout", str(timeout), "--parallel", str(parallel)],
                            cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=timeout * len(rows) + 120, check=False)
    assert runner.returncode == 0, f"the row runner failed:\n{runner.stdout[-3000:]}\n{runner.stderr[-3000:]}"
    results = {}
    for name in rows:
        row = folder / name
        status = int((row / "status").read_text()) if (row / "status").exists() else -1
        report = row / "report" / "report.json"
        output = (row / "output.txt").read_text(errors="replace") if (row / "output.txt").exists() else ""
        results[name] = RowResult(status, json.loads(report.read_text()) if report.exists() else None, output)
    return results


def run_gates(targets: list[str], report_dir: Path, defects: str = "", *, options: tuple[str, ...] = (),
              environment: dict[str, str] | None = None, small_load: bool = True) -> tuple[int, dict[str, Any], str]:
    """One ordinary run of ``targets`` with ``defects``: (exit status, report, output); ``small_load`` as in
    ``run_rows``."""
    result = run_rows({"run": tuple(targets)}, {"run": defects}, report_dir, options=options,
                      environment=environment, small_load=small_load)["run"]
    assert result.report is not None, f"no report from {targets} (status {result.status}):\n{result.tail()}"
    return result.status, result.report, result.output


def caught(defect: str, result: RowResult) -> None:
    """A red gate of the defect's owner and priority in its row's report; NO-GO for a P0 or P1 defect."""
    spec = BY_NAME[defect]
    assert result.report is not None, f"{defect}: the gate run wrote no report (status {result.status}):\n" \
                                      f"{result.tail()}"
    report = result.report
    red = [g for g in report["gates"] if g["outcome"] != "passed"]
    red_metrics = [m for m in report["launch_metrics"] + report["metrics"] if m.get("status") == "missed"]
    # Only a defect listed as undecidable may be caught by needs-review items alone.
    review = ([r for r in report["verdict"]["reasons"] if r["kind"] == "review" and r["blocking"]]
              if defect in REVIEW else [])
    assert red or red_metrics or review, (
        f"{defect}: every gate in {CATCHES[defect]} passed with the defect on, nothing to review:\n{result.tail()}")
    owners = ({(g["owner"], g["priority"]) for g in red} | {(m.get("owner"), m.get("priority")) for m in red_metrics}
              | {(r["owner"], r["priority"]) for r in review})
    assert (spec.owner, spec.priority) in owners, (
        f"{defect}: red gates belong to {sorted(owners)}, expected {spec.owner} {spec.priority}\n{result.tail()}"
    )
    if spec.priority in ("p0", "p1"):
        assert result.status != 0, f"{defect}: the run exited 0 with a blocking gate red"
        assert report["verdict"]["decision"] == "NO-GO"
    if defect in NOT_MEASURED:
        metric = NOT_MEASURED[defect]
        statuses = {m["status"] for m in report["launch_metrics"] + report["metrics"] if m["metric"] == metric}
        assert statuses == {"not-measured"}, f"{defect}: {metric} is {statuses}\n{result.tail()}"
    if defect in FINDING:
        rules = {f["rule"] for g in red for f in g["findings"]}
        assert FINDING[defect] in rules, f"{defect}: red gates report {sorted(rules)}"
    if defect in REVIEW:
        reviewed = {r["subject"] for r in review}
        rules = {f["rule"] for g in report["gates"] if g["id"] in reviewed for f in g["findings"]
                 if f["severity"] == "review"}
        assert REVIEW[defect] in rules, f"{defect}: needs-review items are {sorted(rules)}"


def _slowest_first(folder: str) -> tuple[bool, int, str]:
    return folder not in SLOWEST, -len(GROUPS[folder]), folder


FOLDERS: list[str] = sorted(GROUPS, key=_slowest_first)


@pytest.mark.parametrize("folder", FOLDERS)
def test_defects_turn_their_gates_red(folder: str, subtests: pytest.Subtests, tmp_path: Path) -> None:
    """Every defect whose first gate lives in ``folder``: one row each, one subtest each."""
    results = run_rows({name: CATCHES[name] for name in GROUPS[folder]}, {name: name for name in GROUPS[folder]},
                       tmp_path, parallel=PARALLEL_ROWS)
    for defect in GROUPS[folder]:
        with subtests.test(msg=defect):
            caught(defect, results[defect])


def test_every_catalogued_defect_has_a_row() -> None:
    rows = [name for names in GROUPS.values() for name in names]
    assert sorted(rows) == sorted(d.name for d in CATALOGUE)


# Timing gates (Lighthouse, p99 under load, frame rate) measure the machine as well as the app:
# run these alone (make matrix), not beside other browser and load work.
@pytest.mark.clean_app
@pytest.mark.parametrize("folder", sorted({folder_of(t) for targets in CATCHES.values() for t in targets}))
def test_clean_app_passes_every_gate(folder: str, tmp_path: Path) -> None:
    result = run_rows({"clean": (folder,)}, {"clean": ""}, tmp_path, timeout=1500)["clean"]
    assert result.report is not None, f"no report from {folder} (status {result.status}):\n{result.tail()}"
    report = result.report
    # P2 gates advise (e.g. browser engines this machine lacks); every blocking gate must pass.
    not_passed = {g["id"]: g["outcome"] for g in report["gates"] if g["outcome"] != "passed" and g["priority"] != "p2"}
    blocking = [r for r in report["verdict"]["reasons"] if r["blocking"]]
    assert not not_passed, f"gates not passing on the clean app: {not_passed}\n{result.tail()}"
    assert not blocking, f"blockers on the clean app: {blocking}"
    assert (result.status, report["verdict"]["label"]) == (0, "GO for this scope")
