"""``castmatch-gate sign-off``: an owner's signature, before the run or on its report.

Two modes, because a signed verdict cannot change after the run:

* ``--statement`` writes ``baselines/signoffs/<item>.json`` before the run: a signed, committed
  statement that the owner checked a manual item. The next run verifies it and counts it, so a
  P0/P1 item signed off this way stops blocking launch.
* on a report (folder or envelope), the owner countersigns it after the run: one signature per
  (key, owner), made only with a key the trust policy lists for that owner, only on a report
  that verifies; index.html and summary.md are rendered again to show it. The verdict stays.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_castmatch import attest, canonical, publish, signoffs
from pytest_castmatch.checked import Unproven, check, locate
from pytest_castmatch.config import load_gates
from pytest_castmatch.keys import KEY_ENV, signer_from
from pytest_castmatch.report import terminal
from pytest_castmatch.report_folder import BUNDLE, HTML, SUMMARY, ReportFolder, wait_seconds
from pytest_castmatch.trust import TrustPolicy, trust_for
from pytest_castmatch.verification import Failure


def add_parser(sub: Any, trust_options: Callable[[argparse.ArgumentParser], None]) -> None:
    """The ``sign-off`` subcommand's arguments."""
    p = sub.add_parser(
        "sign-off",
        help="sign off manual items: a statement before the run, or a countersignature on a report",
        description="With --statement: write baselines/signoffs/<item>.json, which the next run verifies and "
        "counts. With REPORT: countersign that report (folder or report.dsse.json) as OWNER; without --item, "
        "every manual item OWNER owns is signed off. The key must be listed for OWNER in signers.toml.",
    )
    p.add_argument("report", type=Path, nargs="?", metavar="REPORT")
    p.add_argument("--owner", required=True, help="the owner (team id) signing off")
    p.add_argument("--item", action="append", default=[], metavar="MANUAL_ITEM_ID",
                   help="a manual checklist item of this owner (repeatable)")
    p.add_argument("--key-file", type=Path, metavar="PATH", help=f"private key PEM (default: ${KEY_ENV})")
    trust_options(p)
    p.add_argument("--statement", action="store_true", help="write a sign-off statement for the next run")
    p.add_argument("--reason", default="", help="with --statement: what was checked, by whom, where the notes are")
    p.add_argument("--expires", type=dt.date.fromisoformat, metavar="YYYY-MM-DD",
                   help="with --statement: last day it counts (default and limit: [waivers] max_days, 90)")
    p.add_argument("--gate-config", type=Path, default=Path("baselines/gates.toml"), metavar="PATH",
                   help="with --statement: the gates file; statements go to signoffs/ beside it")


def run(args: argparse.Namespace) -> int:
    """Run ``sign-off`` in the mode the arguments ask for."""
    if args.statement:
        return _statement(args)
    if args.report is None:
        raise signoffs.SignOffError("sign-off: name the REPORT to countersign, or pass --statement")
    return _countersign(args)


def _statement(args: argparse.Namespace) -> int:
    if args.report is not None or args.key:
        raise signoffs.SignOffError("sign-off --statement takes no REPORT and no --key: it is checked against "
                                    "the committed signers.toml")
    if not args.item:
        raise signoffs.SignOffError("sign-off --statement: name each --item you checked")
    config = load_gates(args.gate_config)
    trust = trust_for(args.signers or args.gate_config.parent / "signers", owners=list(config.owners))
    signer = signer_from(args.key_file, required=True)
    assert signer is not None
    folder = args.gate_config.parent / signoffs.FOLDER
    for item in args.item:
        document = signoffs.make(config, trust, signer, item=item, owner=args.owner, reason=args.reason,
                                 expires=args.expires)
        path = signoffs.write(document, folder)
        print(f"wrote {path}: {args.owner} signs off {item} until {document['statement']['expires']} "
              f"(key id {signer.keyid[:16]}) — commit it; the next run counts it")
    return 0


