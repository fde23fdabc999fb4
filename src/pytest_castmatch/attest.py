"""The report as a signed in-toto Statement inside a DSSE envelope (Ed25519).

Two statements describe one run, both about the same subjects (the git commit and the
``report.json`` file):

* ``https://castmatch.dev/gate-report/v1`` carries the full canonical report. Its envelope
  (``report.dsse.json``) is the one CI signs and owners countersign.
* ``https://in-toto.io/attestation/test-result/v0.1`` is the standard summary that generic
  in-toto tooling understands; :func:`sign_bundle` ships it beside the first.

Signing uses ``cryptography`` directly: DSSE's pre-authentication encoding is a few lines,
and the package is already a core dependency, so no key-management framework is pulled in.
Keys live in :mod:`pytest_castmatch.keys`; their public names are re-exported here.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pytest_castmatch import canonical
from pytest_castmatch.keys import AttestError as AttestError
from pytest_castmatch.keys import Ed25519Signer as Ed25519Signer
from pytest_castmatch.keys import Signer as Signer
from pytest_castmatch.keys import generate_key as generate_key
from pytest_castmatch.keys import keyid_of as keyid_of
from pytest_castmatch.keys import load_public_key as load_public_key
from pytest_castmatch.keys import load_signing_key as load_signing_key

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
REPORT_PREDICATE = "https://castmatch.dev/gate-report/v1"
TEST_RESULT_PREDICATE = "https://in-toto.io/attestation/test-result/v0.1"
#: What an owner's sign-off statement is signed as (see :func:`add_signature`).
SIGNOFF_PAYLOAD_TYPE = "application/vnd.castmatch.signoff+json"
#: The name of the report file in the statement's subject; its digest is of the file's bytes.
REPORT_FILE = "report.json"


class EnvelopeError(AttestError):
    """The envelope or its statement is not what this tool writes."""


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding: ``DSSEv1 SP LEN(type) SP type SP LEN(body) SP body``."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object, what: str) -> bytes:
    """Strict base64: a second encoding of the same bytes is rejected, so no byte is ignorable."""
    if not isinstance(text, str):
        raise EnvelopeError(f"{what} is not a base64 string")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise EnvelopeError(f"{what} is not valid base64") from None
    if _b64(data) != text:
        raise EnvelopeError(f"{what} is not canonical base64")
    return data


def subjects(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The statement's subjects: the judged commit (when known) and the report file's sha256."""
    out: list[dict[str, Any]] = []
    commit = str(report.get("subject", {}).get("commit") or "")
    if commit:
        out.append({"name": "git+commit", "digest": {"gitCommit": commit}})
    digest = hashlib.sha256(canonical.pretty(report).encode("utf-8")).hexdigest()
    out.append({"name": REPORT_FILE, "digest": {"sha256": digest}})
    return out


def report_statement(report: Mapping[str, Any]) -> dict[str, Any]:
    """The in-toto Statement whose predicate is the full report."""
    return {
        "_type": STATEMENT_TYPE,
        "subject": subjects(report),
        "predicateType": REPORT_PREDICATE,
        "predicate": dict(report),
    }


def summary_statement(report: Mapping[str, Any]) -> dict[str, Any]:
    """The standard test-result summary: PASSED only for GO, WARNED when GO with advisories."""
    passed, warned, failed = [], [], []
    blockers = {r["subject"] for r in report["verdict"]["reasons"] if r["blocking"]}
    for gate in report["gates"]:
        if gate["outcome"] == "passed":
            passed.append(gate["id"])
        elif gate["id"] in blockers:
            failed.append(gate["id"])
        else:
            warned.append(gate["id"])
    go = report["verdict"]["decision"] == "GO"
    result = "FAILED" if not go else ("WARNED" if warned else "PASSED")
    config = {"launch": report["launch"], "scope": report["scope"]}
    predicate = {
        "result": result,
        "configuration": [
            {
                "name": str(report["launch"].get("config") or "gates.toml"),
                "content": _b64(canonical.dumps(config)),
                "mediaType": "application/json",
            }
        ],
        "passedTests": passed,
        "warnedTests": warned,
        "failedTests": failed,
    }
    return {
        "_type": STATEMENT_TYPE,
        "subject": subjects(report),
        "predicateType": TEST_RESULT_PREDICATE,
        "predicate": predicate,
    }


def envelope_for(statement: Mapping[str, Any], signer: Signer) -> dict[str, Any]:
    """A DSSE envelope around ``statement`` (canonical JSON bytes) with one signature."""
    payload = canonical.dumps(statement)
    sig = signer.sign(pae(PAYLOAD_TYPE, payload))
    return {
        "payload": _b64(payload),
        "payloadType": PAYLOAD_TYPE,
        "signatures": [{"keyid": signer.keyid, "sig": _b64(sig)}],
    }


def sign_report(report: Mapping[str, Any], signer: Signer) -> dict[str, Any]:
    """The report's envelope (``report.dsse.json``), signed once by ``signer``."""
    return envelope_for(report_statement(report), signer)


