"""The Bandit gate end to end: red (with the SARIF attached) on source with a high-severity issue.

No catalogued app defect changes the app's source, so this is the gate's proof that it can fail;
its green run is the gate itself against the reference app.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def test_bandit_gate_turns_red_on_a_high_finding(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text("import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n")
    profile = tmp_path / "deployment.toml"
    profile.write_text('[deployment]\nname = "scanned source"\nbase_url = "http://127.0.0.1:9"\nsource = ["src"]\n')
    subprocess.run([sys.executable, "-m", "pytest", "suites/security/test_static.py", "-p", "no:cacheprovider", "-q",
                    "--gate-report", str(tmp_path / "report"), "--gate-deployment", str(profile)], cwd=ROOT,
                   capture_output=True, text=True, timeout=300, check=False)
    report: dict[str, Any] = json.loads((tmp_path / "report" / "report.json").read_text())
    (gate,) = report["gates"]
    assert gate["outcome"] == "failed"
    assert (gate["priority"], gate["owner"]) == ("p0", "testing-qa")
    assert any(f["rule"] == "bandit-B602" for f in gate["findings"])
    assert [m["value"] for m in gate["metrics"] if m["metric"] == "security_high_findings"] == [1.0]
    sarif = [e for e in gate["evidence"] if e.endswith(".sarif")]
    assert sarif
    assert (tmp_path / "report" / sarif[0]).exists()
