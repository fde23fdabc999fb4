"""The run's fault lock: a gate injecting a runtime fault never overlaps another gate, on any worker."""

from __future__ import annotations

import fcntl
import subprocess
import sys
import textwrap
from pathlib import Path

from suites.conftest import FaultLock

HOLDER = textwrap.dedent("""
    import fcntl, sys, time
    handle = open(sys.argv[1], "ab")
    fcntl.flock(handle, fcntl.LOCK_SH if sys.argv[2] == "shared" else fcntl.LOCK_EX)
    print("held", flush=True)
    sys.stdin.readline()  # hold until told to let go
""")


def try_lock(path: Path, mode: int) -> bool:
    with open(path, "ab") as handle:
        try:
            fcntl.flock(handle, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def holder(path: Path, mode: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), mode], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_gates_share_and_a_fault_excludes(tmp_path: Path) -> None:
    path = tmp_path / "castmatch-faults.lock"
    lock = FaultLock(path)
    lock.shared()
    other_gate = holder(path, "shared")  # a gate on another worker runs beside this one
    try:
        assert try_lock(path, fcntl.LOCK_SH)
        assert not try_lock(path, fcntl.LOCK_EX)  # nobody may inject a fault while gates run
    finally:
        other_gate.communicate("\n", timeout=10)
    lock.exclusive()  # this gate injects a fault: alone now
    try:
        assert not try_lock(path, fcntl.LOCK_SH)  # every other gate waits for the fault to end
    finally:
        lock.release()
    assert try_lock(path, fcntl.LOCK_EX)

