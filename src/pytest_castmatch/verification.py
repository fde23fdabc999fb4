"""Verifying a report envelope against the trust policy: who signed, for whom, and what.

Every failure has its kind (:class:`Failure`), and ``castmatch-gate verify`` gives each kind
its own exit status.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import TYPE_CHECKING, Any

from pytest_castmatch.dsse import (
    PAYLOAD_TYPE,
    SIGNOFF_PAYLOAD_TYPE,
    EnvelopeError,
    pae,
    payload_report,
    payload_statement,
    subjects,
    unb64,
    verifies,
)
from pytest_castmatch.keys import AttestError
from pytest_castmatch.record import Record, record
from pytest_castmatch.trust import TrustedKey, TrustPolicy, launch_keys_of

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def claimed_body(entry: Any) -> dict[str, Any] | None:
    """The sign-off statement a signature entry carries, unverified: None without one, {} unreadable."""
    data = entry.get("signoff") if isinstance(entry, Mapping) else None
    if not isinstance(data, Mapping):
        return None
    try:
        body = json.loads(unb64(data.get("statement"), "sign-off statement"))
    except (AttestError, json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def claimed_owner(entry: Any) -> str | None:
    body = claimed_body(entry)
    return None if body is None else str(body.get("owner", ""))


class Failure(enum.StrEnum):
    """Why verification failed; each kind has its own exit status in ``castmatch-gate verify``."""

    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad-signature"
    WRONG_KEY = "wrong-key"
    MISSING_SIGNER = "missing-signer"
    COMMIT_MISMATCH = "commit-mismatch"
    POLICY_MISMATCH = "policy-mismatch"
    REPORT_MISMATCH = "report-mismatch"
    WRONG_OWNER = "wrong-owner"
    UNSIGNED = "unsigned"


@record
class SignOff(Record):
    """An owner's sign-off of manual items; ``signer`` names the trusted key that made it (None: unverified)."""

    owner: str
    items: tuple[str, ...]
    signed_at: str
    keyid: str
    signer: str | None


@record
class Verification(Record):
    """The outcome of :func:`verify`: ``ok``, or the first ``failure`` and a message saying why."""

    ok: bool
    failure: Failure | None = None
    message: str = ""
    signers: tuple[str, ...] = ()
    untrusted: tuple[str, ...] = ()
    signoffs: tuple[SignOff, ...] = ()
    report: dict[str, Any] | None = field(default=None, repr=False)


def _decode(envelope: Mapping[str, Any]) -> tuple[dict[str, Any], bytes, list[tuple[str, bytes, Mapping[str, Any]]]]:
    """(report, payload bytes, [(keyid, sig, entry)]) of a well-formed envelope; raises EnvelopeError."""
    statement = payload_statement(envelope)
    report = payload_report(envelope)
    payload = unb64(envelope["payload"], "payload")
    signatures = envelope.get("signatures")
    if not isinstance(signatures, list) or not signatures:
        raise EnvelopeError("the envelope has no signatures")
    decoded = []
    for index, entry in enumerate(signatures):
        if not isinstance(entry, Mapping):
            raise EnvelopeError(f"signature {index} is not an object")
        decoded.append((str(entry.get("keyid") or ""), unb64(entry.get("sig"), f"signature {index}"), entry))
    if statement.get("subject") != subjects(report):
        raise EnvelopeError("the statement's subjects do not match the report it carries")
    return report, payload, decoded


