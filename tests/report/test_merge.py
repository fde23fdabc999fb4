"""Merging shard reports gives the report of the unsharded run, and refuses what cannot be merged."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from pytest_castmatch import canonical, policy
from pytest_castmatch.config import GateConfig
from pytest_castmatch.inventory import InventoryCheck, shard_index
from pytest_castmatch.merge import MergeError, Shard, merge_reports
from pytest_castmatch.model import Scope

from .conftest import ROOT, TODAY, sample_gates

Report = Callable[..., dict[str, Any]]
SELECTION = {"markexpr": "", "keyword": "", "deselect": [], "ignore": [], "ignore_glob": [], "args": ["suites"]}


def _rules(shard: str, **selection: Any) -> dict[str, Any]:
    settings = {"shard": shard, "report_dir": f"report-{shard.replace('/', '-')}",
                "selection": SELECTION | selection, "environment": {}}
    return policy.block(ROOT / "baselines" / "gates.toml", settings, root=ROOT)


def _shards(gate_config: GateConfig, report_of: Report, n: int = 2, **selection: Any) -> list[Shard]:
    gates = sample_gates(gate_config)
    out = []
    for k in range(1, n + 1):
        part = [g for g in gates if shard_index(g.id, n) == k - 1]
        report = report_of(part, scope=Scope(full=False, deselected=len(gates) - len(part)), shard=f"{k}/{n}",
                           policy=_rules(f"{k}/{n}", **selection), inventory=_inventory(len(gates), len(part)))
        out.append(Shard(f"shard{k}/report.dsse.json", report, f"{k:064x}"))
    return out


def _inventory(listed: int, in_scope: int) -> InventoryCheck:
    """A run's check against an inventory that lists ``listed`` gates, ``in_scope`` of them in its scope."""
    return InventoryCheck("baselines/gates.lock", listed=listed, in_scope=in_scope)


def _merge(shards: list[Shard], config: GateConfig, **kwargs: Any) -> dict[str, Any]:
    return merge_reports(shards, config, today=TODAY, current_policy=policy.current(config.path, root=ROOT), **kwargs)


def test_the_sample_gates_fall_in_both_shards(gate_config: GateConfig) -> None:
    # Guard: with every gate in one shard, the partition checks below would pass vacuously.
    ids = [g.id for g in sample_gates(gate_config)]
    assert all(any(shard_index(i, 2) == k - 1 for i in ids) for k in (1, 2))


