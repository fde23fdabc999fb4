"""Terminal text for ``castmatch-gate``: safe lines and the ``diff`` output.

The verdict itself is printed by :func:`pytest_castmatch.summary.terminal_lines`, the one
rendering the pytest summary uses too.
"""

from __future__ import annotations

import re

from pytest_castmatch import diff
from pytest_castmatch.report import format_value

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
    lines.append(f"Metrics beyond {format_value(diff.NOISE * 100)} % noise ({len(trend.deltas)})")
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
