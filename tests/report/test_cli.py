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

from pytest_castmatch import attest, canonical, policy, publish
from pytest_castmatch.cli import VERIFY_EXIT, main
from pytest_castmatch.config import GateConfig

from .conftest import COMMIT, ROOT, SIGNERS_TOML, build_report, sample_gates

Report = Callable[..., dict[str, Any]]
@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    """ci (launch) and devops (sign-off) key pairs made by `keygen`, listed in baselines/signers."""
    out = {}
    signers = tmp_path / "baselines" / "signers"
    signers.mkdir(parents=True)
    for name in ("ci", "devops", "stranger"):
        assert main(["keygen", "--out", str(tmp_path / "keys" / name)]) == 0
        out[name] = tmp_path / "keys" / name
    for name in ("ci", "devops"):
        shutil.copy(tmp_path / "keys" / f"{name}.pub", signers / f"{name}.pub")
    (signers / "signers.toml").write_text(SIGNERS_TOML)
    return out


@pytest.fixture
def gates(tmp_path: Path) -> Path:
    """A gates.toml beside the signers folder: the project's, requiring the ci and devops-lead signatures."""
    text = (ROOT / "baselines" / "gates.toml").read_text(encoding="utf-8")
    path = tmp_path / "baselines" / "gates.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace('required = ["ci"]', 'required = ["ci", "devops-lead"]'), encoding="utf-8")
    return path


@pytest.fixture
def folder(gate_config: GateConfig, keys: dict[str, Path], gates: Path, tmp_path: Path) -> Path:
    """A published report folder signed with the ci key, recording the digests of the tmp baselines."""
    signer = attest.load_signing_key(str(keys["ci"]))
    rules = policy.block(gates, {"shard": ""}, root=tmp_path)
    report = build_report(gate_config, sample_gates(gate_config), signed=True, signer=signer, policy=rules,
                          signed_off=False)
    publish.publish(report, tmp_path / "gate-report", signer=signer)
    return tmp_path / "gate-report"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Commands default to ./baselines/signers: run them where the test's baselines are.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CASTMATCH_SIGNING_KEY", raising=False)
    monkeypatch.delenv("CI", raising=False)


