"""Who may sign GO for launch, and which rules judged the run: real runs of a tiny gate project."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_castmatch.cli import VERIFY_EXIT, main
from pytest_castmatch.config import load_gates
from pytest_castmatch.trust import load_trust
from pytest_castmatch.verification import Failure

from .conftest import ROOT, SignedProject

PASSING = """
    import pytest

    @pytest.mark.p0
    @pytest.mark.owner("backend-api")
    def test_api(gate):
        gate.metric("api_p99_ms", {value})
"""


def test_the_committed_trust_policy_reads_against_the_committed_owners() -> None:
    config = load_gates(ROOT / "baselines" / "gates.toml")
    trust = load_trust(ROOT / "baselines" / "signers", list(config.owners))  # raises, naming the line
    # Every name verify --policy requires is a listed key, or no key is listed and verify refuses outright.
    assert not trust.keys or all(trust.named(name) is not None for name in config.required_signers)


def test_a_listed_launch_key_signs_go_for_launch_in_ci(signed: SignedProject, monkeypatch: pytest.MonkeyPatch) -> None:
    signed.suite("test_api", PASSING.format(value=120.0))
    monkeypatch.setenv("CASTMATCH_SIGNING_KEY", str(signed.keys["ci"]))
    monkeypatch.setenv("CI", "true")
    result = signed.run()
    assert result.ret == 0
    report = signed.report()
    assert report["verdict"]["label"] == "GO for launch"
    assert report["signer"] == {"keyid": signed.keyid("ci"), "launch_key": True}
    assert main(["verify", str(signed.folder), "--policy", str(signed.gates)]) == 0


@pytest.mark.parametrize("key", ["devops", "stranger", "local"])
def test_any_other_key_gives_at_most_go_signed_by_an_untrusted_key(
    signed: SignedProject, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    if key == "local":
        assert main(["keygen", "--out", str(signed.root / ".castmatch" / "local-signing-key.pem")]) == 0
        signed.keys[key] = signed.root / ".castmatch" / "local-signing-key.pem"
    signed.suite("test_api", PASSING.format(value=120.0))
    monkeypatch.setenv("CASTMATCH_SIGNING_KEY", str(signed.keys[key]))
    label = f"GO, signed by an untrusted key {signed.keyid(key)[:16]}"

    local = signed.run()
    assert local.ret == 0  # outside CI an untrusted GO is a usable local answer
    assert (signed.report()["verdict"]["label"], signed.report()["verdict"]["launch"]) == (label, False)

    monkeypatch.setenv("CI", "true")
    in_ci = signed.run()
    assert in_ci.ret == pytest.ExitCode.TESTS_FAILED
    in_ci.stderr.fnmatch_lines(["*CI is set, so this is not a launch*"])
    assert signed.report()["verdict"]["label"] == label
    assert main(["verify", str(signed.folder), "--policy", str(signed.gates)]) == VERIFY_EXIT[Failure.WRONG_KEY]


def test_an_empty_secret_in_ci_is_no_key_and_no_go(signed: SignedProject, monkeypatch: pytest.MonkeyPatch) -> None:
    signed.suite("test_api", PASSING.format(value=120.0))
    monkeypatch.setenv("CASTMATCH_SIGNING_KEY", "")
    monkeypatch.setenv("CI", "true")
    result = signed.run()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    report = signed.report()
    assert (report["verdict"]["decision"], report["signed"]) == ("NO-GO", False)
    assert ("run", "signature") in {(r["kind"], r["subject"]) for r in signed.blockers()}
    assert not (signed.folder / "report.dsse.json").exists()


def _gate_sh(project: SignedProject, **env: str) -> subprocess.CompletedProcess[str]:
    script = project.root / "scripts" / "gate.sh"
    script.parent.mkdir(exist_ok=True)
    shutil.copy(ROOT / "scripts" / "gate.sh", script)
    environ = {k: v for k, v in os.environ.items() if k not in ("CI", "CASTMATCH_SIGNING_KEY")}
    # Only this plugin: other plugins' imports cost seconds per pytest process.
    environ |= {"PYTHON": sys.executable, "PYTEST_ADDOPTS": "-p no:cacheprovider -p castmatch",
                "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"} | env
    return subprocess.run(["bash", str(script)], cwd=project.root, env=environ, capture_output=True, text=True,
                          timeout=300, check=False)


def test_gate_sh_makes_no_key_in_ci_and_a_local_untrusted_one_outside(signed: SignedProject) -> None:
    signed.suite("test_api", PASSING.format(value=120.0))
    signed.lock()
    for secret in ("", " \n"):  # a missing secret, and one pasted as whitespace
        ci = _gate_sh(signed, CI="true", CASTMATCH_SIGNING_KEY=secret)
        assert ci.returncode != 0, ci.stdout[-2000:]
        assert not (signed.root / ".castmatch").exists()
        assert "CASTMATCH_SIGNING_KEY is empty" in ci.stderr
        assert (signed.report()["verdict"]["decision"], signed.report()["signed"]) == ("NO-GO", False)

    local = _gate_sh(signed)
    assert local.returncode == 0, local.stdout[-2000:] + local.stderr[-2000:]
    key = signed.root / ".castmatch" / "local-signing-key.pem"
    assert key.exists()
    signed.keys["local"] = key
    assert signed.report()["verdict"]["label"] == f"GO, signed by an untrusted key {signed.keyid('local')[:16]}"


def _run_in_ci_under(
    folder: Path, signed: SignedProject, monkeypatch: pytest.MonkeyPatch, *, key: str, value: float
) -> pytest.RunResult:
    """A full run in CI, signed with ``key``, judged by ``folder/gates.toml`` (given the project's inventory)."""
    signed.suite("test_api", PASSING.format(value=value))
    signed.lock()
    shutil.copy(signed.root / "baselines" / "gates.lock", folder / "gates.lock")
    monkeypatch.setenv("CASTMATCH_SIGNING_KEY", str(signed.keys[key]))
    monkeypatch.setenv("CI", "true")
    return signed.run("--gate-config", f"{folder.name}/gates.toml")


def test_a_lax_config_beside_the_real_one_is_caught_by_verify_policy(
    signed: SignedProject, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The real rules need api_p99_ms <= 200 for launch; the lax copy declares no launch metric and
    # brings a copy of the real signers folder, so a verify pointed at the copy trusts the CI key.
    lax = signed.root / "lax"
    lax.mkdir()
    (lax / "gates.toml").write_text(signed.gates.read_text().replace("max = 200\nlaunch = true", "max = 900"))
    (lax / "waivers.toml").write_text("")
    shutil.copytree(signed.root / "baselines" / "signers", lax / "signers")
    result = _run_in_ci_under(lax, signed, monkeypatch, key="ci", value=500.0)
    assert result.ret == 0
    report = signed.report()
    assert report["verdict"]["label"] == "GO for launch"
    assert report["policy"]["gates"]["file"] == "lax/gates.toml"
    assert main(["verify", str(signed.folder), "--signers", str(lax / "signers")]) == 0
    capsys.readouterr()
    code = main(["verify", str(signed.folder), "--policy", str(signed.gates)])
    assert code == VERIFY_EXIT[Failure.POLICY_MISMATCH]
    err = capsys.readouterr().err
    assert "gates: the run was judged under lax/gates.toml" in err
    assert "waivers: " in err


def test_a_config_elsewhere_cannot_bring_its_own_launch_key(
    signed: SignedProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    # lax/signers lists the stranger's key as a launch key; the run trusts the project's signers only.
    lax = signed.root / "lax"
    (lax / "signers").mkdir(parents=True)
    (lax / "gates.toml").write_text(signed.gates.read_text())
    shutil.copy(signed.keys["stranger"].with_name("stranger.pub"), lax / "signers" / "stranger.pub")
    (lax / "signers" / "signers.toml").write_text('[keys.ci]\nfile = "stranger.pub"\nlaunch = true\n')
    result = _run_in_ci_under(lax, signed, monkeypatch, key="stranger", value=120.0)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    report = signed.report()
    assert (report["verdict"]["label"], report["verdict"]["launch"]) == (
        f"GO, signed by an untrusted key {signed.keyid('stranger')[:16]}", False)
    assert report["policy"]["signers"]["file"] == "baselines/signers"
    assert main(["verify", str(signed.folder), "--policy", str(signed.gates)]) == VERIFY_EXIT[Failure.WRONG_KEY]


def test_the_report_records_the_settings_that_change_measurement_without_secrets(
    signed: SignedProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed.suite("test_api", PASSING.format(value=120.0))
    monkeypatch.setenv("CASTMATCH_LOAD_USERS", "77")
    monkeypatch.setenv("CASTMATCH_WEBHOOK_SECRET", "hunter2")
    monkeypatch.setenv("CASTMATCH_SIGNING_KEY", str(signed.keys["ci"]))
    signed.run("--gate-shard", "1/1")
    settings = signed.report()["policy"]["settings"]
    values = settings["values"]
    assert values["environment"]["CASTMATCH_LOAD_USERS"] == "77"
    assert values["environment"]["CASTMATCH_WEBHOOK_SECRET"] == "(set)"
    assert "CASTMATCH_SIGNING_KEY" not in values["environment"]
    assert (values["shard"], values["gate_config"], values["report_dir"]) == ("1/1", "baselines/gates.toml",
                                                                           "gate-report")
    assert "hunter2" not in json.dumps(signed.report())
    first = settings["sha256"]
    monkeypatch.setenv("CASTMATCH_LOAD_USERS", "78")
    signed.run("--gate-shard", "1/1")
    assert signed.report()["policy"]["settings"]["sha256"] != first


def test_a_trust_policy_that_cannot_be_read_stops_the_run_naming_the_line(
    signed: SignedProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed.suite("test_api", PASSING.format(value=120.0))
    toml = signed.root / "baselines" / "signers" / "signers.toml"
    toml.write_text(toml.read_text().replace('owners = ["devops"]', 'owners = ["devop"]'))
    result = signed.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*signers.toml:7: [[]keys.devops-lead[]] owners: unknown owner 'devop'*devops*"])
    Path(toml).unlink()
    assert signed.run().ret == pytest.ExitCode.USAGE_ERROR  # keys nobody gave a role


LYING_SIGNER = """
from pytest_castmatch import attest

class Lying:
    keyid = {keyid!r}  # the listed CI key's id, but the key below is another

    def __init__(self):
        self._key = attest.load_signing_key({path!r})

    def sign(self, data):
        return self._key.sign(data)

def pytest_castmatch_signer(config):
    return Lying()
"""


def test_a_signer_claiming_the_ci_key_id_without_its_key_is_not_trusted(
    signed: SignedProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed.suite("test_api", PASSING.format(value=120.0))
    (signed.root / "conftest.py").write_text(LYING_SIGNER.format(keyid=signed.keyid("ci"),
                                                                 path=str(signed.keys["stranger"])))
    monkeypatch.setenv("CI", "true")
    result = signed.run()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert signed.report()["verdict"]["label"] == f"GO, signed by an untrusted key {signed.keyid('ci')[:16]}"
    assert main(["verify", str(signed.folder), "--policy", str(signed.gates)]) == VERIFY_EXIT[Failure.BAD_SIGNATURE]
