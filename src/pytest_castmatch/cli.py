"""``castmatch-gate``: keys, verification, sign-off, and reading reports after the run.

Every command that reads a report proves it first (:mod:`pytest_castmatch.checked`) and takes a
report folder or either of its files. User errors end with exit status 2 and one line naming
the file and the fix, never a traceback. Keys are read from files or ``CASTMATCH_SIGNING_KEY``
only, never from the command line, where they would land in shell history and process listings.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from pytest_castmatch import attest, cli_signoff, diff, history, merge, policy, publish
from pytest_castmatch.checked import EXIT, Checked, Unproven, check, locate
from pytest_castmatch.config import ConfigError, load_gates, load_waivers
from pytest_castmatch.keys import KEY_ENV, signer_from
from pytest_castmatch.report import ReportError, terminal, verdict_line
from pytest_castmatch.report_folder import FolderError
from pytest_castmatch.signoffs import SignOffError
from pytest_castmatch.summary import terminal_lines
from pytest_castmatch.trust import DEFAULT_FOLDER, in_ci, trust_for, untrusted_go

#: Exit status per verification failure (README's table); 0 verified, 1 NO-GO, 2 usage error.
VERIFY_EXIT = EXIT
DEFAULT_GATES = Path("baselines/gates.toml")


def _version() -> str:
    try:
        return metadata.version("pytest-castmatch")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


class UsageError(Exception):
    """A mistake on the command line or in a file it names; exit status 2."""


def _trust_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--key", action="append", type=Path, default=[], metavar="PUBLIC_PEM",
                   help="also trust this public key as a launch key, named by its file name (repeatable)")
    p.add_argument("--signers", type=Path, metavar="DIR",
                   help=f"the trust policy: DIR/signers.toml and its keys (default without --key: {DEFAULT_FOLDER})")


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
        "key. The public key goes in baselines/signers/ and is listed in signers.toml; the private key stays "
        f"with whoever signs: CI as its secret ${KEY_ENV}, a team's sign-off key with that team.",
    )
    p.add_argument("--out", required=True, type=Path, metavar="PATH")
    p.add_argument("--force", action="store_true", help="overwrite existing key files")

    codes = "".join(f"\n  {code:>2}  {kind.value}" for kind, code in EXIT.items())
    p = sub.add_parser(
        "verify",
        help="prove a report: signatures, report.json, policy digests, commit, required signers",
        description="Verify a gate report folder, its report.dsse.json or its report.json.",
        epilog=f"exit status:\n   0  verified\n   2  usage error (a file or option is wrong){codes}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("report", type=Path, metavar="REPORT")
    _trust_options(p)
    p.add_argument("--policy", type=Path, metavar="GATES_TOML",
                   help="the committed rules: digests must match it, waivers.toml, gates.lock, signers/ and "
                        "signoffs/ beside it; its [signoff] required names must have signed")
    p.add_argument("--commit", metavar="SHA", help="require the report to be about this commit")

    cli_signoff.add_parser(sub, _trust_options)

    p = sub.add_parser(
        "show",
        help="prove a report, then print its verdict, launch metrics and blockers",
        description="Verify a report folder, its report.dsse.json or its report.json, then print its verdict, "
        "its priority x owner table, its launch metrics and every blocker with its owner and why. A report "
        "that cannot be proven prints UNVERIFIED first and exits non-zero unless --unverified.",
    )
    p.add_argument("report", type=Path, metavar="REPORT")
    _trust_options(p)
    p.add_argument("--unverified", action="store_true", help="print it (exit 0) even when it cannot be proven")

    p = sub.add_parser(
        "diff",
        help="new blockers, fixed gates and metric moves between two proven reports",
        description="Verify both reports, then compare them: blockers NEW has that OLD had not, blockers OLD had "
        "that are fixed (or not in NEW's scope), and metrics that moved beyond noise. With --history, each "
        "launch metric over the reports in a folder and NEW.",
        epilog=f"A metric moved when it changed by more than {diff.NOISE:.0%} of its old value and, for times, "
        f"by more than {diff.TIMING_FLOOR_MS:g} ms.",
    )
    p.add_argument("old", type=Path, metavar="OLD")
    p.add_argument("new", type=Path, metavar="NEW")
    _trust_options(p)
    p.add_argument("--unverified", action="store_true", help="compare even when a report cannot be proven")
    p.add_argument("--exit-code", action="store_true", help="exit 1 when NEW has new blockers or worse metrics")
    p.add_argument("--history", type=Path, metavar="DIR",
                   help="a folder of earlier report.json files: print each launch metric over them and NEW")
    p.add_argument("--runs", type=int, default=history.RUNS, metavar="N",
                   help=f"how many runs --history shows, NEW included (default {history.RUNS})")

    p = sub.add_parser(
        "merge",
        help="merge the signed envelopes of --gate-shard jobs into one re-judged report",
        description="Verify the signed envelope of every --gate-shard K/N job against the trust policy, refuse "
        "shards of another commit, policy or N and shards narrowed by anything but their partition, then judge "
        "their gates again as one report, list each shard's envelope digest, and write every view into --out.",
        epilog="Signs when --key-file or $CASTMATCH_SIGNING_KEY is given. Exit status: 0 GO, 1 NO-GO "
        "(or GO signed by an untrusted key while CI is set), 2 a shard refused or a usage error.",
    )
    p.add_argument("shards", nargs="+", type=Path, metavar="SHARD")
    p.add_argument("--out", required=True, type=Path, metavar="DIR")
    p.add_argument("--gate-config", type=Path, default=DEFAULT_GATES, metavar="PATH")
    p.add_argument("--waivers", type=Path, metavar="PATH", help="default: waivers.toml next to the gate config")
    p.add_argument("--signers", type=Path, metavar="DIR", help="the trust policy (default: signers/ beside the config)")
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
    print(f"commit {pub.name} to baselines/signers/ and list it in signers.toml: launch = true for the CI key "
          f"(its private half goes into the CI secret {KEY_ENV}), owners = [\"<team>\"] for a team's key")
    return 0


def _unproven(name: object, checked: Checked) -> int:
    assert checked.failure is not None
    print(terminal.plain(f"UNVERIFIED: {name}: {checked.failure.value}: {checked.message}"))
    return EXIT[checked.failure]


def _verify(args: argparse.Namespace) -> int:
    required: list[str] = []
    owners = None
    if args.policy is not None:
        config = load_gates(args.policy)
        required, owners = list(config.required_signers), list(config.owners)
    trust = trust_for(args.signers or (args.policy.parent / "signers" if args.policy else None), args.key, owners)
    if not trust.keys:
        raise UsageError(f"no trusted keys ({trust.source}) — list the CI key there (see "
                         "baselines/signers/README.md), or pass --signers DIR, --key PUBLIC_PEM or --policy gates.toml")
    for name in required:
        if trust.named(name) is None:
            raise UsageError(f"{args.policy} requires signer {name!r}, which {trust.source} does not list — list it")
    checked = check(args.report, trust, required=required, commit=args.commit, gates=args.policy)
    if not checked.ok:
        assert checked.failure is not None
        print(terminal.plain(f"castmatch-gate: {checked.failure.value}: {args.report}: {checked.message}"),
              file=sys.stderr)
        return EXIT[checked.failure]
    _print_proof(checked)
    return 0


def _print_proof(checked: Checked) -> None:
    print(f"verified {checked.located.envelope}: signed by {', '.join(checked.signers)}"
          + ("; report.json matches it" if checked.located.report else ""))
    if checked.untrusted:
        print(f"  also signed by untrusted key id(s): {', '.join(k[:16] for k in checked.untrusted)}")
    cli_signoff.print_signoffs(checked.report, checked.signoffs)
    print(terminal.plain(verdict_line(checked.report)))


def _show(args: argparse.Namespace) -> int:
    checked = check(args.report, trust_for(args.signers, args.key))
    if not checked.ok:
        status = _unproven(args.report, checked)
        if not args.unverified or not checked.report:
            print("  pass --unverified to print what it claims anyway" if checked.report else "  nothing to show")
            return status
    for line in terminal_lines(checked.report, str(args.report)):
        print(terminal.plain(line))
    print()
    if checked.ok:
        _print_proof(checked)
    elif checked.envelope is not None:
        cli_signoff.print_signoffs(checked.report, attest.claimed_signoffs(checked.envelope))
    return 0


def _diff(args: argparse.Namespace) -> int:
    trust = trust_for(args.signers, args.key)
    old, new = check(args.old, trust), check(args.new, trust)
    for name, checked in ((args.old, old), (args.new, new)):
        if not checked.ok:
            status = _unproven(name, checked)
            if not args.unverified:
                print("  pass --unverified to compare what they claim anyway")
                return status
    trend = diff.compare(old.report, new.report)
    sys.stdout.write(terminal.render_trend(trend))
    if args.history is not None:
        if args.runs < 2:
            raise UsageError(f"--runs {args.runs}: a history needs at least 2 runs")
        earlier, skipped = history.load(args.history)
        runs = history.build(earlier, new.report, runs=args.runs, skipped=skipped)
        sys.stdout.write("\n" + terminal.render_history(runs))
    return 1 if args.exit_code and trend.regressed else 0


def _merge(args: argparse.Namespace) -> int:
    config = load_gates(args.gate_config)
    waivers_path = args.waivers or args.gate_config.parent / policy.WAIVERS
    waivers = load_waivers(waivers_path, config)
    trust = trust_for(args.signers or args.gate_config.parent / "signers", owners=list(config.owners))
    shards = []
    for path in args.shards:
        located = locate(path)
        if located.envelope is None:
            raise merge.MergeError(f"{path}: not a signed shard — merge takes the report.dsse.json (or the folder) of "
                                   "each --gate-shard job, signed with a launch key")
        checked = check(path, trust)
        if not checked.ok:
            assert checked.failure is not None
            raise merge.MergeError(f"{path}: refused, {checked.failure.value}: {checked.message}")
        digest = policy.sha256_file(located.envelope)
        shards.append(merge.Shard(str(path), checked.report, digest))
    signer = signer_from(args.key_file, required=False)
    report = merge.merge_reports(
        shards, config, waivers,
        current_policy=policy.current(args.gate_config, waivers=waivers_path, root=Path.cwd()),
        signed=signer is not None,
        signer_keyid=signer.keyid if signer else "",
        launch_key=signer is not None and trust.is_launch_key(signer.keyid),
        report_dir=str(args.out),
    )
    publish.publish(report, args.out, signer=signer)
    print(terminal.plain(verdict_line(report)))
    print(f"wrote {args.out}/")
    if report["verdict"]["decision"] != "GO":
        return 1
    return 1 if untrusted_go(report) and in_ci() else 0


def _lock(args: argparse.Namespace) -> int:
    cmd = [sys.executable, "-m", "pytest", "--gate-lock", "-qq", "-p", "no:cacheprovider"]
    if args.gate_config is not None:
        cmd += ["--gate-config", str(args.gate_config)]
    return subprocess.run([*cmd, *args.pytest_args], check=False).returncode


_COMMANDS = {
    "keygen": _keygen,
    "verify": _verify,
    "sign-off": cli_signoff.run,
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
    except Unproven as exc:
        print(terminal.plain(f"castmatch-gate: {exc.failure.value}: {exc}"), file=sys.stderr)
        return exc.status
    except (UsageError, attest.AttestError, ReportError, ConfigError, merge.MergeError, FolderError,
            SignOffError) as exc:
        print(terminal.plain(f"castmatch-gate: error: {exc}"), file=sys.stderr)
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
