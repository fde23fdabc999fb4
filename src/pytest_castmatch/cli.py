"""``castmatch-gate``: keys, verification, sign-off, and reading reports after the run.

User errors end with exit status 2 and one line naming the file and the fix, never a
traceback. Keys are read from files or ``CASTMATCH_SIGNING_KEY`` only, never from the
command line, where they would land in shell history and process listings.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pytest_castmatch import attest, canonical, diff, history, merge, publish
from pytest_castmatch.config import ConfigError, load_gates, load_waivers
from pytest_castmatch.report import ReportError, read_document, terminal, verdict_line
from pytest_castmatch.summary import terminal_lines

#: Exit status of ``verify`` per failure kind (2 stays argparse's usage error).
VERIFY_EXIT = {
    attest.Failure.MALFORMED: 3,
    attest.Failure.BAD_SIGNATURE: 4,
    attest.Failure.WRONG_KEY: 5,
    attest.Failure.MISSING_SIGNER: 6,
    attest.Failure.COMMIT_MISMATCH: 7,
}
KEY_ENV = "CASTMATCH_SIGNING_KEY"
DEFAULT_GATES = Path("baselines/gates.toml")


def _version() -> str:
    try:
        return metadata.version("pytest-castmatch")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


class UsageError(Exception):
    """A mistake on the command line or in a file it names; exit status 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="castmatch-gate",
        description="Sign, verify, sign off, show, diff and merge castmatch launch gate reports.",
        epilog=f"Signing keys come from --key-file or ${KEY_ENV} (a PEM or a path to one), never the command line.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "keygen",
        help="create an Ed25519 key pair (PATH private, mode 0600; PATH.pub public)",
        description="Create an Ed25519 key pair: PATH holds the private key (mode 0600), PATH.pub the public "
        "key. The public key goes in baselines/signers/; the private key stays with whoever signs: "
        f"CI as its secret ${KEY_ENV}, a team's sign-off key with that team.",
    )
    p.add_argument("--out", required=True, type=Path, metavar="PATH")
    p.add_argument("--force", action="store_true", help="overwrite existing key files")

    codes = "".join(f"\n  {code}  {kind.value}" for kind, code in VERIFY_EXIT.items())
    p = sub.add_parser(
        "verify",
        help="check signatures, subject commit and required signers",
        description="Verify a report envelope (report.dsse.json).",
        epilog=f"exit status:\n  0  verified\n  2  usage error (a file or option is wrong){codes}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("envelope", type=Path, metavar="ENVELOPE")
    p.add_argument(
        "--key",
        action="append",
        type=Path,
        default=[],
        metavar="PUBLIC_PEM",
        help="a trusted public key; its name is the file name without .pub (repeatable)",
    )
    p.add_argument(
        "--signers",
        type=Path,
        metavar="DIR",
        help="trust every DIR/<name>.pub (default with --policy: baselines/signers next to it)",
    )
    p.add_argument(
        "--policy",
        type=Path,
        metavar="GATES_TOML",
        help="require the signers listed in [signoff] required = [...] of this gates.toml",
    )
    p.add_argument("--commit", metavar="SHA", help="require the report to be about this commit")

    p = sub.add_parser(
        "sign-off",
        help="countersign an envelope as an owner, signing off manual items",
        description="Countersign ENVELOPE in place. Without --item the owner signs off every "
        "manual checklist item they own; verify trusts a sign-off only when it was "
        "made with baselines/signers/<owner>.pub's key.",
    )
    p.add_argument("envelope", type=Path, metavar="ENVELOPE")
    p.add_argument("--owner", required=True, help="owner id (or required signer name) signing off")
    p.add_argument(
        "--item",
        action="append",
        default=[],
        metavar="MANUAL_ITEM_ID",
        help="a manual checklist item of this owner (repeatable)",
    )
    p.add_argument("--key-file", type=Path, metavar="PATH", help=f"private key PEM (default: ${KEY_ENV})")

    p = sub.add_parser(
        "show",
        help="print the verdict, launch metrics and blockers",
        description="Print a report's verdict, its priority x owner table, its launch metrics and every "
        "blocker with its owner and why; the signatures of an envelope are listed, not verified.",
    )
    p.add_argument("document", type=Path, metavar="REPORT_OR_ENVELOPE")

    p = sub.add_parser(
        "diff",
        help="new blockers, fixed gates and metric moves between two reports",
        description="Compare two reports: blockers NEW has that OLD had not, blockers OLD had that are "
        "fixed, and metrics that moved beyond noise. With --history, each launch metric over the "
        "reports in a folder and NEW.",
        epilog=f"A metric moved when it changed by more than {diff.NOISE:.0%} of its old value.",
    )
    p.add_argument("old", type=Path, metavar="OLD")
    p.add_argument("new", type=Path, metavar="NEW")
    p.add_argument("--exit-code", action="store_true", help="exit 1 when NEW has new blockers or worse metrics")
    p.add_argument("--history", type=Path, metavar="DIR",
                   help="a folder of earlier report.json files: print each launch metric over them and NEW")
    p.add_argument("--runs", type=int, default=history.RUNS, metavar="N",
                   help=f"how many runs --history shows, NEW included (default {history.RUNS})")

    p = sub.add_parser(
        "merge",
        help="merge shard reports into one re-judged report",
        description="Merge the reports of --gate-shard K/N runs into one report, judged again as a whole, "
        "and write every view of it into --out.",
        epilog="Signs when --key-file or $CASTMATCH_SIGNING_KEY is given. Exit status: 0 GO, 1 NO-GO, 2 usage error.",
    )
    p.add_argument("shards", nargs="+", type=Path, metavar="SHARD")
    p.add_argument("--out", required=True, type=Path, metavar="DIR")
    p.add_argument("--gate-config", type=Path, default=DEFAULT_GATES, metavar="PATH")
    p.add_argument("--waivers", type=Path, metavar="PATH", help="default: waivers.toml next to the gate config")
    p.add_argument("--key-file", type=Path, metavar="PATH", help=f"private key PEM (default: ${KEY_ENV})")

    p = sub.add_parser(
        "lock",
        help="write the gate inventory (gates.lock beside the gates file) from a full collection",
        description="Collect the full gate with pytest (in this folder) and write the inventory every full run "
        "is checked against. Review the change like code and commit it.",
        epilog="Exit status: pytest's (0 written, 4 refused: a scoped, skipped or broken collection).",
    )
    p.add_argument("--gate-config", type=Path, metavar="PATH", help="the gates file (default: the project's)")
    p.add_argument("pytest_args", nargs="*", metavar="PYTEST_ARG", help="more pytest arguments, after --")
    return parser


def _signer(key_file: Path | None, *, required: bool) -> attest.Ed25519Signer | None:
    if key_file is not None:
        return attest.load_signing_key(str(key_file))
    spec = os.environ.get(KEY_ENV, "")
    if spec.strip():
        return attest.load_signing_key(spec)
    if required:
        raise UsageError(f"no signing key — set ${KEY_ENV} or pass --key-file PATH")
    return None


def _keygen(args: argparse.Namespace) -> int:
    private, public = attest.generate_key()
    out: Path = args.out
    pub = out.with_name(out.name + ".pub")
    for path in (out, pub):
        if path.exists() and not args.force:
            raise UsageError(f"{path}: already exists — choose another --out or pass --force to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    # Created 0600 from the first byte: never readable by others, not even briefly.
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private)
    pub.write_bytes(public)
    keyid = attest.keyid_of(attest.load_public_key(pub))
    print(f"wrote {out} (private, mode 0600) and {pub} (public); key id {keyid}")
    print(f"put {pub.name} in baselines/signers/<name>.pub; keep {out.name} with whoever signs with it: "
          f"CI as its secret {KEY_ENV}, a team as its sign-off key (castmatch-gate sign-off --key-file)")
    return 0


def _trusted_keys(args: argparse.Namespace) -> tuple[dict[str, Ed25519PublicKey], list[str]]:
    keys: dict[str, Ed25519PublicKey] = {}
    required: list[str] = []
    signers_dir: Path | None = args.signers
    if args.policy is not None:
        config = load_gates(args.policy)
        required = list(config.required_signers)
        signers_dir = signers_dir or args.policy.parent / "signers"
    if signers_dir is not None:
        if not signers_dir.is_dir():
            raise UsageError(f"{signers_dir}: no such directory — pass --signers DIR holding <name>.pub keys")
        for path in sorted(signers_dir.glob("*.pub")):
            keys[path.name.removesuffix(".pub")] = attest.load_public_key(path)
    for path in args.key:
        keys[path.name.removesuffix(".pub")] = attest.load_public_key(path)
    for name in required:
        if name not in keys:
            raise UsageError(
                f"{signers_dir}/{name}.pub: missing — {args.policy} requires signer {name!r}; "
                "add their public key there"
            )
    if not keys:
        raise UsageError("no trusted keys — pass --key PUBLIC_PEM, --signers DIR or --policy gates.toml")
    return keys, required


def _verify(args: argparse.Namespace) -> int:
    keys, required = _trusted_keys(args)
    _, envelope = read_document(args.envelope)
    if envelope is None:
        raise UsageError(f"{args.envelope}: an unsigned report.json — verify report.dsse.json instead")
    result = attest.verify(envelope, keys, required=required, commit=args.commit)
    if not result.ok:
        assert result.failure is not None
        print(f"castmatch-gate: {result.failure.value}: {args.envelope}: {result.message}", file=sys.stderr)
        return VERIFY_EXIT[result.failure]
    assert result.report is not None
    print(f"verified {args.envelope}: signed by {', '.join(result.signers)}")
    if result.untrusted:
        print(f"  also signed by untrusted key id(s): {', '.join(k[:16] for k in result.untrusted)}")
    _print_signoffs(result.report, result.signoffs)
    print(terminal.plain(verdict_line(result.report)))
    return 0


def _trust(s: attest.SignOff) -> str:
    if s.trusted:
        return "verified"
    return "unverified" if s.signer is None else f"NOT trusted: made with the key of {s.signer!r}"


def _print_signoffs(report: Mapping[str, Any], signoffs: Sequence[attest.SignOff]) -> None:
    """Each sign-off, then each manual item with who signed it off (only its owner counts)."""
    for s in signoffs:
        print(
            terminal.plain(
                f"  sign-off by {s.owner} at {s.signed_at} ({_trust(s)}): {', '.join(s.items) or 'no items'}"
            )
        )
    for item in report.get("manual", []):
        by = [s for s in signoffs if s.owner == item["owner"] and item["id"] in s.items]
        state = "signed off by " + ", ".join(f"{s.owner} ({_trust(s)})" for s in by) if by else "pending"
        print(terminal.plain(f"  manual {item['id']} [{item['owner']}]: {state}"))


def _sign_off(args: argparse.Namespace) -> int:
    report, envelope = read_document(args.envelope)
    if envelope is None:
        raise UsageError(f"{args.envelope}: an unsigned report.json — sign off report.dsse.json")
    owner = args.owner
    if owner not in report.get("owners", {}) and owner not in report.get("required_signers", []):
        raise UsageError(
            f"--owner {owner}: not an owner or required signer in this report — "
            f"use one of: {', '.join(sorted(report.get('owners', {})))}"
        )
    theirs = {m["id"] for m in report.get("manual", []) if m["owner"] == owner}
    for item in args.item:
        if item not in theirs:
            raise UsageError(
                f"--item {item}: not a manual item of {owner} in this report — "
                f"{owner}'s items: {', '.join(sorted(theirs)) or 'none'}"
            )
    items = args.item or sorted(theirs)
    signer = _signer(args.key_file, required=True)
    assert signer is not None
    signed = attest.add_signature(envelope, signer, owner=owner, items=items)
    canonical.write(signed, args.envelope)
    print(
        f"{args.envelope}: countersigned by {owner} (key id {signer.keyid[:16]}…); "
        f"signed off: {', '.join(items) or 'no manual items'}"
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    report, envelope = read_document(args.document)
    for line in terminal_lines(report, str(args.document)):
        print(terminal.plain(line))
    if envelope is not None:
        print(
            f"\n{len(envelope.get('signatures', []))} signature(s), not verified here — "
            "use `castmatch-gate verify` to trust them"
        )
        _print_signoffs(report, attest.claimed_signoffs(envelope))
    return 0


def _diff(args: argparse.Namespace) -> int:
    old, _ = read_document(args.old)
    new, _ = read_document(args.new)
    trend = diff.compare(old, new)
    sys.stdout.write(terminal.render_trend(trend))
    if args.history is not None:
        if args.runs < 2:
            raise UsageError(f"--runs {args.runs}: a history needs at least 2 runs")
        earlier, skipped = history.load(args.history)
        sys.stdout.write("\n" + terminal.render_history(history.build(earlier, new, runs=args.runs, skipped=skipped)))
    return 1 if args.exit_code and trend.regressed else 0


def _merge(args: argparse.Namespace) -> int:
    config = load_gates(args.gate_config)
    waivers = load_waivers(args.waivers or args.gate_config.parent / "waivers.toml", config)
    shards = [(str(path), read_document(path)[0]) for path in args.shards]
    signer = _signer(args.key_file, required=False)
    report = merge.merge_reports(shards, config, waivers, signed=signer is not None)
    publish.publish(report, args.out, signer=signer)
    print(terminal.plain(verdict_line(report)))
    print(f"wrote {args.out}/")
    return 0 if report["verdict"]["decision"] == "GO" else 1


def _lock(args: argparse.Namespace) -> int:
    cmd = [sys.executable, "-m", "pytest", "--gate-lock", "-qq", "-p", "no:cacheprovider"]
    if args.gate_config is not None:
        cmd += ["--gate-config", str(args.gate_config)]
    return subprocess.run([*cmd, *args.pytest_args], check=False).returncode


_COMMANDS = {
    "keygen": _keygen,
    "verify": _verify,
    "sign-off": _sign_off,
    "show": _show,
    "diff": _diff,
    "merge": _merge,
    "lock": _lock,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``castmatch-gate``; returns the exit status."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on usage errors
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return _COMMANDS[args.command](args)
    except (UsageError, attest.AttestError, ReportError, ConfigError, merge.MergeError) as exc:
        print(f"castmatch-gate: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"castmatch-gate: error: {exc.filename or ''}: {exc.strerror}", file=sys.stderr)
        return 2
    except KeyError as exc:
        # A report or envelope from another schema version lacks a field the views need.
        print(
            f"castmatch-gate: error: a report lacks the field {exc} — it was not written by this "
            "version of pytest-castmatch; re-run the gate or use the matching castmatch-gate",
            file=sys.stderr,
        )
        return 2