def sign_bundle(report: Mapping[str, Any], signer: Signer) -> list[dict[str, Any]]:
    """Both statements as envelopes, for an in-toto bundle (``report.intoto.jsonl``)."""
    return [envelope_for(summary_statement(report), signer), sign_report(report, signer)]


def add_signature(
    envelope: Mapping[str, Any],
    signer: Signer,
    *,
    owner: str | None = None,
    items: Sequence[str] = (),
    when: dt.datetime | None = None,
) -> dict[str, Any]:
    """Countersign ``envelope``; with ``owner``, also record that owner's sign-off of ``items``.

    The countersignature is a plain DSSE signature over the same payload. A sign-off rides in
    the signature object's ``signoff`` field (DSSE consumers ignore unknown fields): a small
    statement naming the owner, the manual items and the payload's sha256, signed by the same
    key, so it cannot be moved to another report or edited. Whether that key really belongs
    to the owner is decided at verification, from ``baselines/signers/<owner>.pub``.

    A key signs once: signing again replaces that key's earlier signature, keeping the items
    it had already signed off for the same owner, so sign-offs accumulate item by item.
    """
    payload = _unb64(envelope.get("payload"), "payload")
    if envelope.get("payloadType") != PAYLOAD_TYPE:
        raise EnvelopeError(f"payloadType is {envelope.get('payloadType')!r}, expected {PAYLOAD_TYPE!r}")
    entry: dict[str, Any] = {"keyid": signer.keyid, "sig": _b64(signer.sign(pae(PAYLOAD_TYPE, payload)))}
    if owner is not None:
        earlier = [s.items for s in claimed_signoffs(envelope) if s.keyid == signer.keyid and s.owner == owner]
        items = [*items, *(item for group in earlier for item in group)]
        stamp = (when or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
        body = {
            "owner": owner,
            "items": sorted(set(items)),
            "payloadSha256": hashlib.sha256(payload).hexdigest(),
            "signedAt": stamp.isoformat().replace("+00:00", "Z"),
        }
        raw = canonical.dumps(body)
        entry["signoff"] = {"statement": _b64(raw), "sig": _b64(signer.sign(pae(SIGNOFF_PAYLOAD_TYPE, raw)))}
    others = [s for s in envelope.get("signatures", []) if s.get("keyid") != signer.keyid]
    return {**envelope, "signatures": [*others, entry]}


def payload_statement(envelope: Mapping[str, Any]) -> dict[str, Any]:
    """The decoded in-toto Statement (unverified: call :func:`verify` to trust it)."""
    if not isinstance(envelope, Mapping):
        raise EnvelopeError("not a DSSE envelope (expected a JSON object)")
    if envelope.get("payloadType") != PAYLOAD_TYPE:
        raise EnvelopeError(f"payloadType is {envelope.get('payloadType')!r}, expected {PAYLOAD_TYPE!r}")
    try:
        statement = json.loads(_unb64(envelope.get("payload"), "payload"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise EnvelopeError("payload is not JSON") from None
    if not isinstance(statement, dict) or statement.get("_type") != STATEMENT_TYPE:
        raise EnvelopeError(f"payload is not an in-toto Statement v1 ({STATEMENT_TYPE})")
    return statement


def payload_report(envelope: Mapping[str, Any]) -> dict[str, Any]:
    """The report inside a gate-report envelope (unverified: call :func:`verify` to trust it)."""
    statement = payload_statement(envelope)
    if statement.get("predicateType") != REPORT_PREDICATE or not isinstance(statement.get("predicate"), dict):
        raise EnvelopeError(f"the statement's predicateType is not {REPORT_PREDICATE}")
    report: dict[str, Any] = statement["predicate"]
    return report


class Failure(enum.StrEnum):
    """Why verification failed; each kind has its own exit status in ``castmatch-gate verify``."""

    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad-signature"
    WRONG_KEY = "wrong-key"
    MISSING_SIGNER = "missing-signer"
    COMMIT_MISMATCH = "commit-mismatch"


@dataclass(frozen=True)
class SignOff:
    """An owner's authenticated sign-off of manual items; ``trusted`` when made with that owner's key."""

    owner: str
    items: tuple[str, ...]
    signed_at: str
    keyid: str
    signer: str | None
    trusted: bool


@dataclass(frozen=True)
class Verification:
    """The outcome of :func:`verify`: ``ok``, or the first ``failure`` and a message saying why."""

    ok: bool
    failure: Failure | None = None
    message: str = ""
    signers: tuple[str, ...] = ()
    untrusted: tuple[str, ...] = ()
    signoffs: tuple[SignOff, ...] = ()
    report: dict[str, Any] | None = field(default=None, repr=False)


def _verifies(key: Ed25519PublicKey, sig: bytes, data: bytes) -> bool:
    try:
        key.verify(sig, data)
    except InvalidSignature:
        return False
    return True


def verify(
    envelope: Mapping[str, Any],
    public_keys: Mapping[str, Ed25519PublicKey],
    *,
    required: Sequence[str] = (),
    commit: str | None = None,
) -> Verification:
    """Check the envelope against trusted ``public_keys`` (name -> key).

    Every signature whose key id names a trusted key must verify (a single bad one fails
    the envelope); signatures by keys nobody trusts are listed, not counted. At least one
    trusted signature is needed, every name in ``required`` must have signed, and with
    ``commit`` the statement's git subject must be that commit.
    """
    try:
        statement = payload_statement(envelope)
        report = payload_report(envelope)
        payload = _unb64(envelope["payload"], "payload")
        signatures = envelope.get("signatures")
        if not isinstance(signatures, list) or not signatures:
            raise EnvelopeError("the envelope has no signatures")
        decoded = []
        for index, entry in enumerate(signatures):
            if not isinstance(entry, Mapping):
                raise EnvelopeError(f"signature {index} is not an object")
            decoded.append((str(entry.get("keyid") or ""), _unb64(entry.get("sig"), f"signature {index}"), entry))
        if statement.get("subject") != subjects(report):
            raise EnvelopeError("the statement's subjects do not match the report it carries")
    except AttestError as exc:
        return Verification(False, Failure.MALFORMED, str(exc))

    by_id = {keyid_of(key): name for name, key in public_keys.items()}
    message = pae(PAYLOAD_TYPE, payload)
    signers: list[str] = []
    untrusted: list[str] = []
    signoffs: list[SignOff] = []
    for keyid, sig, entry in decoded:
        name = by_id.get(keyid)
        if name is not None and not _verifies(public_keys[name], sig, message):
            return Verification(
                False,
                Failure.BAD_SIGNATURE,
                f"the signature by {name!r} (key {keyid[:16]}…) does "
                "not match the payload — the report or the signature was altered",
                report=report,
            )
        if name is None:
            # The key id is only a hint (DSSE): try every trusted key before calling it untrusted.
            name = next((n for n, k in public_keys.items() if _verifies(k, sig, message)), None)
        if name is None:
            untrusted.append(keyid or "(no keyid)")
            continue
        signers.append(name)
        if "signoff" in entry:
            signoff = _signoff(entry["signoff"], public_keys[name], keyid, name, payload)
            if signoff is None:
                return Verification(
                    False,
                    Failure.BAD_SIGNATURE,
                    f"the sign-off by {name!r} does not verify — it was altered or copied from another report",
                    report=report,
                )
            signoffs.append(signoff)

    if not signers:
        return Verification(
            False,
            Failure.WRONG_KEY,
            "no signature was made by a trusted key "
            f"(signed by key id(s) {', '.join(k[:16] for k in untrusted)}) — pass the signer's "
            "public key with --key or --signers",
            untrusted=tuple(untrusted),
            report=report,
        )
    missing = [name for name in required if name not in signers]
    if missing:
        return Verification(
            False,
            Failure.MISSING_SIGNER,
            f"required signer(s) {', '.join(missing)} have not signed — run `castmatch-gate sign-off` with their key",
            tuple(signers),
            tuple(untrusted),
            tuple(signoffs),
            report,
        )
    if commit is not None:
        actual = next((s["digest"].get("gitCommit") for s in statement["subject"] if "gitCommit" in s["digest"]), None)
        if actual != commit:
            return Verification(
                False,
                Failure.COMMIT_MISMATCH,
                f"the report is for commit {actual or '(none)'}, not {commit}",
                tuple(signers),
                tuple(untrusted),
                tuple(signoffs),
                report,
            )
    return Verification(True, None, "verified", tuple(signers), tuple(untrusted), tuple(signoffs), report)


def _signoff(data: Any, key: Ed25519PublicKey, keyid: str, name: str, payload: bytes) -> SignOff | None:
    try:
        raw = _unb64(data["statement"], "sign-off statement")
        sig = _unb64(data["sig"], "sign-off signature")
        body = json.loads(raw)
    except (AttestError, KeyError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not _verifies(key, sig, pae(SIGNOFF_PAYLOAD_TYPE, raw)):
        return None
    if body.get("payloadSha256") != hashlib.sha256(payload).hexdigest():
        return None
    owner = str(body.get("owner", ""))
    return SignOff(owner, tuple(body.get("items", ())), str(body.get("signedAt", "")), keyid, name, name == owner)


def claimed_signoffs(envelope: Mapping[str, Any]) -> list[SignOff]:
    """Sign-offs as claimed, without checking any key (for ``show``; :func:`verify` to trust them)."""
    out = []
    for entry in envelope.get("signatures", []):
        data = entry.get("signoff") if isinstance(entry, Mapping) else None
        if not isinstance(data, Mapping):
            continue
        try:
            body = json.loads(_unb64(data.get("statement"), "sign-off statement"))
        except (AttestError, json.JSONDecodeError, UnicodeDecodeError):
            continue
        out.append(
            SignOff(
                str(body.get("owner", "")),
                tuple(body.get("items", ())),
                str(body.get("signedAt", "")),
                str(entry.get("keyid", "")),
                None,
                False,
            )
        )
    return out
