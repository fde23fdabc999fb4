"""Operability: Prometheus series, structured logs with request ids, health probes over a lifecycle.

``/metrics`` is read with prometheus_client's own text parser, so anything a Prometheus server
would reject is rejected here too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

from prometheus_client.parser import text_string_to_metric_families

from pytest_castmatch.deployment import Series as SeriesRule
from pytest_castmatch.model import Finding
from pytest_castmatch.record import Record, record

__all__ = ["SeriesRule"]


def parse_families(text: str) -> dict[str, tuple[str, list[tuple[str, dict[str, str], float]]]]:
    """Exposition text -> {family: (type, [(sample name, labels, value)])}; raises ValueError on bad text."""
    out: dict[str, tuple[str, list[tuple[str, dict[str, str], float]]]] = {}
    for family in text_string_to_metric_families(text):
        out[family.name] = (family.type, [(s.name, dict(s.labels), float(s.value)) for s in family.samples])
    return out


def required_series(text: str, rules: Sequence[SeriesRule], *, page: str = "/metrics") -> list[Finding]:
    """One error per dashboard series that is absent, of the wrong type, or missing a label."""
    try:
        families = parse_families(text)
    except ValueError as exc:
        return [Finding(rule="metrics-unparseable", message=f"/metrics is not valid exposition text: {exc}",
                        page=page)]
    findings = []
    for rule in rules:
        found = families.get(rule.family)
        need = f" ({rule.purpose})" if rule.purpose else ""
        if found is None:
            findings.append(Finding(rule="metric-missing", page=page, selector=rule.family,
                                    message=f"{rule.kind} {rule.family!r} is not exposed{need}"))
            continue
        kind, samples = found
        if kind != rule.kind:
            findings.append(Finding(rule="metric-type", page=page, selector=rule.family,
                                    message=f"{rule.family!r} is a {kind}, dashboards expect a {rule.kind}{need}"))
            continue
        seen = set().union(*(set(labels) for _, labels, _ in samples)) if samples else set()
        if rule.labels and samples and not rule.labels <= seen:
            missing = ", ".join(sorted(rule.labels - seen))
            findings.append(Finding(rule="metric-labels", page=page, selector=rule.family,
                                    message=f"{rule.family!r} lacks the label(s) {missing}{need}"))
        if not samples and kind != "histogram":
            findings.append(Finding(rule="metric-empty", page=page, selector=rule.family,
                                    message=f"{rule.family!r} has no samples yet{need}"))
    return findings


def json_lines(text: str) -> tuple[list[dict[str, object]], list[str]]:
    """Split a log into JSON objects and the lines that are not JSON objects."""
    records, bad = [], []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            bad.append(line)
            continue
        if isinstance(value, dict):
            records.append(value)
        else:
            bad.append(line)
    return records, bad


def flatten(record: Mapping[str, object]) -> dict[str, object]:
    """A record whose ``message`` is itself a JSON object (a logger wrapping JSON) merged into one level."""
    out = dict(record)
    message = out.get("message")
    if isinstance(message, str) and message.startswith("{"):
        try:
            inner = json.loads(message)
        except ValueError:
            return out
        if isinstance(inner, dict):
            out.pop("message")
            out = {**inner, **{k: v for k, v in out.items() if k not in inner}}
    return out


def request_id_findings(log_text: str, responses: Iterable[tuple[str, str | None]],
                        required_fields: Sequence[str] = ("level", "request_id")) -> list[Finding]:
    """Every line is a JSON object, and each response's X-Request-ID appears on a log record of its path.

    ``responses`` are (path, X-Request-ID header or None) for requests the caller made.
    """
    records, bad = json_lines(log_text)
    findings = []
    if bad:
        findings.append(Finding(rule="log-not-json", message=f"{len(bad)} log lines are not JSON objects",
                                context=bad[0][:300]))
    flat = [flatten(r) for r in records]
    ids = {str(r.get("request_id")) for r in flat if r.get("request_id")}
    for path, header in responses:
        if not header:
            findings.append(Finding(rule="no-request-id-header", page=path,
                                    message=f"response to {path} carries no X-Request-ID header"))
        elif header not in ids:
            findings.append(Finding(rule="request-id-not-logged", page=path,
                                    message=f"request id {header} of {path} appears in no log record"))
    access = [r for r in flat if r.get("path") or r.get("event") == "request"]
    for entry in access[:200]:
        absent = [f for f in required_fields if not entry.get(f)]
        if absent:
            findings.append(Finding(rule="log-field-missing", context=json.dumps(entry)[:300],
                                    message=f"request log record lacks {', '.join(absent)}"))
            break
    if not access:
        findings.append(Finding(rule="no-access-log", message="no request log records were written"))
    return findings


@record
class Probe(Record):
    """One poll of a health endpoint: seconds since the process started, endpoint, status (0 = no answer)."""

    t: float
    endpoint: str
    status: int


def lifecycle_findings(probes: Sequence[Probe], sigterm_at: float, ready_at: float | None,
                       unserved: Sequence[float] = ()) -> list[Finding]:
    """Health probes must tell the truth over start-up and shutdown.

    - ``/readyz`` must not answer 200 while the app cannot serve: a real request sent after it said ready
      (``unserved``: when each real request that got no served answer was sent) proves it lied. A request
      merely not sent yet proves nothing: ``ready_at`` (the first served one) is only as early as the poll,
      which on a busy machine can trail readiness by more than a second;
    - after SIGTERM, ``/readyz`` must never answer 200 again (the instance is draining);
    - ``/healthz`` must answer 200 at some point before SIGTERM (liveness while serving).
    """
    findings = []
    said_ready = [p.t for p in probes if p.endpoint == "/readyz" and p.status == 200 and p.t < sigterm_at]
    refuted = [u for u in unserved if said_ready and said_ready[0] <= u]
    if refuted:
        served = f"; the first served one was sent at {ready_at:.2f}s" if ready_at is not None else ""
        findings.append(Finding(rule="readyz-early", page="/readyz",
                                message=f"/readyz said ready at {said_ready[0]:.2f}s, but a real request sent at "
                                        f"{refuted[0]:.2f}s was not served{served}"))
    ready_after = [p for p in probes if p.endpoint == "/readyz" and p.status == 200 and p.t > sigterm_at + 0.05]
    if ready_after:
        findings.append(Finding(rule="readyz-while-draining", page="/readyz",
                                message=f"/readyz answered 200 {ready_after[0].t - sigterm_at:.2f}s after SIGTERM; "
                                        "a draining instance must report not-ready (503)"))
    if not any(p.endpoint == "/healthz" and p.status == 200 and p.t < sigterm_at for p in probes):
        findings.append(Finding(rule="healthz-never-ok", page="/healthz",
                                message="/healthz never answered 200 while the app was serving"))
    if not any(p.endpoint == "/readyz" and p.status == 200 for p in probes):
        findings.append(Finding(rule="readyz-never-ok", page="/readyz",
                                message="/readyz never answered 200 while the app was serving"))
    drained = [p for p in probes if p.endpoint == "/readyz" and p.t > sigterm_at and p.status not in (0, 200)]
    if not drained and not ready_after:
        findings.append(Finding(rule="readyz-no-drain-signal", page="/readyz", severity="warning",
                                message="no /readyz answer was observed between SIGTERM and exit"))
    return findings


def table_diff(before: Mapping[str, Sequence[tuple[object, ...]]],
               after: Mapping[str, Sequence[tuple[object, ...]]]) -> list[Finding]:
    """Rows lost, added or changed per table between the data before backup and after restore."""
    findings = []
    for table in sorted(set(before) | set(after)):
        old, new = set(before.get(table, ())), set(after.get(table, ()))
        if old == new:
            continue
        lost, extra = len(old - new), len(new - old)
        findings.append(Finding(rule="restore-mismatch", selector=table,
                                message=f"table {table}: {lost} row(s) lost and {extra} row(s) not in the original "
                                        f"after backup and restore ({len(old)} before, {len(new)} after)"))
    return findings


def histogram_buckets(text: str, family: str, by: str = "") -> dict[str, dict[float, float]]:
    """A histogram's cumulative bucket counts from exposition text: ``{label value of by: {le: count}}``.

    Series are summed per value of the label ``by`` (all into ``""`` when ``by`` is empty); a family
    that is absent gives an empty dict.
    """
    kind, samples = parse_families(text).get(family, ("", []))
    out: dict[str, dict[float, float]] = {}
    for name, labels, value in samples:
        if kind == "histogram" and name == family + "_bucket" and "le" in labels:
            buckets = out.setdefault(labels.get(by, "") if by else "", {})
            le = float(labels["le"])
            buckets[le] = buckets.get(le, 0.0) + value
    return out


def bucket_delta(before: Mapping[float, float], after: Mapping[float, float]) -> dict[float, float]:
    """What a cumulative histogram counted between two readings (a series absent before counted from zero)."""
    return {le: count - before.get(le, 0.0) for le, count in after.items()}


def histogram_quantile(buckets: Mapping[float, float], q: float) -> float | None:
    """Prometheus' ``histogram_quantile``: linear interpolation inside the bucket the rank falls in.

    ``buckets`` maps upper bounds (``le``, ``inf`` included) to cumulative counts. A rank in the
    ``+Inf`` bucket gives the highest finite bound (the histogram cannot say more); None when empty.
    """
    bounds = sorted(buckets)
    total = buckets[bounds[-1]] if bounds else 0.0
    if total <= 0:
        return None
    rank = q * total
    lower, below = 0.0, 0.0
    for le in bounds:
        count = buckets[le]
        if count >= rank:
            if le == float("inf"):
                return lower
            if count == below:
                return le
            return lower + (le - lower) * (rank - below) / (count - below)
        lower, below = le, count
    return lower
