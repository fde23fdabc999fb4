"""Print the plugin's overhead: 2,000 trivial gates with and without it, the same tests outside the
suites (the plugin installed but idle), the same gates with pytest's own ``--junitxml`` report in
place of the plugin's (a peer that writes one file with one line per test), and report time for
10,000 gates.

    .venv/bin/python benchmarks/plugin_overhead.py [--tests 2000] [--gates 10000] [--rounds 5]

Figures, not asserts: the wall times of one machine are noisy, so each side is the median of
several rounds, run alternately so drift hits both equally. Each side's CPU time (user + system of
the pytest process) is printed beside its wall time: a busy neighbour stretches the wall time far
more than the CPU time a run needs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from pytest_castmatch import canonical, inventory
from pytest_castmatch.config import load_gates
from pytest_castmatch.model import Finding, GateResult, Outcome, Priority, Sample, Scope
from pytest_castmatch.verdict import RunFacts, judge

ROOT = Path(__file__).resolve().parent.parent
OWNERS = ("backend-api", "devops", "frontend-ui", "ai-ml", "testing-qa", "motion-ui")


def make_project(where: Path, tests: int) -> None:
    (where / "baselines").mkdir()
    (where / "baselines" / "gates.toml").write_text((ROOT / "baselines" / "gates.toml").read_text())
    (where / "suites").mkdir()
    # The markers are registered for both sides: without the plugin, unknown marks would cost the
    # peer a warning per test, which a project without the plugin would not have.
    (where / "pytest.ini").write_text("[pytest]\ncastmatch_suites = suites\nmarkers =\n    p0: launch blocker\n"
                                      "    p1: must\n    p2: should\n    owner(team): owning team\n")
    per_file = 100
    (where / "plain").mkdir()
    for f in range(tests // per_file):
        body = ["import pytest", ""]
        for t in range(per_file):
            prio = ("p0", "p1", "p2")[t % 3]
            owner = OWNERS[t % len(OWNERS)]
            body.append(textwrap.dedent(f"""
                @pytest.mark.{prio}
                @pytest.mark.owner("{owner}")
                def test_{t}():
                    assert True
            """))
        (where / "suites" / f"test_bulk_{f}.py").write_text("\n".join(body))
        (where / "plain" / f"test_bulk_{f}.py").write_text("\n".join(body))


def run_pytest(where: Path, plugin: bool, folder: str = "suites", junit: bool = False) -> tuple[float, float]:
    """Wall and CPU time of one pytest process over ``folder``: a gate run (``suites``) or an idle one
    (``plain``); ``junit``, without the plugin, writes pytest's JUnit XML report instead."""
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:playwright", folder]
    if not plugin:
        args += ["-p", "no:castmatch"]
        if junit:
            args += [f"--junitxml={where / 'junit.xml'}"]
    elif folder == "suites":
        args += ["--gate-report", str(where / "gate-report")]
    # Bytecode is written and reused (as after any install): PYTHONDONTWRITEBYTECODE would make every
    # round recompile every imported module, and measure the compiler instead of the plugin.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=where, capture_output=True, text=True, check=False, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # Both sides must really have run every test, or the comparison means nothing.
    if "passed" not in proc.stdout:
        raise SystemExit(f"pytest did not run the tests ({'with' if plugin else 'without'} plugin):\n{proc.stdout}"
                         f"{proc.stderr}")
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def report_time(gates: int) -> tuple[float, int]:
    config = load_gates(ROOT / "baselines" / "gates.toml")
    results = []
    for i in range(gates):
        outcome = Outcome.PASSED if i % 17 else Outcome.FAILED
        findings = (Finding("target-size", f"button {i} is 30x30", page="/", selector=f"#b{i}"),) if i % 50 == 0 else ()
        samples = (Sample("api_p99_ms", 100.0 + i % 90, (("endpoint", f"/e{i % 20}"),)),) if i % 10 == 0 else ()
        results.append(GateResult(f"suites/test_{i // 100}.py::test_{i}", list(Priority)[i % 3], OWNERS[i % 6],
                                  outcome, 0.01, "", findings, samples))
    # The inventory lists every gate but one, and one more the run lost: both are found and judged.
    listed = {e.id: e for e in inventory.entries_of(results[1:])}
    listed["suites/test_gone.py::test_gone"] = inventory.Entry("suites/test_gone.py::test_gone", Priority.P0, "devops")
    start = time.perf_counter()
    check = inventory.compare(listed, results, inventory.Selection(), file="baselines/gates.lock")
    facts = RunFacts(scope=Scope(full=True), signed=True, collected_ids=frozenset(g.id for g in results),
                     inventory=check)
    judgement = judge(config, results, facts, today=dt.date(2025, 1, 10))
    doc = canonical.build(config=config, gates=results, judgement=judgement, facts=facts,
                          subject_info={"commit": "0" * 40, "branch": "main", "dirty": False},
                          env=canonical.environment({}), duration=1.0)
    data = canonical.dumps(doc)
    return time.perf_counter() - start, len(data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", type=int, default=2000)
    parser.add_argument("--gates", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=5)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        make_project(where, opts.tests)
        run_pytest(where, True)  # warm the import and bytecode caches for both sides
        run_pytest(where, False)
        with_plugin: list[tuple[float, float]] = []
        without: list[tuple[float, float]] = []
        idle: list[tuple[float, float]] = []
        junit: list[tuple[float, float]] = []
        for r in range(opts.rounds):
            print(f"round {r + 1}/{opts.rounds}...", file=sys.stderr, flush=True)
            # The order turns every round (A B C, then C B A), so a machine slowing down or speeding
            # up during a round weighs on each side alike.
            sides = [(with_plugin, True, "suites", False), (without, False, "suites", False),
                     (idle, True, "plain", False), (junit, False, "suites", True)]
            for runs, plugin, folder, xml in sides if r % 2 == 0 else reversed(sides):
                runs.append(run_pytest(where, plugin, folder, xml))
    print(f"{opts.tests} trivial gates, median of {opts.rounds} rounds (whole pytest process), wall and CPU time:")
    peer_wall = statistics.median(r[0] for r in without)
    peer_cpu = statistics.median(r[1] for r in without)
    for label, runs, note in (("without plugin", without, ""), ("with plugin", with_plugin, "  (target < 5 %)"),
                              ("idle plugin", idle, "  (the same tests outside the suites)"),
                              ("--junitxml", junit, "  (a peer: pytest's own JUnit XML report, no plugin)")):
        wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
        overhead = "" if runs is without else (f"   overhead wall {100 * (wall - peer_wall) / peer_wall:+.1f} %, "
                                               f"CPU {100 * (cpu - peer_cpu) / peer_cpu:+.1f} %{note}")
        print(f"  {label:<15} {wall:7.3f} s wall  {cpu:7.3f} s CPU{overhead}")
    # Each round's runs follow one another: their ratio cancels the drift of a machine whose speed
    # changes from minute to minute, which the medians above each absorb on their own.
    # A busy machine only ever slows a run down: the fastest run of each side is the closest to what
    # that side costs on its own.
    fastest = min(r[1] for r in without)
    for label, runs in (("with plugin", with_plugin), ("idle plugin", idle), ("--junitxml", junit)):
        mine = min(r[1] for r in runs)
        print(f"  {label}, fastest of {opts.rounds}: {mine:.3f} s CPU vs {fastest:.3f} s without: "
              f"overhead {100 * (mine - fastest) / fastest:+.1f} %")
    for label, runs in (("with plugin", with_plugin), ("idle plugin", idle), ("--junitxml", junit)):
        ratios = sorted(100 * (mine[1] - peer[1]) / peer[1] for mine, peer in zip(runs, without, strict=True))
        print(f"  {label}, paired by round: CPU overhead median {statistics.median(ratios):+.1f} % "
              f"(rounds from {ratios[0]:+.1f} % to {ratios[-1]:+.1f} %)")
    seconds, size = report_time(opts.gates)
    print(f"report for {opts.gates} gates (inventory check + judge + build + canonical bytes): {seconds:.3f} s, "
          f"{size / 1e6:.1f} MB  (target < 1 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
