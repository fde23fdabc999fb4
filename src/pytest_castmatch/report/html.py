"""``index.html``: one self-contained page a release manager reads first, on a laptop or a phone.

Written from the report JSON by plain string building, one function per section of the page (see
:mod:`pytest_castmatch.report.links` for evidence and :mod:`pytest_castmatch.report.charts` for the
inline SVG charts). Every value from the report, and every text made from one, is escaped by
:func:`_esc` (the bytes markupsafe's ``escape`` writes); only the page's own markup, style sheet and
script are written as they are. No external request. One small inline script, allowed by its hash in
the page's Content-Security-Policy, filters the table of gates; without it the table is a plain
table and nothing else depends on it. The style sheet and the script are static files in
``templates/`` beside this module.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from pytest_castmatch import diff

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
#: Matrix cell counts with words of their own; any other count is listed after them by its key.
_MATRIX_NAMED = ("passed", "blocking", "advisory", "waived", "not_applicable")

#: An owner id to its display title, for the report being written.
Owner = Callable[[str], str]


def _static(name: str) -> str:
    """A static file of the page (``templates/``), exactly as stored: its bytes are hashed for the CSP."""
    return (resources.files("pytest_castmatch.report") / "templates" / name).read_bytes().decode("utf-8")


@cache
def _script() -> str:
    return _static("filters.js")


@cache
def _style() -> str:
    return _static("style.css")


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
    if not findings:
        return ""
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
    owners = {o: owner_title(report, o) for o in {g["owner"] for g in report["gates"]}}

    def row(index: int, g: Mapping[str, Any], state: str, findings: list[dict[str, Any]],
            files: list[dict[str, Any]]) -> dict[str, Any]:
        gate_id = g["id"]
        file, sep, test = gate_id.partition("::")
        measured = metrics.get(gate_id)
        return {
            **g,
            "anchor": f"gate-{index}",
            "file": file if sep else "",
            "test": test or gate_id,
            "state": state,
            "owner_title": owners[g["owner"]],
            "time": _duration(float(g.get("duration") or 0.0)),
            "deployment": str(g.get("deployment") or deployment),
            "findings": findings,
            "files": files,
            "measured": measured or [],
            "counts": _count_text(g["findings"]) if g["findings"] else "",
            "evidence_count": len(g.get("evidence", ())),
            "detail": bool(state != "passed" or findings or files or measured),
            "index": index,
        }

    rows: list[dict[str, Any]] = []
    linked: list[tuple[int, int, Mapping[str, Any], str]] = []
    for index, g in enumerate(report["gates"]):
        state = states[g["id"]]
        if g["findings"] or g.get("evidence"):
            linked.append((_STATE_ORDER.index(state), index, g, state))
        rows.append(row(index, g, state, [], []))  # most gates have neither findings nor evidence: done
    # Blocking gates first, so the inline budget goes to what stops the launch; shown in report order.
    for _, index, g, state in sorted(linked, key=lambda item: item[:2]):
        inline = _pictures(g) if state != "passed" else set()
        findings = [_finding(f, link, inline) for f in g["findings"]]
        shown = {e for f in g["findings"] for e in f.get("evidence", ())}
        files = [link.entry(e, f"Evidence for {g['id']}", inline=e in inline) for e in g.get("evidence", ())
                 if e not in shown]
        rows[index] = row(index, g, state, findings, files)
    return rows


def _text(value: str) -> str:
    """``value`` escaped for HTML text and attribute values: the bytes markupsafe's ``escape`` writes,
    without a Markup object per call."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;").replace(
        '"', "&#34;")


def _esc(value: object) -> str:
    """Any value as the page shows it: its ``str()`` (``None`` reads "None"), escaped by :func:`_text`."""
    return _text(str(value))


def _upper(value: object) -> str:
    """``value`` in capitals, escaped (a ``str`` subclass such as a ``StrEnum`` by its text, not its name)."""
    return _text((value if isinstance(value, str) else str(value)).upper())


def _lower(value: object) -> str:
    """``value`` in small letters, escaped (as :func:`_upper`)."""
    return _text((value if isinstance(value, str) else str(value)).lower())


