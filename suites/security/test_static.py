"""Static analysis of the deployment's Python source with Bandit (launch metric security_high_findings).

The scanned folders are the profile's ``source`` (the reference app: its own package); a deployment
whose profile says it has no source to scan makes this gate not applicable. Findings are also
written as SARIF into the gate's evidence folder for code scanning.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from pytest_castmatch import Deployment, Finding, Gate
from pytest_castmatch.runners import bandit

BASELINE = Path(__file__).resolve().parents[2] / "baselines" / "bandit-baseline.toml"


@pytest.mark.p0
@pytest.mark.owner("testing-qa")
@pytest.mark.needs("source")
def test_bandit_finds_no_high_severity_issue(gate: Gate, castmatch_deployment: Deployment,
                                            request: pytest.FixtureRequest) -> None:
    """No non-baselined Bandit issue at or above the baseline's thresholds (high severity by default)."""
    started = time.monotonic()
    sources: tuple[Path, ...] = castmatch_deployment.value("source", tuple)
    findings: list[Finding] = []
    empty: list[Finding] = []
    lines = 0
    try:
        baseline = bandit.load_baseline(BASELINE)
        for index, source in enumerate(sources):
            scan = bandit.scan(source)
            gate.engine("bandit", scan.version)
            findings += bandit.judge(scan, baseline, dt.date.today(), project=request.config.rootpath)
            name = "bandit.sarif" if len(sources) == 1 else f"bandit-{index + 1}.sarif"
            gate.attach(bandit.write_sarif(scan, baseline, gate.evidence_dir / name))
            lines += int(scan.metrics.get("loc", 0))
            if not scan.metrics.get("loc"):
                empty.append(Finding("bandit-nothing-scanned", f"bandit scanned no Python lines under {source}"))
    except bandit.BanditError as exc:
        pytest.fail(str(exc), pytrace=False)
    gate.check([*findings, *empty])
    high = sum(1 for f in findings if f.severity.fails)
    gate.metric("security_high_findings", high, labels={"source": "bandit"})
    gate.metric("security_probes_run", lines, labels={"probe": "bandit-lines-scanned"})
    gate.metric("security_check_seconds", time.monotonic() - started, labels={"check": "bandit"})
