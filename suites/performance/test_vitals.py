"""Core Web Vitals of every key page on a phone and on a desktop, measured with Google's web-vitals.

LCP, CLS, INP (from a real click and key press), FCP and TTFB come from the web-vitals library,
TBT from long tasks; each is a metric judged against its "good" threshold in gates.toml.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_castmatch import Gate
from pytest_castmatch.checks import vitals


@pytest.mark.p0
@pytest.mark.owner("frontend-ui")
@pytest.mark.needs("pages")
def test_core_web_vitals(gate: Gate, probes: Any, key_page: str, form_factor: str) -> None:
    """LCP, CLS, INP, FCP, TTFB and TBT within the "good" thresholds."""
    probe = probes.get(key_page, form_factor)
    label = f"{key_page} ({form_factor})"
    gate.check(probe.vitals.findings(label))
    for name, (value, unit) in sorted(probe.vitals.metrics().items()):
        gate.metric(name, value, unit=unit, labels={"page": key_page, "form_factor": form_factor},
                    samples=probe.vitals.loads)
    out = gate.evidence_dir / f"vitals-{key_page}-{form_factor}.json"
    out.write_text(vitals.to_json(probe.vitals))
    gate.attach(out)