def _gate_rows(gates: Sequence[Mapping[str, Any]]) -> str:
    """The every-gate table's rows, the part of the page that grows with the gate count. Most cells
    repeat from gate to gate (outcome, owner, priority, time): each distinct set is written once."""
    rows = []
    opening: dict[tuple[str, str, str], str] = {}
    closing: dict[tuple[str, ...], str] = {}
    files: dict[str, str] = {}
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
                f'<td class="wrap">{_text(rest[7])}</td></tr>')
        file = files.get(g["file"])
        if file is None:
            file = files[g["file"]] = _text(g["file"])
        rows.append(f'{tr}<td class="gate-cell">{test}<br><span class="quiet"><code>{file}</code></span>'
                    f'</td>\n{cells}')
    return "\n".join(rows)


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
    from pytest_castmatch import history  # earlier reports are read only in a run given them

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

    def owner(o: str) -> str:
        return owner_title(report, o)

    gates = _gates(report, Linker(base_dir))
    by_id = {g["id"]: g for g in gates}
    blocking = _reasons(blockers(report), by_id)
    flaky = [g for g in gates if g["outcome"] == "flaky"]
    series = _series(report, {g["id"]: g["anchor"] for g in gates if g["detail"]})
    past = _history(report, history)
    trend = None
    if previous is not None:
        from pytest_castmatch import diff  # the trend is drawn only in a run given a previous report

        trend = diff.compare(previous, report)
    listed = {e["name"] for g in gates for e in g["files"]} | {
        e["name"] for g in gates for f in g["findings"] for e in f["files"]}
    ruled_out = _reasons(not_applicable(report), by_id)
    opening = "".join((
        _head(report),
        _verdict(report, len(blocking), len(gates)),
        _contents(len(blocking), len(ruled_out), len(gates), len(flaky), bool(series), bool(past), bool(trend)),
    ))
    # A blank line parts the sections; a section left out leaves its blank line behind.
    return "\n".join((
        opening,
        _launch_section(report, _launch(report), _lighthouse(gates), owner),
        _blockers_section(report, blocking, _reasons(advisories(report), by_id), ruled_out, owner),
        _gates_section(gates),
        _details_section(gates),
        _flaky_section(flaky),
        _series_section(series),
        _history_section(past),
        _trend_section(trend, owner),
        _manual_section(report, owner),
        _waivers_section(report, owner),
        _run_section(report, _other_files(base_dir, listed)),
    ))


