"""Launch metrics across runs: the history folder, its order and limits, the HTML and ``diff --history``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from pytest_castmatch import canonical, history, publish
from pytest_castmatch.cli import main
from pytest_castmatch.config import GateConfig
from pytest_castmatch.report import ReportError, html, terminal

from .conftest import STAMP, build_report, sample_gates


def _run(config: GateConfig, day: int, api_ms: float | None) -> dict[str, Any]:
    gates = sample_gates(config, api_ms=api_ms)
    if api_ms is None:
        gates = [g for g in gates if not any(s.metric == "api_p99_ms" for s in g.samples)]
    report = build_report(config, gates, commit=f"{day:02d}" * 20)
    report["generated_at"] = (STAMP + dt.timedelta(days=day)).isoformat().replace("+00:00", "Z")
    return report


@pytest.fixture
def folder(gate_config: GateConfig, tmp_path: Path) -> Path:
    """Four earlier runs, written out of order, one twice (its report.json and a copy), plus junk."""
    out = tmp_path / "history"
    for day, ms in ((3, 150.0), (1, 90.0), (2, None), (4, 120.0)):
        canonical.write(_run(gate_config, day, ms), out / f"run-{day}" / "report.json")
    canonical.write(_run(gate_config, 4, 120.0), out / "copy-of-run-4.json")
    (out / "notes.json").write_text('{"not": "a report"}')
    return out


def test_history_orders_runs_counts_each_once_and_keeps_the_last(gate_config: GateConfig, folder: Path) -> None:
    earlier, skipped = history.load(folder)
    assert len(earlier) == 5
    assert [s.split(":")[0] for s in skipped] == [str(folder / "notes.json")]
    current = _run(gate_config, 5, 180.0)
    past = history.build(earlier, current, runs=4)
    assert [r.commit[:2] for r in past.runs] == ["02", "03", "04", "05"]
    api = next(m for m in past.metrics if m.metric == "api_p99_ms")
    assert [p.value for p in api.points] == [None, 150.0, 120.0, 180.0]
    assert next(p.status for p in api.points) == "not-measured"
    assert len(past.metrics) == len(current["launch_metrics"])


def test_a_missing_folder_names_itself(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="not a folder"):
        history.load(tmp_path / "nowhere")


def test_the_page_draws_each_launch_metric_across_runs(gate_config: GateConfig, folder: Path) -> None:
    earlier, _ = history.load(folder)
    page = html.render(_run(gate_config, 5, 180.0), history=earlier)
    section = page[page.index('id="h-history"'):]
    assert "Launch metrics across the last 5 runs" in section
    assert section.count('<figure class="chart">') == len(gate_config.launch_metrics)
    assert "API p99 latency under load over the last 5 runs: 90 ms, —, 150 ms, 120 ms, 180 ms" in section
    assert "threshold 200 ms" in section


def test_diff_prints_the_history_and_refuses_a_history_of_one(
    gate_config: GateConfig, folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    publish.publish(_run(gate_config, 4, 120.0), old, signer=None)
    publish.publish(_run(gate_config, 5, 180.0), new, signer=None)
    args = ["diff", str(old / "report.json"), str(new / "report.json"), "--history", str(folder)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Launch metrics over the last 5 runs" in out
    assert "API p99 latency under load (<= 200 ms): ▁·▆▃█  90 · 150 120 180 ms" in out
    assert f"skipped {folder / 'notes.json'}" in out
    assert main([*args, "--runs", "1"]) == 2
    assert "at least 2 runs" in capsys.readouterr().err


def test_sparkline_scales_between_lowest_and_highest() -> None:
    assert terminal.sparkline([1.0, None, 5.0, 3.0]) == "▁·█▅"
    assert terminal.sparkline([2.0, 2.0]) == "▄▄"
    assert terminal.sparkline([None]) == "·"


def test_version_and_every_subcommand_describes_itself(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("castmatch-gate 0.")
    for command in ("keygen", "verify", "sign-off", "show", "diff", "merge"):
        assert main([command, "--help"]) == 0
        text = capsys.readouterr().out
        description = text.split("\n\n")[1]
        assert not description.lstrip().startswith(("positional", "options")), (command, text[:300])