def _countersign(args: argparse.Namespace) -> int:
    trust: TrustPolicy = trust_for(args.signers, args.key)
    located = locate(args.report)
    # A report folder is held from the proof to the new views: no run may replace it in between.
    hold = ReportFolder(located.envelope.parent) if located.envelope is not None else None
    rendered = hold is not None and any((hold.target / name).exists() for name in (HTML, SUMMARY))
    if hold is not None and rendered:
        hold.lock(wait_seconds())
    try:
        return _countersign_held(args, trust, rendered)
    finally:
        if hold is not None:
            hold.release()


def _countersign_held(args: argparse.Namespace, trust: TrustPolicy, rendered: bool) -> int:
    checked = check(args.report, trust)
    if not checked.ok:
        assert checked.failure is not None
        raise Unproven(f"{args.report}: not countersigned — {checked.failure.value}: {checked.message}",
                       checked.failure)
    assert checked.envelope is not None
    assert checked.located.envelope is not None
    report, owner = checked.report, args.owner
    theirs = {m["id"] for m in report.get("manual", []) if m["owner"] == owner}
    if owner not in report.get("owners", {}) and owner not in report.get("required_signers", []):
        raise signoffs.SignOffError(f"--owner {owner}: not an owner or required signer in this report — use one "
                                    f"of: {', '.join(sorted(report.get('owners', {})))}")
    for item in args.item:
        if item not in theirs:
            raise signoffs.SignOffError(f"--item {item}: not a manual item of {owner} in this report — {owner}'s "
                                        f"items: {', '.join(sorted(theirs)) or 'none'}")
    signer = signer_from(args.key_file, required=True)
    assert signer is not None
    if owner in report.get("owners", {}):
        if not trust.may_sign_off(signer.keyid, owner):
            raise Unproven(f"{args.report}: not countersigned — key {signer.keyid[:16]} is not listed for {owner} "
                           f"in {trust.source}; sign off with {owner}'s key", Failure.WRONG_OWNER)
        items = args.item or sorted(theirs)
        signed = attest.add_signature(checked.envelope, signer, owner=owner, items=items)
    else:
        named = trust.named(owner)
        if named is None or named.keyid != signer.keyid:
            raise Unproven(f"{args.report}: not countersigned — key {signer.keyid[:16]} is not the key "
                           f"{trust.source} lists as {owner!r}", Failure.WRONG_KEY)
        items, signed = [], attest.add_signature(checked.envelope, signer)
    envelope_path = checked.located.envelope
    folder = envelope_path.parent
    canonical.write(signed, envelope_path)
    _update_bundle(folder / BUNDLE, signed)
    if rendered:
        proven = check(envelope_path, trust)
        publish.write_views(publish.with_signoffs(report, proven.signoffs), folder)
    again = "; index.html and summary.md rendered again" if rendered else ""
    print(f"{envelope_path}: countersigned by {owner} (key id {signer.keyid[:16]}); signed off: "
          f"{', '.join(items) or 'no manual items'}{again}")
    return 0


def _update_bundle(path: Path, envelope: Mapping[str, Any]) -> None:
    """Keep the bundle's copy of the report envelope (its last line) the same as report.dsse.json."""
    if not path.exists():
        return
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[-1:] = [canonical.dumps(envelope).decode("utf-8")]
    canonical.write_text(path, "\n".join(lines) + "\n")


def print_signoffs(report: Mapping[str, Any], made: Sequence[attest.SignOff]) -> None:
    """Each sign-off on the envelope, then each manual item: signed off before the run (a statement),
    after it (a countersignature), or pending."""
    for s in made:
        state = "unverified" if s.signer is None else f"key {s.signer}"
        print(terminal.plain(f"  sign-off by {s.owner} at {s.signed_at} ({state}): {', '.join(s.items) or 'no items'}"))
    for item in report.get("manual", []):
        after = [s for s in made if s.owner == item["owner"] and item["id"] in s.items]
        if item.get("status") != "pending":
            state = str(item["status"])
        elif after:
            state = "signed off after the run by " + ", ".join(
                f"{s.owner} ({'unverified' if s.signer is None else 'verified'})" for s in after)
        else:
            state = "pending"
        print(terminal.plain(f"  manual {item['id']} [{item['owner']}]: {state}"))
