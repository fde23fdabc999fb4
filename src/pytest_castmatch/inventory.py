"""The gate inventory (``gates.lock``): every gate a full run must judge, and a run checked against it.

The file sits beside the gates file, is written only by ``castmatch-gate lock`` (or
``pytest --gate-lock``) and is reviewed like code. One gate a line, sorted by id::

    p0 backend-api suites/api/test_contract.py::test_openapi_contract

Pure but for reading the file: a run hands over what it judged, what its scope covers and
how each missing gate vanished, and :func:`compare` says what does not add up.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pytest_castmatch.config import ConfigError
from pytest_castmatch.model import Priority
from pytest_castmatch.record import Record, record

LOCK_NAME = "gates.lock"
HEADER = (
    "# The gate inventory: every gate a full run of the launch gate must judge.\n"
    "# Written by `castmatch-gate lock` (or `pytest --gate-lock`); review a change like code.\n"
    "# One gate a line: priority owner gate-id\n"
)
FIX = "run castmatch-gate lock"


class Listed(Protocol):
    """Anything with a gate's id, priority and owner (an entry, a collected gate, a result)."""

    @property
    def id(self) -> str: ...

    @property
    def priority(self) -> Priority: ...

    @property
    def owner(self) -> str: ...


@record
class Entry(Record):
    """One gate the inventory lists."""

    id: str
    priority: Priority
    owner: str

    def line(self) -> str:
        return f"{self.priority.value} {self.owner} {self.id}"


def lock_path(config_path: Path) -> Path:
    """Where the inventory of the gates file ``config_path`` lives: ``gates.lock`` beside it."""
    return config_path.with_name(LOCK_NAME)


def entries_of(gates: Iterable[Listed]) -> list[Entry]:
    """The inventory entries of ``gates``, sorted by id."""
    return sorted((Entry(g.id, g.priority, g.owner) for g in gates), key=lambda e: e.id)


def render(gates: Iterable[Listed]) -> str:
    """The file text for ``gates``: the header, then one sorted line per gate. Same gates, same bytes."""
    return HEADER + "".join(e.line() + "\n" for e in entries_of(gates))


def parse(text: str, path: Path) -> dict[str, Entry]:
    """Read inventory text; a malformed line is a :class:`ConfigError` naming the file, line and fix."""
    entries: dict[str, Entry] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(" ", 2)
        if len(parts) != 3 or not all(parts):
            raise ConfigError(f"{path}:{number}: expected 'priority owner gate-id', got {raw!r} — {FIX} "
                              "to rewrite the file")
        prio, owner, gate_id = parts
        try:
            priority = Priority(prio)
        except ValueError:
            raise ConfigError(f"{path}:{number}: unknown priority {prio!r} — use p0, p1 or p2, or {FIX}") from None
        if gate_id in entries:
            raise ConfigError(f"{path}:{number}: {gate_id} is listed twice — delete one line, or {FIX}")
        entries[gate_id] = Entry(gate_id, priority, owner)
    return entries


def load(path: Path) -> dict[str, Entry] | None:
    """The inventory at ``path``, or ``None`` when there is no file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return parse(text, path)


def shard_index(gate_id: str, shards: int) -> int:
    """The 0-based shard of ``gate_id`` among ``shards``: stable across runs and machines."""
    return zlib.crc32(gate_id.encode()) % shards


def under(gate_id: str, prefix: str) -> bool:
    """True when ``gate_id`` lies under ``prefix``: a folder, a file, a node id or a parametrized test's base."""
    prefix = prefix.rstrip("/")
    if prefix in ("", "."):
        return True
    return gate_id == prefix or any(gate_id.startswith(prefix + sep) for sep in ("/", "::", "["))


@record
class Selection(Record):
    """Which listed gates a run's scope covers (all of them for a full run)."""

    paths: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    shard: tuple[int, int] | None = None
    excluded: frozenset[str] = frozenset()
    excluded_paths: tuple[str, ...] = ()

    def covers(self, entry: Listed) -> bool:
        """True when the run's own selection options take in ``entry``."""
        if self.paths and not any(under(entry.id, p) for p in self.paths):
            return False
        if self.owners and entry.owner not in self.owners:
            return False
        if self.shard and shard_index(entry.id, self.shard[1]) != self.shard[0] - 1:
            return False
        return entry.id not in self.excluded and not any(under(entry.id, p) for p in self.excluded_paths)


@record
class Missing(Record):
    """A listed gate the run should have judged and did not, and how it vanished."""

    id: str
    priority: Priority
    owner: str
    how: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "priority": self.priority.value, "owner": self.owner, "how": self.how}


@record
class Changed(Record):
    """A judged gate whose priority or owner differs from its inventory line."""

    id: str
    priority: Priority
    owner: str
    listed: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "priority": self.priority.value, "owner": self.owner, "listed": self.listed}


@record
class InventoryCheck(Record):
    """A run compared with the inventory. ``absent``: there was no inventory to compare with."""

    file: str
    listed: int = 0
    in_scope: int = 0
    missing: tuple[Missing, ...] = ()
    unlisted: tuple[Entry, ...] = ()
    changed: tuple[Changed, ...] = ()
    absent: bool = False

    @property
    def ok(self) -> bool:
        return not (self.absent or self.missing or self.unlisted or self.changed)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "absent": self.absent,
            "listed": self.listed,
            "in_scope": self.in_scope,
            "missing": [m.to_json() for m in self.missing],
            "unlisted": [{"id": e.id, "priority": e.priority.value, "owner": e.owner} for e in self.unlisted],
            "changed": [c.to_json() for c in self.changed],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> InventoryCheck:
        return cls(
            file=str(data["file"]),
            listed=int(data.get("listed", 0)),
            in_scope=int(data.get("in_scope", 0)),
            missing=tuple(Missing(m["id"], Priority(m["priority"]), m["owner"], m["how"])
                          for m in data.get("missing", ())),
            unlisted=tuple(Entry(e["id"], Priority(e["priority"]), e["owner"]) for e in data.get("unlisted", ())),
            changed=tuple(Changed(c["id"], Priority(c["priority"]), c["owner"], c["listed"])
                          for c in data.get("changed", ())),
            absent=bool(data.get("absent", False)),
        )


