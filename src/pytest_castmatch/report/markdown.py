"""``summary.md``: the verdict for CI job summaries and pull-request comments.

Test names and messages come from the code under test, so every piece of them is escaped:
HTML becomes entities, Markdown punctuation is backslashed and table pipes cannot split a
cell. A hostile name renders as its own text, never as a link, an image or markup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_castmatch.report import (
    STATUS_TEXT,
    UNSIGNED_NOTICE,
    advisories,
    blockers,
    deployment_line,
    format_samples,
    format_value,
    not_applicable,
    owner_title,
    short_commit,
    verdict_line,
)

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "@": "@\u200b"}
_MD_PUNCT = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:])")
_CELL_LIMIT = 300


def escape(text: object, limit: int = _CELL_LIMIT) -> str:
    """Inline-safe Markdown for untrusted text: one line, inert HTML, inert link syntax, no pipes.

    ``@`` is followed by a zero-width space so a test name cannot mention (notify) people from a PR comment.
    """
    one_line = " ".join(str(text).split())
    if len(one_line) > limit:
        one_line = one_line[: limit - 1] + "…"
    escaped = "".join(_HTML.get(ch, ch) for ch in one_line)
    # Entities were produced above; their '#' and ';' must survive, so protect them from the
    # punctuation pass by escaping only outside entity references.
    parts = re.split(r"(&(?:amp|lt|gt|quot);)", escaped)
    return "".join(p if p.startswith("&") and p.endswith(";") else _MD_PUNCT.sub(r"\\\1", p) for p in parts)


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def render(report: Mapping[str, Any]) -> str:
    """The Markdown summary: verdict line first, then launch metrics, blockers and advisories."""
    decision = report["verdict"]["decision"]
    icon = "✅" if decision == "GO" else "⛔"
    lines = [f"## {icon} {escape(verdict_line(report), 1000)}", ""]
    if not report.get("signed"):
        lines += [f"> **{escape(UNSIGNED_NOTICE, 1000)}**", ""]
    lines += [
        f"**{escape(report['launch']['name'])}** · commit `{escape(short_commit(report))}` · "
        f"branch {escape(report.get('subject', {}).get('branch') or '—')} · "
        f"scope: {escape(report['scope']['description'])} · generated {escape(report['generated_at'])}",
        "",
        *([f"Deployment: **{escape(deployment_line(report))}**", ""] if deployment_line(report) else []),
        "### Launch metrics",
        "",
        _row("Metric", "Owner", "Threshold", "Value", "Status"),
        _row("---", "---", "---", "---:", "---"),
    ]
    for row in report["launch_metrics"]:
        status = STATUS_TEXT.get(row["status"], row["status"])
        lines.append(
            _row(
                escape(row["title"]),
                escape(owner_title(report, row["owner"])),
                escape(row["threshold"]),
                escape(" ".join(filter(None, [format_value(row["value"], row["unit"]),
                                              f"({n})" if (n := format_samples(row)) else ""]))),
                f"**{escape(status)}**" if row["status"] in ("missed", "not-measured") else escape(status),
            )
        )
    if not report["launch_metrics"]:
        lines.append(_row("(none declared)", "", "", "", ""))

    found = blockers(report)
    lines += ["", f"### Blockers ({len(found)})", ""]
    if found:
        lines += _reason_table(report, found)
    else:
        lines.append("None.")

    notes = advisories(report)
    if notes:
        lines += ["", f"<details><summary>Advisories and waived ({len(notes)})</summary>", ""]
        lines += _reason_table(report, notes)
        lines += ["", "</details>"]

    skipped = not_applicable(report)
    if skipped:
        lines += ["", f"<details><summary>Not applicable to this deployment ({len(skipped)})</summary>", ""]
        lines += _reason_table(report, skipped)
        lines += ["", "</details>"]

    flaky = [g["id"] for g in report["gates"] if g["outcome"] == "flaky"]
    if flaky:
        lines += ["", f"Flaky, a retry passed after a failure ({len(flaky)}): " + ", ".join(escape(g) for g in flaky)]
    counts = ", ".join(f"{n} {escape(outcome)}" for outcome, n in report["counts"].items()) or "no gates"
    pending = sum(1 for m in report.get("manual", []) if m.get("status") == "pending")
    lines += ["", f"Gates: {counts}. Manual checklist items pending sign-off: {pending}.", ""]
    return "\n".join(lines)


def _reason_table(report: Mapping[str, Any], reasons: Sequence[Mapping[str, Any]]) -> list[str]:
    """Rows of a priority / owner / what / why table, every cell escaped."""
    rows = [_row("Priority", "Owner", "What", "Why"), _row("---", "---", "---", "---")]
    rows += [
        _row(
            escape(r["priority"].upper() or "—"),
            escape(owner_title(report, r["owner"])),
            escape(r["subject"]),
            escape(r["message"]),
        )
        for r in reasons
    ]
    return rows
