"""Print the plugin's overhead as instructions executed: the same 2,000 trivial gates as
``plugin_overhead.py``, with and without the plugin, each counted once under Valgrind's cachegrind.

    .venv/bin/python benchmarks/plugin_instructions.py [--tests 2000] [--seeds 3] [--idle] [--junitxml]

A machine whose speed changes from minute to minute moves wall and CPU times by ±20 % between two
runs of the same command; the count of instructions a run executes hardly moves (two counts of one
side differ by well under 0.1 %). It leaves out what only time shows (cache misses, the kernel), so
it goes beside ``plugin_overhead.py``'s figures, not in their place. Needs ``valgrind`` (Debian:
``apt-get install valgrind``); both sides run at once, one per core, about a minute each.
``--junitxml`` counts a third run beside them: the same tests without the plugin, writing pytest's
own JUnit XML report (a peer that writes one file with one element per test).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from plugin_overhead import make_project


def environment(seed: int) -> dict[str, str]:
    """Bytecode written and reused, as after any install; a fixed string hash, so two counts of one
    side lay out their dicts and sets alike (a random one moves a count by up to 1 %). Two versions of
    the code still lay them out differently: compare them over several seeds."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return env | {"PYTHONHASHSEED": str(seed)}


def pytest_args(where: Path, plugin: bool, idle: bool) -> list[str]:
    """A gate run over ``suites`` (or, ``idle``, a run over ``plain``), with or without the plugin."""
    args = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:playwright", "plain" if idle else "suites"]
    if not plugin:
        return [*args, "-p", "no:castmatch"]
    return args if idle else [*args, "--gate-report", str(where / "gate-report")]


def count(where: Path, args: list[str], out: Path, seed: int, python: str = sys.executable) -> subprocess.Popen[str]:
    """Start one run of ``python`` under cachegrind; its instruction count lands in ``out``'s log."""
    args = ["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={out}.cg",
            f"--log-file={out}.log", python, *args]
    return subprocess.Popen(args, cwd=where, env=environment(seed), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def instructions(log: Path) -> int:
    """The pytest process's 'I refs' total in a cachegrind log (a child it forks reports its own, smaller)."""
    found = [int(n.replace(",", "")) for n in re.findall(r"I\s+refs:\s+([\d,]+)", log.read_text())]
    if not found:
        raise SystemExit(f"{log}: cachegrind wrote no instruction count:\n{log.read_text()[-2000:]}")
    return max(found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", type=int, default=2000)
    parser.add_argument("--seeds", type=int, default=1, help="count under this many string-hash seeds (0, 1, ...)")
    parser.add_argument("--idle", action="store_true", help="the same tests outside any suite: the plugin stays idle")
    parser.add_argument("--junitxml", action="store_true", help="also count the tests without the plugin, writing "
                                                               "pytest's JUnit XML report")
    opts = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed — apt-get install valgrind")
    counts: list[tuple[int, int]] = []
    peers: list[int] = []
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        make_project(where, opts.tests)
        for plugin in (True, False):  # bytecode written, a report folder in place: as any later run finds them
            subprocess.run([sys.executable, *pytest_args(where, plugin, opts.idle)], cwd=where, env=environment(0),
                           capture_output=True, check=False)
        for seed in range(opts.seeds):
            print(f"counting {opts.tests} tests under cachegrind, both sides at once (seed {seed})...",
                  file=sys.stderr)
            runs = {plugin: count(where, pytest_args(where, plugin, opts.idle),
                                  where / ("with" if plugin else "without"), seed) for plugin in (True, False)}
            # The peer's count does not depend on what runs beside it: it starts with the pair.
            junit = [*pytest_args(where, False, opts.idle), f"--junitxml={where / 'junit.xml'}"]
            xml_run = count(where, junit, where / "junit", seed) if opts.junitxml else None
            for plugin, proc in runs.items():
                output, _ = proc.communicate()
                if "passed" not in output:
                    raise SystemExit(f"pytest did not run the tests ({'with' if plugin else 'without'} plugin):\n"
                                     f"{output}")
            counts.append((instructions(where / "with.log"), instructions(where / "without.log")))
            if xml_run is not None:
                output, _ = xml_run.communicate()
                if "passed" not in output or not (where / "junit.xml").is_file():
                    raise SystemExit(f"pytest did not run the tests or write junit.xml (--junitxml):\n{output}")
                peers.append(instructions(where / "junit.log"))
    what = "tests outside any suite (plugin idle)" if opts.idle else "trivial gates"
    print(f"{opts.tests} {what}, instructions executed by the whole pytest process:")
    for seed, (mine, peer) in enumerate(counts):
        label = f"seed {seed}: " if opts.seeds > 1 else ""
        print(f"  {label}without plugin  {peer / 1e9:7.3f} G")
        print(f"  {label}with plugin     {mine / 1e9:7.3f} G   overhead {100 * (mine - peer) / peer:+.1f} %  "
              f"({(mine - peer) / opts.tests / 1e3:.0f} k per test, fixed costs included)")
        if peers:
            xml = peers[seed]
            print(f"  {label}--junitxml      {xml / 1e9:7.3f} G   overhead {100 * (xml - peer) / peer:+.1f} %  "
                  f"(no plugin: pytest's own JUnit XML report)")
    if opts.seeds > 1:
        mine = sum(m for m, _ in counts) // len(counts)
        peer = sum(p for _, p in counts) // len(counts)
        print(f"  mean of {opts.seeds} seeds: with {mine / 1e9:.3f} G, without {peer / 1e9:.3f} G, "
              f"overhead {100 * (mine - peer) / peer:+.1f} %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
