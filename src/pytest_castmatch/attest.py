"""The report as a signed in-toto Statement inside a DSSE envelope (Ed25519).

Two statements describe one run, both about the same subjects (the git commit and the
``report.json`` file):

* ``https://castmatch.dev/gate-report/v1`` carries the full canonical report. Its envelope
  (``report.dsse.json``) is the one CI signs and owners countersign.
* ``https://in-toto.io/attestation/test-result/v0.1`` is the standard summary that generic
  in-toto tooling understands; :func:`sign_bundle` ships it beside the first.

Signing uses ``cryptography`` directly: DSSE's pre-authentication encoding is a few lines,
and the package is already a core dependency, so no key-management framework is pulled in.
Keys live in :mod:`pytest_castmatch.keys`, the DSSE primitives in :mod:`pytest_castmatch.dsse`
and verification in :mod:`pytest_castmatch.verification`; their public names are re-exported here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_castmatch import canonical
from pytest_castmatch.dsse import PAYLOAD_TYPE as PAYLOAD_TYPE
from pytest_castmatch.dsse import REPORT_FILE as REPORT_FILE
from pytest_castmatch.dsse import REPORT_PREDICATE as REPORT_PREDICATE
from pytest_castmatch.dsse import SIGNOFF_PAYLOAD_TYPE as SIGNOFF_PAYLOAD_TYPE
from pytest_castmatch.dsse import STATEMENT_TYPE as STATEMENT_TYPE
from pytest_castmatch.dsse import TEST_RESULT_PREDICATE as TEST_RESULT_PREDICATE
from pytest_castmatch.dsse import EnvelopeError as EnvelopeError
from pytest_castmatch.dsse import b64, unb64
from pytest_castmatch.dsse import pae as pae
from pytest_castmatch.dsse import payload_report as payload_report
from pytest_castmatch.dsse import payload_statement as payload_statement
from pytest_castmatch.dsse import subjects as subjects
from pytest_castmatch.keys import AttestError as AttestError
from pytest_castmatch.keys import Ed25519Signer as Ed25519Signer
from pytest_castmatch.keys import Signer as Signer
from pytest_castmatch.keys import generate_key as generate_key
from pytest_castmatch.keys import keyid_of as keyid_of
from pytest_castmatch.keys import load_public_key as load_public_key
from pytest_castmatch.keys import load_signing_key as load_signing_key
from pytest_castmatch.verification import Failure as Failure
from pytest_castmatch.verification import SignOff as SignOff
from pytest_castmatch.verification import Verification as Verification
from pytest_castmatch.verification import claimed_owner
from pytest_castmatch.verification import claimed_signoffs as claimed_signoffs
from pytest_castmatch.verification import verify as verify


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
    configuration: list[dict[str, Any]] = [
        {
            "name": str(report["launch"].get("config") or "gates.toml"),
            "content": b64(canonical.dumps(config)),
            "mediaType": "application/json",
        }
    ]
    # The policy files that judged the run, as resource descriptors generic tooling can match.
    for name, entry in sorted((report.get("policy") or {}).items()):
        if isinstance(entry, Mapping) and entry.get("file") and entry.get("sha256") not in (None, "absent"):
            configuration.append({"name": f"{name}:{entry['file']}", "digest": {"sha256": entry["sha256"]}})
    predicate = {
        "result": result,
        "configuration": configuration,
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
        "payload": b64(payload),
        "payloadType": PAYLOAD_TYPE,
        "signatures": [{"keyid": signer.keyid, "sig": b64(sig)}],
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
    key, so it cannot be moved to another report or edited. Whether that key may speak for the
    owner is the trust policy's to say, at verification.

    One signature per (key, owner): signing again as the same owner with the same key replaces
    that entry, keeping the items it had signed off, so sign-offs accumulate item by item; the
    same key signing for another owner adds an entry beside it.
    """
    payload = unb64(envelope.get("payload"), "payload")
    if envelope.get("payloadType") != PAYLOAD_TYPE:
        raise EnvelopeError(f"payloadType is {envelope.get('payloadType')!r}, expected {PAYLOAD_TYPE!r}")
    entry: dict[str, Any] = {"keyid": signer.keyid, "sig": b64(signer.sign(pae(PAYLOAD_TYPE, payload)))}
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
        entry["signoff"] = {"statement": b64(raw), "sig": b64(signer.sign(pae(SIGNOFF_PAYLOAD_TYPE, raw)))}
    others = [
        s
        for s in envelope.get("signatures", [])
        if not (isinstance(s, Mapping) and s.get("keyid") == signer.keyid and claimed_owner(s) == owner)
    ]
    return {**envelope, "signatures": [*others, entry]}
