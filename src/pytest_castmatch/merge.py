"""Merge the signed envelopes of ``--gate-shard K/N`` jobs into one report.

A shard is accepted only when its envelope verified against the trust policy (the caller's
part), and here: every shard is of the same commit, rules (policy digests), settings and N;
each was narrowed by its K/N partition alone; its gates all belong to its partition; and
together the shards cover every gate each of them collected, with no overlap and none missing.
Anything else is refused, naming the shard and the reason. The merged gates are judged again
from scratch with :func:`verdict.judge`, so a merged report obeys the rules of an unsharded run.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_castmatch import canonical, inventory, policy
from pytest_castmatch.config import GateConfig, Waiver
from pytest_castmatch.model import GateResult, Reason, Scope
from pytest_castmatch.record import Record, record
from pytest_castmatch.verdict import ManualSignOff, RunFacts, judge

_SHARD = re.compile(r"^(\d+)/(\d+)$")
#: Settings a shard may differ in: which shard it is, and where its report went.
_PER_SHARD = frozenset({"shard", "report_dir"})
#: Verdict reasons the merge judges again itself (by kind, and run reasons by subject); any other
#: blocker of a shard is carried over.
_REJUDGED = frozenset({"gate", "metric", "waiver", "waived", "manual", "signoff", "inventory"})
_REJUDGED_RUN = frozenset({"signature", "scope", "collection", "session"})


class MergeError(Exception):
    """The shards cannot be merged; the message names the shard and the reason."""


@record
class Shard(Record):
    """One shard's verified report, named as the user gave it, with its envelope's sha256."""

    name: str
    report: Mapping[str, Any]
    envelope_sha256: str = ""


def _shard_of(shard: Shard) -> tuple[int, int]:
    text = str(shard.report.get("run", {}).get("shard") or "")
    match = _SHARD.match(text)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise MergeError(
            f"{shard.name}: not a shard report (run.shard is {text!r}, expected 'K/N') — "
            "merge only combines reports of `pytest --gate-shard K/N` runs"
        )
    return int(match[1]), int(match[2])


def _settings(shard: Shard) -> dict[str, Any]:
    values = (shard.report.get("policy") or {}).get("settings", {}).get("values")
    if not isinstance(values, dict):
        raise MergeError(f"{shard.name}: records no settings — it was not written by this version; re-run the shard")
    return values


def _narrowing(shard: Shard, settings: Mapping[str, Any]) -> list[str]:
    """What narrowed a shard besides its partition."""
    scope = shard.report["scope"]
    selection = settings.get("selection") or {}
    found = [f"{flag} {value!r}" for flag, value in (("-m", scope.get("markexpr")), ("-k", scope.get("keyword")))
             if value]
    found += [f"--owner {o}" for o in scope.get("owners") or ()]
    found += [f"path {p}" for p in scope.get("paths") or ()]
    for option in ("deselect", "ignore", "ignore_glob"):
        found += [f"--{option.replace('_', '-')} {v}" for v in selection.get(option) or ()]
    return found


def _check_same(shards: Sequence[Shard], current: Mapping[str, Any] | None) -> None:
    first = shards[0]
    commit = first.report.get("subject", {}).get("commit") or ""
    rules = {name: (first.report.get("policy") or {}).get(name) for name in policy.FILES}
    settings = {k: v for k, v in _settings(first).items() if k not in _PER_SHARD}
    for shard in shards:
        other = shard.report.get("subject", {}).get("commit") or ""
        if other != commit:
            raise MergeError(f"{shard.name}: commit {other or '(none)'} differs from {first.name}'s "
                             f"{commit or '(none)'} — merge shards of one commit only")
        for name in policy.FILES:
            mine = (shard.report.get("policy") or {}).get(name)
            if not isinstance(mine, Mapping) or mine != rules[name]:
                raise MergeError(f"{shard.name}: judged under other {name} than {first.name} — "
                                 "merge the shards of one sharded run only")
            now = (current or {}).get(name)
            if now is not None and mine.get("sha256") != now.get("sha256"):
                raise MergeError(f"{shard.name}: judged under {mine.get('file')} sha256 "
                                 f"{str(mine.get('sha256'))[:12]}…, but {now.get('file')} here is "
                                 f"{str(now.get('sha256'))[:12]}… — merge with the rules the shards ran under")
        if {k: v for k, v in _settings(shard).items() if k not in _PER_SHARD} != settings:
            raise MergeError(f"{shard.name}: ran with other settings than {first.name} — "
                             "merge shards of the same pytest command only")
        if not isinstance(shard.report.get("inventory"), Mapping):
            raise MergeError(f"{shard.name}: records no check against the gate inventory — without it the merge "
                             "cannot tell that the shards together judged every listed gate; re-run the shard")
        narrowed = _narrowing(shard, _settings(shard))
        if narrowed:
            raise MergeError(f"{shard.name}: narrowed by {', '.join(narrowed)} besides its --gate-shard "
                             "partition — a merged report must cover every gate; run each shard without them")


def merge_reports(
    shards: Sequence[Shard],
    config: GateConfig,
    waivers: Sequence[Waiver] = (),
    *,
    current_policy: Mapping[str, Any] | None = None,
    signed: bool = False,
    signer_keyid: str = "",
    launch_key: bool = False,
    report_dir: str = "",
    today: dt.date | None = None,
    generated_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """One canonical report from verified shards; :class:`MergeError` names what cannot be merged.

    ``current_policy`` is :func:`policy.current` for the rules the merge judges with: every
    shard must have been judged under exactly those.
    """
    if not shards:
        raise MergeError("no shards given — pass the report.dsse.json (or the folder) of every shard job")
    _check_same(shards, current_policy)
    seen: dict[int, str] = {}
    where: dict[str, str] = {}
    gates: list[GateResult] = []
    total = 0
    for shard in shards:
        k, n = _shard_of(shard)
        if total and n != total:
            raise MergeError(f"{shard.name}: shard {k}/{n} does not match the other shards' /{total} — "
                             "merge shards of one sharded run only")
        total = n
        if k in seen:
            raise MergeError(f"{shard.name}: shard {k}/{n} is also in {seen[k]} — pass each shard once")
        seen[k] = shard.name
        for data in shard.report["gates"]:
            if data["id"] in where:
                raise MergeError(f"{shard.name}: gate {data['id']} is also in {where[data['id']]} — "
                                 "shards must not overlap; check the --gate-shard options of the jobs")
            if inventory.shard_index(str(data["id"]), n) != k - 1:
                raise MergeError(f"{shard.name}: gate {data['id']} does not belong to shard {k}/{n} — "
                                 "the shard was not split by --gate-shard alone")
            where[data["id"]] = shard.name
            gates.append(GateResult.from_json(data))
    missing = sorted(set(range(1, total + 1)) - set(seen))
    if missing:
        raise MergeError(f"shard {', '.join(f'{k}/{total}' for k in missing)} missing — pass the envelope of every "
                         "shard job; a merged report must cover every gate")
    # Every shard collected the same gates: the ones it ran plus the ones its partition deselected.
    collected = {s.name: len(s.report["gates"]) + int(s.report["scope"].get("deselected", 0)) for s in shards}
    for shard in shards:
        if collected[shard.name] != len(gates):
            raise MergeError(f"{shard.name}: collected {collected[shard.name]} gates, but the shards together "
                             f"judged {len(gates)} — a gate was dropped or deselected; re-run the shards alone")
    return _judged(shards, gates, config, waivers, signed=signed, signer_keyid=signer_keyid,
                   launch_key=launch_key, report_dir=report_dir, today=today, generated_at=generated_at)


def _judged(
    shards: Sequence[Shard],
    gates: list[GateResult],
    config: GateConfig,
    waivers: Sequence[Waiver],
    *,
    signed: bool,
    signer_keyid: str,
    launch_key: bool,
    report_dir: str,
    today: dt.date | None,
    generated_at: dt.datetime | None,
) -> dict[str, Any]:
    first = shards[0].report
    problems: list[str] = []
    for shard in shards:
        problems.extend(p for p in shard.report["run"].get("problems", []) if p not in problems)
        problems.extend(f"{shard.name}: {r['subject']} — {r['message']}" for r in shard.report["verdict"]["reasons"]
                        if r["blocking"] and r["kind"] not in _REJUDGED
                        and not (r["kind"] == "run" and r["subject"] in _REJUDGED_RUN))
    # The shards share their sign-off statements (same digest); each verified them at its run.
    signoffs = tuple(ManualSignOff(row["id"], row["owner"], row["signoff"]["file"], row["signoff"]["expires"],
                                   row["signoff"]["keyid"]) for row in first.get("manual", []) if "signoff" in row)
    runs = [s.report["run"] for s in shards]
    facts = RunFacts(
        scope=Scope(full=True),
        complete=all(run.get("complete", False) for run in runs),
        interrupted=any(run.get("interrupted", False) for run in runs),
        collection_errors=max(int(run.get("collection_errors", 0)) for run in runs),
        signed=signed,
        collected_ids=frozenset(g.id for g in gates),
        problems=tuple(problems),
        # Each shard checked the inventory inside its own shard: together they checked all of it.
        inventory=inventory.combine(
            inventory.InventoryCheck.from_json(s.report["inventory"]) if s.report.get("inventory") else None
            for s in shards
        ),
        signer_keyid=signer_keyid,
        launch_key=launch_key,
        signoffs=signoffs,
        signoff_problems=tuple(Reason(**r) for s in shards for r in s.report["verdict"]["reasons"]
                               if r["blocking"] and r["kind"] == "signoff"),
    )
    judgement = judge(config, gates, facts, waivers, today=today)
    engines: dict[str, str] = {}
    for shard in shards:
        engines |= shard.report.get("environment", {}).get("engines", {})
    env = dict(first.get("environment", {})) | {"engines": dict(sorted(engines.items()))}
    subject_info = dict(first.get("subject", {})) | {"dirty": any(s.report.get("subject", {}).get("dirty", False)
                                                                  for s in shards)}
    settings = dict(first["policy"]["settings"]["values"]) | {"shard": "", "report_dir": report_dir}
    rules = {name: first["policy"][name] for name in policy.FILES}
    doc = canonical.build(
        config=config,
        gates=gates,
        judgement=judgement,
        facts=facts,
        subject_info=subject_info,
        env=env,
        # The shards ran side by side: the merged run took as long as the slowest.
        duration=max(float(s.report.get("duration", 0.0)) for s in shards),
        generated_at=generated_at,
        policy=rules | {"settings": {"sha256": policy.settings_digest(settings), "values": settings}},
    )
    doc["run"]["shards"] = [{"shard": s.report["run"]["shard"], "name": s.name, "envelope_sha256": s.envelope_sha256}
                            for s in sorted(shards, key=lambda s: _shard_of(s)[0])]
    return doc
