"""What a gate test holds as ``gate``: the one way findings, metrics and evidence reach the report.

No pytest import: the plugin decides when the recorded problems fail the test.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_castmatch.config import GateConfig
from pytest_castmatch.model import Finding, Sample, Series, non_negative_unit
from pytest_castmatch.verdict import unmeasured


def evidence_slug(nodeid: str) -> str:
    """A file-system-safe folder name for one gate's evidence, stable across runs."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_")[:150]


class Gate:
    """Records what one gate test found and measured.

    ``check`` and ``metric`` never stop the test: every problem of a run is recorded,
    and the plugin fails the test once its body has finished if any of them count.
    """

    def __init__(self, nodeid: str, config: GateConfig | None, report_dir: Path) -> None:
        self.nodeid = nodeid
        self._config = config
        self._report_dir = report_dir
        self.findings: list[Finding] = []
        self.samples: list[Sample] = []
        self.evidence: list[str] = []
        self.engines: dict[str, str] = {}
        self._shipped = (0, 0, 0)
        self._judged = (0, 0)

    @property
    def evidence_dir(self) -> Path:
        """A folder under the report directory for this gate's screenshots, traces and logs."""
        path = self._report_dir / "evidence" / evidence_slug(self.nodeid)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def check(self, findings: Iterable[Finding] | Finding) -> list[Finding]:
        """Record findings; any of severity critical or high (aliases: blocker, error, serious) fails this gate."""
        found = [findings] if isinstance(findings, Finding) else list(findings)
        for finding in found:
            if not isinstance(finding, Finding):
                raise TypeError(f"{self.nodeid}: gate.check() takes Finding objects, got {type(finding).__name__}")
        self.findings.extend(found)
        return found

    def metric(
        self,
        name: str,
        value: float,
        *,
        unit: str | None = None,
        labels: Mapping[str, str] | None = None,
        series: Sequence[tuple[float, float]] | Series = (),
        samples: int = 1,
        successes: int | None = None,
        not_measured: str = "",
    ) -> Sample:
        """Record a measurement; it is judged against ``[metrics.NAME]`` in gates.toml.

        ``series`` shows the measurement over the run in the report: plain ``(seconds, value)``
        points of the metric itself, or a :class:`~pytest_castmatch.model.Series` that says what
        its points are (failed requests per window, frame times, the n-th inference).
        ``samples`` is how many observations ``value`` stands on (requests, loads, runs); for a
        figure computed over successful answers only, ``successes`` says how many of them succeeded.
        ``not_measured`` says why ``value`` is no valid measurement (a window that failed too often,
        pages that could not be visited): the value is then dropped and the metric recorded as not
        measured. A metric not measured, or with fewer valid observations than its ``min_samples``,
        fails the gate and is never "met".
        """
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"gate.metric({name!r}, ...): value must be a finite number, got {value!r}")
        spec = self._config.metrics.get(name) if self._config else None
        unit_name = unit if unit is not None else (spec.unit if spec else None)
        if value < 0 and (non_negative_unit(unit_name) or (spec is not None and non_negative_unit(spec.unit))):
            raise ValueError(f"{self.nodeid}: gate.metric({name!r}, {value!r}): a measurement in {unit_name} "
                             "cannot be negative — the measurement is broken; fix how the gate measures it")
        points = series.points if isinstance(series, Series) else series
        sample = Sample(
            metric=name,
            value=None if not_measured else float(value),
            labels=tuple(sorted((str(k), str(v)) for k, v in (labels or {}).items())),
            unit=unit_name,
            series=tuple((float(t), float(v)) for t, v in points),
            series_axes=tuple(sorted(series.axes().items())) if isinstance(series, Series) else (),
            samples=samples,
            successes=successes,
            not_measured=not_measured,
        )
        self.samples.append(sample)
        return sample

    def attach(self, path: Path) -> str:
        """Attach a file (screenshot, trace, log) as evidence; stored relative to the report dir."""
        path = Path(path).resolve()
        try:
            rel = path.relative_to(self._report_dir.resolve()).as_posix()
        except ValueError:
            rel = str(path)
        self.evidence.append(rel)
        return rel

    def engine(self, name: str, version: str) -> None:
        """Name an engine version (chromium, axe, lighthouse) for the report's environment."""
        self.engines[name] = version

    def problems(self) -> list[str]:
        """Why this gate must fail, one line each: failing findings, missed or undeclared metrics."""
        return self._problems(self.findings, self.samples)

    def new_problems(self) -> list[str]:
        """The problems recorded since the last call: each phase of a test answers for its own."""
        f0, s0 = self._judged
        self._judged = (len(self.findings), len(self.samples))
        return self._problems(self.findings[f0:], self.samples[s0:])

    def _problems(self, findings: Sequence[Finding], samples: Sequence[Sample]) -> list[str]:
        out = [
            f"[{f.rule}] {f.message}" + (f" ({f.page} {f.selector})" if f.page or f.selector else "")
            for f in findings
            if f.severity.fails
        ]
        for s in samples:
            spec = self._config.metrics.get(s.metric) if self._config else None
            where = f" [{s.label_text}]" if s.labels else ""
            if spec is None:
                out.append(f"metric {s.metric!r} is not declared in gates.toml — add [metrics.{s.metric}]")
            elif why := unmeasured(spec, s):
                out.append(f"{s.metric}{where} was not measured: {why}")
            elif s.value is not None and spec.violates(s.value):
                out.append(f"{s.metric}{where} = {s.value:g} {spec.unit}, needs {spec.threshold_text()}")
        return out

    def drain(self) -> dict[str, Any]:
        """JSON-safe data recorded since the last drain (to ride on one phase's report)."""
        f0, s0, e0 = self._shipped
        data: dict[str, Any] = {
            "findings": [f.to_json() for f in self.findings[f0:]],
            "metrics": [s.to_json() for s in self.samples[s0:]],
            "evidence": self.evidence[e0:],
            "engines": dict(self.engines),
        }
        self._shipped = (len(self.findings), len(self.samples), len(self.evidence))
        return data