def _lighthouse(gates: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Linked Lighthouse reports by page, in page order."""
    found: dict[str, list[dict[str, Any]]] = {}
    for g in gates:
        for entry in g["files"]:
            if entry["kind"] == "lighthouse" and entry["href"]:
                found.setdefault(entry["page"], []).append(entry | {"anchor": g["anchor"]})
    return sorted(found.items())


def _head(report: Mapping[str, Any]) -> str:
    """From the doctype to the page's header line: title, CSP (the script's hash), style sheet."""
    launch = report["launch"]
    deployment = deployment_line(report)
    return (
        "<!doctype html>\n"
        '<html lang="en">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data: 'self'; "
        f"style-src 'unsafe-inline'; script-src '{_esc(script_hash())}'; base-uri 'none'; form-action 'none'\">\n"
        f"<title>{_esc(report['verdict']['label'])} — {_esc(launch['name'])} — gate report</title>\n"
        f"<style>\n{_style()}</style>\n"
        "</head>\n"
        "<body>\n"
        '<a class="skip" href="#main">Skip to the report</a>\n'
        "<header>\n"
        f"<p>Launch gate report · {_esc(launch['name'])}"
        + (f" · launch {_esc(launch['date'])}" if launch["date"] else "")
        + (f" · deployment: <strong>{_esc(deployment)}</strong>" if deployment else "")
        + "</p>\n</header>\n"
        '<main id="main">\n'
    )


def _verdict(report: Mapping[str, Any], blocker_count: int, gate_count: int) -> str:
    """The verdict block: decision, scope, commit, counts; a notice when the report is unsigned."""
    verdict, run, subject = report["verdict"], report["run"], report["subject"]
    kind = "nogo" if verdict["decision"] != "GO" else ("launch" if verdict["launch"] else "scoped")
    commit = subject.get("commit") or ""
    out = (
        f'<section class="verdict {kind}" aria-labelledby="verdict">\n'
        f'<h1 id="verdict">{_esc(verdict["label"])}</h1>\n'
        f"<p>Scope: <strong>{_esc(report['scope']['description'])}</strong>"
        + (f" · shard {_esc(run['shard'])}" if run["shard"] else "")
        + f"</p>\n<p>Commit <code>{_esc(commit or 'unknown')}</code>"
        + (f" on {_esc(subject['branch'])}" if subject["branch"] else "")
        + (" (uncommitted changes)" if subject["dirty"] else "")
        + f"</p>\n<p>{blocker_count} blocker{'' if blocker_count == 1 else 's'} · {gate_count} gates · "
        f"{'signed' if report['signed'] else 'UNSIGNED'} · generated {_esc(report['generated_at'])}</p>\n"
        "</section>\n"
    )
    if not report["signed"]:
        out += f'<p class="unsigned" role="note"><strong>Unsigned report.</strong> {_esc(UNSIGNED_NOTICE)}</p>\n'
    return out


def _contents(blocker_count: int, ruled_out: int, gate_count: int, flaky: int, series: bool, past: bool,
              trend: bool) -> str:
    """The table of contents; a section the page leaves out has no entry."""
    return "".join((
        '<nav class="contents" aria-label="Contents">\n<ul>\n'
        '<li><a href="#h-metrics">Launch metrics</a></li>\n'
        f'<li><a href="#h-blockers">Blockers ({blocker_count})</a></li>\n',
        f'<li><a href="#h-not-applicable">Not applicable ({ruled_out})</a></li>' if ruled_out else "",
        f'<li><a href="#h-gates">All gates ({gate_count})</a></li>\n'
        '<li><a href="#h-details">Findings and evidence</a></li>\n',
        f'<li><a href="#h-flaky">Flaky ({flaky})</a></li>' if flaky else "",
        '<li><a href="#h-series">Over the run</a></li>' if series else "",
        '<li><a href="#h-history">Across runs</a></li>' if past else "",
        '<li><a href="#h-trend">Since the previous report</a></li>' if trend else "",
        '<li><a href="#h-manual">Manual checklist</a></li>\n'
        '<li><a href="#h-run">The run</a></li>\n'
        "</ul>\n</nav>\n",
    ))


def _status_class(row: Mapping[str, Any]) -> str:
    return "bad" if row["bad"] else ("good" if row["status"] == "met" else "")


def _launch_section(report: Mapping[str, Any], launch: Sequence[Mapping[str, Any]],
                    lighthouse: Sequence[tuple[str, Sequence[Mapping[str, Any]]]], owner: Owner) -> str:
    """The launch metrics: a table, a bar per metric against its threshold, the Lighthouse reports."""
    rows = [
        f'<tr><th scope="row">{_esc(m["title"])}</th>\n'
        f'<td class="{_status_class(m)}">{_esc(m["status_text"])}{" (blocks)" if m["blocks"] else ""}</td>\n'
        f'<td class="num">{_esc(m["shown"])}'
        + (f'<br><span class="quiet">{_esc(m["n"])}</span>' if m["n"] else "")
        + f'</td>\n<td>{_esc(m["threshold"])}</td><td>{_esc(owner(m["owner"]))}</td>'
        f'<td>{_upper(m["priority"])}</td></tr>\n'
        for m in launch
    ] or [f'<tr><td colspan="6">No launch metrics are declared in {_esc(report["launch"]["config"])}.</td></tr>\n']
    out = [
        '<section aria-labelledby="h-metrics">\n'
        '<h2 id="h-metrics">Launch metrics</h2>\n'
        '<p class="caption" id="cap-metrics">The Critical Success Metrics against their thresholds</p>\n'
        '<div class="scroll" role="region" aria-labelledby="cap-metrics" tabindex="0">\n'
        '<table class="cols" aria-labelledby="cap-metrics">\n'
        '<thead><tr><th scope="col">Metric</th><th scope="col">Status</th><th scope="col">Value</th>'
        '<th scope="col">Threshold</th><th scope="col">Owner</th><th scope="col">Priority</th></tr></thead>\n'
        "<tbody>\n",
        *rows,
        "</tbody>\n</table>\n</div>\n",
    ]
    if launch:
        out.append(
            '<h3 id="h-bars">Each launch metric against its threshold</h3>\n'
            '<p class="quiet">Bars start at zero; the black mark is the threshold; what blocks the launch comes'
            ' first.</p>\n'
            '<ul class="bullets" aria-labelledby="h-bars">\n')
        out.extend(_bullet(m, owner) for m in launch)
        out.append("</ul>\n")
    if lighthouse:
        pages = "".join(
            f"<li><strong>{_esc(page)}</strong>: "
            + " · ".join(f'<a href="{_esc(e["href"])}">{_esc(e["label"])}</a>' for e in entries) + "</li>"
            for page, entries in lighthouse)
        out.append(f"<h3>Lighthouse reports</h3>\n<ul>{pages}</ul>\n")
    out.append("</section>\n")
    return "".join(out)


def _bullet(m: Mapping[str, Any], owner: Owner) -> str:
    """One launch metric's bar: zero to the scale's top, the threshold marked."""
    bar = m["bar"]
    if bar["width"] is None:
        fill = '<span class="none">not measured</span>'
    else:
        fill = f'<span class="fill{" bad" if m["bad"] else ""}" style="width: {_esc(bar["width"])}%"></span>'
    marks = "".join(f'<span class="mark" style="left: {_esc(mark)}%"></span>' for mark in bar["marks"])
    title, shown, threshold, status = _esc(m["title"]), _esc(m["shown"]), _esc(m["threshold"]), _esc(m["status_text"])
    return (
        "<li>\n"
        f'<span><strong>{title}</strong><br><span class="quiet">{_esc(owner(m["owner"]))} · '
        f"{_upper(m['priority'])}</span></span>\n"
        "<span>\n"
        f'<span class="track" role="img" aria-label="{title}: {shown}, threshold {threshold}, {status}">\n'
        f"{fill}{marks}</span>\n"
        f'<span class="scale" aria-hidden="true"><span>{_esc(bar["zero"])}</span><span>{_esc(bar["top"])}</span>'
        "</span>\n"
        "</span>\n"
        f'<span><strong class="{_status_class(m)}">{status}</strong>: {shown}'
        + (f" ({_esc(m['n'])})" if m["n"] else "")
        + f'<br><span class="quiet">needs {threshold}</span></span>\n'
        "</li>\n"
    )


def _blockers_section(report: Mapping[str, Any], blocking: Sequence[Mapping[str, Any]],
                      advising: Sequence[Mapping[str, Any]], ruled_out: Sequence[Mapping[str, Any]],
                      owner: Owner) -> str:
    """What stops the launch, then advisories, gates that do not apply and the priority-by-owner matrix."""
    out = ['<section aria-labelledby="h-blockers">\n', f'<h2 id="h-blockers">Blockers ({len(blocking)})</h2>\n']
    if blocking:
        out.append(_reason_list(blocking, "What stops the launch, why, and whose it is", owner) + "\n")
    else:
        out.append("<p>Nothing blocks this scope.</p>\n")
    if advising:
        out.append(f'<h3 id="h-advisories">Advisories and waived blockers ({len(advising)}): reported, not blocking'
                   "</h3>\n" + _reason_list(advising, "Advisories and waived blockers", owner) + "\n")
    if ruled_out:
        out.append(f'<h3 id="h-not-applicable">Not applicable to this deployment ({len(ruled_out)}): its profile says'
                   " it lacks what the gate needs</h3>\n"
                   + _reason_list(ruled_out, "Gates that do not apply to this deployment, and why", owner) + "\n")
    out.append(_matrix(report, owner))
    out.append("</section>\n")
    return "".join(out)


def _reason_list(items: Sequence[Mapping[str, Any]], label: str, owner: Owner) -> str:
    """Reasons of the verdict: subject (linked to its gate), owner, message; a long message folds."""
    out = [f'<ol class="reasons" aria-label="{_esc(label)}">\n']
    for b in items:
        what = ""
        if b["priority"]:
            what = f'<span class="badge {"blocking" if b["blocking"] else "advisory"}">{_upper(b["priority"])}</span> '
        subject = f"<code>{_esc(b['subject'])}</code>"
        what += f'<a href="#{_esc(b["anchor"])}">{subject}</a>' if b["anchor"] else subject
        if b["owner"]:
            what += f' <span class="quiet">· {_esc(owner(b["owner"]))}</span>'
        more = b["more"]
        out.append(
            f'<li><p class="what">{what}</p>\n<p class="wrap">{_esc(b["headline"])}</p>'
            + (f"<pre>{_esc(b['full'])}</pre>" if b["full"] else "")
            + (f'<details class="message"><summary>The other {len(more.splitlines())} lines</summary>'
               f"<pre>{_esc(more)}</pre></details>" if more else "")
            + "</li>\n")
    out.append("</ol>\n")
    return "".join(out)


def _matrix(report: Mapping[str, Any], owner: Owner) -> str:
    """Gates per owner and priority, with how many passed, block, advise, are waived or do not apply."""
    priorities = [p.value for p in Priority]
    matrix = report["matrix"]
    owners = sorted({o for cells in matrix.values() for o in cells}, key=lambda o: owner(o).lower())
    rows = []
    for o in owners:
        cells = "".join(f"<td>{_matrix_cell(matrix.get(p, {}).get(o))}</td>\n" for p in priorities)
        rows.append(f'<tr><th scope="row">{_esc(owner(o))}</th>\n{cells}</tr>\n')
    heads = "".join(f'<th scope="col">{_upper(p)}</th>' for p in priorities)
    return (
        '<h3 id="h-matrix">Priority \N{MULTIPLICATION SIGN} owner</h3>\n'
        '<p class="caption" id="cap-matrix">Gates per owner and priority: passed / blocking / advisory / waived /'
        " not applicable</p>\n"
        '<div class="scroll" role="region" aria-labelledby="cap-matrix" tabindex="0">\n'
        '<table class="cols" aria-labelledby="cap-matrix">\n'
        f'<thead><tr><th scope="col">Owner</th>{heads}</tr></thead>\n'
        "<tbody>\n" + "".join(rows) + "</tbody>\n</table>\n</div>\n"
    )


def _matrix_cell(c: Mapping[str, Any] | None) -> str:
    if not c:
        return '<span class="quiet">—</span>'
    out = f"{_esc(c['passed'])} passed"
    if c["blocking"]:
        out += f', <span class="bad">{_esc(c["blocking"])} blocking</span>'
    if c["advisory"]:
        out += f", {_esc(c['advisory'])} advisory"
    if c["waived"]:
        out += f", {_esc(c['waived'])} waived"
    if c["not_applicable"]:
        out += f", {_esc(c['not_applicable'])} not applicable"
    return out + "".join(f", {_esc(n)} {_esc(k)}" for k, n in c.items() if k not in _MATRIX_NAMED and n)


def _gates_section(gates: Sequence[Mapping[str, Any]]) -> str:
    """Every gate in one table, with the filters the script shows (hidden without it)."""
    outcomes = "".join(f'<option value="{_lower(o)}">{_esc(o)}</option>' for o in sorted({g["outcome"] for g in gates}))
    owners = "".join(
        f'<option value="{_lower(o)}">{_esc(title)}</option>'
        for o, title in sorted({(g["owner"], g["owner_title"]) for g in gates}, key=lambda o: o[1].lower()))
    priorities = "".join(f'<option value="{_lower(p)}">{_upper(p)}</option>'
                         for p in sorted({g["priority"] for g in gates}))
    return (
        '<section aria-labelledby="h-gates">\n'
        f'<h2 id="h-gates">All gates ({len(gates)})</h2>\n'
        '<form id="gate-filters" class="filters" role="search" aria-label="Filter the gates" hidden>\n'
        '<span class="field"><label for="f-outcome">Outcome</label><select id="f-outcome" data-filter="outcome">'
        f'<option value="">all outcomes</option>{outcomes}</select></span>\n'
        '<span class="field"><label for="f-owner">Owner</label><select id="f-owner" data-filter="owner">'
        f'<option value="">all owners</option>{owners}</select></span>\n'
        '<span class="field"><label for="f-priority">Priority</label><select id="f-priority" data-filter="priority">'
        f'<option value="">all priorities</option>{priorities}</select></span>\n'
        '<span class="field"><label for="f-text">Search</label><input id="f-text" type="search" data-filter="text"'
        ' placeholder="gate, owner, outcome"></span>\n'
        '<button type="reset">Clear</button>\n'
        '<p id="gate-count" role="status"></p>\n'
        "</form>\n"
        '<p class="caption" id="cap-gates">Every gate of the run: outcome, priority, owner, duration and deployment'
        "</p>\n"
        '<div class="scroll" role="region" aria-labelledby="cap-gates" tabindex="0">\n'
        '<table id="gate-table" class="wide" aria-labelledby="cap-gates">\n'
        '<thead><tr><th scope="col">Gate</th><th scope="col">Outcome</th><th scope="col">Priority</th>'
        '<th scope="col">Owner</th><th scope="col">Duration</th><th scope="col">Findings</th>'
        '<th scope="col">Deployment</th></tr></thead>\n'
        f"<tbody>\n{_gate_rows(gates)}\n</tbody>\n</table>\n</div>\n</section>\n"
    )


def _details_section(gates: Sequence[Mapping[str, Any]]) -> str:
    """Each gate with something to show, grouped by its standing: blocking first, passed last."""
    out = ['<section aria-labelledby="h-details">\n<h2 id="h-details">Findings and evidence, by gate</h2>\n']
    shown = False
    by_state: dict[str, list[Mapping[str, Any]]] = {state: [] for state in _STATE_ORDER}
    for g in gates:
        if g["detail"] and (same := by_state.get(g["state"])) is not None:
            same.append(g)
    for state, items in by_state.items():
        if items:
            shown = True
            out.append(f"<h3>{_esc(STATE_TITLES[state])} ({len(items)})</h3>\n")
            out.extend(_gate_detail(g) for g in items)
    if not shown:
        out.append("<p>No gate has findings or evidence.</p>\n")
    out.append("</section>\n")
    return "".join(out)


def _gate_detail(g: Mapping[str, Any]) -> str:
    """One gate, folded when it passed: its message, judged metrics, findings and evidence."""
    out = [
        f'<details class="gate" id="{_esc(g["anchor"])}"{" open" if g["state"] != "passed" else ""}>\n'
        f'<summary><span class="badge {_esc(g["state"])}">{_esc(g["outcome"])}</span> <code>{_esc(g["id"])}</code> '
        f'<span class="quiet">· {_upper(g["priority"])} · {_esc(g["owner_title"])} · {_esc(g["time"])}'
        + (f" · {_esc(g['counts'])}" if g["counts"] else "")
        + '</span></summary>\n<div class="body">\n'
    ]
    if g["location"]:
        out.append(f'<p class="quiet">Test: <code>{_esc(g["location"])}</code></p>')
    message = g["message"]
    if message and g["findings"]:
        out.append(f"<details class=\"message\"><summary>pytest's message</summary><pre>{_esc(message)}</pre>"
                   "</details>\n")
    elif message:
        out.append(f"<pre>{_esc(message)}</pre>")
    if g["measured"]:
        out.append('<ul class="measured">' + "".join(_measured(m) for m in g["measured"]) + "</ul>")
    if g["findings"]:
        out.append('<ul class="findings">' + "".join(_finding_item(f) for f in g["findings"]) + "</ul>")
    out.extend(_evidence(e) for e in g["files"])
    out.append("</div>\n</details>\n")
    return "".join(out)


def _measured(m: Mapping[str, Any]) -> str:
    """One judged metric of a gate: value, samples, threshold and status."""
    status = m["status"]
    return (
        f"<li><code>{_esc(m['metric'])}</code>"
        + (f' <span class="quiet wrap">({_esc(m["labels"])})</span>' if m["labels"] else "")
        + f" = <strong>{_esc(m['value'])}</strong>"
        + (f" ({_esc(m['n'])})" if m["n"] else "")
        + (f", needs {_esc(m['threshold'])}" if m["threshold"] else "")
        + f': <span class="{"good" if status == "met" else ("bad" if status else "")}">{_esc(status)}</span>'
        + (f": {_esc(m['not_measured'])}" if m["not_measured"] else "")
        + "</li>"
    )


def _finding_item(f: Mapping[str, Any]) -> str:
    """One finding: severity, rule (linked to its help), criterion, message, where, context, evidence."""
    cls = _esc(f["cls"])
    rule = _esc(f["rule"])
    where = ""
    if f.get("page") or f.get("selector") or f.get("location"):
        where = (
            '<p class="where wrap">'
            + (f"<code>{_esc(f['location'])}</code> " if f.get("location") else "")
            + (f"page <code>{_esc(f['page'])}</code> " if f.get("page") else "")
            + (f"element <code>{_esc(f['selector'])}</code>" if f.get("selector") else "")
            + "</p>"
        )
    if f["help"]:
        rule = f'<a href="{_esc(f["help"])}">{rule}</a>'
    return (
        f'<li class="finding {cls}"><span class="sev sev-{cls}">'
        f"{'needs review' if f['cls'] == 'review' else _esc(f['severity'])}</span>\n"
        f'<strong class="wrap">{rule}</strong>'
        + (f' <span class="quiet">({_esc(f["crit_title"])})</span>' if f["crit_title"] else "")
        + f'<p class="wrap">{_esc(f["message"])}</p>\n'
        + where
        + (f'<pre class="context">{_esc(f["context"])}</pre>' if f.get("context") and f["cls"] != "note" else "")
        + "".join(_evidence(e) for e in f["files"])
        + "</li>\n"
    )


def _evidence(e: Mapping[str, Any]) -> str:
    """An evidence file: a thumbnail that links to the picture, a link (and how to open it), or its bare name."""
    if e["src"]:
        return (f'<figure class="shot"><a href="{_esc(e["href"])}"><img class="thumb" src="{_esc(e["src"])}" '
                f'alt="{_esc(e["alt"])}"></a>\n'
                f"<figcaption>{_esc(e['label'])} (select the picture for full size)</figcaption></figure>\n")
    if e["href"]:
        command = (f'<br><span class="quiet">Open it with</span> <code>{_esc(e["command"])}</code> '
                   '<span class="quiet">(in the report folder)</span>') if e["command"] else ""
        return f'<p class="file"><a href="{_esc(e["href"])}">{_esc(e["label"])}</a>{command}</p>\n'
    return (f'<p class="file quiet">Evidence not linked (outside the report folder): <code>{_esc(e["name"])}</code>'
            "</p>\n")


def _flaky_section(flaky: Sequence[Mapping[str, Any]]) -> str:
    if not flaky:
        return ""
    items = "".join(
        f'<li><a href="#{_esc(g["anchor"])}"><code>{_esc(g["id"])}</code></a> ({_esc(g["owner_title"])}, '
        f'{_upper(g["priority"])}): <span class="wrap">{_esc(g["message"])}</span></li>' for g in flaky)
    return (
        '<section aria-labelledby="h-flaky">\n'
        f'<h2 id="h-flaky">Flaky gates ({len(flaky)})</h2>\n'
        "<p>Failed, then passed on a retry: a flaky gate is not a pass.</p>\n"
        f"<ul>{items}</ul>\n"
        "</section>\n"
    )


def _series_section(series: Sequence[Mapping[str, Any]]) -> str:
    """A chart of each sample's series over the run, with what it measured and where."""
    if not series:
        return ""
    out = ['<section aria-labelledby="h-series">\n<h2 id="h-series">Over the run</h2>\n<div class="charts">\n']
    for i, s in enumerate(series, 1):
        gate = f"<code>{_esc(s['gate'])}</code>"
        label = (f"{s['title']} over {s['x_title']}: {s['count']} points from {s['low']} to {s['peak']}, "
                 f"last {s['last']}")
        if s["bounds"]:
            label += "; threshold " + " and ".join(str(b["label"]) for b in s["bounds"])
        out.append(
            '<figure class="chart">\n'
            f"<figcaption><strong>{_esc(s['title'])}</strong><br><span class=\"wrap\">{_esc(s['metric'])}"
            + (f" ({_esc(s['labels'])})" if s["labels"] else "")
            + f" = {_esc(s['value'])}"
            + (f" ({_esc(s['n'])})" if s["n"] else "")
            + (f", not measured: {_esc(s['not_measured'])}" if s["not_measured"] else "")
            + (f", needs {_esc(s['threshold'])}" if s["threshold"] else "")
            + "; from "
            + (f'<a href="#{_esc(s["anchor"])}">{gate}</a>' if s["anchor"] else gate)
            + "</span></figcaption>\n"
            + _line_chart(s, label, f"series-{i}")
            + "\n</figure>\n")
    out.append("</div>\n</section>\n")
    return "".join(out)