def _tampered_payload(envelope: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """The envelope with its report changed (subjects kept consistent), the old signatures kept."""
    statement = attest.payload_statement(envelope)
    change(statement["predicate"])
    statement["subject"] = attest.subjects(statement["predicate"])
    return dict(envelope, payload=base64.b64encode(canonical.dumps(statement)).decode())


def test_keygen_writes_a_private_key_only_its_owner_reads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "k"
    assert main(["keygen", "--out", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.with_name("k.pub").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    printed = capsys.readouterr().out
    assert "PRIVATE" not in printed
    assert out.read_text().splitlines()[1] not in printed
    assert "signers.toml" in printed
    assert main(["keygen", "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    before = out.read_bytes()
    assert main(["keygen", "--out", str(out), "--force"]) == 0
    assert out.read_bytes() != before


def test_verify_checks_signer_policy_report_and_commit_each_with_its_own_status(
    folder: Path, keys: dict[str, Path], gates: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    envelope = folder / "report.dsse.json"
    assert main(["verify", str(folder), "--signers", "baselines/signers", "--commit", COMMIT]) == 0
    assert "report.json matches it" in capsys.readouterr().out
    assert main(["verify", str(envelope), "--key", f"{keys['ci']}.pub"]) == 0

    codes = {
        "wrong-key": main(["verify", str(envelope), "--key", f"{keys['stranger']}.pub"]),
        "missing-signer": main(["verify", str(folder), "--policy", str(gates)]),
        "commit-mismatch": main(["verify", str(envelope), "--commit", "f" * 40]),
    }
    data = json.loads(envelope.read_text())
    bad_sig = tmp_path / "bad-sig.json"
    bad_sig.write_text(json.dumps(dict(data, signatures=[dict(data["signatures"][0],
                                                              sig=base64.b64encode(b"x" * 64).decode())])))
    codes["bad-signature"] = main(["verify", str(bad_sig)])

    # report.json edited beside an untouched envelope: the folder does not verify.
    report_file = folder / "report.json"
    original = report_file.read_text()
    report_file.write_text(original.replace('"decision": "NO-GO"', '"decision": "GO"', 1))
    codes["report-mismatch"] = main(["verify", str(folder)])
    report_file.write_text(original)

    # A laxer gates.toml judged the run: its digest is not the committed one.
    gates.write_text(gates.read_text() + "\n# edited\n")
    devops_key = attest.load_signing_key(str(keys["devops"]))
    countersigned = attest.add_signature(data, devops_key)
    envelope.write_text(json.dumps(countersigned))
    report_file.unlink()
    codes["policy-mismatch"] = main(["verify", str(envelope), "--policy", str(gates)])

    # A sign-off for devops made with a key not listed for devops.
    stranger = attest.load_signing_key(str(keys["stranger"]))
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(attest.add_signature(data, stranger, owner="devops", items=["runbooks"])))
    codes["wrong-owner"] = main(["verify", str(forged)])

    unsigned = tmp_path / "unsigned"
    unsigned.mkdir()
    (unsigned / "report.json").write_text(original)
    codes["unsigned"] = main(["verify", str(unsigned)])

    assert codes == {kind.value: VERIFY_EXIT[kind] for kind in attest.Failure if kind.value in codes}
    assert len(codes) == len(VERIFY_EXIT) - 1  # malformed is below
    err = capsys.readouterr().err
    assert "gates: the run was judged under" in err
    assert "is not the report signed in" in err
    data["payloadType"] = "text/plain"
    bad_sig.write_text(json.dumps(data))
    assert main(["verify", str(bad_sig)]) == VERIFY_EXIT[attest.Failure.MALFORMED]  # not an envelope of ours
    assert "payloadType is 'text/plain'" in capsys.readouterr().err
    assert main(["show", str(bad_sig), "--unverified"]) == VERIFY_EXIT[attest.Failure.MALFORMED]
    assert capsys.readouterr().out.splitlines() == [f"UNVERIFIED: {bad_sig}: malformed: {bad_sig}: payloadType is "
                                                    "'text/plain', expected 'application/vnd.in-toto+json'",
                                                    "  nothing to show"]
    assert len(set(VERIFY_EXIT.values())) == len(VERIFY_EXIT)


def test_a_re_signed_or_swapped_envelope_does_not_verify(
    folder: Path, keys: dict[str, Path], gate_config: GateConfig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    envelope = json.loads((folder / "report.dsse.json").read_text())
    flipped = _tampered_payload(envelope, lambda r: r["verdict"].update(decision="GO", label="GO for launch"))
    # Re-signed by a key of the attacker's: the payload is consistent, the key is not trusted.
    stranger = attest.load_signing_key(str(keys["stranger"]))
    resigned = attest.sign_report(attest.payload_report(flipped), stranger)
    (tmp_path / "resigned.json").write_text(json.dumps(resigned))
    assert main(["verify", str(tmp_path / "resigned.json")]) == VERIFY_EXIT[attest.Failure.WRONG_KEY]
    # Another commit's genuine envelope swapped into this folder.
    ci = attest.load_signing_key(str(keys["ci"]))
    other = build_report(gate_config, sample_gates(gate_config), signed=True, signer=ci, commit="e" * 40)
    canonical.write(attest.sign_report(other, ci), folder / "report.dsse.json")
    assert main(["verify", str(folder / "report.dsse.json"), "--commit", COMMIT]) == 7
    assert main(["verify", str(folder)]) == VERIFY_EXIT[attest.Failure.REPORT_MISMATCH]
    capsys.readouterr()


def test_show_proves_first_and_says_unverified_on_the_first_line(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["show", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("NO-GO")
    assert "verified " in out

    envelope = json.loads((folder / "report.dsse.json").read_text())
    flipped = _tampered_payload(envelope, lambda r: r["verdict"].update(decision="GO", label="GO for launch"))
    (folder / "report.dsse.json").write_text(json.dumps(flipped))
    for target in (folder, folder / "report.dsse.json", folder / "report.json"):
        assert main(["show", str(target)]) == VERIFY_EXIT[attest.Failure.BAD_SIGNATURE]
        out = capsys.readouterr().out
        assert out.splitlines()[0].startswith("UNVERIFIED: ")
        assert "GO for launch" not in out
    assert main(["show", str(folder), "--unverified"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("UNVERIFIED: ")
    assert lines[1].startswith("GO for launch")


def test_show_of_an_edited_report_json_is_unverified(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = folder / "report.json"
    report = json.loads(path.read_text())
    report["verdict"].update(decision="GO", label="GO for launch", reasons=[])
    canonical.write(report, path)
    assert main(["show", str(path)]) == VERIFY_EXIT[attest.Failure.REPORT_MISMATCH]
    assert capsys.readouterr().out.startswith("UNVERIFIED: ")


def test_show_strips_control_characters(report_of: Report, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = report_of()
    report["gates"][0]["id"] += "\x1b]0;owned\x07"
    report["verdict"]["reasons"][0]["subject"] += "\x1b[2J"
    path = canonical.write(report, tmp_path / "report.json")
    assert main(["show", str(path)]) == VERIFY_EXIT[attest.Failure.UNSIGNED]
    assert "--unverified" in capsys.readouterr().out
    assert main(["show", str(path), "--unverified"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("UNVERIFIED: ")
    assert out.splitlines()[1].startswith("NO-GO")
    assert "launch metrics:" in out
    assert "\x1b" not in out
    assert "\x07" not in out


def test_diff_proves_both_reports_and_never_calls_out_of_scope_fixed(
    gate_config: GateConfig, keys: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ci = attest.load_signing_key(str(keys["ci"]))
    old_gates = sample_gates(gate_config, api_ms=100.0)
    old = build_report(gate_config, old_gates, signed=True, signer=ci)
    scoped = [g for g in sample_gates(gate_config, api_ms=300.0) if "contrast" not in g.id]
    from pytest_castmatch.model import Scope

    new = build_report(gate_config, scoped, signed=True, signer=ci, scope=Scope(full=False, markexpr="p0"))
    publish.publish(old, tmp_path / "old", signer=ci)
    publish.publish(new, tmp_path / "new", signer=ci)
    assert main(["diff", str(tmp_path / "old"), str(tmp_path / "new" / "report.dsse.json")]) == 0
    out = capsys.readouterr().out
    assert "+ metric:api_p99_ms" in out
    assert "Fixed (0)" in out  # the contrast gate was not in the new run's scope
    assert "? suites/accessibility/test_contrast.py" in out
    assert main(["diff", "old", "new", "--exit-code"]) == 1
    capsys.readouterr()

    (tmp_path / "old" / "report.json").write_text("{}\n")
    assert main(["diff", "old", "new"]) == VERIFY_EXIT[attest.Failure.REPORT_MISMATCH]
    assert capsys.readouterr().out.startswith("UNVERIFIED: old: report-mismatch")
    assert main(["diff", "old/report.dsse.json", "new", "--unverified"]) == 0


def test_sign_off_counts_once_per_key_and_owner_and_renders_again(
    folder: Path, keys: dict[str, Path], gates: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    assert "Manual checklist items pending sign-off: 5." in (folder / "summary.md").read_text()
    before = (folder / "index.html").read_text()
    monkeypatch.setenv("CASTMATCH_SIGNING_KEY", keys["devops"].read_text())
    assert main(["sign-off", str(folder), "--owner", "devops", "--item", "runbooks"]) == 0
    said = capsys.readouterr().out
    assert "rendered again" in said
    assert "PRIVATE" not in said
    assert main(["sign-off", str(folder), "--owner", "devops", "--item", "runbooks"]) == 0
    envelope = json.loads((folder / "report.dsse.json").read_text())
    assert len(envelope["signatures"]) == 2  # one per (key, owner): signing again replaced it
    after = (folder / "index.html").read_text()
    assert after != before
    assert "signed off after the run by devops" in after
    assert "Manual checklist items pending sign-off: 4." in (folder / "summary.md").read_text()
    assert main(["verify", str(folder), "--policy", str(gates)]) == 0
    out = capsys.readouterr().out
    assert "signed by ci, devops-lead" in out
    assert "manual runbooks [devops]: signed off after the run by devops (verified)" in out
    assert "manual marketing-assets [visual-systems]: pending" in out
    bundle = (folder / "report.intoto.jsonl").read_text().splitlines()
    assert json.loads(bundle[-1]) == envelope


def test_sign_off_refuses_a_key_not_listed_for_the_owner_and_an_envelope_that_does_not_verify(
    folder: Path, keys: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    envelope = folder / "report.dsse.json"
    original = envelope.read_bytes()
    args = ["sign-off", str(folder), "--owner", "devops", "--item", "runbooks"]
    assert main([*args, "--key-file", str(keys["stranger"])]) == VERIFY_EXIT[attest.Failure.WRONG_OWNER]
    assert main([*args, "--key-file", str(keys["ci"])]) == VERIFY_EXIT[attest.Failure.WRONG_OWNER]
    assert "not listed for devops" in capsys.readouterr().err
    assert envelope.read_bytes() == original

    data = json.loads(original)
    data["signatures"][0]["sig"] = base64.b64encode(b"y" * 64).decode()
    envelope.write_text(json.dumps(data))
    assert main([*args, "--key-file", str(keys["devops"])]) == VERIFY_EXIT[attest.Failure.BAD_SIGNATURE]
    assert "not countersigned" in capsys.readouterr().err
    assert json.loads(envelope.read_text()) == data

    envelope.write_bytes(original)
    assert main([*args[:4], "--item", "marketing-assets", "--key-file", str(keys["devops"])]) == 2
    assert "not a manual item of devops" in capsys.readouterr().err
    assert main(["sign-off", str(folder), "--owner", "devops"]) == 2
    assert "CASTMATCH_SIGNING_KEY" in capsys.readouterr().err


def test_a_folder_or_a_missing_file_is_one_line_never_errno_21(tmp_path: Path, keys: dict[str, Path]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for args in (["show", str(empty)], ["verify", str(empty)], ["merge", str(empty), "--out", "x"],
                 ["show", str(tmp_path / "nope.json")]):
        proc = _run(*args, cwd=tmp_path)
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stderr.strip().count("\n") == 0
        assert "Errno" not in proc.stderr
        assert "Traceback" not in proc.stderr


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    code = "import sys; from pytest_castmatch.cli import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60,
                          check=False, cwd=cwd)


def test_exit_statuses_through_a_process(folder: Path, keys: dict[str, Path], tmp_path: Path) -> None:
    assert _run("verify", str(folder), cwd=tmp_path).returncode == 0
    wrong = _run("verify", str(folder / "report.dsse.json"), "--signers", str(tmp_path / "keys"), cwd=tmp_path)
    assert wrong.returncode == 2  # a folder of keys without signers.toml is refused, not guessed
    assert "signers.toml: missing" in wrong.stderr
    stranger = _run("verify", str(folder), "--key", f"{keys['stranger']}.pub", "--signers", "/nonexistent",
                    cwd=tmp_path)
    assert stranger.returncode == 2
    usage = _run("verify", cwd=tmp_path)
    assert usage.returncode == 2
    assert "Traceback" not in usage.stderr
    helptext = _run("verify", "--help", cwd=tmp_path).stdout
    for kind, code in VERIFY_EXIT.items():
        assert f"{code:>2}  {kind.value}" in helptext


def test_a_report_missing_fields_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"schema": "castmatch.report/v0", "gates": []}))
    assert main(["show", str(path), "--unverified"]) == 2
    err = capsys.readouterr().err
    assert "lacks the field" in err
    assert err.count("\n") == 1
