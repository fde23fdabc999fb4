"""Static analysis of the system under test's source with Bandit (launch metric security_high_findings).

The scanned folder is ``$CASTMATCH_BANDIT_TARGET``, else ``[scan] target`` in
baselines/bandit-baseline.toml, else the reference app's package. Findings are also written as
SARIF into the gate's evidence folder for code scanning.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from pytest_castmatch.model import Finding
from pytest_castmatch.recorder import Gate
from pytest_castmatch.runners import bandit

BASELINE = Path(__file__).resolve().parents[2] / "baselines" / "bandit-baseline.toml"


@pytest.mark.p0
@pytest.mark.owner("testing-qa")
def test_bandit_finds_no_high_severity_issue(gate: Gate, request: pytest.FixtureRequest) -> None:
    """No non-baselined Bandit issue at or above the baseline's thresholds (high severity by default)."""
    started = time.monotonic()
    try:
        baseline = bandit.load_baseline(BASELINE)
        target = bandit.default_target(baseline, request.config.rootpath)
        scan = bandit.scan(target)
    except bandit.BanditError as exc:
        pytest.fail(str(exc), pytrace=False)
    gate.engine("bandit", scan.version)
    findings = bandit.judge(scan, baseline, dt.date.today(), project=request.config.rootpath)
    gate.check(findings)
    gate.attach(bandit.write_sarif(scan, baseline, gate.evidence_dir / "bandit.sarif"))
    high = sum(1 for f in findings if f.severity.fails)
    gate.metric("security_high_findings", high, labels={"source": "bandit"})
    gate.metric("security_probes_run", int(scan.metrics.get("loc", 0)), labels={"probe": "bandit-lines-scanned"})
    gate.metric("security_check_seconds", time.monotonic() - started, labels={"check": "bandit"})
    if not scan.metrics.get("loc"):
        gate.check([Finding("bandit-nothing-scanned", f"bandit scanned no Python lines under {target}")])
