"""``index.html``: one self-contained page a release manager reads first, on a laptop or a phone.

Rendered with Jinja2 autoescaping from the report JSON (see :mod:`pytest_castmatch.report.links` for
evidence and :mod:`pytest_castmatch.report.charts` for the inline SVG charts). No external request.
One small inline script, allowed by its hash in the page's Content-Security-Policy, filters the table
of gates; without it the table is a plain table and nothing else depends on it.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from pytest_castmatch import diff, history
from pytest_castmatch.model import Priority
from pytest_castmatch.report import (
    STATUS_TEXT,
    UNSIGNED_NOTICE,
    advisories,
    blockers,
    charts,
    deployment_line,
    deployment_of,
    format_samples,
    format_value,
    not_applicable,
    owner_title,
    severity_class,
    threshold_bounds,
    wcag,
)
from pytest_castmatch.report.links import Linker, describe

#: Screenshots shown inline per gate that did not pass; the rest are linked beside their findings.
PICTURES_PER_GATE = 4
#: Lines of a blocker's message shown before the rest unfolds.
REASON_LINES = 6

#: Launch-metric statuses that block the launch when their metric is a launch metric.
_BAD_STATUS = frozenset({"missed", "not-measured"})
_STATE_ORDER = ("blocking", "advisory", "waived", "other", "passed")
STATE_TITLES = {
    "blocking": "Blocking gates",
    "advisory": "Advisory gates (P2: reported, not blocking)",
    "waived": "Waived gates",
    "other": "Other outcomes",
    "passed": "Passed gates (folded)",
}


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("pytest_castmatch.report", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=True, default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Compiling the template costs more than rendering it; the compiled form is kept per user in
        # the temp folder (keyed by the template's source, so an edited template is compiled afresh).
        bytecode_cache=jinja2.FileSystemBytecodeCache(),
    )


@cache
def _script() -> str:
    loader = _environment().loader
    assert loader is not None
    return loader.get_source(_environment(), "filters.js")[0]


def script_hash() -> str:
    """The CSP source that allows the page's one inline script (and nothing else)."""
    return "sha256-" + base64.b64encode(hashlib.sha256(_script().encode("utf-8")).digest()).decode("ascii")


def _duration(seconds: float) -> str:
    return f"{seconds:,.1f} s" if seconds >= 0.1 else f"{seconds * 1000:.0f} ms"


def _gate_states(report: Mapping[str, Any]) -> dict[str, str]:
    """Each gate's standing in the verdict: passed, blocking, advisory, waived or other."""
    states = {g["id"]: ("passed" if g["outcome"] == "passed" else "other") for g in report["gates"]}
    for reason in report["verdict"]["reasons"]:
        subject = reason["subject"]
        if subject in states and states[subject] != "passed":
            kind = "blocking" if reason["blocking"] else ("waived" if reason["kind"] == "waived" else "advisory")
            if states[subject] != "blocking":
                states[subject] = kind
    return states


