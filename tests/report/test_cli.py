"""``castmatch-gate``: through ``main()`` and through a real process for exit statuses."""

from __future__ import annotations

import base64
import json
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_castmatch import attest, canonical, publish
from pytest_castmatch.cli import VERIFY_EXIT, main
from pytest_castmatch.config import GateConfig
from pytest_castmatch.model import Scope

from .conftest import COMMIT, ROOT, sample_gates

Report = Callable[..., dict[str, Any]]


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    """ci and devops key pairs made by `keygen`, public halves in a signers folder."""
    out = {}
    signers = tmp_path / "baselines" / "signers"
    signers.mkdir(parents=True)
    for name in ("ci", "devops"):
        assert main(["keygen", "--out", str(tmp_path / "keys" / name)]) == 0
        shutil.copy(tmp_path / "keys" / f"{name}.pub", signers / f"{name}.pub")
        out[name] = tmp_path / "keys" / name
    return out


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    """A gates.toml beside the signers folder: the project's, requiring ci and devops."""
    text = (ROOT / "baselines" / "gates.toml").read_text(encoding="utf-8")
    text = text.replace('required = ["ci"]', 'required = ["ci", "devops"]')
    path = tmp_path / "baselines" / "gates.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def envelope(report_of: Report, keys: dict[str, Path], tmp_path: Path) -> Path:
    """A published, CI-signed gate report."""
    signer = attest.load_signing_key(str(keys["ci"]))
    publish.publish(report_of(signed=True), tmp_path / "gate-report", signer=signer)
    return tmp_path / "gate-report" / "report.dsse.json"