def _line_chart(c: Mapping[str, Any], label: str, idref: str) -> str:
    """A chart from :func:`charts.line`: HTML axes around a stretched SVG plot titled ``label``."""
    y_ticks = "".join(f'<span style="top: {_esc(t["at"])}%">{_esc(t["label"])}</span>' for t in c["y_ticks"])
    x_ticks = "".join(f'<span style="left: {_esc(t["at"])}%">{_esc(t["label"])}</span>' for t in c["x_ticks"])
    stroke = 'vector-effect="non-scaling-stroke"'
    limits = "".join(f'<line class="limit" x1="0" x2="1000" y1="{_esc(b["y"])}" y2="{_esc(b["y"])}" {stroke}></line>'
                     for b in c["bounds"])
    paths = "".join(f'<path class="series" d="{_esc(p)}" {stroke}></path>' for p in c["paths"])
    dots = "".join(f'<path class="dot" d="{_esc(d)}" {stroke}></path>' for d in c["dots"])
    limit_labels = "".join(f'<span class="limit-label" style="top: {_esc(b["at"])}%" aria-hidden="true">threshold '
                           f'{_esc(b["label"])}</span>' for b in c["bounds"])
    ref = _esc(idref)
    return (
        '<div class="plot">\n'
        f'<p class="y-title" aria-hidden="true">{_esc(c["y_title"])}</p>\n'
        f'<div class="y-axis" aria-hidden="true">{y_ticks}</div>\n'
        '<div class="area">\n'
        f'<svg viewBox="0 0 1000 300" preserveAspectRatio="none" role="img" aria-labelledby="{ref}">\n'
        f'<title id="{ref}">{_esc(label)}</title>\n'
        f'<line class="grid" x1="0" x2="1000" y1="150" y2="150" {stroke}></line>\n'
        f"{limits}{paths}{dots}</svg>\n"
        f"{limit_labels}</div>\n"
        f'<div class="x-axis" aria-hidden="true">{x_ticks}</div>\n'
        f'<p class="x-title" aria-hidden="true">{_esc(c["x_title"])}</p>\n'
        "</div>\n"
    )


