"""Read and validate ``baselines/gates.toml`` and ``baselines/waivers.toml``.

Every error names the file, the line and the fix: a launch gate that cannot read its
own thresholds must stop loudly, never run with defaults nobody chose.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import field
from pathlib import Path
from typing import Any

from pytest_castmatch.model import Priority, non_negative_unit
from pytest_castmatch.record import Record, record
from pytest_castmatch.runners.usermodel import Saturation, saturation

#: Ids are matched whole (``fullmatch``): a trailing newline or space is not part of a valid id.
OWNER_ID = re.compile(r"[a-z][a-z0-9-]*")
METRIC_ID = re.compile(r"[a-z][a-z0-9_]*")
#: How far ahead a waiver may expire unless ``[waivers] max_days`` says otherwise.
WAIVER_MAX_DAYS = 90


class ConfigError(Exception):
    """A configuration file is malformed; the message says where and how to fix it."""


@record
class Owner(Record):
    id: str
    title: str


@record
class MetricSpec(Record):
    """A measured quantity with its threshold (``max`` and/or ``min``)."""

    name: str
    title: str
    owner: str
    priority: Priority
    unit: str = ""
    max: float | None = None
    min: float | None = None
    launch: bool = False
    #: The fewest valid observations a value needs to count as measured (a p99 needs about 100).
    min_samples: int = 1

    def violates(self, value: float) -> bool:
        return (self.max is not None and value > self.max) or (self.min is not None and value < self.min)

    def threshold_text(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        parts = []
        if self.min is not None:
            parts.append(f">= {_num(self.min)}{unit}")
        if self.max is not None:
            parts.append(f"<= {_num(self.max)}{unit}")
        return " and ".join(parts) or "recorded"

    def worst(self, values: Iterable[float]) -> float:
        """The value that decides the metric: highest for a ceiling, lowest for a floor."""
        vals = list(values)
        return min(vals) if self.max is None and self.min is not None else max(vals)


@record
class ManualItem(Record):
    """A launch task no machine can judge; pending until its owner signs it off."""

    id: str
    title: str
    owner: str
    priority: Priority


@record
class GateConfig(Record):
    path: Path
    launch_name: str
    launch_date: dt.date | None
    owners: Mapping[str, Owner]
    metrics: Mapping[str, MetricSpec]
    manual: Mapping[str, ManualItem] = field(default_factory=dict)
    required_signers: tuple[str, ...] = ()
    #: ``[load.saturation]``: when a load run measured its generator rather than the deployment.
    load_saturation: Saturation = field(default_factory=Saturation)
    waiver_approvers: tuple[str, ...] = ()
    waiver_max_days: int = WAIVER_MAX_DAYS
    raw: Mapping[str, Any] = field(default_factory=dict)

    def suggest_owner(self, name: str) -> str | None:
        close = difflib.get_close_matches(name, list(self.owners), n=1, cutoff=0.5)
        return close[0] if close else None

    @property
    def launch_metrics(self) -> list[MetricSpec]:
        return [m for m in self.metrics.values() if m.launch]


@record
class Waiver(Record):
    """Turns one blocker into a reported exception, until it expires."""

    target: str
    owner: str
    reason: str
    approved_by: str
    expires: dt.date
    line: int

    def expired(self, today: dt.date) -> bool:
        return self.expires < today


def _num(value: float) -> str:
    return f"{value:g}"


def _line_of(text: str, pattern: str, default: int = 1) -> int:
    """First line (1-based) matching ``pattern``; tomllib keeps no positions of its own."""
    rx = re.compile(pattern, re.MULTILINE)
    match = rx.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else default


def _header_line(text: str, *keys: str) -> int:
    dotted = r"\.".join(rf"\"?{re.escape(k)}\"?" for k in keys)
    # [ \t], not \s: a blank line before the header must not become the header's line.
    return _line_of(text, rf"^[ \t]*\[+[ \t]*{dotted}[ \t]*\]+")


def _parse_toml(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: file not found — create it, or point --gate-config at the gates file"
        ) from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already ends with "(at line N, column M)".
        raise ConfigError(f"{path}: invalid TOML: {exc} — fix the syntax on that line") from None


class _Table:
    """Typed access to one TOML table that reports the file and line of each mistake."""

    def __init__(self, path: Path, text: str, data: Mapping[str, Any], keys: tuple[str, ...]) -> None:
        self.path, self.text, self.data, self.keys = path, text, data, keys
        self._line: int | None = None if keys else 1
        self._start: int | None = None

    @property
    def line(self) -> int:
        """The table's header line, looked up only when a message needs it."""
        if self._line is None:
            self._line = _header_line(self.text, *self.keys)
        return self._line

    @line.setter
    def line(self, value: int) -> None:
        self._line, self._start = value, None

    def where(self, key: str) -> str:
        """``file:line`` of ``key`` in this table (the table's header line when the key is not written)."""
        # A scan of the lines from the header rather than a pattern per key: a profile asks this for
        # every key it reads, in every run, and compiling one pattern each cost more than the scan.
        line = self.line
        for text in self.text[self._offset():].split("\n"):
            written = text.lstrip()
            if written.startswith(key) and written[len(key):].lstrip().startswith("="):
                return f"{self.path}:{line}"
            line += 1
        return f"{self.path}:{self.line}"

    def error(self, key: str, problem: str, fix: str) -> ConfigError:
        table = ".".join(self.keys) or "top level"
        return ConfigError(f"{self.where(key)}: [{table}] {key}: {problem} — {fix}")

    def _offset(self) -> int:
        """Where the table's header line starts in the text (found once per table)."""
        if self._start is None:
            start = 0
            for _ in range(self.line - 1):
                start = self.text.index("\n", start) + 1
            self._start = start
        return self._start

    def check_keys(self, allowed: Iterable[str]) -> None:
        allowed = list(allowed)
        for key in self.data:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
                raise self.error(key, "unknown key", hint)

    def string(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str) or not value:
            raise self.error(key, f"expected a non-empty string, got {value!r}", f'write {key} = "..."')
        return value

    def number(self, key: str) -> float | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, f"expected a number, got {value!r}", f"write {key} = 200")
        if not math.isfinite(value):
            raise self.error(key, f"expected a finite number, got {value!r}", f"write {key} = 200")
        return float(value)

    def integer(self, key: str, default: int) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"expected a whole number, got {value!r}", f"write {key} = {default}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"expected true or false, got {value!r}", f"write {key} = true")
        return value

    def count(self, key: str, default: int) -> int:
        value = self.integer(key, default)
        if value < 1:
            raise self.error(key, f"expected a whole number of at least 1, got {value!r}", f"write {key} = 100")
        return value

    def priority(self, key: str = "priority") -> Priority:
        value = self.data.get(key)
        try:
            return Priority(str(value))
        except ValueError:
            raise self.error(key, f"unknown priority {value!r}", 'use "p0", "p1" or "p2"') from None

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, f"expected a list of strings, got {value!r}", f'write {key} = ["..."]')
        return tuple(value)

    def date(self, key: str) -> dt.date:
        value = self.data.get(key)
        if isinstance(value, dt.datetime):
            return value.date()
        if not isinstance(value, dt.date):
            raise self.error(key, f"expected a date, got {value!r}", f"write {key} = 2025-01-13 (no quotes)")
        return value

    def sub(self, key: str) -> _Table:
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise self.error(key, "expected a table", f"write it as [{'.'.join((*self.keys, key))}]")
        return _Table(self.path, self.text, value, (*self.keys, key))