def _count_text(findings: Sequence[Mapping[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for f in findings:
        cls = severity_class(f.get("severity", "error"))
        counts[cls] = counts.get(cls, 0) + 1
    words = {"violation": "violation", "review": "needs review", "warning": "warning", "note": "note"}
    parts = []
    for cls in ("violation", "review", "warning", "note"):
        n = counts.get(cls, 0)
        if n:
            plural = "s" if n != 1 and cls != "review" else ""
            parts.append(f"{n} {words[cls]}{plural}")
    return ", ".join(parts)


def _finding(f: Mapping[str, Any], link: Linker, inline: set[str]) -> dict[str, Any]:
    crit = wcag.criterion(f.get("criterion"))
    alt = f"Screenshot for {f['rule']}: {str(f['message'])[:120]}"
    return dict(f) | {
        "cls": severity_class(f.get("severity", "error")),
        "help": f.get("help_uri") or (crit.url if crit else None),
        "crit_title": f"{crit.number} {crit.title} ({crit.level})" if crit else f.get("criterion"),
        "files": [link.entry(e, alt, inline=e in inline) for e in f.get("evidence", ())],
    }


def _pictures(gate: Mapping[str, Any]) -> set[str]:
    """The screenshots of a gate that did not pass worth showing inline: the page it failed on first."""
    failing = [e for f in gate["findings"] if f["rule"] == "failure-evidence" for e in f.get("evidence", ())]
    others = [e for f in gate["findings"] for e in f.get("evidence", ())] + list(gate.get("evidence", ()))
    shots = [e for e in dict.fromkeys(failing + others) if describe(e.rsplit("/", 1)[-1])["kind"] == "screenshot"]
    return set(shots[:PICTURES_PER_GATE])


def _metric_rows(report: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each gate's judged metrics: value, threshold, status and sample count, as the verdict saw them."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in report.get("metrics", ()):
        labels = ", ".join(f"{k}={v}" for k, v in sorted(row.get("labels", {}).items()))
        value = row.get("value")
        out.setdefault(str(row.get("gate", "")), []).append({
            "metric": row["metric"], "labels": labels, "threshold": row.get("threshold", ""),
            "value": format_value(None if value is None else float(value), str(row.get("unit") or "")),
            "status": str(row.get("status", "")), "n": format_samples(row),
            "not_measured": str(row.get("not_measured") or ""),
        })
    return out


def _gates(report: Mapping[str, Any], link: Linker) -> list[dict[str, Any]]:
    states = _gate_states(report)
    deployment = deployment_of(report)
    metrics = _metric_rows(report)
    rows = []
    # Blocking gates first, so the inline budget goes to what stops the launch; shown in report order.
    ordered = sorted(enumerate(report["gates"]), key=lambda item: _STATE_ORDER.index(states[item[1]["id"]]))
    for index, g in ordered:
        state = states[g["id"]]
        inline = _pictures(g) if state != "passed" else set()
        findings = [_finding(f, link, inline) for f in g["findings"]]
        shown = {e for f in g["findings"] for e in f.get("evidence", ())}
        files = [link.entry(e, f"Evidence for {g['id']}", inline=e in inline) for e in g.get("evidence", ())
                 if e not in shown]
        rows.append(dict(g) | {
            "anchor": f"gate-{index}",
            "file": g["id"].partition("::")[0] if "::" in g["id"] else "",
            "test": g["id"].partition("::")[2] or g["id"],
            "state": state,
            "owner_title": owner_title(report, g["owner"]),
            "time": _duration(float(g.get("duration") or 0.0)),
            "deployment": str(g.get("deployment") or deployment),
            "findings": findings,
            "files": files,
            "measured": metrics.get(g["id"], []),
            "counts": _count_text(g["findings"]),
            "evidence_count": len(g.get("evidence", ())),
            "detail": bool(state != "passed" or findings or files or metrics.get(g["id"])),
            "index": index,
        })
    return sorted(rows, key=lambda row: int(row["index"]))


def _text(value: str) -> str:
    """``value`` escaped for HTML text and attribute values: the bytes markupsafe's ``escape`` (the
    template's autoescape) writes, without a Markup object per call."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;").replace(
        '"', "&#34;")


def _gate_rows(gates: Sequence[Mapping[str, Any]]) -> Markup:
    """The every-gate table's rows: written here rather than in the template, as this is the part
    of the page that grows with the gate count. Most cells repeat from gate to gate (outcome, owner,
    priority, time): each distinct set is written once."""
    rows = []
    opening: dict[tuple[str, str, str], str] = {}
    closing: dict[tuple[str, ...], str] = {}
    for g in gates:
        test = f"<code>{_text(g['test'])}</code>"
        if g["detail"]:
            test = f'<a href="#{_text(g["anchor"])}">{test}</a>'
        key = (str(g["outcome"]), str(g["owner"]), str(g["priority"]))
        tr = opening.get(key)
        if tr is None:
            tr = opening[key] = (f'<tr data-outcome="{_text(key[0].lower())}" data-owner="{_text(key[1].lower())}" '
                                 f'data-priority="{_text(key[2].lower())}">\n')
        n = int(g["evidence_count"])
        rest = (str(g["state"]), key[0], key[2], str(g["owner_title"]), str(g["time"]), str(g["counts"] or "—"),
                str(n), str(g["deployment"] or "—"))
        cells = closing.get(rest)
        if cells is None:
            evidence = f'<br><span class="quiet">{n} evidence file{"" if n == 1 else "s"}</span>' if n else ""
            cells = closing[rest] = (
                f'<td><span class="badge {_text(rest[0])}">{_text(rest[1])}</span></td>'
                f'<td>{_text(rest[2].upper())}</td><td>{_text(rest[3])}</td>\n'
                f'<td class="num">{_text(rest[4])}</td><td>{_text(rest[5])}{evidence}</td>\n'
                f'<td class="wrap">{_text(rest[7])}</td></tr>\n')
        rows.append(f'{tr}<td class="gate-cell">{test}<br><span class="quiet"><code>{_text(g["file"])}</code></span>'
                    f'</td>\n{cells}')
    return Markup("".join(rows).removesuffix("\n"))


def _reasons(reasons: Sequence[Mapping[str, Any]], gates: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Reasons with their gate's full message when the reason shows only its first line."""
    out = []
    for r in reasons:
        gate = gates.get(r["subject"])
        full = str(gate.get("message") or "").strip() if gate else ""
        message = str(r["message"])
        if full in message:
            full = ""
        first = full.splitlines()[0].strip() if full else ""
        # The verdict quotes the message's first line after its own words ("failed: ..."): when the
        # whole message follows, say those words once.
        headline = message[: -len(first)].rstrip() if first and message.endswith(first) else message
        lines = full.splitlines()
        out.append(dict(r) | {
            "anchor": gate["anchor"] if gate else None, "headline": headline,
            # A long message shows its first lines; the rest unfolds, every line still on the page.
            "full": "\n".join(lines[:REASON_LINES]) if len(lines) > REASON_LINES + 2 else full,
            "more": "\n".join(lines[REASON_LINES:]) if len(lines) > REASON_LINES + 2 else "",
        })
    return out


def _launch(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Launch metrics for the table and the bars: those that block first, in the report's order."""
    blocking = {str(r["subject"]).removeprefix("metric:") for r in blockers(report)}
    rows = []
    for m in report["launch_metrics"]:
        low, high = threshold_bounds(str(m["threshold"]))
        value = None if m["value"] is None else float(m["value"])
        rows.append(dict(m) | {
            "blocks": m["metric"] in blocking,
            "bad": m["status"] in _BAD_STATUS,
            "status_text": STATUS_TEXT.get(m["status"], m["status"]),
            "shown": format_value(value, m["unit"]),
            "n": format_samples(m),
            "bar": charts.bullet(value, low, high, str(m["unit"])),
        })
    return sorted(rows, key=lambda row: (not row["blocks"], not row["bad"]))


def _series(report: Mapping[str, Any], anchors: Mapping[str, str]) -> list[dict[str, Any]]:
    """A line chart for every sample with a series, of the quantity and in the unit it says it has."""
    out = []
    for gate in report["gates"]:
        for sample in gate["metrics"]:
            points = sample.get("series") or []
            if len(points) < 2:
                continue
            axes = sample.get("series_axes") or {}
            unit = str(axes.get("unit") or sample.get("unit") or "")
            quantity = str(axes.get("quantity") or sample["metric"])
            own_unit = not axes.get("unit") or axes.get("unit") == sample.get("unit")
            bounds = [b for b in threshold_bounds(str(_threshold(report, sample))) if b is not None] if own_unit else []
            chart = charts.line([(float(x), float(y)) for x, y in points], unit=unit, x_unit=str(axes.get("x", "s")),
                                bounds=bounds)
            labels = ", ".join(f"{k}={v}" for k, v in sorted(sample.get("labels", {}).items()))
            out.append(chart | {
                "title": f"{quantity} ({unit})" if unit else quantity,
                "metric": sample["metric"],
                "value": format_value(None if sample.get("value") is None else float(sample["value"]),
                                      str(sample.get("unit") or "")),
                "n": format_samples(sample),
                "not_measured": str(sample.get("not_measured") or ""),
                "threshold": _threshold(report, sample),
                "labels": labels,
                "gate": gate["id"],
                "anchor": anchors.get(gate["id"]),
            })
    launch = [m["metric"] for m in report["launch_metrics"]]
    return sorted(out, key=lambda c: launch.index(c["metric"]) if c["metric"] in launch else len(launch))


def _threshold(report: Mapping[str, Any], sample: Mapping[str, Any]) -> str:
    for row in report.get("metrics", ()):
        if row["metric"] == sample["metric"] and row.get("threshold"):
            return str(row["threshold"])
    return ""


def _history(report: Mapping[str, Any], earlier: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    if not earlier:
        return None
    past = history.build(earlier, report)
    if len(past.runs) < 2:
        return None
    labels = [f"{run.generated_at[:10]} {run.commit[:7] or '—'}".strip() for run in past.runs]
    rows = []
    for m in past.metrics:
        bounds = [b for b in threshold_bounds(m.threshold) if b is not None]
        points = [(float(i), p.value) for i, p in enumerate(m.points)]
        rows.append(charts.line(points, unit=m.unit, x_unit="run", bounds=bounds, x_labels=labels) | {
            "title": m.title, "threshold": m.threshold, "unit": m.unit,
            "shown_values": [format_value(p.value, m.unit) for p in m.points],
        })
    return {"runs": past.runs, "labels": labels, "metrics": rows}


def render(
    report: Mapping[str, Any],
    *,
    base_dir: Path | None = None,
    previous: Mapping[str, Any] | None = None,
    history: Sequence[Mapping[str, Any]] = (),
) -> str:
    """The HTML page for ``report``; evidence is read from ``base_dir`` (the report folder).

    ``previous`` adds what changed since that report; ``history`` (earlier reports) draws each
    launch metric over those runs.
    """
    verdict = report["verdict"]
    verdict_class = "nogo" if verdict["decision"] != "GO" else ("launch" if verdict["launch"] else "scoped")
    owners_in_matrix = sorted(
        {o for cells in report["matrix"].values() for o in cells},
        key=lambda o: owner_title(report, o).lower(),
    )
    env = report.get("environment", {})
    env_rows = [(k, v) for k, v in sorted(env.items()) if k != "engines" and v]
    env_rows += [(f"engine: {k}", v) for k, v in sorted(env.get("engines", {}).items())]
    gates = _gates(report, Linker(base_dir))
    by_id = {g["id"]: g for g in gates}
    groups = [(STATE_TITLES[s], [g for g in gates if g["state"] == s and g["detail"]]) for s in _STATE_ORDER]
    lighthouse: dict[str, list[dict[str, Any]]] = {}
    for g in gates:
        for entry in g["files"]:
            if entry["kind"] == "lighthouse" and entry["href"]:
                lighthouse.setdefault(entry["page"], []).append(entry | {"anchor": g["anchor"]})
    listed = {e["name"] for g in gates for e in g["files"]} | {
        e["name"] for g in gates for f in g["findings"] for e in f["files"]}
    template = _environment().get_template("index.html")
    return template.render(
        r=report,
        v=verdict,
        verdict_class=verdict_class,
        commit=report.get("subject", {}).get("commit") or "",
        blockers=_reasons(blockers(report), by_id),
        advisories=_reasons(advisories(report), by_id),
        not_applicable=_reasons(not_applicable(report), by_id),
        deployment=deployment_line(report),
        unsigned_notice=UNSIGNED_NOTICE,
        launch=_launch(report),
        lighthouse=sorted(lighthouse.items()),
        series=_series(report, {g["id"]: g["anchor"] for g in gates if g["detail"]}),
        history=_history(report, history),
        priorities=[p.value for p in Priority],
        matrix_owners=owners_in_matrix,
        gates=gates,
        gate_rows=_gate_rows(gates),
        groups=[(title, items) for title, items in groups if items],
        flaky=[g for g in gates if g["outcome"] == "flaky"],
        outcomes=sorted({g["outcome"] for g in gates}),
        owners=sorted({(g["owner"], g["owner_title"]) for g in gates}, key=lambda o: o[1].lower()),
        gate_priorities=sorted({g["priority"] for g in gates}),
        trend=diff.compare(previous, report) if previous is not None else None,
        noise=format_value(diff.NOISE * 100),
        env_rows=env_rows,
        owner=lambda o: owner_title(report, o),
        fmt=format_value,
        status=lambda s: STATUS_TEXT.get(s, s),
        script=Markup(_script()),  # our own static file, allowed by its hash in the CSP
        script_hash=script_hash(),
        other_files=_other_files(base_dir, listed),
    )


def _other_files(base_dir: Path | None, listed: set[str]) -> list[dict[str, Any]]:
    """Files in the report's evidence folder that no gate lists (the reference app's log)."""
    if base_dir is None or not (folder := base_dir / "evidence").is_dir():
        return []
    link = Linker(None)
    names = sorted(p.relative_to(base_dir).as_posix() for p in folder.iterdir() if p.is_file())
    return [link.entry(name, name) for name in names if name not in listed]