def _history_section(past: Mapping[str, Any] | None) -> str:
    """Each launch metric over the last runs: a chart each, and the values in a folded table."""
    if not past:
        return ""
    runs = len(past["runs"])
    out = ['<section aria-labelledby="h-history">\n'
           f'<h2 id="h-history">Launch metrics across the last {runs} runs</h2>\n<div class="charts">\n']
    for i, m in enumerate(past["metrics"], 1):
        label = f"{m['title']} over the last {runs} runs: " + ", ".join(str(v) for v in m["shown_values"])
        out.append(
            '<figure class="chart">\n'
            f"<figcaption><strong>{_esc(m['title'])}</strong>"
            + (f" ({_esc(m['unit'])})" if m["unit"] else "")
            + f'<br><span class="quiet">needs {_esc(m["threshold"])}; a gap is a run that did not measure it</span>'
            "</figcaption>\n"
            + _line_chart(m, label, f"history-{i}")
            + "\n</figure>\n")
    labels = "".join(f'<th scope="col">{_esc(label)}</th>' for label in past["labels"])
    rows = "".join(
        f'<tr><th scope="row">{_esc(m["title"])}</th>'
        + "".join(f'<td class="num">{_esc(v)}</td>' for v in m["shown_values"]) + "</tr>"
        for m in past["metrics"])
    out.append(
        "</div>\n"
        "<details><summary>The values, run by run</summary>\n"
        '<p class="caption" id="cap-history">Launch metrics per run, oldest first</p>\n'
        '<div class="scroll" role="region" aria-labelledby="cap-history" tabindex="0">\n'
        '<table class="cols" aria-labelledby="cap-history">\n'
        f'<thead><tr><th scope="col">Metric</th>{labels}</tr></thead>\n'
        f"<tbody>{rows}</tbody>\n"
        "</table>\n</div>\n</details>\n</section>\n")
    return "".join(out)