#: The line-aware TOML reader, for the other files of a gate project (the deployment profile).
Table = _Table


def load_gates(path: Path) -> GateConfig:
    """Parse ``gates.toml``; raises :class:`ConfigError` naming file, line and fix."""
    text, data = _parse_toml(path)
    root = _Table(path, text, data, ())
    if "inventory" in data:
        raise root.error("inventory", "belongs to the deployment profile now", "write it as [deployment.pages] "
                         "list (README: Deployment profile), in the profile or in a [deployment] table here")
    for key in ("allowed_hosts", "model"):
        if key in data.get("load", {}):
            raise root.sub("load").error(key, "belongs to the deployment profile now", f"write it as "
                                         f"[deployment.load] {key} (README: Deployment profile, Load)")
    # [settings] and [deployment] are read by pytest_castmatch.settings and pytest_castmatch.profiles.
    root.check_keys(["schema", "launch", "owners", "metrics", "manual", "signoff", "waivers", "settings",
                     "deployment", "load"])
    schema = data.get("schema", 1)
    if isinstance(schema, bool) or schema != 1:
        raise root.error("schema", f"unsupported schema {schema!r}", "this plugin reads schema = 1")

    launch = root.sub("launch")
    launch.check_keys(["name", "date"])
    launch_name = launch.string("name", "launch")
    launch_date = launch.date("date") if "date" in launch.data else None

    owners_table = root.sub("owners")
    owners: dict[str, Owner] = {}
    for oid in owners_table.data:
        table = owners_table.sub(oid)
        if not OWNER_ID.fullmatch(oid):
            raise table.error(oid, "owner ids are lower-case words joined by '-'", 'e.g. [owners.backend-api]')
        table.check_keys(["title"])
        owners[oid] = Owner(oid, table.string("title", oid))
    if not owners:
        raise root.error("owners", "no owners declared", "add at least one [owners.<team>] table")

    def known_owner(table: _Table) -> str:
        owner = table.string("owner")
        if owner not in owners:
            close = difflib.get_close_matches(owner, list(owners), n=1)
            hint = f"did you mean {close[0]!r}?" if close else "declare it under [owners]"
            raise table.error("owner", f"unknown owner {owner!r}", hint)
        return owner

    metrics: dict[str, MetricSpec] = {}
    metrics_table = root.sub("metrics")
    for name in metrics_table.data:
        table = metrics_table.sub(name)
        if not METRIC_ID.fullmatch(name):
            raise table.error(name, "metric names are lower-case words joined by '_'", "e.g. [metrics.api_p99_ms]")
        table.check_keys(["title", "owner", "priority", "unit", "max", "min", "launch", "min_samples"])
        spec = MetricSpec(
            name=name,
            title=table.string("title", name),
            owner=known_owner(table),
            priority=table.priority(),
            unit=table.string("unit") if "unit" in table.data else "",
            max=table.number("max"),
            min=table.number("min"),
            launch=table.boolean("launch", False),
            min_samples=table.count("min_samples", 1),
        )
        _check_threshold(table, spec)
        metrics[name] = spec

    manual: dict[str, ManualItem] = {}
    manual_table = root.sub("manual")
    for mid in manual_table.data:
        table = manual_table.sub(mid)
        if not OWNER_ID.fullmatch(mid):
            raise table.error(mid, "manual item ids are lower-case words joined by '-'", "e.g. [manual.runbooks]")
        table.check_keys(["title", "owner", "priority"])
        manual[mid] = ManualItem(mid, table.string("title"), known_owner(table), table.priority())

    signoff = root.sub("signoff")
    signoff.check_keys(["required"])
    load = root.sub("load")
    load.check_keys(["saturation"])
    waivers = root.sub("waivers")
    waivers.check_keys(["approvers", "max_days"])
    approvers = waivers.strings("approvers")
    for team in approvers:
        if team not in owners:
            close = difflib.get_close_matches(team, list(owners), n=1)
            hint = f"did you mean {close[0]!r}?" if close else "approvers are teams declared under [owners]"
            raise waivers.error("approvers", f"unknown team {team!r}", hint)
    max_days = waivers.integer("max_days", WAIVER_MAX_DAYS)
    if max_days < 1:
        raise waivers.error("max_days", f"expected at least 1 day, got {max_days}",
                            f"write max_days = {WAIVER_MAX_DAYS}")
    return GateConfig(
        path=path,
        launch_name=launch_name,
        launch_date=launch_date,
        owners=owners,
        metrics=metrics,
        manual=manual,
        required_signers=signoff.strings("required"),
        load_saturation=saturation(load.sub("saturation")),
        waiver_approvers=approvers,
        waiver_max_days=max_days,
        raw=data,
    )


