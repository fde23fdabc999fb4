"""The verdict as terminal lines, from the canonical report alone.

Shared by the pytest terminal summary and ``castmatch-gate show`` so both say the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

COLUMNS = ("passed", "blocking", "advisory", "waived", "not_applicable")
HEADINGS = {"not_applicable": "n/a"}


def terminal_lines(report: Mapping[str, Any], report_path: str = "") -> list[str]:
    """Verdict first, then the priority x owner table, then each blocker with its owner and why."""
    verdict = report["verdict"]
    scope = report["scope"]["description"]
    gates = report["gates"]
    signed = "signed" if report.get("signed") else "unsigned"
    lines = [f"{verdict['label']}  ({scope}; {len(gates)} gates; report {signed})"]
    deployment = report.get("deployment") or {}
    if deployment.get("name"):
        lines.append(f"deployment: {deployment['name']} ({deployment.get('base_url') or 'reference app'})")
    if report_path:
        lines.append(f"report: {report_path}")
    matrix: Mapping[str, Mapping[str, Mapping[str, int]]] = report.get("matrix", {})
    rows = [(p, o, cell) for p in sorted(matrix) for o, cell in sorted(matrix[p].items())]
    if rows:
        width = max(len(f"{p} {o}") for p, o, _ in rows)
        lines.append("")
        lines.append(" " * width + "  " + "  ".join(f"{HEADINGS.get(c, c):>8}" for c in COLUMNS))
        for p, o, cell in rows:
            lines.append(f"{p} {o}".ljust(width) + "  " + "  ".join(f"{cell.get(c, 0):>8}" for c in COLUMNS))
    missing = [m for m in report.get("launch_metrics", []) if m["status"] != "met"]
    if report.get("launch_metrics"):
        lines.append("")
        lines.append("launch metrics:")
        from pytest_castmatch.report import format_samples

        for m in report["launch_metrics"]:
            value = "—" if m["value"] is None else f"{m['value']:g}"
            count = f"; {n}" if (n := format_samples(m)) else ""
            lines.append(f"  {m['status']:<13} {m['title']}: {value} (needs {m['threshold']}{count})")
        if not missing:
            lines.append("  all launch metrics met")
    blockers = [r for r in verdict["reasons"] if r["blocking"]]
    if blockers:
        lines.append("")
        lines.append(f"blockers ({len(blockers)}):")
        for r in blockers:
            who = f"[{r['priority']} {r['owner']}] " if r["owner"] else ""
            lines.append(f"  {who}{r['subject']} — {r['message']}")
    advisories = [r for r in verdict["reasons"] if not r["blocking"] and r["kind"] != "not-applicable"]
    skipped = [r for r in verdict["reasons"] if r["kind"] == "not-applicable"]
    if skipped:
        lines.append("")
        lines.append(f"not applicable to this deployment ({len(skipped)}):")
        lines.extend(f"  {r['subject']} — {r['message']}" for r in skipped)
    if advisories:
        lines.append("")
        lines.append(f"advisory and waived ({len(advisories)}):")
        for r in advisories:
            who = f"[{r['priority']} {r['owner']}] " if r["owner"] else ""
            lines.append(f"  {who}{r['subject']} — {r['message']}")
    return lines
