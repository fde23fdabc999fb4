"""Short-lived reference-app instances of their own for the operations gates.

Logs and lifecycle can only be judged on a process whose output we capture and whose start and
stop we control, so these gates start one (same defects as the run, via the inherited environment)
instead of the shared app.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Instance:
    """A running app: its URL (once announced), process and captured log."""

    proc: subprocess.Popen[bytes]
    log: Path
    started: float
    url: str = ""

    def wait_for_url(self, timeout: float = 60.0) -> str:
        """The URL the app announces on stderr once its socket is bound."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
                if '"listening"' in line:
                    self.url = json.loads(line)["url"]
                    return self.url
            if self.proc.poll() is not None:
                raise RuntimeError(f"the app exited with {self.proc.returncode}:\n{self.log.read_text()[-2000:]}")
            time.sleep(0.02)
        raise RuntimeError(f"the app announced no URL within {timeout} s:\n{self.log.read_text()[-2000:]}")

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, then SIGKILL if it has not exited within ``timeout``."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return int(self.proc.returncode)


@pytest.fixture
def own_app(tmp_path: Path) -> Iterator[Instance]:
    """A fresh reference app on a free loopback port, its stdout and stderr captured to a file."""
    log = tmp_path / "app.log"
    env = {**os.environ, "CASTMATCH_STATE_DB": str(tmp_path / "state.sqlite3"), "CASTMATCH_DRAIN_SECONDS": "1",
           "CASTMATCH_ACCESS_LOG": "1", "CASTMATCH_FAULT_INJECTION": "1"}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "castmatch_app", "serve", "--port", "0"], stdout=out,
                                stderr=subprocess.STDOUT, env=env)
    instance = Instance(proc, log, time.monotonic())
    try:
        yield instance
    finally:
        instance.stop()