def test_keygen_writes_a_private_key_only_its_owner_reads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "k"
    assert main(["keygen", "--out", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.with_name("k.pub").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    printed = capsys.readouterr().out
    assert "PRIVATE" not in printed
    assert out.read_text().splitlines()[1] not in printed
    assert main(["keygen", "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    before = out.read_bytes()
    assert main(["keygen", "--out", str(out), "--force"]) == 0
    assert out.read_bytes() != before


def test_verify_ok_then_each_failure_has_its_exit_status(
    envelope: Path, keys: dict[str, Path], policy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ci_pub, devops_pub = str(keys["ci"]) + ".pub", str(keys["devops"]) + ".pub"
    assert main(["verify", str(envelope), "--key", ci_pub, "--commit", COMMIT]) == 0
    assert "signed by ci" in capsys.readouterr().out

    assert main(["verify", str(envelope), "--key", devops_pub]) == VERIFY_EXIT[attest.Failure.WRONG_KEY]
    assert main(["verify", str(envelope), "--policy", str(policy)]) == VERIFY_EXIT[attest.Failure.MISSING_SIGNER]
    assert main(["verify", str(envelope), "--key", ci_pub, "--commit", "f" * 40]) == 7
    data = json.loads(envelope.read_text())
    data["signatures"][0]["sig"] = base64.b64encode(b"x" * 64).decode()
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(data))
    assert main(["verify", str(tampered), "--key", ci_pub]) == VERIFY_EXIT[attest.Failure.BAD_SIGNATURE]
    data["payloadType"] = "text/plain"
    tampered.write_text(json.dumps(data))
    assert main(["verify", str(tampered), "--key", ci_pub]) == 2  # not an envelope of ours at all
    err = capsys.readouterr().err
    assert "wrong-key" in err
    assert "missing-signer" in err
    assert "commit-mismatch" in err
    assert "bad-signature" in err
    assert len(set(VERIFY_EXIT.values())) == len(VERIFY_EXIT)


def test_sign_off_records_manual_items_for_verify_and_show(
    envelope: Path,
    keys: dict[str, Path],
    policy: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CASTMATCH_SIGNING_KEY", keys["devops"].read_text())
    assert main(["sign-off", str(envelope), "--owner", "devops", "--item", "runbooks"]) == 0
    signed_off = capsys.readouterr().out
    assert "runbooks" in signed_off
    assert "PRIVATE" not in signed_off
    assert main(["verify", str(envelope), "--policy", str(policy)]) == 0
    out = capsys.readouterr().out
    assert "signed by ci, devops" in out
    assert "manual runbooks [devops]: signed off by devops (verified)" in out
    assert "manual marketing-assets [visual-systems]: pending" in out
    assert main(["show", str(envelope)]) == 0
    assert "signed off by devops (unverified)" in capsys.readouterr().out


def test_sign_off_refuses_foreign_items_and_missing_keys(
    envelope: Path, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CASTMATCH_SIGNING_KEY", raising=False)
    assert main(["sign-off", str(envelope), "--owner", "devops"]) == 2
    assert "CASTMATCH_SIGNING_KEY" in capsys.readouterr().err
    args = ["sign-off", str(envelope), "--owner", "devops", "--key-file", str(keys["devops"])]
    assert main([*args, "--item", "marketing-assets"]) == 2
    assert "not a manual item of devops" in capsys.readouterr().err
    assert main(["sign-off", str(envelope), "--owner", "nobody", "--key-file", str(keys["devops"])]) == 2


def test_show_prints_verdict_metrics_blockers_without_control_characters(
    report_of: Report, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = report_of()
    report["gates"][0]["id"] += "\x1b]0;owned\x07"
    report["verdict"]["reasons"][0]["subject"] += "\x1b[2J"
    path = canonical.write(report, tmp_path / "report.json")
    assert main(["show", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("NO-GO")
    assert "launch metrics:" in out
    assert "blockers" in out
    assert "\x1b" not in out
    assert "\x07" not in out


def test_diff_lists_new_blockers(
    gate_config: GateConfig, report_of: Report, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = canonical.write(report_of(sample_gates(gate_config, api_ms=100.0)), tmp_path / "old.json")
    new = canonical.write(report_of(sample_gates(gate_config, api_ms=300.0)), tmp_path / "new.json")
    assert main(["diff", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert "+ metric:api_p99_ms" in out
    assert "worse   api_p99_ms" in out
    assert "(+200.0 %)" in out
    assert main(["diff", str(old), str(new), "--exit-code"]) == 1
    assert main(["diff", str(old), str(old), "--exit-code"]) == 0


def test_merge_writes_one_report_and_exits_with_the_verdict(
    gate_config: GateConfig,
    report_of: Report,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("CASTMATCH_SIGNING_KEY", raising=False)
    gates = sample_gates(gate_config)
    paths = []
    for k in (1, 2):
        part = gates[k - 1 :: 2]
        report = report_of(part, scope=Scope(full=False, deselected=len(gates) - len(part)), shard=f"{k}/2")
        paths.append(str(canonical.write(report, tmp_path / f"s{k}" / "report.json")))
    out = tmp_path / "merged"
    code = main(["merge", *paths, "--out", str(out), "--gate-config", str(ROOT / "baselines" / "gates.toml")])
    assert code == 1  # NO-GO: the contrast gate fails and the merge is unsigned
    merged = json.loads((out / "report.json").read_text())
    assert merged["scope"]["full"]
    assert len(merged["gates"]) == len(gates)
    assert (out / "index.html").exists()
    assert not (out / "report.dsse.json").exists()
    capsys.readouterr()
    assert main(["merge", paths[0], paths[0], "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from pytest_castmatch.cli import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60, check=False)


def test_exit_statuses_through_a_process(envelope: Path, keys: dict[str, Path], tmp_path: Path) -> None:
    assert _run("verify", str(envelope), "--key", str(keys["ci"]) + ".pub").returncode == 0
    wrong = _run("verify", str(envelope), "--key", str(keys["devops"]) + ".pub")
    assert wrong.returncode == 5
    assert "wrong-key" in wrong.stderr
    missing = _run("show", str(tmp_path / "nope.json"))
    assert missing.returncode == 2
    assert missing.stderr.strip().count("\n") == 0
    assert "nope.json: file not found" in missing.stderr
    assert "Traceback" not in missing.stderr
    usage = _run("verify")
    assert usage.returncode == 2
    assert "Traceback" not in usage.stderr
    assert "  5  wrong-key" in _run("verify", "--help").stdout


def test_a_report_missing_fields_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"schema": "castmatch.report/v0", "gates": []}))
    assert main(["show", str(path)]) == 2
    err = capsys.readouterr().err
    assert "lacks the field" in err
    assert err.count("\n") == 1
