"""Every gate under suites/ declares what it needs from the deployment, with needs the plugin knows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pytest_castmatch.needs import KNOWN

ROOT = Path(__file__).resolve().parents[2]


def test_every_gate_declares_known_needs(tmp_path: Path) -> None:
    out = tmp_path / "census.json"
    # A collection of its own, not a worker of this run's xdist (pytest-benchmark would warn it is one).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_XDIST_", "PYTEST_CURRENT_TEST"))}
    proc = subprocess.run([sys.executable, "-m", "pytest", "suites", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "-p", "tests.plugin.needs_census"], cwd=ROOT, env={**env, "NEEDS_CENSUS": str(out)},
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    census: dict[str, list[str] | None] = json.loads(out.read_text())
    assert len(census) > 90
    assert [gate for gate, keys in census.items() if keys is None] == []
    assert sorted({key for keys in census.values() for key in keys or ()} - set(KNOWN)) == []