@pytest.mark.parametrize("signed", [False, True])
def test_merge_of_shards_equals_the_unsharded_report(gate_config: GateConfig, report_of: Report, signed: bool) -> None:
    shards = _shards(gate_config, report_of)
    gates = sample_gates(gate_config)
    whole = report_of(gates, signed=signed, inventory=_inventory(len(gates), len(gates)))
    merged = _merge(shards, gate_config, signed=signed, signer_keyid=whole["signer"]["keyid"], launch_key=signed,
                    generated_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    assert merged["scope"]["full"]
    assert merged["run"]["shard"] == ""
    assert [s["envelope_sha256"] for s in merged["run"].pop("shards")] == [f"{k:064x}" for k in (1, 2)]
    for doc in (merged, whole):
        doc.pop("policy")
    assert canonical.strip_volatile(merged) == canonical.strip_volatile(whole)


def test_a_missing_shard_is_refused(gate_config: GateConfig, report_of: Report) -> None:
    shards = _shards(gate_config, report_of, n=3)
    with pytest.raises(MergeError, match=r"shard 3/3 missing"):
        _merge(shards[:2], gate_config)


@pytest.mark.parametrize(
    ("selection", "named"),
    [
        ({"markexpr": "p0"}, "-m 'p0'"),
        ({"keyword": "login"}, "-k 'login'"),
        ({"deselect": ["suites/x.py::test_x"]}, "--deselect suites/x.py::test_x"),
        ({"ignore": ["suites/slow"]}, "--ignore suites/slow"),
    ],
)
def test_a_shard_narrowed_by_more_than_its_partition_is_refused(
    gate_config: GateConfig, report_of: Report, selection: dict[str, Any], named: str
) -> None:
    shards = _shards(gate_config, report_of, **selection)
    if "markexpr" in selection or "keyword" in selection:
        for shard in shards:
            shard.report["scope"].update(selection)
    with pytest.raises(MergeError, match=rf"shard1/report\.dsse\.json: narrowed by {named.replace('*', '.')}"):
        _merge(shards, gate_config)


def test_a_shard_without_an_inventory_check_is_refused(gate_config: GateConfig, report_of: Report) -> None:
    shards = _shards(gate_config, report_of)
    second = copy.deepcopy(dict(shards[1].report))
    second["inventory"] = None
    with pytest.raises(MergeError, match=r"^b: records no check against the gate inventory"):
        _merge([shards[0], Shard("b", second)], gate_config)


def test_a_shard_that_dropped_a_gate_is_refused(gate_config: GateConfig, report_of: Report) -> None:
    shards = _shards(gate_config, report_of)
    first = copy.deepcopy(dict(shards[0].report))
    first["gates"] = first["gates"][1:]  # judged one gate fewer than it collected
    with pytest.raises(MergeError, match=r"collected \d+ gates, but the shards together judged"):
        _merge([Shard(shards[0].name, first), shards[1]], gate_config)


def test_a_gate_in_the_wrong_partition_is_refused(gate_config: GateConfig, report_of: Report) -> None:
    shards = _shards(gate_config, report_of)
    first, second = (copy.deepcopy(dict(s.report)) for s in shards)
    second["gates"].append(first["gates"].pop())
    with pytest.raises(MergeError, match=r"does not belong to shard 2/2"):
        _merge([Shard("a", first), Shard("b", second)], gate_config)


def test_shards_of_other_rules_or_settings_are_refused(gate_config: GateConfig, report_of: Report) -> None:
    shards = _shards(gate_config, report_of)
    lax = copy.deepcopy(dict(shards[1].report))
    lax["policy"]["gates"] = {"file": "lax/gates.toml", "sha256": "0" * 64}
    with pytest.raises(MergeError, match=r"judged under other gates"):
        _merge([shards[0], Shard("lax", lax)], gate_config)
    both_lax = [Shard(s.name, copy.deepcopy(dict(s.report))) for s in shards]
    for shard in both_lax:
        shard.report["policy"]["gates"] = {"file": "lax/gates.toml", "sha256": "0" * 64}
    with pytest.raises(MergeError, match=r"judged under lax/gates.toml sha256 000000000000…"):
        _merge(both_lax, gate_config)
    env = copy.deepcopy(dict(shards[1].report))
    env["policy"]["settings"]["values"]["environment"] = {"CASTMATCH_LOAD_USERS": "5"}
    with pytest.raises(MergeError, match=r"other settings"):
        _merge([shards[0], Shard("env", env)], gate_config)


def test_merge_refuses_mixed_commits(gate_config: GateConfig, report_of: Report) -> None:
    shards = _shards(gate_config, report_of)
    other = dict(shards[1].report, subject={"commit": "f" * 40, "branch": "main", "dirty": False})
    with pytest.raises(MergeError, match=r"b: commit f{40} differs"):
        _merge([shards[0], Shard("b", other)], gate_config)


def test_merge_refuses_overlapping_gates(gate_config: GateConfig, report_of: Report) -> None:
    shards = _shards(gate_config, report_of)
    extra = dict(shards[1].report, gates=[*shards[1].report["gates"], shards[0].report["gates"][0]])
    with pytest.raises(MergeError, match=r"is also in shard1/report\.dsse\.json"):
        _merge([shards[0], Shard("b", extra)], gate_config)


@pytest.mark.parametrize(
    ("shard", "message"),
    [("", "not a shard report"), ("2/3", "does not match"), ("1/2", "is also in")],
)
def test_merge_refuses_inconsistent_shards(
    gate_config: GateConfig, report_of: Report, shard: str, message: str
) -> None:
    shards = _shards(gate_config, report_of)
    second = dict(shards[1].report, run=dict(shards[1].report["run"], shard=shard))
    with pytest.raises(MergeError, match=message):
        _merge([shards[0], Shard("b", second)], gate_config)
