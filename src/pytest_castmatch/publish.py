"""Write the report folder: the canonical JSON, its signed envelope and every view of it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_castmatch import attest, canonical
from pytest_castmatch.report import html, markdown, sarif

REPORT = "report.json"
ENVELOPE = "report.dsse.json"
BUNDLE = "report.intoto.jsonl"
HTML = "index.html"
SUMMARY = "summary.md"
SARIF = "findings.sarif"


def publish(
    report: Mapping[str, Any],
    outdir: Path,
    *,
    signer: attest.Signer | None,
    previous: Mapping[str, Any] | None = None,
    history: Sequence[Mapping[str, Any]] = (),
) -> list[Path]:
    """Write ``report.json``, ``report.dsse.json`` and ``report.intoto.jsonl`` (when signed),
    ``index.html``, ``summary.md`` and ``findings.sarif`` into ``outdir``; return their paths.
    ``previous`` and ``history`` (earlier reports) add trends to ``index.html``.

    ``report["signed"]`` must say whether ``signer`` is given: a report claiming a signature
    it does not have would let every view lie.
    """
    if bool(report.get("signed")) != (signer is not None):
        raise ValueError("report['signed'] must be True exactly when a signer is given")
    outdir.mkdir(parents=True, exist_ok=True)
    written = [canonical.write(report, outdir / REPORT)]
    stale = [outdir / ENVELOPE, outdir / BUNDLE]
    if signer is not None:
        envelopes = attest.sign_bundle(report, signer)
        written.append(canonical.write(envelopes[-1], outdir / ENVELOPE))
        lines = "".join(canonical.dumps(e).decode("utf-8") + "\n" for e in envelopes)
        written.append(canonical.write_text(outdir / BUNDLE, lines))
    else:
        # An envelope left over from an earlier signed run would vouch for a report it does not carry.
        for path in stale:
            path.unlink(missing_ok=True)
    page = html.render(report, base_dir=outdir, previous=previous, history=history)
    written.append(canonical.write_text(outdir / HTML, page))
    written.append(canonical.write_text(outdir / SUMMARY, markdown.render(report)))
    log = sarif.render(report, version=str(report.get("environment", {}).get("plugin") or ""))
    written.append(canonical.write_text(outdir / SARIF, json.dumps(log, indent=2, ensure_ascii=False) + "\n"))
    return written
