from __future__ import annotations

import json
import subprocess
import sys

import pytest

from castmatch_app import cli, defects

REQUIRED = [
    "low-contrast-dark", "small-targets", "motion-ignores-reduced", "carousel-no-pause", "keyboard-trap",
    "no-focus-outline", "reflow-overflow", "missing-h1", "bad-landmarks", "slow-recommendations", "slow-api",
    "no-cache", "crash-under-load", "missing-security-header", "no-rate-limit", "reflected-xss",
    "sql-injection", "idor", "stacktrace-500", "webhook-double-process", "token-no-expiry",
    "circuit-never-opens", "leaked-placeholder", "missing-hindi-key", "broken-rtl", "literal-colour",
    "theme-flash", "render-blocking-script", "huge-image", "late-banner-cls", "font-no-display",
    "janky-animation", "broken-shortlist-button", "lost-filter-on-back", "sw-no-cache", "double-submit",
    "degraded-model", "drifted-data", "unbalanced-ab", "backup-loses-rows", "no-request-id", "missing-metrics",
    "no-graceful-shutdown", "api-v0-no-deprecation", "vague-errors", "click-here-links", "key-page-404",
    "api-fast-500",
]


def test_catalogue_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["defects", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert {e["name"] for e in entries} >= set(REQUIRED)
    for entry in entries:
        assert set(entry) == {"name", "breaks", "owner", "priority", "gates"}
        assert entry["owner"] in defects.OWNERS
        assert entry["priority"] in defects.PRIORITIES
        assert entry["gates"]
        for gate in entry["gates"]:  # a suite folder, or a file / test inside one
            assert any(gate == f or gate.startswith(f + "/") for f in defects.GATE_FOLDERS), gate
    assert {e["owner"] for e in entries} == set(defects.OWNERS)  # every team can be proven red


def test_catalogue_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["defects"]) == 0
    assert "slow-recommendations" in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(defects.NAMES))
def test_every_defect_name_parses(name: str) -> None:
    assert defects.parse([name, f" {name} ,"]) == frozenset({name})


def test_unknown_defect_exits_2_with_a_suggestion() -> None:
    result = subprocess.run([sys.executable, "-m", "castmatch_app", "serve", "--port", "1",
                             "--defect", "slow-recomendations"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "Did you mean 'slow-recommendations'?" in result.stderr
    assert "no-cache" in result.stderr


def test_unknown_defect_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASTMATCH_DEFECTS", "idor,no-rate-limt")
    assert cli.main(["serve", "--port", "1"]) == 2
