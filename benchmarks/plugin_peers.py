"""Print what other per-test report writers cost on the same 2,000 trivial gates as
``plugin_overhead.py``, measured in the same run: pytest's own ``--junitxml``, pytest-reportlog,
pytest-json-report, pytest-html, and this plugin writing its report folder.

    .venv/bin/python benchmarks/plugin_peers.py [--tests 2000] [--rounds 5] [--instructions] [--venv DIR]

Every side runs in one virtual environment (``DIR``, made and filled on first use; by default a
temporary one) holding the pytest version this project's environment runs, the peers at the versions
below and this project: each side loads the same plugins, and only its own option turns one of them
into a report writer. The peer without any option (``-p no:castmatch``) is what each overhead is
taken against.

Time, as ``plugin_overhead.py`` takes it: the CPU time (user + system) of each pytest process, the
sides in turn, the order reversed every round, the median of the rounds. ``--instructions`` adds one
count per side under Valgrind's cachegrind (fixed string-hash seed), which hardly moves between runs.
Installing the peers needs the package index; a side that does not run every test, or writes no
report, stops the benchmark.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from plugin_instructions import count as count_run
from plugin_instructions import environment, instructions
from plugin_overhead import make_project

ROOT = Path(__file__).resolve().parent.parent

#: The peers, pinned: a newer release may cost more or less, and the figures name what was measured.
PEERS = ("pytest-html==4.2.0", "pytest-json-report==1.5.0", "pytest-reportlog==1.0.0")


@dataclass(frozen=True)
class Side:
    name: str
    args: tuple[str, ...]
    #: What the side writes (relative to the project folder): it must exist after each run.
    output: str | None


def sides() -> tuple[Side, ...]:
    off = ("-p", "no:castmatch")
    return (
        Side("no report", off, None),
        Side("--junitxml", (*off, "--junitxml=out/junit.xml"), "out/junit.xml"),
        Side("pytest-reportlog", (*off, "--report-log=out/log.jsonl"), "out/log.jsonl"),
        Side("pytest-json-report", (*off, "--json-report", "--json-report-file=out/report.json"), "out/report.json"),
        Side("pytest-html", (*off, "--html=out/html/index.html"), "out/html/index.html"),
        Side("pytest-castmatch", ("--gate-report", "out/gate-report"), "out/gate-report/report.json"),
    )


def prepare(where: Path) -> Path:
    """The environment's Python: made and filled unless it already holds every side's plugin."""
    python = where / "bin" / "python"
    wanted = [f"pytest=={importlib.metadata.version('pytest')}", *PEERS]
    if python.exists() and set(wanted) <= set(installed(python)) and "pytest-castmatch" in installed(python):
        return python
    if where.exists() and not (where.is_dir() and (not any(where.iterdir()) or (where / "pyvenv.cfg").is_file())):
        # Remaking the environment clears its folder: never one that holds anything else.
        raise SystemExit(f"--venv {where}: not a virtual environment; give a new or empty folder")
    print(f"making {where} (pytest, {', '.join(PEERS)}, this project)...", file=sys.stderr, flush=True)
    venv.create(where, with_pip=True, clear=True)
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", *wanted, "-e", str(ROOT)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"installing the peers into {where} failed (the package index must be reachable):\n"
                         f"{done.stdout}{done.stderr}")
    return python


def installed(python: Path) -> dict[str, str]:
    """The environment's pytest distributions: ``name==version`` (as pip pins it), and each bare name."""
    probe = ("import importlib.metadata as m\n"
             "for d in m.distributions():\n"
             "    n = d.metadata['Name'].lower()\n"
             "    n.startswith('pytest') and print(n, d.version)")
    lines = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=False).stdout.splitlines()
    found: dict[str, str] = {}
    for name, version in (line.split() for line in lines):
        found[f"{name}=={version}"] = found[name] = version
    return found


def command(python: Path, side: Side) -> list[str]:
    return [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "suites", *side.args]


