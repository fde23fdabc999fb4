"""Lighthouse >= 95 in every category on every key page (launch metric lighthouse_score)."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from pytest_castmatch import Gate
from pytest_castmatch.runners import lighthouse

THRESHOLD = 95.0


@pytest.mark.p0
@pytest.mark.owner("frontend-ui")
@pytest.mark.needs("pages")
def test_lighthouse_scores(gate: Gate, key_page: str, lighthouse_batch: Any) -> None:
    """Median Lighthouse category scores of the page; the lowest is the launch metric."""
    gate.engine("lighthouse", lighthouse_batch.engine.version)
    if key_page in lighthouse_batch.missing:
        gate.check(lighthouse_batch.missing[key_page])  # the page did not answer: nothing to audit
        return
    result: lighthouse.Result = lighthouse_batch.results[key_page]
    job = result.job
    gate.check(lighthouse.findings(result, THRESHOLD))
    scores = result.scores()
    labels = {"page": key_page, "form_factor": job.form_factor}
    runs = {c: sum(1 for r in result.runs if c in r.scores) for c in scores}
    for category, score in scores.items():
        gate.metric("lighthouse_category_score", score, labels={**labels, "category": category},
                    samples=runs[category])
    if scores:
        lowest = min(scores, key=lambda c: scores[c])
        gate.metric("lighthouse_score", scores[lowest], labels={**labels, "category": lowest},
                    samples=runs[lowest])
    rep = result.representative()
    for src in (rep.json_path, rep.html_path) if rep else ():
        if src.is_file():
            gate.attach(shutil.copyfile(src, gate.evidence_dir / src.name))
    timing = gate.evidence_dir / "lighthouse-batch-timing.txt"
    timing.write_text(f"batch of {len(lighthouse_batch.results)} pages: {lighthouse_batch.seconds:.1f} s\n"
                      + "".join(f"{at:8.2f} s  {event}\n" for at, event in lighthouse_batch.log))
    gate.attach(timing)