def _check_threshold(table: _Table, spec: MetricSpec) -> None:
    if spec.max is None and spec.min is None:
        raise table.error("max", "a metric needs a threshold", "add max = ... or min = ...")
    if spec.max is not None and spec.min is not None and spec.min > spec.max:
        raise table.error("min", f"min {_num(spec.min)} is above max {_num(spec.max)} — no value can pass",
                          "swap them or correct the one that is wrong")
    if non_negative_unit(spec.unit):
        for key, bound in (("min", spec.min), ("max", spec.max)):
            if bound is not None and bound < 0:
                raise table.error(key, f"{_num(bound)} {spec.unit} is below zero, and a measurement in "
                                  f"{spec.unit} never is", "write a threshold of 0 or more")


def load_waivers(path: Path, gates: GateConfig) -> list[Waiver]:
    """Parse ``waivers.toml`` (a missing file means no waivers)."""
    if not path.exists():
        return []
    text, data = _parse_toml(path)
    root = _Table(path, text, data, ())
    root.check_keys(["waiver"])
    entries = data.get("waiver", [])
    if not isinstance(entries, list):
        raise root.error("waiver", "expected an array of tables", "write each waiver as [[waiver]]")
    headers = [i + 1 for i, line in enumerate(text.splitlines()) if line.strip().startswith("[[waiver]]")]
    waivers = []
    for index, entry in enumerate(entries):
        table = _Table(path, text, entry, ())
        table.line = headers[index] if index < len(headers) else 1
        table.check_keys(["target", "owner", "reason", "approved_by", "expires"])
        owner = table.string("owner")
        if owner not in gates.owners:
            hint = gates.suggest_owner(owner)
            fix = f"did you mean {hint!r}?" if hint else "use an owner from gates.toml"
            raise table.error("owner", f"unknown owner {owner!r}", fix)
        waivers.append(
            Waiver(
                target=table.string("target"),
                owner=owner,
                reason=table.string("reason"),
                approved_by=table.string("approved_by"),
                expires=table.date("expires"),
                line=table.line,
            )
        )
    return waivers
