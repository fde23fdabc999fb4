"""The Bandit runner against a tiny source tree with one known high-severity issue."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest

from pytest_castmatch.runners import bandit

VULNERABLE = 'import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n'
TODAY = dt.date(2025, 1, 13)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> bandit.Scan:
    src = tmp_path_factory.mktemp("src")
    (src / "app.py").write_text(VULNERABLE)
    (src / "clean.py").write_text("def add(a, b):\n    return a + b\n")
    return bandit.scan(src)


def baseline_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "baseline.toml"
    path.write_text(body)
    return path


def test_high_issue_blocks_and_is_located(scanned: bandit.Scan) -> None:
    findings = bandit.judge(scanned, bandit.Baseline(), TODAY)
    errors = [f for f in findings if f.severity == "error"]
    assert [f.rule for f in errors] == ["bandit-B602"]
    assert errors[0].location == "app.py:5"
    assert errors[0].page is None
    assert str(errors[0].help_uri).startswith("https://bandit.readthedocs.io/")
    project = bandit.judge(scanned, bandit.Baseline(), TODAY, project=scanned.root.parent)
    assert [f.location for f in project if f.severity == "error"] == [f"{scanned.root.name}/app.py:5"]
    assert errors[0].criterion == "CWE-78"
    assert scanned.version
    assert scanned.metrics["loc"] > 0


def test_baseline_accepts_until_expiry(scanned: bandit.Scan, tmp_path: Path) -> None:
    entry = '[[accepted]]\ntest_id = "B602"\npath = "app.py"\ncode = "shell=True"\nowner = "testing-qa"\n' \
            'reason = "fixture"\nexpires = {}\n'
    live = bandit.load_baseline(baseline_file(tmp_path, entry.format("2025-02-01")))
    assert {f.severity for f in bandit.judge(scanned, live, TODAY) if f.rule.startswith("bandit-acc")} == {"medium"}
    assert not [f for f in bandit.judge(scanned, live, TODAY) if f.severity == "error"]
    expired = bandit.load_baseline(baseline_file(tmp_path, entry.format("2025-01-01")))
    assert [f.rule for f in bandit.judge(scanned, expired, TODAY) if f.severity == "error"] == [
        "bandit-acceptance-expired"]


def test_thresholds_and_stale_entries(scanned: bandit.Scan, tmp_path: Path) -> None:
    lenient = bandit.Baseline(fail_on_severity="HIGH", fail_on_confidence="HIGH")
    assert any(f.severity == "error" for f in bandit.judge(scanned, lenient, TODAY))  # B602 is high/high
    stale = bandit.load_baseline(baseline_file(tmp_path, '[[accepted]]\ntest_id = "B101"\npath = "gone.py"\n'
                                                         'owner = "x"\nreason = "y"\nexpires = 2030-01-01\n'))
    assert "bandit-stale-acceptance" in {f.rule for f in bandit.judge(scanned, stale, TODAY)}


@pytest.mark.parametrize("body", ['[thresholds]\nfail_on_severity = "severe"\n',
                                  '[[accepted]]\ntest_id = "B602"\npath = "app.py"\n',
                                  '[[accepted]]\ntest_id = "B602"\npath = "a"\nowner = "o"\nreason = "r"\n'
                                  'expires = "soon"\n', "not toml ["])
def test_malformed_baseline_is_refused(tmp_path: Path, body: str) -> None:
    with pytest.raises(bandit.BanditError):
        bandit.load_baseline(baseline_file(tmp_path, body))


def test_the_project_baseline_loads() -> None:
    baseline = bandit.load_baseline(Path(__file__).resolve().parents[2] / "baselines" / "bandit-baseline.toml")
    assert baseline.fail_on_severity == "HIGH"


def test_sarif_is_2_1_0_with_locations(scanned: bandit.Scan, tmp_path: Path) -> None:
    path = bandit.write_sarif(scanned, bandit.Baseline(), tmp_path / "out.sarif")
    log = json.loads(path.read_text())
    assert log["version"] == "2.1.0"
    (result,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "B602"]
    assert result["level"] == "error"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app.py"


def test_missing_bandit_says_how_to_install(tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text(f"#!/bin/sh\nexec {sys.executable} -c 'import sys; sys.exit(\"No module named bandit\")'\n")
    fake.chmod(0o755)
    with pytest.raises(bandit.BanditError, match="pip install"):
        bandit.scan(tmp_path, python=str(fake))


def test_missing_target_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(bandit.BanditError, match="does not exist"):
        bandit.scan(tmp_path / "nowhere")
