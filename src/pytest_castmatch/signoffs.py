"""Manual checklist sign-offs made before the run: committed, reviewable, signed statements.

A signed report's verdict cannot change after the run, so a sign-off that should count toward
it has to exist before the run starts. ``castmatch-gate sign-off --statement`` writes one file
per item, ``baselines/signoffs/<item>.json``: the statement in plain JSON (what was checked, by
whom, why, until when) and an Ed25519 signature over its canonical bytes, made with a key that
``baselines/signers/signers.toml`` lists for the item's owner. It is reviewed and committed like
a waiver. Every run verifies every statement again; one that does not verify, has expired or
was signed with a key not listed for its owner is itself a blocker naming the file.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_castmatch import canonical
from pytest_castmatch.config import GateConfig
from pytest_castmatch.dsse import EnvelopeError, b64, pae, unb64, verifies
from pytest_castmatch.keys import Signer
from pytest_castmatch.model import Reason
from pytest_castmatch.trust import TrustPolicy
from pytest_castmatch.verdict import ManualSignOff

#: The statement's type, inside the signed bytes.
STATEMENT_TYPE = "https://castmatch.dev/manual-signoff/v1"
#: What the statement is signed as (DSSE pre-authentication encoding).
PAYLOAD_TYPE = "application/vnd.castmatch.manual-signoff+json"
FOLDER = "signoffs"
#: How far ahead a sign-off may expire unless gates.toml sets ``[waivers] max_days``.
DEFAULT_MAX_DAYS = 90
_FIELDS = ("type", "item", "title", "owner", "launch", "reason", "signed_at", "expires")


class SignOffError(Exception):
    """A sign-off statement cannot be made as asked; the message says why and how to fix it."""


def max_days(config: GateConfig) -> int:
    """How many days ahead a sign-off may expire: ``[waivers] max_days`` of gates.toml, else 90."""
    table = config.raw.get("waivers")
    value = table.get("max_days") if isinstance(table, Mapping) else None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return DEFAULT_MAX_DAYS


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def make(
    config: GateConfig,
    trust: TrustPolicy,
    signer: Signer,
    *,
    item: str,
    owner: str,
    reason: str,
    expires: dt.date | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """A signed statement that ``owner`` signed off manual ``item``; :class:`SignOffError` if it would not verify."""
    now = now or dt.datetime.now(dt.UTC)
    manual = config.manual.get(item)
    if manual is None:
        known = ", ".join(sorted(config.manual)) or "none"
        raise SignOffError(f"--item {item}: not a manual item in {config.path} — items: {known}")
    statement = {
        "type": STATEMENT_TYPE,
        "item": item,
        "title": manual.title,
        "owner": owner,
        "launch": config.launch_name,
        "reason": reason.strip(),
        "signed_at": _stamp(now),
        "expires": (expires or now.date() + dt.timedelta(days=max_days(config))).isoformat(),
    }
    raw = canonical.dumps(statement)
    document = {
        "statement": statement,
        "signature": {"keyid": signer.keyid, "sig": b64(signer.sign(pae(PAYLOAD_TYPE, raw)))},
    }
    problem = _problem(document, f"{item}.json", config, trust, now.date())
    if problem is not None:
        raise SignOffError(f"{problem[0]} — {problem[1]}")
    return document


def write(document: Mapping[str, Any], folder: Path) -> Path:
    """Write the statement as ``folder/<item>.json`` (pretty, sorted: easy to review)."""
    return canonical.write(document, folder / f"{document['statement']['item']}.json")


def check(
    folder: Path, config: GateConfig, trust: TrustPolicy, today: dt.date, *, shown: str = ""
) -> tuple[list[ManualSignOff], list[Reason]]:
    """Verify every statement in ``folder``: the valid sign-offs, and one blocker per file that is not."""
    valid: list[ManualSignOff] = []
    problems: list[Reason] = []
    for path in sorted(folder.glob("*.json")):
        name = f"{shown or folder}/{path.name}"
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.append(Reason("signoff", name, f"cannot be read ({exc}) — write it with "
                                   "`castmatch-gate sign-off --statement` or delete it"))
            continue
        problem = _problem(document, path.name, config, trust, today)
        statement = document.get("statement") if isinstance(document, dict) else None
        owner = str(statement.get("owner", "")) if isinstance(statement, dict) else ""
        item = config.manual.get(str(statement.get("item", ""))) if isinstance(statement, dict) else None
        if problem is not None or item is None or not isinstance(statement, dict):
            why, fix = problem or ("is not a sign-off statement", "delete it")
            problems.append(Reason("signoff", name, f"{why} — {fix}", owner, item.priority.value if item else "p0"))
            continue
        keyid = str(document["signature"]["keyid"])
        valid.append(ManualSignOff(item.id, owner, name, str(statement["expires"]), keyid))
    return valid, problems


def _problem(
    document: Any, filename: str, config: GateConfig, trust: TrustPolicy, today: dt.date
) -> tuple[str, str] | None:
    """The first reason ``document`` is not a valid sign-off today, with its fix; None when it is."""
    redo = "sign it off again with `castmatch-gate sign-off --statement`"
    if not isinstance(document, dict) or not isinstance(document.get("statement"), dict):
        return "is not a sign-off statement (no statement object)", redo
    statement, signature = document["statement"], document.get("signature")
    if set(statement) != set(_FIELDS) or statement.get("type") != STATEMENT_TYPE:
        return f"is not a {STATEMENT_TYPE} statement (fields {sorted(statement)})", redo
    if not isinstance(signature, dict):
        return "carries no signature", redo
    item = config.manual.get(str(statement["item"]))
    if item is None:
        return f"names {statement['item']!r}, which is not a manual item in {config.path.name}", "delete the file"
    if filename != f"{item.id}.json":
        return f"signs off {item.id!r} but is named {filename}", f"rename it to {item.id}.json"
    if statement["owner"] != item.owner:
        return f"is signed off by {statement['owner']!r}, but {item.id} belongs to {item.owner!r}", redo
    if statement["title"] != item.title or statement["launch"] != config.launch_name:
        return "was signed for another wording of the item or another launch", redo
    if not str(statement["reason"]).strip():
        return "gives no reason", "say what was checked, by whom, where the notes are; " + redo
    keyid = str(signature.get("keyid", ""))
    key = trust.by_keyid(keyid)
    if key is None or item.owner not in key.owners:
        return (
            f"was signed with key {keyid[:16]}, which {trust.source} does not list for {item.owner}",
            f"add the owner's key to signers.toml with owners = [\"{item.owner}\"], or {redo}",
        )
    try:
        sig = unb64(signature.get("sig"), "signature")
        good = verifies(key.key, sig, pae(PAYLOAD_TYPE, canonical.dumps(statement)))
    except EnvelopeError:
        good = False
    if not good:
        return "does not match its signature — it was edited after signing", redo
    try:
        signed = dt.datetime.fromisoformat(str(statement["signed_at"]).replace("Z", "+00:00")).date()
        expires = dt.date.fromisoformat(str(statement["expires"]))
    except ValueError:
        return "has an unreadable signed_at or expires date", redo
    limit = max_days(config)
    if signed > today:
        return f"is dated {signed}, after today ({today})", redo
    if expires < today:
        return f"expired on {expires}", redo
    if (expires - signed).days > limit:
        return f"expires {(expires - signed).days} days after it was signed; at most {limit} are allowed", redo
    return None
