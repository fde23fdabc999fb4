"""Run defect-matrix rows in one warm process: the imports once, each row in a fork of it.

    python -m tests.defects.rows PLAN.json

``PLAN.json`` holds ``{"rows": [{"defects": [...], "targets": [...], "folder": DIR}, ...]}``; a row
may add ``"options": [...]`` and ``"environment": {...}``. Each row is an ordinary gate run,
``pytest TARGETS OPTIONS --gate-report DIR/report``, with ``CASTMATCH_DEFECTS`` set to the row's
defects and a temp root of its own, so rows never share an app, a fault lock or a browser. The
process first collects every row's targets once (importing pytest, its plugins and the gate
modules, which costs seconds), then forks one child per row: a row starts warm, and what one row's
session leaves behind (caches, fixtures, threads) never reaches the next. A row's output goes to
``DIR/output.txt``, its exit status to ``DIR/status``, its wall time to ``DIR/seconds`` and its CPU
time to ``DIR/cpu-seconds``; a row that outlives ``--row-timeout`` is killed with its process group
and reported as status 124.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

#: Arguments of every row's run besides its targets. Reruns are off: a gate a defect breaks fails
#: every attempt, so a retry only doubles the row's time (it cannot turn red into green).
RUN_ARGS = ("-p", "no:cacheprovider", "-p", "no:rerunfailures", "-q")
TIMED_OUT = 124


def _run_row(row: dict[str, object]) -> int:
    """In the forked child: one gate run with the row's defects; never returns."""
    import pytest

    folder = Path(str(row["folder"]))
    code = 70
    try:
        os.setpgid(0, 0)
        (folder / "tmp").mkdir(parents=True, exist_ok=True)
        out = os.open(folder / "output.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.environ.update({str(k): str(v) for k, v in dict(row.get("environment") or {}).items()})  # type: ignore[call-overload]
        os.environ["CASTMATCH_DEFECTS"] = ",".join(row["defects"])  # type: ignore[arg-type]
        os.environ["PYTEST_DEBUG_TEMPROOT"] = str(folder / "tmp")
        targets = [str(t) for t in row["targets"]]  # type: ignore[attr-defined]
        options = [str(o) for o in row.get("options") or ()]  # type: ignore[attr-defined]
        code = int(pytest.main([*targets, *RUN_ARGS, *options, "--gate-report", str(folder / "report")]))
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _finished(pid: int, started: float, timeout: float) -> tuple[int, float] | None:
    """The child's exit status (``TIMED_OUT`` after killing it) and CPU seconds once it has ended, else None.

    The CPU seconds include every descendant the row waited for (its app, its browser's driver).
    """
    done, status, usage = os.wait4(pid, os.WNOHANG)
    if done:
        return os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime
    if time.monotonic() - started > timeout:
        os.killpg(pid, signal.SIGKILL)
        _, _, usage = os.wait4(pid, 0)
        return TIMED_OUT, usage.ru_utime + usage.ru_stime
    return None


def main(argv: list[str] | None = None) -> int:
    """Warm up once, then run every row of the plan in a child of its own; 0 when all rows ran."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("plan", type=Path)
    parser.add_argument("--row-timeout", type=float, default=600.0)
    parser.add_argument("--parallel", type=int, default=1, help="rows running at once")
    args = parser.parse_args(argv)
    rows: list[dict[str, object]] = json.loads(args.plan.read_text())["rows"]
    import pytest

    targets = sorted({str(t) for row in rows for t in row["targets"]})  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory(prefix="matrix-warm-") as warm:
        os.environ["PYTEST_DEBUG_TEMPROOT"] = warm
        pytest.main([*targets, *RUN_ARGS, "--collect-only", "--gate-report", str(Path(warm) / "report")])
        sys.stdout.flush()
    queue = list(rows)
    running: dict[int, tuple[dict[str, object], float]] = {}
    while queue or running:
        while queue and len(running) < max(1, args.parallel):
            row = queue.pop(0)
            pid = os.fork()
            if pid == 0:
                _run_row(row)
            running[pid] = (row, time.monotonic())
        time.sleep(0.1)
        for pid, (row, started) in list(running.items()):
            ended = _finished(pid, started, args.row_timeout)
            if ended is not None:
                del running[pid]
                folder = Path(str(row["folder"]))
                (folder / "status").write_text(str(ended[0]))
                (folder / "seconds").write_text(f"{time.monotonic() - started:.1f}")
                (folder / "cpu-seconds").write_text(f"{ended[1]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