def _trend_section(trend: diff.Trend | None, owner: Owner) -> str:
    """What changed since the previous report: new and fixed blockers, metrics beyond noise."""
    if not trend:
        return ""
    from pytest_castmatch.diff import NOISE

    out = [
        '<section aria-labelledby="h-trend">\n'
        '<h2 id="h-trend">Since the previous report</h2>\n'
        f"<p>Previous: <strong>{_esc(trend.old_decision)}</strong> at "
        f"<code>{_esc(trend.old_commit[:12] or 'unknown')}</code> → now <strong>{_esc(trend.new_decision)}</strong>"
        ".</p>\n"
        f"<h3>New blockers ({len(trend.new_blockers)})</h3>\n",
        "<ul>" + "".join(f"<li><code>{_esc(b['subject'])}</code> ({_esc(owner(b['owner']))}): {_esc(b['message'])}"
                         "</li>" for b in trend.new_blockers) + "</ul>" if trend.new_blockers else "<p>None.</p>",
        f"<h3>Fixed ({len(trend.fixed)})</h3>\n",
        "<ul>" + "".join(f"<li><code>{_esc(b['subject'])}</code> ({_esc(owner(b['owner']))})</li>"
                         for b in trend.fixed) + "</ul>" if trend.fixed else "<p>None.</p>",
        f"<h3>Metrics that moved more than {_esc(format_value(NOISE * 100))} %</h3>\n",
    ]
    if trend.deltas:
        out.append(
            '<p class="caption" id="cap-deltas">Metric changes beyond noise</p>\n'
            '<div class="scroll" role="region" aria-labelledby="cap-deltas" tabindex="0">\n'
            '<table class="cols" aria-labelledby="cap-deltas">\n'
            '<thead><tr><th scope="col">Metric</th><th scope="col">Change</th><th scope="col">Before</th>'
            '<th scope="col">Now</th><th scope="col">Labels</th></tr></thead>\n'
            "<tbody>\n")
        out.extend(_delta(d) for d in trend.deltas)
        out.append("</tbody>\n</table>\n</div>\n")
    else:
        out.append("<p>None.</p>")
    out.append("</section>\n")
    return "".join(out)