def verify(
    envelope: Mapping[str, Any],
    trust: TrustPolicy | Mapping[str, Ed25519PublicKey],
    *,
    required: Sequence[str] = (),
    commit: str | None = None,
) -> Verification:
    """Check the envelope against a trust policy (or a mapping name -> public key of launch keys).

    Every signature by a listed key must verify (a single bad one fails the envelope);
    signatures by keys nobody lists are reported, not counted. The key the report names as its
    signer must have signed and be a launch key; every sign-off must be made by a key listed for
    its owner; every name in ``required`` must have signed; with ``commit`` the statement's git
    subject must be that commit.
    """
    policy = trust if isinstance(trust, TrustPolicy) else launch_keys_of(trust)
    try:
        report, payload, decoded = _decode(envelope)
    except AttestError as exc:
        return Verification(False, Failure.MALFORMED, str(exc))

    message = pae(PAYLOAD_TYPE, payload)
    valid: dict[str, TrustedKey] = {}
    untrusted: list[str] = []
    signoffs: list[SignOff] = []

    def fail(kind: Failure, why: str) -> Verification:
        return Verification(False, kind, why, tuple(valid), tuple(untrusted), tuple(signoffs), report)

    for keyid, sig, entry in decoded:
        key = policy.by_keyid(keyid)
        if key is not None and not verifies(key.key, sig, message):
            return fail(
                Failure.BAD_SIGNATURE,
                f"the signature by {key.name!r} (key {keyid[:16]}) does not match the payload — "
                "the report or the signature was altered",
            )
        if key is None:
            # The key id is only a hint (DSSE): try every listed key before calling it untrusted.
            key = next((k for k in policy.keys if verifies(k.key, sig, message)), None)
        claimed = claimed_owner(entry)
        if key is None:
            if claimed is not None:
                return fail(
                    Failure.WRONG_OWNER,
                    f"a sign-off for {claimed or '(no owner)'} was made with key {keyid[:16]}, which "
                    f"{policy.source} does not list — only a key listed for that owner may sign off",
                )
            untrusted.append(keyid or "(no keyid)")
            continue
        valid[key.name] = key
        if claimed is not None:
            signoff = _signoff(entry["signoff"], key, payload)
            if signoff is None:
                return fail(
                    Failure.BAD_SIGNATURE,
                    f"the sign-off by {key.name!r} does not verify — it was altered or copied from another report",
                )
            if signoff.owner not in key.owners:
                return fail(
                    Failure.WRONG_OWNER,
                    f"a sign-off for {signoff.owner!r} was made with key {key.name!r}, which {policy.source} "
                    f"lists for {', '.join(key.owners) or 'no owner'} — sign off with a key listed for "
                    f"{signoff.owner}",
                )
            signoffs.append(signoff)

    recorded = report.get("signer")
    run_signer = str(recorded.get("keyid") or "") if isinstance(recorded, dict) else ""
    if not run_signer:
        return fail(Failure.MALFORMED, "the report does not name the key that signed it")
    run_key = next((k for k in valid.values() if k.keyid == run_signer), None)
    if run_key is None:
        return fail(
            Failure.WRONG_KEY,
            f"the report was signed by key {run_signer[:16]}, which {policy.source} does not list — "
            "pass the launch key with --signers DIR or --key PUBLIC_PEM",
        )
    if not run_key.launch:
        return fail(
            Failure.WRONG_KEY,
            f"the report was signed by {run_key.name!r}, which {policy.source} does not list as a launch "
            "key — only a launch key (the CI job's) signs gate reports",
        )
    missing = [name for name in required if name not in valid]
    if missing:
        return fail(
            Failure.MISSING_SIGNER,
            f"required signer(s) {', '.join(missing)} have not signed — run `castmatch-gate sign-off` with their key",
        )
    if commit is not None:
        statement = payload_statement(envelope)
        actual = next((s["digest"].get("gitCommit") for s in statement["subject"] if "gitCommit" in s["digest"]), None)
        if actual != commit:
            return fail(Failure.COMMIT_MISMATCH, f"the report is for commit {actual or '(none)'}, not {commit}")
    return Verification(True, None, "verified", tuple(valid), tuple(untrusted), tuple(signoffs), report)


def _signoff(data: Any, key: TrustedKey, payload: bytes) -> SignOff | None:
    try:
        raw = unb64(data["statement"], "sign-off statement")
        sig = unb64(data["sig"], "sign-off signature")
        body = json.loads(raw)
    except (AttestError, KeyError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict) or not verifies(key.key, sig, pae(SIGNOFF_PAYLOAD_TYPE, raw)):
        return None
    if body.get("payloadSha256") != hashlib.sha256(payload).hexdigest():
        return None
    items = tuple(str(i) for i in body.get("items", ()))
    return SignOff(str(body.get("owner", "")), items, str(body.get("signedAt", "")), key.keyid, key.name)


def claimed_signoffs(envelope: Mapping[str, Any]) -> list[SignOff]:
    """Sign-offs as claimed, without checking any key (:func:`verify` to trust them)."""
    out = []
    for entry in envelope.get("signatures", []):
        body = claimed_body(entry)
        if body:
            items = tuple(str(i) for i in body.get("items", ()))
            out.append(SignOff(str(body.get("owner", "")), items, str(body.get("signedAt", "")),
                               str(entry.get("keyid", "")), None))
    return out
