"""Terminal text: safe lines, the gate run's header, the ``diff`` output and launch-metric history.

The verdict itself is printed by :func:`pytest_castmatch.summary.terminal_lines`, the one
rendering the pytest summary uses too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pytest_castmatch.report import format_value

if TYPE_CHECKING:  # a gate run prints neither a trend nor a history: it need not load them
    from pytest_castmatch import diff, history

# Test names reach the terminal too: strip control characters so none can move the cursor,
# recolour the screen or retitle the window.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain(text: object) -> str:
    """``text`` on one line (alignment kept) with terminal control characters removed."""
    return _CONTROL.sub("", str(text).replace("\r", " ").replace("\n", " ").replace("\t", " "))


def render_trend(trend: diff.Trend) -> str:
    """``castmatch-gate diff`` output."""
    lines = [
        plain(
            f"{trend.old_decision} ({trend.old_commit[:12] or 'no commit'}) -> "
            f"{trend.new_decision} ({trend.new_commit[:12] or 'no commit'})"
        ),
        "",
    ]
    lines.append(f"New blockers ({len(trend.new_blockers)})")
    lines += [plain(f"  + {r['subject']} [{r['owner'] or '-'}]: {r['message']}") for r in trend.new_blockers] or [
        "  none"
    ]
    lines.append(f"Fixed ({len(trend.fixed)})")
    lines += [plain(f"  - {r['subject']} [{r['owner'] or '-'}]") for r in trend.fixed] or ["  none"]
    if trend.not_in_scope:
        lines.append(f"Not in scope of the new run, so not known to be fixed ({len(trend.not_in_scope)})")
        lines += [plain(f"  ? {r['subject']} [{r['owner'] or '-'}]") for r in trend.not_in_scope]
    from pytest_castmatch.diff import NOISE, TIMING_FLOOR_MS

    floor = format_value(TIMING_FLOOR_MS)
    lines.append(f"Metrics beyond {format_value(NOISE * 100)} % noise and {floor} ms for times "
                 f"({len(trend.deltas)})")
    for d in trend.deltas:
        rel = "" if d.relative is None else f" ({d.relative * 100:+.1f} %)"
        label = f"[{d.labels}]" if d.labels else ""
        lines.append(
            plain(
                f"  {d.direction:7} {d.metric}{label}: {format_value(d.old, d.unit)} -> "
                f"{format_value(d.new, d.unit)}{rel}"
            )
        )
    if not trend.deltas:
        lines.append("  none")
    return "\n".join(lines) + "\n"


def header_lines(*, gates: int, scope: str, deployment: str, report_dir: str, keyid: str,
                 earlier: int = 0, skipped: Sequence[str] = ()) -> list[str]:
    """What a gate run prints before its first gate: scope and gate count, deployment, report folder, signer."""
    signer = f"Ed25519 key {keyid[:16]}" if keyid else "none: the report will be UNSIGNED (set CASTMATCH_SIGNING_KEY)"
    lines = [
        f"castmatch: {gates} gate{'s' if gates != 1 else ''} in scope ({scope})",
        f"  deployment: {deployment}",
        f"  report:     {report_dir}",
        f"  signer:     {signer}",
    ]
    if earlier:
        lines.append(f"  history:    {earlier} earlier report{'s' if earlier != 1 else ''}")
    lines += [f"  history:    skipped {note}" for note in skipped]
    return [plain(line) for line in lines]


_SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float | None]) -> str:
    """One character per value, its height scaled between the lowest and highest; ``·`` where none."""
    known = [v for v in values if v is not None]
    if not known:
        return "·" * len(values)
    low, high = min(known), max(known)
    span = high - low
    return "".join("·" if v is None else _SPARKS[round((v - low) / span * (len(_SPARKS) - 1)) if span else 3]
                   for v in values)


def render_history(past: history.History) -> str:
    """Each launch metric over the runs of ``past``, oldest first: a sparkline, then the values."""
    lines = [f"Launch metrics over the last {len(past.runs)} run{'s' if len(past.runs) != 1 else ''} "
             f"(oldest first; · = not measured)"]
    for note in past.skipped:
        lines.append(plain(f"  skipped {note}"))
    for row in past.metrics:
        values = [p.value for p in row.points]
        shown = " ".join(format_value(v) if v is not None else "·" for v in values)
        lines.append(plain(f"  {row.title} ({row.threshold}): {sparkline(values)}  {shown} {row.unit}".rstrip()))
    if not past.metrics:
        lines.append("  no launch metrics")
    return "\n".join(lines) + "\n"
