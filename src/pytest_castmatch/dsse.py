"""DSSE envelopes around in-toto Statements: the encoding, the constants, reading a payload.

The primitives both signing (:mod:`pytest_castmatch.attest`) and verification
(:mod:`pytest_castmatch.verification`) stand on. Reading here never trusts: a payload is only
decoded; :func:`pytest_castmatch.verification.verify` decides whether to believe it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pytest_castmatch import canonical
from pytest_castmatch.keys import AttestError

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
REPORT_PREDICATE = "https://castmatch.dev/gate-report/v1"
TEST_RESULT_PREDICATE = "https://in-toto.io/attestation/test-result/v0.1"
#: What an owner's sign-off inside a report envelope is signed as (``attest.add_signature``).
SIGNOFF_PAYLOAD_TYPE = "application/vnd.castmatch.signoff+json"
#: The name of the report file in the statement's subject; its digest is of the file's bytes.
REPORT_FILE = "report.json"


class EnvelopeError(AttestError):
    """The envelope or its statement is not what this tool writes."""


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding: ``DSSEv1 SP LEN(type) SP type SP LEN(body) SP body``."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def verifies(key: Ed25519PublicKey, sig: bytes, data: bytes) -> bool:
    """True when ``sig`` is ``key``'s Ed25519 signature of ``data``."""
    from cryptography.exceptions import InvalidSignature

    try:
        key.verify(sig, data)
    except InvalidSignature:
        return False
    return True


def b64(data: bytes) -> str:
    """Standard base64 text of ``data``."""
    return base64.b64encode(data).decode("ascii")


def unb64(text: object, what: str) -> bytes:
    """Strict base64: a second encoding of the same bytes is rejected, so no byte is ignorable."""
    if not isinstance(text, str):
        raise EnvelopeError(f"{what} is not a base64 string")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise EnvelopeError(f"{what} is not valid base64") from None
    if b64(data) != text:
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


def payload_statement(envelope: Mapping[str, Any]) -> dict[str, Any]:
    """The decoded in-toto Statement (unverified: ``verification.verify`` decides whether to trust it)."""
    if not isinstance(envelope, Mapping):
        raise EnvelopeError("not a DSSE envelope (expected a JSON object)")
    if envelope.get("payloadType") != PAYLOAD_TYPE:
        raise EnvelopeError(f"payloadType is {envelope.get('payloadType')!r}, expected {PAYLOAD_TYPE!r}")
    try:
        statement = json.loads(unb64(envelope.get("payload"), "payload"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise EnvelopeError("payload is not JSON") from None
    if not isinstance(statement, dict) or statement.get("_type") != STATEMENT_TYPE:
        raise EnvelopeError(f"payload is not an in-toto Statement v1 ({STATEMENT_TYPE})")
    return statement


def payload_report(envelope: Mapping[str, Any]) -> dict[str, Any]:
    """The report inside a gate-report envelope (unverified: ``verification.verify`` decides whether to trust it)."""
    statement = payload_statement(envelope)
    if statement.get("predicateType") != REPORT_PREDICATE or not isinstance(statement.get("predicate"), dict):
        raise EnvelopeError(f"the statement's predicateType is not {REPORT_PREDICATE}")
    report: dict[str, Any] = statement["predicate"]
    return report