def _delta(d: diff.MetricDelta) -> str:
    cls = "bad" if d.direction == "worse" else ("good" if d.direction == "better" else "")
    change = "" if d.relative is None else f" ({d.relative * 100:+.1f} %)"
    return (
        f'<tr><th scope="row">{_esc(d.metric)}</th>\n'
        f'<td class="{cls}">{_esc(d.direction)}{change}</td>\n'
        f'<td class="num">{_esc(format_value(d.old, d.unit))}</td><td class="num">{_esc(format_value(d.new, d.unit))}'
        f'</td><td class="wrap">{_esc(d.labels or "—")}</td></tr>\n'
    )


def _manual_section(report: Mapping[str, Any], owner: Owner) -> str:
    """The manual checklist and who must sign the report."""
    out = ['<section aria-labelledby="h-manual">\n<h2 id="h-manual">Manual checklist</h2>\n']
    if report["manual"]:
        rows = "".join(
            f'<tr><th scope="row">{_esc(m["title"])}</th><td>{_esc(m["status"])}</td><td>{_esc(owner(m["owner"]))}'
            f'</td><td>{_upper(m["priority"])}</td></tr>' for m in report["manual"])
        out.append(
            '<p class="caption" id="cap-manual">Launch tasks no machine can judge; pending until their owner signs off'
            " (castmatch-gate sign-off)</p>\n"
            '<div class="scroll" role="region" aria-labelledby="cap-manual" tabindex="0">\n'
            '<table class="cols" aria-labelledby="cap-manual">\n'
            '<thead><tr><th scope="col">Item</th><th scope="col">Status</th><th scope="col">Owner</th>'
            '<th scope="col">Priority</th></tr></thead>\n'
            f"<tbody>{rows}</tbody>\n"
            "</table>\n</div>\n")
    else:
        out.append("<p>No manual items declared.</p>")
    if report["required_signers"]:
        out.append(f"<p>Required signers: {_esc(', '.join(str(s) for s in report['required_signers']))}.</p>")
    out.append("</section>\n")
    return "".join(out)


