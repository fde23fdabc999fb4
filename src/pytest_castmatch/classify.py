"""Which gates a test is: its priority and owner markers, validated.

Pure: works on ``(name, args)`` pairs so it can be tested without pytest. The messages
are what a tester reads in a collection error, so each names the fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from pytest_castmatch.model import Priority
from pytest_castmatch.record import Record, record

PRIORITY_MARKS = tuple(p.value for p in Priority)
#: A priority marker's name to its Priority: a dict read, where ``Priority(name)`` is a Python-level call.
_PRIORITY_OF = {p.value: p for p in Priority}


@record
class GateInfo(Record):
    """A gate as collected: enough to judge it even if it never reports back."""

    id: str
    priority: Priority
    owner: str
    location: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "priority": self.priority.value, "owner": self.owner, "location": self.location}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GateInfo:
        return cls(str(data["id"]), Priority(data["priority"]), str(data["owner"]), str(data["location"]))


def classify(
    nodeid: str,
    location: str,
    marks: Iterable[tuple[str, Sequence[Any]]],
    owners: Collection[str],
    config_name: str = "baselines/gates.toml",
) -> GateInfo | str:
    """Return the gate's classification, or a one-paragraph problem naming the fix."""
    priorities: list[str] = []
    owner_args: list[Sequence[Any]] = []
    for name, args in marks:
        if name in _PRIORITY_OF:
            priorities.append(name)
        elif name == "owner":
            owner_args.append(args)
    if len(priorities) == 1 and len(owner_args) == 1:
        # The shape nearly every gate has: one priority, one owner naming one declared team.
        args = owner_args[0]
        if len(args) == 1 and isinstance(owner := args[0], str) and owner in owners:
            return GateInfo(nodeid, _PRIORITY_OF[priorities[0]], owner, location)
    where = f"{nodeid} ({location})"
    distinct = sorted(set(priorities))
    if not priorities:
        return f"{where}: no priority marker — add @pytest.mark.p0, @pytest.mark.p1 or @pytest.mark.p2"
    if len(distinct) > 1:
        return (f"{where}: {len(distinct)} priority markers ({', '.join(distinct)}) — keep exactly one; "
                "a module-level pytestmark and a test's own marker both count")
    if not owner_args:
        return f'{where}: no owner marker — add @pytest.mark.owner("team") with a team from {config_name}'
    owner_values = set()
    for args in owner_args:
        if len(args) != 1 or not isinstance(args[0], str):
            return f'{where}: owner takes exactly one team name — write @pytest.mark.owner("team"), got {args!r}'
        owner_values.add(args[0])
    if len(owner_values) > 1:
        return f"{where}: {len(owner_values)} owners ({', '.join(sorted(owner_values))}) — a gate has one owner"
    owner = owner_values.pop()
    if owner not in owners:
        close = difflib.get_close_matches(owner, list(owners), n=1, cutoff=0.5)
        hint = f'did you mean @pytest.mark.owner("{close[0]}")?' if close else f"declare [owners.{owner}] there"
        return f"{where}: owner {owner!r} is not declared in {config_name} — {hint}"
    return GateInfo(nodeid, Priority(distinct[0]), owner, location)
