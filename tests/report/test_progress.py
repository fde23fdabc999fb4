"""What a person watching a gate run sees: a header before the first gate, live engine progress, quiet under -q."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_castmatch import progress
from pytest_castmatch.runners import locust
from tests.plugin.conftest import GateProject

ENGINE = """
import pytest
from pytest_castmatch import progress

@pytest.mark.p0
@pytest.mark.owner("backend-api")
def test_long_engine(gate):
    print("captured, never shown")
    for page in range(1, 4):
        progress.note("Lighthouse", f"page {page} of 3")
    progress.tick("Locust", "50 users, 81 req/s")
    progress.tick("Locust", "too soon: not shown")
"""


@pytest.fixture
def lines() -> Iterator[list[str]]:
    seen: list[str] = []
    progress.set_sink(seen.append)
    yield seen
    progress.set_sink(None)


def test_tick_shows_a_phase_at_most_every_few_seconds(lines: list[str]) -> None:
    progress.tick("Locust", "first")
    progress.tick("Locust", "second")
    progress.tick("benchmark", "other phase")
    progress.note("Locust", "an event always shows")
    progress.tick("Locust", "still too soon")
    progress.tick("Locust", "shown", every=0.0)
    assert lines == ["Locust: first", "benchmark: other phase", "Locust: an event always shows", "Locust: shown"]


def test_nothing_is_computed_when_nobody_reads() -> None:
    def figures() -> str:
        raise AssertionError("computed without a reader")

    assert not progress.active()
    progress.tick("Locust", figures)
    progress.note("Locust", figures)


def test_the_run_header_and_engine_progress_reach_the_terminal(pytester: pytest.Pytester) -> None:
    project = GateProject(pytester)
    project.suite("test_engine", ENGINE)
    result = pytester.runpytest("suites")
    result.stdout.fnmatch_lines([
        "castmatch: 1 gate in scope (full gate)",
        "  deployment: CastMatch reference app (embedded, on loopback)",
        f"  report:     {pytester.path / 'gate-report'}",
        "  signer:     none: the report will be UNSIGNED (set CASTMATCH_SIGNING_KEY)",
        "*castmatch: Lighthouse: page 1 of 3",
        "castmatch: Lighthouse: page 2 of 3",
        "castmatch: Lighthouse: page 3 of 3",
        "castmatch: Locust: 50 users, 81 req/s",
    ])
    result.stdout.no_fnmatch_line("*too soon*")
    result.stdout.no_fnmatch_line("*captured, never shown*")
    assert not progress.active()  # the sink ends with the session


def test_quiet_runs_print_neither(pytester: pytest.Pytester) -> None:
    project = GateProject(pytester)
    project.suite("test_engine", ENGINE)
    result = pytester.runpytest("suites", "-q", "-m", "p0")
    result.stdout.no_fnmatch_line("*castmatch: 1 gate*")
    result.stdout.no_fnmatch_line("*Lighthouse: page*")


def test_locust_figures_come_from_its_newest_history_row(tmp_path: Path) -> None:
    history = tmp_path / "stats_stats_history.csv"
    model = locust.UserModel(users=50, ramp_s=2, hold_s=18, think=locust.ThinkTime.uniform(0.5, 1.5))
    plan = locust.LoadPlan(host="http://127.0.0.1:1", model=model, workers=1)
    assert locust.live_figures(history, plan, 1.2) == "1 s of about 20 s: starting 1 worker(s) for 50 users"
    history.write_text(
        "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,Total Request Count,Total Failure Count\n"
        "101,10,,Aggregated,0.000000,0.000000,4,5,0\n"
    )
    # One row: Locust's own figure, whatever it is.
    assert locust.live_figures(history, plan, 2.0) == (
        "2 s of about 20 s: 10 of 50 users, 0 req/s, 0 failed of 5 requests")
    with history.open("a") as rows:
        rows.write("103,50,GET,/api/v1/search,70.0,0,4,140,0\n"
                   "105,50,,Aggregated,0.000000,0.000000,4,163,2\n"
                   "106,50,,Aggregated,0.000000,0.000000,4,243,2\n")
    # Then requests per second over the last rows 4 s or more apart: (243 - 5) / 5 s, not Locust's lagging 0.
    assert locust.live_figures(history, plan, 12.0) == (
        "12 s of about 20 s: 50 of 50 users, 48 req/s, 2 failed of 243 requests")
