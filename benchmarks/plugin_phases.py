"""Print where the plugin's instructions go: the same 2,000 trivial gates as ``plugin_instructions.py``,
with and without the plugin, each run once under Valgrind's callgrind, its count cut at every phase
of the pytest run and around each step of the report.

    .venv/bin/python benchmarks/plugin_phases.py [--tests 2000]

A small probe plugin asks callgrind to dump its counters (a client request, made through a C helper
compiled here) when each phase begins: ``pytest_configure``, ``pytest_sessionstart``, collection,
the test loop, ``pytest_sessionfinish``, ``pytest_unconfigure``, exit. Both runs load the probe, so
what it costs falls on both sides alike. The report's steps (``html.render``, the report.json text,
folding, judging, ...) are cut out of the sessionfinish phase of the run with the plugin.

Needs ``valgrind`` with its headers and a C compiler (Debian: ``apt-get install valgrind gcc``).
About three minutes: both runs at once, one per core.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from plugin_instructions import environment, pytest_args
from plugin_overhead import make_project

HELPER = """\
#include <valgrind/callgrind.h>
void castmatch_dump(const char *label) { CALLGRIND_DUMP_STATS_AT(label); }
"""

#: The phases in run order; each dump closes the phase named in it.
PHASES = ("start-up", "options and plugins", "configure", "sessionstart", "collection", "test loop",
          "sessionfinish", "unconfigure", "exit")

#: The report's steps timed inside sessionfinish: (module, attribute) as the plugin calls them.
STEPS = (
    ("pytest_castmatch.controller", "fold"),
    ("pytest_castmatch.controller", "judge"),
    ("pytest_castmatch.canonical", "build"),
    ("pytest_castmatch.canonical", "pretty"),
    ("pytest_castmatch.canonical", "write_text"),
    ("pytest_castmatch.report.html", "render"),
    ("pytest_castmatch.report.markdown", "render"),
    ("pytest_castmatch.report.sarif", "render"),
)

PROBE = '''\
import atexit, ctypes, functools, importlib, os
import pytest

_HELPER = ctypes.CDLL(os.environ["CASTMATCH_PHASE_HELPER"])
_INSIDE = [0]


def dump(label):
    _HELPER.castmatch_dump(label.encode())


dump("start-up")


def step(modname, attr):
    module = importlib.import_module(modname)
    fn = getattr(module, attr)

    @functools.wraps(fn)
    def timed(*args, **kwargs):
        _INSIDE[0] += 1
        if _INSIDE[0] == 1:
            dump("sessionfinish")  # what came before the step
        try:
            return fn(*args, **kwargs)
        finally:
            _INSIDE[0] -= 1
            if not _INSIDE[0]:
                dump(f"step {modname.split('.')[-1]}.{attr}")

    setattr(module, attr, timed)


class Phases:
    @pytest.hookimpl(tryfirst=True)  # a historic hook takes no wrapper; the plugin's own is not tryfirst
    def pytest_configure(self, config):
        dump("options and plugins")

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_sessionstart(self, session):
        dump("configure")
        return (yield)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_collection(self, session):
        dump("sessionstart")
        return (yield)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtestloop(self, session):
        dump("collection")
        return (yield)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_sessionfinish(self, session):
        dump("test loop")
        if session.config.pluginmanager.has_plugin("castmatch-run"):
            for modname, attr in STEPS:
                step(modname, attr)
        return (yield)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_unconfigure(self, config):
        dump("sessionfinish")
        return (yield)


def pytest_addhooks(pluginmanager):
    pluginmanager.register(Phases(), "castmatch-phase-probe")


atexit.register(dump, "unconfigure")
'''


def counts(folder: Path) -> Counter[str]:
    """Instructions per dump label of the one process that made client requests (children excluded)."""
    by_pid: dict[str, Counter[str]] = {}
    for path in folder.glob("callgrind.*"):
        pid = path.name.split(".")[1]
        text = path.read_text(errors="replace")[:100_000]
        trigger = re.search(r"^desc: Trigger: (.*)$", text, re.M)
        total = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
        if trigger is None or total is None:
            continue
        label = trigger.group(1).removeprefix("Client Request: ")
        by_pid.setdefault(pid, Counter())["exit" if label.startswith("Program termination") else label] += int(
            total.group(1))
    probed = [c for c in by_pid.values() if "configure" in c]
    if len(probed) != 1:
        raise SystemExit(f"{folder}: expected one probed process, found {len(probed)}")
    return probed[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", type=int, default=2000)
    opts = parser.parse_args()
    compiler = shutil.which("cc") or shutil.which("gcc")
    if shutil.which("valgrind") is None or compiler is None:
        raise SystemExit("needs valgrind and a C compiler — apt-get install valgrind gcc")
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        helper = where / "libcastmatch_phase.so"
        source = where / "castmatch_phase.c"
        source.write_text(HELPER)
        built = subprocess.run([compiler, "-O1", "-shared", "-fPIC", "-o", str(helper), str(source)],
                               capture_output=True, text=True, check=False)
        if built.returncode != 0:
            raise SystemExit(f"cannot build the callgrind helper (valgrind's headers missing?):\n{built.stderr}")
        probe_dir = where / "probe"
        probe_dir.mkdir()
        (probe_dir / "castmatch_phase_probe.py").write_text(f"STEPS = {STEPS!r}\n" + PROBE)
        project = where / "project"
        project.mkdir()
        make_project(project, opts.tests)
        env = environment(0) | {"PYTHONPATH": str(probe_dir), "CASTMATCH_PHASE_HELPER": str(helper)}
        for plugin in (True, False):  # bytecode written, a report folder in place: as any later run finds them
            subprocess.run([sys.executable, *pytest_args(project, plugin, False)], cwd=project, env=env,
                           capture_output=True, check=False)
        print(f"counting {opts.tests} gates under callgrind, both sides at once...", file=sys.stderr)
        runs = {}
        for plugin in (True, False):
            out = where / ("with" if plugin else "without")
            out.mkdir()
            args = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/callgrind.%p",
                    f"--log-file={out}/valgrind.log", sys.executable,
                    *pytest_args(project, plugin, False), "-p", "castmatch_phase_probe"]
            runs[plugin] = subprocess.Popen(args, cwd=project, env=env, stdout=subprocess.PIPE,
                                            stderr=subprocess.STDOUT, text=True)
        for plugin, proc in runs.items():
            output, _ = proc.communicate()
            if "passed" not in output:
                raise SystemExit(f"pytest did not run the tests ({'with' if plugin else 'without'} plugin):\n{output}")
        mine, peer = counts(where / "with"), counts(where / "without")
    steps = {label: n for label, n in mine.items() if label.startswith("step ")}
    mine["sessionfinish"] += sum(steps.values())
    extra = sum(mine[p] for p in PHASES) - sum(peer[p] for p in PHASES)
    print(f"{opts.tests} trivial gates, instructions by phase of the pytest run (millions):")
    print(f"  {'phase':24s} {'with':>9s} {'without':>9s} {'plugin':>9s} {'share':>7s}")
    for phase in PHASES:
        diff = mine[phase] - peer[phase]
        print(f"  {phase:24s} {mine[phase] / 1e6:9.1f} {peer[phase] / 1e6:9.1f} {diff / 1e6:+9.1f} "
              f"{100 * diff / extra:6.1f}%")
    print(f"  {'whole run':24s} {sum(mine[p] for p in PHASES) / 1e6:9.1f} {sum(peer[p] for p in PHASES) / 1e6:9.1f} "
          f"{extra / 1e6:+9.1f}  ({100 * extra / sum(peer[p] for p in PHASES):+.1f} %)")
    shifted = sum(mine[p] - peer[p] for p in ("collection", "test loop"))
    # The plugin reads each test's location while classifying it: pytest's own work, which it would
    # otherwise do in the test loop. The two phases are comparable only together.
    print(f"  collection and test loop together: {shifted / 1e6:+.1f} ({shifted / opts.tests / 1e3:.0f} k per gate)")
    print("  the report's steps, inside sessionfinish:")
    for label, n in sorted(steps.items(), key=lambda item: -item[1]):
        print(f"    {label.removeprefix('step '):22s} {n / 1e6:9.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
