"""Evidence files: a gate that photographs nothing leaves no folder; every file is described for the page."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image

from pytest_castmatch.checks.evidence import Evidence
from pytest_castmatch.recorder import Gate
from pytest_castmatch.report import links

from .conftest import png


def test_a_gate_that_finds_nothing_leaves_no_evidence_folder(tmp_path: Path) -> None:
    gate = Gate("suites/test_x.py::test_clean", None, tmp_path)
    evidence = Evidence.for_gate(gate)
    assert evidence.count == 0
    assert not (tmp_path / "evidence").exists()
    assert evidence.folder.is_dir()  # asked for when a picture is taken: then it exists
    assert evidence.folder.parent == tmp_path / "evidence"


def test_files_are_described_by_what_they_are() -> None:
    assert links.describe("attempt-1.png")["kind"] == "screenshot"
    assert links.describe("attempt-1-trace.zip")["kind"] == "trace"
    lighthouse = links.describe("profile-mobile-run2.html")
    assert (lighthouse["kind"], lighthouse["page"]) == ("lighthouse", "profile")
    assert lighthouse["label"] == "Lighthouse report: profile (mobile), run 2"
    assert links.describe("stats_stats.csv")["label"] == "stats_stats.csv — table (CSV)"
    assert links.describe("master.log")["label"] == "master.log — log"


def test_only_plain_paths_inside_the_report_folder_become_links(tmp_path: Path) -> None:
    linker = links.Linker(tmp_path)
    assert linker.entry("evidence/a b/attempt-1-trace.zip", "x")["href"] == "evidence/a%20b/attempt-1-trace.zip"
    assert linker.entry("evidence/a/attempt-1-trace.zip", "x")["command"] == (
        "playwright show-trace evidence/a/attempt-1-trace.zip")
    for hostile in ("../../etc/passwd", "/etc/passwd", "javascript:alert(1)", "https://evil.test/x.png"):
        entry = linker.entry(hostile, "x")
        assert (entry["href"], entry["command"]) == (None, None), hostile


def test_screenshots_are_inlined_as_small_thumbnails_within_a_budget(tmp_path: Path) -> None:
    shot = tmp_path / "evidence" / "page.png"
    shot.parent.mkdir()
    shot.write_bytes(png(1280, 2400))
    entry = links.Linker(tmp_path).entry("evidence/page.png", "the page")
    assert entry["href"] == "evidence/page.png"  # the full picture stays one click away
    kind, _, data = str(entry["src"]).partition(";base64,")
    assert kind == "data:image/jpeg"
    with Image.open(io.BytesIO(base64.b64decode(data))) as thumb:
        assert thumb.width <= links.THUMB_SIZE[0]
        assert thumb.height <= links.THUMB_SIZE[1]
    spent = links.Linker(tmp_path)
    spent.spent = links.INLINE_BUDGET
    assert spent.entry("evidence/page.png", "the page")["src"] is None  # over budget: linked only
