"""Print the plugin's overhead as instructions executed: the same 2,000 trivial gates as
``plugin_overhead.py``, with and without the plugin, each counted once under Valgrind's cachegrind.

    .venv/bin/python benchmarks/plugin_instructions.py [--tests 2000]

A machine whose speed changes from minute to minute moves wall and CPU times by ±20 % between two
runs of the same command; the count of instructions a run executes hardly moves (two counts of one
side differ by well under 0.1 %). It leaves out what only time shows (cache misses, the kernel), so
it goes beside ``plugin_overhead.py``'s figures, not in their place. Needs ``valgrind`` (Debian:
``apt-get install valgrind``); both sides run at once, one per core, about a minute each.
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


def count(where: Path, plugin: bool, out: Path) -> subprocess.Popen[str]:
    """Start one pytest run under cachegrind; its instruction count lands in ``out``'s log."""
    args = ["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={out}.cg",
            f"--log-file={out}.log", sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "-p", "no:playwright", "suites"]
    args += ["--gate-report", str(where / "gate-report")] if plugin else ["-p", "no:castmatch"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return subprocess.Popen(args, cwd=where, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def instructions(log: Path) -> int:
    """The pytest process's 'I refs' total in a cachegrind log (a child it forks reports its own, smaller)."""
    found = [int(n.replace(",", "")) for n in re.findall(r"I\s+refs:\s+([\d,]+)", log.read_text())]
    if not found:
        raise SystemExit(f"{log}: cachegrind wrote no instruction count:\n{log.read_text()[-2000:]}")
    return max(found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", type=int, default=2000)
    opts = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed — apt-get install valgrind")
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        make_project(where, opts.tests)
        for plugin in (True, False):  # bytecode written, a report folder in place: as any later run finds them
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            extra = ["--gate-report", str(where / "gate-report")] if plugin else ["-p", "no:castmatch"]
            subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:playwright",
                            "suites", *extra], cwd=where, env=env, capture_output=True, check=False)
        print(f"counting {opts.tests} trivial gates under cachegrind, both sides at once...", file=sys.stderr)
        runs = {plugin: count(where, plugin, where / ("with" if plugin else "without")) for plugin in (True, False)}
        for plugin, proc in runs.items():
            output, _ = proc.communicate()
            if "passed" not in output:
                raise SystemExit(f"pytest did not run the tests ({'with' if plugin else 'without'} plugin):\n{output}")
        mine, peer = instructions(where / "with.log"), instructions(where / "without.log")
    print(f"{opts.tests} trivial gates, instructions executed by the whole pytest process:")
    print(f"  without plugin  {peer / 1e9:7.3f} G")
    print(f"  with plugin     {mine / 1e9:7.3f} G   overhead {100 * (mine - peer) / peer:+.1f} %  "
          f"({(mine - peer) / opts.tests / 1e3:.0f} k per gate, fixed costs included)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
