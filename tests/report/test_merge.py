"""Merging shard reports gives the report of the unsharded run, and refuses what cannot be merged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from pytest_castmatch import canonical
from pytest_castmatch.config import GateConfig
from pytest_castmatch.merge import MergeError, merge_reports
from pytest_castmatch.model import Scope

from .conftest import TODAY, sample_gates

Report = Callable[..., dict[str, Any]]


def _shards(gate_config: GateConfig, report_of: Report, n: int = 2, **kwargs: Any) -> list[tuple[str, dict[str, Any]]]:
    gates = sample_gates(gate_config)
    parts = [gates[k::n] for k in range(n)]
    return [
        (
            f"shard{k + 1}/report.json",
            report_of(part, scope=Scope(full=False, deselected=len(gates) - len(part)), shard=f"{k + 1}/{n}", **kwargs),
        )
        for k, part in enumerate(parts)
    ]


@pytest.mark.parametrize("signed", [False, True])
def test_merge_of_shards_equals_the_unsharded_report(gate_config: GateConfig, report_of: Report, signed: bool) -> None:
    whole = report_of(signed=signed)
    merged = merge_reports(
        _shards(gate_config, report_of),
        gate_config,
        signed=signed,
        today=TODAY,
        generated_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
    )
    assert merged["scope"]["full"]
    assert merged["run"]["shard"] == ""
    assert canonical.strip_volatile(merged) == canonical.strip_volatile(whole)


def test_missing_shard_blocks_and_is_not_full(gate_config: GateConfig, report_of: Report) -> None:
    shards = _shards(gate_config, report_of, n=3)
    merged = merge_reports(shards[:2], gate_config, today=TODAY)
    assert not merged["scope"]["full"]
    assert merged["run"]["shard"] == "1/3,2/3"
    assert merged["verdict"]["decision"] == "NO-GO"
    assert any("shard 3/3 is missing" in r["message"] for r in merged["verdict"]["reasons"] if r["blocking"])


def test_selected_shards_keep_their_selection(gate_config: GateConfig, report_of: Report) -> None:
    gates = sample_gates(gate_config)
    shards = [
        (
            f"s{k}",
            report_of(gates[k - 1 :: 2], scope=Scope(full=False, markexpr="p0", deselected=len(gates)), shard=f"{k}/2"),
        )
        for k in (1, 2)
    ]
    merged = merge_reports(shards, gate_config, today=TODAY)
    assert not merged["scope"]["full"]
    assert merged["scope"]["markexpr"] == "p0"
    assert merged["verdict"]["label"] != "GO for launch"


def test_merge_refuses_mixed_commits(gate_config: GateConfig, report_of: Report) -> None:
    shards = _shards(gate_config, report_of)
    shards[1] = (shards[1][0], dict(shards[1][1], subject={"commit": "f" * 40, "branch": "main", "dirty": False}))
    with pytest.raises(MergeError, match=r"shard2/report\.json: commit f{40} differs"):
        merge_reports(shards, gate_config)


def test_merge_refuses_overlapping_gates(gate_config: GateConfig, report_of: Report) -> None:
    shards = _shards(gate_config, report_of)
    extra = dict(shards[1][1], gates=[*shards[1][1]["gates"], shards[0][1]["gates"][0]])
    with pytest.raises(MergeError, match=r"is also in shard1/report\.json"):
        merge_reports([shards[0], (shards[1][0], extra)], gate_config)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"run": {"shard": ""}}, "not a shard report"),
        ({"run": {"shard": "2/3"}}, "does not match"),
        ({"run": {"shard": "1/2"}}, "is also in"),
    ],
)
def test_merge_refuses_inconsistent_shards(
    gate_config: GateConfig, report_of: Report, change: dict[str, Any], message: str
) -> None:
    shards = _shards(gate_config, report_of)
    second = dict(shards[1][1])
    second["run"] = dict(second["run"], **change["run"])
    with pytest.raises(MergeError, match=message):
        merge_reports([shards[0], (shards[1][0], second)], gate_config)


def test_merge_refuses_different_selections(gate_config: GateConfig, report_of: Report) -> None:
    shards = _shards(gate_config, report_of)
    second = dict(shards[1][1], scope=dict(shards[1][1]["scope"], keyword="login"))
    with pytest.raises(MergeError, match="different selection"):
        merge_reports([shards[0], (shards[1][0], second)], gate_config)
