"""An idle plugin: a pytest run with no gate and no gate option reads, parses and imports nothing of ours
(not the gates file's, profile's or settings' modules, not cryptography, not Jinja2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Written by the project's conftest once the run is over: what the plugin left behind.
CONFTEST = '''
import json, sys, tempfile
from pathlib import Path

def pytest_unconfigure(config):
    heavy = sorted(m for m in ("cryptography", "jinja2", "pytest_castmatch.attest", "pytest_castmatch.publish",
                               "pytest_castmatch.activation", "pytest_castmatch.config",
                               "pytest_castmatch.deployment", "pytest_castmatch.settings",
                               "pytest_castmatch.inventory", "pytest_castmatch.model")
                   if m in sys.modules)
    runs = sorted(p.name for p in Path(tempfile.gettempdir()).glob("castmatch-run-*"))
    Path("left.json").write_text(json.dumps({"heavy": heavy, "runs": runs}))
'''


def test_a_run_without_gates_reads_no_config_parses_no_key_and_imports_no_crypto(pytester: pytest.Pytester,
                                                                               tmp_path: Path) -> None:
    (pytester.path / "baselines").mkdir()
    (pytester.path / "baselines" / "gates.toml").write_text("this is [not toml\n")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "CASTMATCH_SIGNING_KEY": "not a key", "TMPDIR": str(temp)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "test_plain.py"],
                          cwd=pytester.path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (pytester.path / "left.json").read_text() == '{"heavy": [], "runs": []}'
    assert not (pytester.path / "gate-report").exists()


def test_disabling_the_plugin_works_with_strict_config() -> None:
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:castmatch", "--strict-config",
                           "-p", "no:cacheprovider", "-q", "tests/plugin/test_units.py"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "passed" in proc.stdout


def test_a_gate_option_alone_makes_a_gate_run(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\naddopts = -p no:playwright\n")
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    result = pytester.runpytest_subprocess("--gate-config", "missing.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*missing.toml: file not found*"])