def run(python: Path, where: Path, side: Side, tests: int) -> float:
    """CPU seconds of one pytest process of ``side``, once it is known to have run every test."""
    shutil.rmtree(where / "out", ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(command(python, side), cwd=where, capture_output=True, text=True, check=False,
                          env=environment(0))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    check(side, proc.stdout + proc.stderr, where, tests)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def check(side: Side, output: str, where: Path, tests: int) -> None:
    if f"{tests} passed" not in output:
        raise SystemExit(f"{side.name}: pytest did not run the {tests} tests:\n{output[-3000:]}")
    if side.output is not None and not (where / side.output).is_file():
        raise SystemExit(f"{side.name}: no report at {side.output}:\n{output[-3000:]}")


def count_sides(python: Path, where: Path, todo: Sequence[Side], tests: int) -> dict[str, int]:
    """Instructions of one run of each side under cachegrind, two at a time (one per core)."""
    found: dict[str, int] = {}
    for pair in (todo[i:i + 2] for i in range(0, len(todo), 2)):
        print(f"counting {' and '.join(s.name for s in pair)} under cachegrind...", file=sys.stderr, flush=True)
        runs = []
        for n, side in enumerate(pair):
            # Each run of a pair has a folder of its own: the two write their reports at once.
            here = where.parent / f"{where.name}-{n}"
            if not here.exists():
                shutil.copytree(where, here, ignore=shutil.ignore_patterns("out"))
            shutil.rmtree(here / "out", ignore_errors=True)
            python_args = command(python, side)
            runs.append((side, here, count_run(here, python_args[1:], here / "cachegrind", 0, python_args[0])))
        for side, here, proc in runs:
            output, _ = proc.communicate()
            check(side, output, here, tests)
            found[side.name] = instructions(here / "cachegrind.log")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--instructions", action="store_true", help="also count each side's instructions (valgrind)")
    parser.add_argument("--venv", type=Path, help="the environment to run every side in (kept; default: temporary)")
    opts = parser.parse_args()
    if opts.instructions and shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind — apt-get install valgrind")
    todo = sides()
    with tempfile.TemporaryDirectory() as tmp:
        python = prepare(opts.venv.resolve() if opts.venv else Path(tmp) / "venv")
        where = Path(tmp) / "project"
        where.mkdir()
        make_project(where, opts.tests)
        for side in todo:  # bytecode written and reused, as after any install
            run(python, where, side, opts.tests)
        cpu: dict[str, list[float]] = {s.name: [] for s in todo}
        for r in range(opts.rounds):
            print(f"round {r + 1}/{opts.rounds}...", file=sys.stderr, flush=True)
            start = time.perf_counter()
            for side in todo if r % 2 == 0 else reversed(todo):
                cpu[side.name].append(run(python, where, side, opts.tests))
            print(f"  {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
        counted = count_sides(python, where, todo, opts.tests) if opts.instructions else {}
        versions = sorted(k for k in installed(python) if "==" in k)
    peer_cpu = statistics.median(cpu[todo[0].name])
    peer_count = counted.get(todo[0].name)
    print(f"{opts.tests} trivial gates, each side's pytest process, CPU time median of {opts.rounds} rounds"
          f"{' and instructions (cachegrind)' if counted else ''}; overheads against '{todo[0].name}':")
    for side in todo:
        median = statistics.median(cpu[side.name])
        line = f"  {side.name:<20} {median:6.3f} s CPU"
        if side is not todo[0]:
            line += f"  {100 * (median - peer_cpu) / peer_cpu:+6.1f} %"
        if side.name in counted and peer_count:
            mine = counted[side.name]
            line += f"   {mine / 1e9:6.3f} G instructions"
            if side is not todo[0]:
                line += f"  {100 * (mine - peer_count) / peer_count:+6.1f} %"
        print(line)
    print("  in one environment: " + ", ".join(versions))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