def _waivers_section(report: Mapping[str, Any], owner: Owner) -> str:
    if not report["waivers"]:
        return ""
    rows = "".join(
        f'<tr><td class="wrap"><code>{_esc(w["target"])}</code></td><td>{_esc(w["status"])}</td>'
        f'<td>{_esc(owner(w["owner"]))}</td><td>{_esc(w["approved_by"])}</td><td>{_esc(w["expires"])}</td>'
        f'<td class="wrap">{_esc(w["reason"])}</td></tr>' for w in report["waivers"])
    return (
        '<section aria-labelledby="h-waivers">\n'
        '<h2 id="h-waivers">Waivers</h2>\n'
        '<p class="caption" id="cap-waivers">Waivers from waivers.toml and what became of them</p>\n'
        '<div class="scroll" role="region" aria-labelledby="cap-waivers" tabindex="0">\n'
        '<table class="cols" aria-labelledby="cap-waivers">\n'
        '<thead><tr><th scope="col">Target</th><th scope="col">Status</th><th scope="col">Owner</th>'
        '<th scope="col">Approved by</th><th scope="col">Expires</th><th scope="col">Reason</th></tr></thead>\n'
        f"<tbody>{rows}</tbody>\n"
        "</table>\n</div>\n</section>\n"
    )


def _run_section(report: Mapping[str, Any], other_files: Sequence[Mapping[str, Any]]) -> str:
    """Run facts and environment, then the end of the page: footer and the filter script."""
    run = report["run"]
    env = report.get("environment", {})
    env_rows = [(k, v) for k, v in sorted(env.items()) if k != "engines" and v]
    env_rows += [(f"engine: {k}", v) for k, v in sorted(env.get("engines", {}).items())]
    counts = ", ".join(f"{_esc(n)} {_esc(k)}" for k, n in report["counts"].items()) or "no gates"
    complete = (
        ("yes" if run["complete"] else "no")
        + (", interrupted" if run["interrupted"] else "")
        + (f", {_esc(run['collection_errors'])} collection errors" if run["collection_errors"] else "")
    )
    problems = "".join(f'<tr><th scope="row">Problem</th><td class="wrap">{_esc(p)}</td></tr>'
                       for p in run["problems"])
    environment = "".join(f'<tr><th scope="row">{_esc(k)}</th><td class="wrap">{_esc(v)}</td></tr>'
                          for k, v in env_rows)
    others = ""
    if other_files:
        links = "<br>".join(f'<a href="{_esc(e["href"])}">{_esc(e["label"])}</a>' for e in other_files)
        others = f'<tr><th scope="row">Other evidence</th><td>{links}</td></tr>'
    launch = report["launch"]
    return (
        '<section aria-labelledby="h-run">\n'
        '<h2 id="h-run">The run</h2>\n'
        '<p class="caption" id="cap-run">Run facts and environment</p>\n'
        '<div class="scroll" role="region" aria-labelledby="cap-run" tabindex="0">\n'
        '<table aria-labelledby="cap-run">\n'
        "<tbody>\n"
        f'<tr><th scope="row">Outcomes</th><td>{counts}</td></tr>\n'
        f'<tr><th scope="row">Complete</th><td>{complete}</td></tr>\n'
        f'{problems}<tr><th scope="row">Duration</th><td>{_esc(report["duration"])} s</td></tr>\n'
        f"{environment}{others}</tbody>\n"
        "</table>\n</div>\n</section>\n"
        "</main>\n"
        f"<footer><p>{_esc(report['schema'])} · {_esc(launch['config'])} · generated {_esc(report['generated_at'])}"
        " · the signed source of truth is report.dsse.json beside this file</p></footer>\n"
        # The script is this package's own static file, allowed by its hash in the CSP: never escaped.
        f"<script>{_script()}</script>\n"
        "</body>\n"
        "</html>"
    )


def _other_files(base_dir: Path | None, listed: set[str]) -> list[dict[str, Any]]:
    """Files in the report's evidence folder that no gate lists (the reference app's log)."""
    if base_dir is None or not (folder := base_dir / "evidence").is_dir():
        return []
    link = Linker(None)
    names = sorted(p.relative_to(base_dir).as_posix() for p in folder.iterdir() if p.is_file())
    return [link.entry(name, name) for name in names if name not in listed]
