"""Merge shard reports (``--shard K/N`` runs in several CI jobs) into one report.

The merged gates are judged again from scratch with :func:`verdict.judge`, so a merged
report obeys exactly the rules of an unsharded run. Missing shards fail closed: their
gates never ran, so each missing shard is a blocking problem.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_castmatch import canonical, inventory
from pytest_castmatch.config import GateConfig, Waiver
from pytest_castmatch.model import GateResult, Scope
from pytest_castmatch.verdict import RunFacts, judge

_SHARD = re.compile(r"^(\d+)/(\d+)$")
_SELECTION = ("markexpr", "keyword", "owners", "paths")


class MergeError(Exception):
    """The shards cannot be merged; the message names the file and the fix."""


def _shard_of(name: str, report: Mapping[str, Any]) -> tuple[int, int]:
    text = str(report.get("run", {}).get("shard") or "")
    match = _SHARD.match(text)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise MergeError(
            f"{name}: not a shard report (run.shard is {text!r}, expected 'K/N') — "
            "merge only combines reports of `pytest --shard K/N` runs"
        )
    return int(match[1]), int(match[2])


def merge_reports(
    shards: Sequence[tuple[str, Mapping[str, Any]]],
    config: GateConfig,
    waivers: Sequence[Waiver] = (),
    *,
    signed: bool = False,
    today: dt.date | None = None,
    generated_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """One canonical report from ``(name, report)`` shards of the same commit and selection.

    Raises :class:`MergeError` for mixed commits, overlapping gates, a repeated or
    inconsistent shard, or shards that ran different selections.
    """
    if not shards:
        raise MergeError("no shard reports given — pass the report.json of every shard job")
    first_name, first = shards[0]
    commit = first.get("subject", {}).get("commit") or ""
    seen_shards: dict[int, str] = {}
    owners_of_gate: dict[str, str] = {}
    gates: list[GateResult] = []
    total = 0
    for name, report in shards:
        other = report.get("subject", {}).get("commit") or ""
        if other != commit:
            raise MergeError(
                f"{name}: commit {other or '(none)'} differs from {first_name}'s "
                f"{commit or '(none)'} — merge shards of one commit only"
            )
        k, n = _shard_of(name, report)
        if total and n != total:
            raise MergeError(
                f"{name}: shard {k}/{n} does not match the other shards' /{total} — "
                "merge shards of one sharded run only"
            )
        total = n
        if k in seen_shards:
            raise MergeError(f"{name}: shard {k}/{n} is also in {seen_shards[k]} — pass each shard once")
        seen_shards[k] = name
        for key in _SELECTION:
            if report["scope"].get(key) != first["scope"].get(key):
                raise MergeError(
                    f"{name}: ran a different selection ({key}) than {first_name} — "
                    "merge shards of the same pytest command only"
                )
        for data in report["gates"]:
            if data["id"] in owners_of_gate:
                raise MergeError(
                    f"{name}: gate {data['id']} is also in {owners_of_gate[data['id']]} — "
                    "shards must not overlap; check the --shard options of the jobs"
                )
            owners_of_gate[data["id"]] = name
            gates.append(GateResult.from_json(data))

    missing = sorted(set(range(1, total + 1)) - set(seen_shards))
    selection = {key: first["scope"].get(key) for key in _SELECTION}
    unselected = not any(selection.values())
    full = not missing and unselected
    # Each shard collected the whole suite: what it ran plus what it deselected.
    collected = max(len(r["gates"]) + int(r["scope"].get("deselected", 0)) for _, r in shards)
    scope = Scope(
        full=full,
        markexpr=str(selection["markexpr"] or ""),
        keyword=str(selection["keyword"] or ""),
        owners=tuple(selection["owners"] or ()),
        paths=tuple(selection["paths"] or ()),
        deselected=0 if full else max(collected - len(gates), 0),
    )
    problems: list[str] = []
    for _, report in shards:
        problems.extend(p for p in report["run"].get("problems", []) if p not in problems)
    problems.extend(
        f"shard {k}/{total} is missing — its gates did not run; merge every shard's report" for k in missing
    )
    runs = [r["run"] for _, r in shards]
    facts = RunFacts(
        scope=scope,
        complete=all(run.get("complete", False) for run in runs),
        interrupted=any(run.get("interrupted", False) for run in runs),
        # Every shard collects the whole suite, so each saw the same collection errors.
        collection_errors=max(int(run.get("collection_errors", 0)) for run in runs),
        signed=signed,
        collected_ids=frozenset(owners_of_gate),
        problems=tuple(problems),
        shard="" if not missing else ",".join(f"{k}/{total}" for k in sorted(seen_shards)),
        # Each shard checked the inventory inside its own shard: together they checked all of it.
        inventory=inventory.combine(
            inventory.InventoryCheck.from_json(r["inventory"]) if r.get("inventory") else None for _, r in shards
        ),
    )
    judgement = judge(config, gates, facts, waivers, today=today)
    engines: dict[str, str] = {}
    for _, report in shards:
        engines |= report.get("environment", {}).get("engines", {})
    env = dict(first.get("environment", {})) | {"engines": dict(sorted(engines.items()))}
    subject_info = dict(first.get("subject", {})) | {
        "dirty": any(r.get("subject", {}).get("dirty", False) for _, r in shards)
    }
    return canonical.build(
        config=config,
        gates=gates,
        judgement=judgement,
        facts=facts,
        subject_info=subject_info,
        env=env,
        # The shards ran side by side: the merged run took as long as the slowest.
        duration=max(float(r.get("duration", 0.0)) for _, r in shards),
        generated_at=generated_at,
    )
