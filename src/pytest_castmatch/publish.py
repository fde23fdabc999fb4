"""Write the report folder: the canonical JSON, its signed envelope and every view of it.

A folder is published whole (:mod:`pytest_castmatch.report_folder`): all files are written into
a staging folder, which then replaces the target. When a run cannot write its report, the old
verdict files give way to a NO-GO saying why, so a stale GO never survives a failed run.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_castmatch import canonical
from pytest_castmatch.model import REPORT_SCHEMA
from pytest_castmatch.report import html, markdown, sarif
from pytest_castmatch.report_folder import BUNDLE as BUNDLE
from pytest_castmatch.report_folder import ENVELOPE as ENVELOPE
from pytest_castmatch.report_folder import EVIDENCE, FolderError, ReportFolder, wait_seconds
from pytest_castmatch.report_folder import HTML as HTML
from pytest_castmatch.report_folder import REPORT as REPORT
from pytest_castmatch.report_folder import SARIF as SARIF
from pytest_castmatch.report_folder import SUMMARY as SUMMARY

if TYPE_CHECKING:
    from pytest_castmatch.keys import Signer
    from pytest_castmatch.verification import SignOff


def write_views(
    report: Mapping[str, Any],
    folder: Path,
    *,
    previous: Mapping[str, Any] | None = None,
    history: Sequence[Mapping[str, Any]] = (),
) -> list[Path]:
    """Render ``index.html``, ``summary.md`` and ``findings.sarif`` from ``report`` into ``folder``;
    ``previous`` and ``history`` (earlier reports) add trends to ``index.html``."""
    page = html.render(report, base_dir=folder, previous=previous, history=history)
    written = [canonical.write_text(folder / HTML, page)]
    written.append(canonical.write_text(folder / SUMMARY, markdown.render(report)))
    log = sarif.render(report, version=str(report.get("environment", {}).get("plugin") or ""))
    written.append(canonical.write_text(folder / SARIF, json.dumps(log, indent=2, ensure_ascii=False) + "\n"))
    return written


def write_files(
    report: Mapping[str, Any],
    folder: Path,
    *,
    signer: Signer | None,
    previous: Mapping[str, Any] | None = None,
    history: Sequence[Mapping[str, Any]] = (),
) -> list[Path]:
    """Write the report, its envelope and bundle (when signed) and every view into ``folder``.

    ``report["signed"]`` must say whether ``signer`` is given: a report claiming a signature
    it does not have would let every view lie.
    """
    if bool(report.get("signed")) != (signer is not None):
        raise ValueError("report['signed'] must be True exactly when a signer is given")
    written = [canonical.write(report, folder / REPORT)]
    if signer is not None:
        from pytest_castmatch import attest  # the envelope writer and its verifier: only for a signed report

        envelopes = attest.sign_bundle(report, signer)
        written.append(canonical.write(envelopes[-1], folder / ENVELOPE))
        lines = "".join(canonical.dumps(e).decode("utf-8") + "\n" for e in envelopes)
        written.append(canonical.write_text(folder / BUNDLE, lines))
    else:
        # An envelope left in the folder would vouch for a report it does not carry.
        for name in (ENVELOPE, BUNDLE):
            (folder / name).unlink(missing_ok=True)
    return written + write_views(report, folder, previous=previous, history=history)


def publish(
    report: Mapping[str, Any],
    outdir: Path,
    *,
    signer: Signer | None,
    previous: Mapping[str, Any] | None = None,
    history: Sequence[Mapping[str, Any]] = (),
    folder: ReportFolder | None = None,
) -> list[Path]:
    """Publish ``report`` as the folder ``outdir``, whole; return the paths of the files written.

    With ``folder`` (a run that already holds the folder's lock and wrote evidence into its
    staging folder) the files join that staging folder; otherwise the lock is taken here, with
    the bounded wait of :func:`pytest_castmatch.report_folder.wait_seconds`, and the evidence
    already in ``outdir`` is kept. Raises :class:`FolderError` (one line: the path and the fix)
    when the folder cannot be written.
    """
    own = folder is None
    hold = folder or ReportFolder(outdir)
    try:
        hold.lock(wait_seconds())
        staging = hold.prepare()
        try:
            if own and (hold.target / EVIDENCE).is_dir():
                shutil.copytree(hold.target / EVIDENCE, staging / EVIDENCE, dirs_exist_ok=True)
            written = write_files(report, staging, signer=signer, previous=previous, history=history)
            hold.commit()
        except OSError as exc:
            raise FolderError(f"{hold.target}: cannot write the report ({exc.strerror or exc}) — "
                              "make it writable, or pass --gate-report DIR elsewhere") from None
        finally:
            hold.discard()
    finally:
        if own:
            hold.release()
    return [hold.target / path.name for path in written]


def placeholder(reason: str, *, subject: Mapping[str, Any] | None = None, launch: str = "") -> dict[str, Any]:
    """A NO-GO report that says only why there is no real one (what a failed run leaves behind)."""
    why = f"the report could not be written: {reason}"
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return {
        "schema": REPORT_SCHEMA,
        "generated_at": stamp,
        "duration": 0.0,
        "launch": {"name": launch or "launch gate", "date": None, "config": ""},
        "subject": dict(subject or {"commit": "", "branch": "", "dirty": False}),
        "environment": {},
        "scope": {"full": False, "markexpr": "", "keyword": "", "owners": [], "paths": [], "deselected": 0,
                  "description": "no report"},
        "run": {"complete": False, "interrupted": False, "collection_errors": 0, "problems": [why], "shard": ""},
        "signed": False,
        "signer": {"keyid": "", "launch_key": False},
        "policy": {},
        "owners": {},
        "gates": [],
        "counts": {},
        "matrix": {},
        "metrics": [],
        "launch_metrics": [],
        "waivers": [],
        "manual": [],
        "required_signers": [],
        "verdict": {
            "decision": "NO-GO",
            "label": "NO-GO",
            "launch": False,
            "reasons": [{"kind": "run", "subject": "report", "message": why, "owner": "", "priority": "",
                         "blocking": True}],
        },
    }


def void(folder: ReportFolder, reason: str, **facts: Any) -> bool:
    """Replace the target's verdict with :func:`placeholder` (lock held); False when even that failed.

    Where the NO-GO cannot be written, the old verdict files are removed instead, so no stale
    GO stays behind either way. A target with no verdict in it is left alone.
    """
    if not folder.target.is_dir():
        return True
    document = placeholder(reason, **facts)

    def write(tmp: Path) -> None:
        canonical.write(document, tmp / REPORT)
        write_views(document, tmp)

    try:
        folder.replace(write)
    except (OSError, FolderError):
        folder.remove_verdicts()
        return False
    return True


def with_signoffs(report: Mapping[str, Any], signoffs: Sequence[SignOff]) -> dict[str, Any]:
    """The report as the views show it after owners countersigned: each manual item signed off after
    the run says so (the verdict stays the one the run decided)."""
    rows = []
    for row in report.get("manual", []):
        by = [s for s in signoffs if s.owner == row.get("owner") and row.get("id") in s.items]
        if row.get("status") == "pending" and by:
            who = ", ".join(f"{s.owner} ({s.signer}) at {s.signed_at}" for s in by)
            row = dict(row, status=f"signed off after the run by {who}; the verdict was decided before")
        rows.append(row)
    return dict(report, manual=rows)
