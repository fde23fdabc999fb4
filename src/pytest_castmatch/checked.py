"""A report as ``castmatch-gate`` reads it: found in a folder or a file, then proven before use.

Proving means: the envelope's signatures against the trust policy, ``report.json`` (when it is
there) byte for byte against the report the envelope signed, and, when asked, the policy
digests against the committed rules. The first failure wins and names its kind.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_castmatch import canonical, policy
from pytest_castmatch.record import Record, record
from pytest_castmatch.report import ReportError, read_document
from pytest_castmatch.report_folder import ENVELOPE, REPORT
from pytest_castmatch.trust import TrustPolicy
from pytest_castmatch.verification import Failure, SignOff, verify

#: Exit status of ``castmatch-gate verify`` (and of every command that needs a proven report) per
#: failure kind; 1 is NO-GO and 2 a usage error.
EXIT = {
    Failure.MALFORMED: 3,
    Failure.BAD_SIGNATURE: 4,
    Failure.WRONG_KEY: 5,
    Failure.MISSING_SIGNER: 6,
    Failure.COMMIT_MISMATCH: 7,
    Failure.POLICY_MISMATCH: 8,
    Failure.REPORT_MISMATCH: 9,
    Failure.WRONG_OWNER: 10,
    Failure.UNSIGNED: 11,
}


class Unproven(Exception):
    """A command needed a proven report and did not get one; ``status`` is the exit status."""

    def __init__(self, message: str, failure: Failure) -> None:
        super().__init__(message)
        self.failure = failure
        self.status = EXIT[failure]


@record
class Located(Record):
    """Where a report's two files are, from a folder, a ``report.json`` or an envelope."""

    report: Path | None
    envelope: Path | None


def locate(path: Path) -> Located:
    """Find ``report.json`` and ``report.dsse.json`` for ``path`` (a report folder or either file)."""
    if path.is_dir():
        report, envelope = path / REPORT, path / ENVELOPE
        if not report.is_file() and not envelope.is_file():
            raise ReportError(f"{path}: no {REPORT} or {ENVELOPE} in this folder — pass a gate report folder")
        return Located(report if report.is_file() else None, envelope if envelope.is_file() else None)
    if _is_envelope(path):
        sibling = path.with_name(REPORT)
        return Located(sibling if path.name == ENVELOPE and sibling.is_file() else None, path)
    sibling = path.with_name(ENVELOPE)
    return Located(path, sibling if path.name == REPORT and sibling.is_file() else None)


def _is_envelope(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False  # read_document names what is wrong with it
    return isinstance(data, dict) and "payloadType" in data


@record
class Checked(Record):
    """A report and whether it was proven; ``report`` is what the files claim either way ({} when
    nothing readable claims anything)."""

    report: dict[str, Any]
    envelope: dict[str, Any] | None
    located: Located
    failure: Failure | None = None
    message: str = "verified"
    signers: tuple[str, ...] = ()
    untrusted: tuple[str, ...] = ()
    signoffs: tuple[SignOff, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return self.failure is None


def check(
    path: Path,
    trust: TrustPolicy,
    *,
    required: Sequence[str] = (),
    commit: str | None = None,
    gates: Path | None = None,
) -> Checked:
    """Read the report at ``path`` and prove it; :class:`ReportError` when it cannot even be read.

    With ``gates``, the policy digests the report recorded must match the files beside it.
    """
    located = locate(path)
    if located.envelope is None:
        assert located.report is not None
        report, _ = read_document(located.report)
        return Checked(report, None, located, Failure.UNSIGNED,
                       f"{located.report} is unsigned and no {ENVELOPE} is beside it — nothing proves it is "
                       "the gate's own output")
    try:
        report, envelope = read_document(located.envelope)
    except ReportError as exc:
        # Not an envelope this tool can read: nothing is proven; report.json, if any, is only a claim.
        claims = read_document(located.report)[0] if located.report is not None else {}
        return Checked(claims, None, located, Failure.MALFORMED, str(exc))
    assert envelope is not None
    result = verify(envelope, trust, required=required, commit=commit)
    proven = Checked(report, envelope, located, result.failure, result.message, result.signers,
                     result.untrusted, result.signoffs)
    if not result.ok:
        return proven
    if located.report is not None:
        try:
            same = located.report.read_bytes() == canonical.pretty(report).encode("utf-8")
        except OSError as exc:
            raise ReportError(f"{located.report}: cannot read it ({exc.strerror})") from None
        if not same:
            return _failed(proven, Failure.REPORT_MISMATCH,
                           f"{located.report} is not the report signed in {located.envelope} — it was edited "
                           "or comes from another run; the envelope is the source of truth")
    if gates is not None:
        diffs = policy.differences(report.get("policy") or {}, gates, root=Path.cwd())
        if diffs:
            return _failed(proven, Failure.POLICY_MISMATCH, "; ".join(diffs))
    return proven


def _failed(checked: Checked, failure: Failure, message: str) -> Checked:
    return Checked(checked.report, checked.envelope, checked.located, failure, message, checked.signers,
                   checked.untrusted, checked.signoffs)
