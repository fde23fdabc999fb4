"""index.html as text: every gate listed, reasons in full, evidence linked beside its gate and finding,
charts of the quantity and unit they name, fields from newer reports rendered, not tripped over."""

from __future__ import annotations

import copy
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from pytest_castmatch.config import GateConfig
from pytest_castmatch.report import charts, html, markdown

from .conftest import EVIDENCE, build_report, rich_gates, write_evidence


@pytest.fixture(scope="module")
def rich(gate_config: GateConfig) -> dict[str, Any]:
    return build_report(gate_config, rich_gates(gate_config))


@pytest.fixture(scope="module")
def page(rich: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("page")
    write_evidence(folder)
    (folder / "evidence" / "app.log").write_text('{"msg": "started"}\n')  # written by the run, no gate's
    return html.render(rich, base_dir=folder)


def _section(page: str, anchor: str) -> str:
    start = page.index(f'id="{anchor}"')
    end = page.find("<section", start)
    return page[start:end if end != -1 else len(page)]


def test_every_gate_is_a_row_with_filters_for_outcome_owner_and_priority(rich: dict[str, Any], page: str) -> None:
    table = page[page.index('<table id="gate-table"'):page.index("</table>", page.index('<table id="gate-table"'))]
    assert table.count("<tr data-outcome=") == len(rich["gates"])
    for gate in rich["gates"]:
        assert f'data-outcome="{gate["outcome"]}" data-owner="{gate["owner"]}" data-priority="{gate["priority"]}"' \
            in table
    assert "47.9 s" in table
    assert "ms</td>" in table
    filters = page[page.index('<form id="gate-filters"'):page.index("</form>")]
    assert 'hidden>' in filters.split("\n")[0]  # shown by the script only: without it, a plain table
    for name in ("outcome", "owner", "priority", "text"):
        assert f'data-filter="{name}"' in filters
    assert '<option value="flaky">flaky</option>' in filters


def test_reasons_are_shown_in_full(page: str) -> None:
    blockers = _section(page, "h-blockers")
    assert "[bandit-B602] shell=True" in blockers  # the second line of the gate's message
    assert unescape("[targets] 30 x 30 px") in unescape(blockers)
    assert "failed: Failed: 1 problem(s):" not in blockers  # its first line is said once, in the block
    assert "<p class=\"wrap\">failed:</p><pre>Failed: 1 problem(s):" in blockers


def test_findings_are_grouped_by_gate_and_passed_gates_are_folded(rich: dict[str, Any], page: str) -> None:
    details = _section(page, "h-details")
    assert details.index("Blocking gates") < details.index("Passed gates (folded)")
    opened = re.findall(r'<details class="gate" id="(gate-\d+)"( open)?>', details)
    states = {g["id"]: g["outcome"] for g in rich["gates"]}
    ids = [g["id"] for g in rich["gates"]]
    for anchor, is_open in opened:
        outcome = states[ids[int(anchor.split("-")[1])]]
        assert bool(is_open) == (outcome != "passed"), (anchor, outcome)
    assert any(not is_open for _, is_open in opened)


def test_evidence_is_linked_beside_its_gate_and_finding(rich: dict[str, Any], page: str) -> None:
    assert f'href="{EVIDENCE}/attempt-1-trace.zip"' in page
    assert f"playwright show-trace {EVIDENCE}/attempt-1-trace.zip" in page
    assert page.count("data:image/jpeg;base64,") == 3  # thumbnails of the failing gates' screenshots
    assert "Lighthouse report: home (mobile), run 1" in page
    lighthouse = page[page.index("<h3>Lighthouse reports</h3>"):]
    assert 'href="evidence/lh/home-mobile-run1.html"' in lighthouse[:600]
    assert 'href="evidence/lh/lighthouse-batch-timing.txt"' in page  # data files too, by what they are
    assert 'href="evidence/app.log"' in _section(page, "h-run")  # and files of the run itself
    # Every file the report lists, for a gate or a finding, is a link on the page.
    listed = {e for g in rich["gates"] for e in g["evidence"]}
    listed |= {e for g in rich["gates"] for f in g["findings"] for e in f.get("evidence", ())}
    assert len(listed) >= 7
    linked = set(re.findall(r'href="(evidence/[^"#]+)"', page))
    assert listed <= linked, listed - linked


def test_flaky_gates_have_their_own_list(page: str) -> None:
    flaky = _section(page, "h-flaky")
    assert "test_back[pixel-7]" in flaky
    assert "Back did not restore the filters" in flaky


def test_charts_plot_the_quantity_they_name_with_units(page: str) -> None:
    series = _section(page, "h-series")
    frames = series[series.index("time between frames (ms)"):]
    frames = frames[:frames.index("</figure>")]
    assert "milliseconds since the start" in frames
    assert "threshold" not in frames.split("<svg", 1)[1]  # a % threshold is not drawn on a ms axis
    assert "frames_on_time_percent" in frames
    assert "needs &gt;= 65 %" in frames
    api = series[series.index("api_p99_ms ("):]
    api = api[:api.index("</figure>")]
    assert "threshold 200 ms" in api
    assert "seconds since the start" in api


def test_every_launch_metric_is_drawn_against_its_threshold_blocking_first(
    gate_config: GateConfig, rich: dict[str, Any],
) -> None:
    gates = [g for g in rich_gates(gate_config) if not any(s.metric == "api_p99_ms" for s in g.samples)]
    text = html.render(build_report(gate_config, gates))
    bars = text[text.index('<ul class="bullets"'):text.index("</ul>", text.index('<ul class="bullets"'))]
    items = bars.split("<li>")[1:]
    assert len(items) == len(rich["launch_metrics"])
    assert "API p99 latency under load" in items[0]
    assert "not measured" in items[0]
    measured = [i for i in items if "not measured" not in i]
    assert all('class="mark"' in i and 'class="fill' in i for i in measured)


def test_fields_of_newer_reports_render_generically(rich: dict[str, Any]) -> None:
    report = copy.deepcopy(rich)
    report["launch_metrics"][0] |= {"samples": 1588, "successes": 1580}
    report["metrics"][0] |= {"value": None, "not_measured": "the window failed too often (12 %)"}
    quiet = next(g for g in report["gates"] if g["outcome"] == "passed" and not g["findings"])
    quiet["outcome"] = "not-applicable"
    quiet["message"] = "the deployment has no dark theme (profile: themes = ['light'])"
    report["inventory"] = {"path": "baselines/gates.lock", "gates": 107}
    report["policy"] = {"gates.toml": "sha256:ab"}
    text = html.render(report)
    assert "n = 1,588, 1,580 ok" in text
    assert "not measured</span>: the window failed too often (12 %)" not in text  # status comes from the row
    assert ": the window failed too often (12 %)" in text
    assert '<span class="badge other">not-applicable</span>' in text
    assert "the deployment has no dark theme" in text
    assert '<option value="not-applicable">not-applicable</option>' in text
    assert "1 needs review" in text


def test_chart_axes_start_at_zero_and_end_on_a_round_number() -> None:
    chart = charts.line([(0.0, 12.0), (1.0, 61.0), (2.0, None), (3.0, 40.0)], unit="ms", bounds=[200.0])
    assert [t["label"] for t in chart["y_ticks"]] == ["250", "125", "0"]
    assert chart["y_title"] == "ms"
    assert charts.compact(25000.0) == "25k"
    assert charts.compact(1_250_000.0) == "1.25M"
    assert charts.compact(1500.0) == "1,500"
    assert len(chart["paths"]) == 1  # the gap splits the line; a lone point after it is a dot
    assert chart["bounds"][0]["label"] == "200 ms"
    assert charts.bullet(100.0, 99.99, None, "%")["top"] == "100 %"
    assert charts.bullet(None, 20000.0, None, "users")["width"] is None


def test_the_page_has_one_script_and_it_is_the_hashed_one(page: str) -> None:
    assert page.count("<script>") == 1
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp is not None
    assert "default-src 'none'" in csp.group(1)
    assert f"script-src '{html.script_hash()}'" in csp.group(1)
    assert "unsafe-inline" not in csp.group(1).split("script-src", 1)[1].split(";")[0]


def test_no_page_is_needed_to_render_a_report_without_evidence(rich: dict[str, Any], tmp_path: Path) -> None:
    text = html.render(rich, base_dir=tmp_path)  # files missing: linked, not inlined, never an error
    assert "data:image/png;base64," not in text
    assert f'href="{EVIDENCE}/attempt-1.png"' in text


def test_a_long_reason_shows_its_first_lines_and_unfolds_the_rest() -> None:
    message = "Failed: 20 problem(s):\n" + "\n".join(f"  [axe/color-contrast] element {i}" for i in range(20))
    gates = {"g": {"message": message, "anchor": "gate-0"}}
    reason = {"subject": "g", "message": "failed: Failed: 20 problem(s):", "blocking": True}
    (shown,) = html._reasons([reason], gates)
    assert shown["headline"] == "failed:"
    assert shown["full"].splitlines() == message.splitlines()[: html.REASON_LINES]
    assert shown["full"] + "\n" + shown["more"] == message  # every line is on the page


def test_the_markdown_summary_lists_flaky_gates_as_inert_text(rich: dict[str, Any]) -> None:
    text = markdown.render(rich)
    line = next(x for x in text.splitlines() if x.startswith("Flaky"))
    assert r"test\_back\[pixel\-7\]" in line
    assert "`" not in line
