"""Signing and verifying the report envelope: every tampered byte fails, every failure has its kind."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_castmatch import attest, canonical
from pytest_castmatch.attest import Failure
from pytest_castmatch.trust import TrustedKey, TrustPolicy

from .conftest import COMMIT, build_report, sample_gates

Report = Callable[..., dict[str, Any]]


def _keys(*signers: attest.Ed25519Signer, names: tuple[str, ...] = ("ci", "devops")) -> dict[str, Any]:
    return {name: s.public_key for name, s in zip(names, signers, strict=False)}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@cache
def _fixed() -> tuple[dict[str, Any], attest.Ed25519Signer]:
    """One signed envelope for the property tests (Hypothesis reuses it across examples)."""
    from pytest_castmatch.config import load_gates

    from .conftest import ROOT

    config = load_gates(ROOT / "baselines" / "gates.toml")
    report = build_report(config, sample_gates(config, hostile=False), signed=True)
    signer = attest.load_signing_key(attest.generate_key()[0].decode())
    return attest.sign_report(report, signer), signer


def test_pae_matches_the_dsse_spec_example() -> None:
    assert attest.pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_round_trip_sign_verify_and_read_back(report_of: Report, ci_signer: attest.Ed25519Signer) -> None:
    report = report_of(signed=True)
    envelope = attest.sign_report(report, ci_signer)
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    statement = attest.payload_statement(envelope)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == "https://castmatch.dev/gate-report/v1"
    assert {"name": "git+commit", "digest": {"gitCommit": COMMIT}} in statement["subject"]
    assert attest.payload_report(envelope) == report
    result = attest.verify(envelope, {"ci": ci_signer.public_key}, required=["ci"], commit=COMMIT)
    assert result.ok, result.message
    assert result.signers == ("ci",)


def test_report_subject_digest_is_sha256_of_the_report_file(
    report_of: Report, ci_signer: attest.Ed25519Signer, tmp_path: Path
) -> None:
    import hashlib

    report = report_of(signed=True)
    path = canonical.write(report, tmp_path / "report.json")
    statement = attest.payload_statement(attest.sign_report(report, ci_signer))
    digest = next(s["digest"]["sha256"] for s in statement["subject"] if s["name"] == "report.json")
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()


def test_summary_uses_the_standard_test_result_predicate(report_of: Report) -> None:
    report = report_of(signed=True)
    statement = attest.summary_statement(report)
    assert statement["predicateType"] == "https://in-toto.io/attestation/test-result/v0.1"
    predicate = statement["predicate"]
    assert predicate["result"] == "FAILED"  # the P1 contrast gate blocks
    assert any("test_contrast" in t for t in predicate["failedTests"])
    assert any("test_no_placeholder" in t for t in predicate["warnedTests"])  # P2: advisory
    assert predicate["configuration"]
    assert predicate["configuration"][0]["content"]


def test_the_summary_names_the_policy_files_by_digest(gate_config: Any, tmp_path: Path) -> None:
    from pytest_castmatch import policy

    gates = tmp_path / "gates.toml"
    gates.write_text("schema = 1\n")
    rules = policy.block(gates, {"shard": ""}, root=tmp_path)
    report = build_report(gate_config, sample_gates(gate_config), signed=True, policy=rules)
    configuration = attest.summary_statement(report)["predicate"]["configuration"]
    assert {"name": "gates:gates.toml", "digest": {"sha256": policy.sha256_file(gates)}} in configuration
    assert not any(c["name"].startswith("waivers:") for c in configuration)  # absent files are not listed


@given(data=st.data())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_tampered_payload_byte_fails(data: st.DataObject) -> None:
    envelope, signer = _fixed()
    payload = bytearray(base64.b64decode(envelope["payload"]))
    index = data.draw(st.integers(0, len(payload) - 1), label="index")
    flip = data.draw(st.integers(1, 255), label="xor")
    payload[index] ^= flip
    tampered = dict(envelope, payload=base64.b64encode(bytes(payload)).decode())
    result = attest.verify(tampered, {"ci": signer.public_key})
    assert not result.ok
    assert result.failure in (Failure.BAD_SIGNATURE, Failure.MALFORMED)


@given(data=st.data())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_tampered_envelope_character_fails(data: st.DataObject) -> None:
    envelope, signer = _fixed()
    field = data.draw(st.sampled_from(["payload", "sig"]), label="field")
    text = envelope["payload"] if field == "payload" else envelope["signatures"][0]["sig"]
    index = data.draw(st.integers(0, len(text) - 1), label="index")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != text[index]]), label="char")
    changed = text[:index] + replacement + text[index + 1 :]
    tampered = copy.deepcopy(envelope)
    if field == "payload":
        tampered["payload"] = changed
    else:
        tampered["signatures"][0]["sig"] = changed
    result = attest.verify(tampered, {"ci": signer.public_key})
    assert not result.ok
    assert result.failure in (Failure.BAD_SIGNATURE, Failure.MALFORMED)


def test_each_failure_has_its_own_kind_and_message(
    report_of: Report, ci_signer: attest.Ed25519Signer, owner_signer: attest.Ed25519Signer
) -> None:
    envelope = attest.sign_report(report_of(signed=True), ci_signer)
    results = {
        "wrong key": attest.verify(envelope, {"devops": owner_signer.public_key}),
        "missing signer": attest.verify(envelope, _keys(ci_signer, owner_signer), required=["ci", "devops"]),
        "commit": attest.verify(envelope, {"ci": ci_signer.public_key}, commit="f" * 40),
        "malformed": attest.verify(dict(envelope, payloadType="application/json"), {"ci": ci_signer.public_key}),
        "bad signature": attest.verify(
            dict(envelope, signatures=[dict(envelope["signatures"][0], sig=_b64(ci_signer.sign(b"other")))]),
            {"ci": ci_signer.public_key},
        ),
    }
    kinds = {name: r.failure for name, r in results.items()}
    assert kinds == {
        "wrong key": Failure.WRONG_KEY,
        "missing signer": Failure.MISSING_SIGNER,
        "commit": Failure.COMMIT_MISMATCH,
        "malformed": Failure.MALFORMED,
        "bad signature": Failure.BAD_SIGNATURE,
    }
    messages = [r.message for r in results.values()]
    assert len(set(messages)) == len(messages)
    assert "devops" in results["missing signer"].message
    assert "f" * 40 in results["commit"].message


def test_a_statement_about_another_report_is_malformed(report_of: Report, ci_signer: attest.Ed25519Signer) -> None:
    statement = attest.report_statement(report_of(signed=True))
    statement["predicate"] = dict(statement["predicate"], signed=False)  # subject digest no longer matches
    envelope = attest.envelope_for(statement, ci_signer)
    result = attest.verify(envelope, {"ci": ci_signer.public_key})
    assert result.failure is Failure.MALFORMED


def test_untrusted_countersignature_is_listed_not_counted(
    report_of: Report, ci_signer: attest.Ed25519Signer, owner_signer: attest.Ed25519Signer
) -> None:
    envelope = attest.add_signature(attest.sign_report(report_of(signed=True), ci_signer), owner_signer)
    result = attest.verify(envelope, {"ci": ci_signer.public_key})
    assert result.ok
    assert result.signers == ("ci",)
    assert result.untrusted == (owner_signer.keyid,)


def test_sign_off_is_bound_to_owner_key_and_report(
    report_of: Report, ci_signer: attest.Ed25519Signer, owner_signer: attest.Ed25519Signer
) -> None:
    envelope = attest.sign_report(report_of(signed=True), ci_signer)
    signed = attest.add_signature(envelope, owner_signer, owner="devops", items=["runbooks"])
    result = attest.verify(signed, _keys(ci_signer, owner_signer), required=["ci", "devops"])
    assert result.ok, result.message
    (signoff,) = result.signoffs
    assert (signoff.owner, signoff.items, signoff.signer) == ("devops", ("runbooks",), "devops")

    # The same key filed under another owner's name does not speak for devops: the envelope fails.
    other = attest.verify(signed, {"ci": ci_signer.public_key, "frontend-ui": owner_signer.public_key})
    assert other.failure is Failure.WRONG_OWNER
    assert "'devops'" in other.message
    # Nor does a key nobody lists.
    assert attest.verify(signed, {"ci": ci_signer.public_key}).failure is Failure.WRONG_OWNER

    # Editing the claimed items breaks the sign-off's own signature.
    forged = copy.deepcopy(signed)
    entry = forged["signatures"][-1]["signoff"]
    body = json.loads(base64.b64decode(entry["statement"]))
    body["items"] = ["runbooks", "post-launch-plan"]
    entry["statement"] = base64.b64encode(canonical.dumps(body)).decode()
    assert attest.verify(forged, _keys(ci_signer, owner_signer)).failure is Failure.BAD_SIGNATURE

    # A sign-off lifted onto another report's envelope does not verify there.
    other_env = attest.sign_report(report_of(signed=True, commit="e" * 40), ci_signer)
    moved = dict(other_env, signatures=[*other_env["signatures"], signed["signatures"][-1]])
    assert attest.verify(moved, _keys(ci_signer, owner_signer)).failure is Failure.BAD_SIGNATURE


def test_the_signer_the_report_names_must_be_a_listed_launch_key(
    gate_config: Any, ci_signer: attest.Ed25519Signer, owner_signer: attest.Ed25519Signer
) -> None:
    # A report re-signed by another key: its recorded signer is not the key that signed it.
    report = build_report(gate_config, sample_gates(gate_config), signed=True)
    resigned = attest.sign_report(report, owner_signer)
    result = attest.verify(resigned, _keys(ci_signer, owner_signer))
    assert result.failure is Failure.WRONG_KEY
    assert "signed by key" in result.message

    # A report honestly naming a key the policy lists only for sign-off is not a launch report.
    own = build_report(gate_config, sample_gates(gate_config), signed=True, signer=owner_signer)
    policy = TrustPolicy((TrustedKey("devops", owner_signer.keyid, owner_signer.public_key, False, ("devops",),
                                     "devops.pub"),))
    refused = attest.verify(attest.sign_report(own, owner_signer), policy)
    assert refused.failure is Failure.WRONG_KEY
    assert "not list as a launch key" in refused.message

    # A report recording no signer at all proves nothing about who judged it.
    report.pop("signer")
    bare = attest.verify(attest.sign_report(report, ci_signer), _keys(ci_signer))
    assert bare.failure is Failure.MALFORMED


def test_key_loading_never_echoes_key_material(tmp_path: Path) -> None:
    private, public = attest.generate_key()
    text = private.decode()
    secret_line = text.splitlines()[1]
    signer = attest.load_signing_key(text)
    assert secret_line not in repr(signer)
    path = tmp_path / "k.pem"
    path.write_bytes(private)
    assert attest.load_signing_key(str(path)).keyid == signer.keyid
    assert attest.load_signing_key(text.replace("\n", "\\n")).keyid == signer.keyid  # CI-escaped newlines

    mangled = text.replace(secret_line, secret_line[:-4] + "AAAA")[:-30]
    for spec in (mangled, secret_line, "", str(tmp_path / "missing.pem"), public.decode()):
        with pytest.raises(attest.AttestError) as info:
            attest.load_signing_key(spec)
        message = str(info.value)
        assert secret_line not in message
        assert secret_line[:20] not in message
        assert info.value.__cause__ is None
        assert info.value.__context__ is None or info.value.__suppress_context__


def test_keyid_is_sha256_of_the_raw_public_key(ci_signer: attest.Ed25519Signer) -> None:
    import hashlib

    from cryptography.hazmat.primitives import serialization

    raw = ci_signer.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert ci_signer.keyid == hashlib.sha256(raw).hexdigest()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=25,
)


@given(st.dictionaries(st.text(max_size=10), json_values, max_size=6))
@settings(max_examples=200, deadline=None)
def test_canonical_json_round_trips(document: dict[str, Any]) -> None:
    once = canonical.dumps(document)
    assert canonical.dumps(json.loads(once)) == once
    assert canonical.dumps(json.loads(canonical.pretty(document))) == once


def test_sign_offs_by_one_key_accumulate_per_owner(
    report_of: Report, ci_signer: attest.Ed25519Signer, owner_signer: attest.Ed25519Signer
) -> None:
    envelope = attest.sign_report(report_of(signed=True), ci_signer)
    once = attest.add_signature(envelope, owner_signer, owner="devops", items=["runbooks"])
    twice = attest.add_signature(once, owner_signer, owner="devops", items=["backups"])
    assert len(twice["signatures"]) == 2
    # The same key signing for a second owner keeps the first owner's sign-off beside it.
    both = attest.add_signature(twice, owner_signer, owner="ux-wireframe", items=["post-launch-plan"])
    assert len(both["signatures"]) == 3
    policy = TrustPolicy((
        TrustedKey("ci", ci_signer.keyid, ci_signer.public_key, True, (), "ci.pub"),
        TrustedKey("lead", owner_signer.keyid, owner_signer.public_key, False, ("devops", "ux-wireframe"), "lead.pub"),
    ))
    result = attest.verify(both, policy)
    assert result.ok, result.message
    assert sorted((s.owner, s.items) for s in result.signoffs) == [
        ("devops", ("backups", "runbooks")),
        ("ux-wireframe", ("post-launch-plan",)),
    ]


@given(st.lists(json_values, max_size=8))
@settings(max_examples=200, deadline=None)
def test_a_list_of_members_is_laid_out_one_member_per_line(members: list[Any]) -> None:
    """The file form encodes a long list (the gates) in one call and splits it: each line is what the
    member's own encoding would be, whatever text the members hold."""
    assert canonical._one_line_each(members) == [canonical._ONE_LINE(m) for m in members]


def test_a_member_holding_the_separator_is_still_laid_out_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should a member hold the separator's text (its nonce guessed), it is still one line of its own."""
    monkeypatch.setattr("pytest_castmatch.canonical.secrets.token_hex", lambda _n: "guessed")
    members: list[Any] = [{"a": 1}, ["x", "\x00guessed", "y"], "\x00guessed", 'q", "\\u0000guessed", "']
    assert canonical._one_line_each(members) == [canonical._ONE_LINE(m) for m in members]
    document = {"gates": members}
    assert json.loads(canonical.pretty(document)) == document
    lines = canonical.pretty(document).splitlines()[2:-2]  # between '"gates": [' and its ']'
    assert [line.strip().removesuffix(",") for line in lines] == [canonical._ONE_LINE(m) for m in members]