def compare(
    listed: Mapping[str, Entry] | None,
    judged: Iterable[Listed],
    selection: Selection,
    *,
    file: str,
    how: Callable[[Entry], str] = lambda entry: "was not collected",
) -> InventoryCheck:
    """Check a run: every listed gate its selection covers was judged, and every judged gate is listed as such."""
    if listed is None:
        return InventoryCheck(file=file, absent=True)
    judged_by_id = {g.id: g for g in judged}
    scope = [e for e in listed.values() if selection.covers(e)]
    missing = [Missing(e.id, e.priority, e.owner, how(e)) for e in scope if e.id not in judged_by_id]
    unlisted, changed = [], []
    for gate_id, gate in judged_by_id.items():
        entry = listed.get(gate_id)
        if entry is None:
            unlisted.append(Entry(gate_id, gate.priority, gate.owner))
        elif (entry.priority, entry.owner) != (gate.priority, gate.owner):
            changed.append(Changed(gate_id, gate.priority, gate.owner, f"{entry.priority.value} {entry.owner}"))
    return InventoryCheck(
        file=file,
        listed=len(listed),
        in_scope=len(scope),
        missing=tuple(sorted(missing, key=lambda m: m.id)),
        unlisted=tuple(sorted(unlisted, key=lambda e: e.id)),
        changed=tuple(sorted(changed, key=lambda c: c.id)),
    )


def combine(checks: Iterable[InventoryCheck | None]) -> InventoryCheck | None:
    """One check for runs that split the gates between them (shards): what any of them found."""
    found = list(checks)
    if not found or any(c is None for c in found):
        return None
    parts = [c for c in found if c is not None]
    return InventoryCheck(
        file=parts[0].file,
        listed=max(c.listed for c in parts),
        in_scope=sum(c.in_scope for c in parts),
        missing=tuple(sorted({m for c in parts for m in c.missing}, key=lambda m: m.id)),
        unlisted=tuple(sorted({e for c in parts for e in c.unlisted}, key=lambda e: e.id)),
        changed=tuple(sorted({x for c in parts for x in c.changed}, key=lambda x: x.id)),
        absent=any(c.absent for c in parts),
    )


@dataclass
class CollectionFacts:
    """What one process saw while collecting, in project-relative paths (JSON-safe, merged across workers).

    ``ignored`` maps a path to whether the user's own ``--ignore``/``--ignore-glob`` did it;
    ``deselected`` maps a gate id to whether the run's selection options (-m, -k, --deselect,
    --owner, --gate-shard) explain it.
    """

    roots: list[str] = field(default_factory=list)
    ignored: dict[str, bool] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    produced: list[str] = field(default_factory=list)
    deselected: dict[str, bool] = field(default_factory=dict)
    last_failed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"roots": self.roots, "ignored": self.ignored, "skipped": self.skipped, "failed": self.failed,
                "files": self.files, "produced": self.produced, "deselected": self.deselected,
                "last_failed": self.last_failed}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CollectionFacts:
        return cls(**{k: data[k] for k in cls().to_json() if k in data})

    def merge(self, other: CollectionFacts) -> None:
        """Add what another process (an xdist worker) saw."""
        self.roots = self.roots or other.roots
        self.ignored |= other.ignored
        self.skipped |= other.skipped
        self.failed = sorted(set(self.failed) | set(other.failed))
        self.files = sorted(set(self.files) | set(other.files))
        self.produced = sorted(set(self.produced) | set(other.produced))
        self.deselected |= other.deselected
        self.last_failed = self.last_failed or other.last_failed

    def how_vanished(self, entry: Entry, file_exists: bool) -> str:
        """How a listed gate dropped out of the run, as far as collection shows it."""
        file = entry.id.split("::", 1)[0]
        if not any(under(file, root) for root in self.roots):
            return (f"its file is outside the suite roots ({', '.join(self.roots)}) — an ini override of "
                    "castmatch_suites moved it out of the gate")
        for path, by_option in sorted(self.ignored.items()):
            if under(file, path) and not by_option:
                return (f"{path} was ignored at collection (collect_ignore, collect_ignore_glob or a "
                        "pytest_ignore_collect hook)")
        for path, reason in sorted(self.skipped.items()):
            if under(file, path):
                return f"{path} was skipped at collection: {reason}"
        if any(under(file, path) for path in self.failed):
            return "its module failed to collect"
        if entry.id in self.deselected:
            return ("deselected by --lf (only the last failures ran)" if self.last_failed
                    else "deselected by a plugin or hook, not by -m, -k, --deselect, --owner or --gate-shard")
        if entry.id in self.produced:
            return "dropped from the collected items by a pytest_collection_modifyitems hook"
        if not file_exists:
            return "its file no longer exists"
        if self.last_failed:
            return "not collected: --lf ran only the files with last failures"
        if file in self.files:
            return "its module no longer yields this test (renamed, removed or parametrized differently)"
        return "its file was never collected"
