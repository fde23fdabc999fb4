"""Sample reports built the way the plugin builds them: GateResults -> judge -> canonical.build."""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from pytest_castmatch import attest, canonical
from pytest_castmatch.config import GateConfig, load_gates
from pytest_castmatch.model import Finding, GateResult, Outcome, Priority, Sample, Scope, Series
from pytest_castmatch.verdict import RunFacts, judge

ROOT = Path(__file__).resolve().parents[2]
COMMIT = "0123456789abcdef0123456789abcdef01234567"
STAMP = dt.datetime(2025, 1, 10, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2025, 1, 10)
HOSTILE = "<script>window.__pwned=1;alert(1)</script><img src=x onerror=alert(2)>"
HOSTILE_MD = "](javascript:alert(3)) | pipe [x](javascript:alert(4)) @everyone"


def png(width: int = 4, height: int = 3) -> bytes:
    """A tiny valid PNG (solid dark grey), enough for an evidence screenshot."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x40\x40\x40" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


@pytest.fixture(scope="session")
def gate_config(tmp_path_factory: pytest.TempPathFactory) -> GateConfig:
    """The project's gates.toml (the seven launch metrics) or a small stand-in."""
    real = ROOT / "baselines" / "gates.toml"
    if real.exists():
        return load_gates(real)
    path = tmp_path_factory.mktemp("cfg") / "gates.toml"
    path.write_text(
        '[launch]\nname = "CastMatch Mumbai"\ndate = 2025-01-13\n'
        '[owners.backend-api]\ntitle = "Backend API"\n[owners.devops]\ntitle = "DevOps"\n'
        '[owners.design-review-qa]\ntitle = "Design review QA"\n'
        '[metrics.api_p99_ms]\ntitle = "API p99"\nowner = "backend-api"\npriority = "p0"\nunit = "ms"\n'
        "max = 200\nlaunch = true\n"
        '[metrics.availability_percent]\ntitle = "Availability"\nowner = "devops"\npriority = "p0"\n'
        'unit = "%"\nmin = 99.99\nlaunch = true\n'
        '[manual.runbooks]\ntitle = "Runbooks reviewed"\nowner = "devops"\npriority = "p2"\n'
        '[signoff]\nrequired = ["ci"]\n',
        encoding="utf-8",
    )
    return load_gates(path)


def passing_value(config: GateConfig, metric: str, slack: float = 0.9) -> float:
    """A value that meets ``metric``'s threshold with some room."""
    spec = config.metrics[metric]
    if spec.max is not None:
        return spec.max * slack
    assert spec.min is not None
    if spec.unit in ("%", "points"):  # bounded at 100
        return (spec.min + 100) / 2
    return spec.min / slack if spec.min > 0 else spec.min + 1


def sample_gates(config: GateConfig, *, hostile: bool = True, api_ms: float | None = None) -> list[GateResult]:
    """Every launch metric measured and met, one failing P1 gate with findings, one P2 advisory."""
    owners = list(config.owners)
    gates = []
    for spec in config.launch_metrics:
        value = api_ms if (api_ms is not None and spec.name == "api_p99_ms") else passing_value(config, spec.name)
        series: tuple[tuple[float, float], ...] = ()
        if spec.name == "api_p99_ms":
            series = tuple((float(t), value * (0.6 + 0.4 * ((t * 7) % 10) / 10)) for t in range(0, 60, 5))
        gates.append(
            GateResult(
                id=f"suites/metrics/test_{spec.name}.py::test_{spec.name}",
                priority=Priority.P0,
                owner=spec.owner,
                outcome=Outcome.PASSED,
                duration=1.5,
                samples=(Sample(spec.name, value, unit=spec.unit or None, series=series,
                                samples=max(spec.min_samples, 1200)),),
                location=f"suites/metrics/test_{spec.name}.py:10",
            )
        )
    name = f"test_banner[{HOSTILE}]" if hostile else "test_banner[plain]"
    message = f"contrast too low {HOSTILE_MD}" if hostile else "contrast too low"
    gates.append(
        GateResult(
            id=f"suites/accessibility/test_contrast.py::{name}",
            priority=Priority.P1,
            owner=owners[-1],
            outcome=Outcome.FAILED,
            duration=2.0,
            message=message,
            findings=(
                Finding(
                    "color-contrast-enhanced",
                    message,
                    "serious",
                    "1.4.6",
                    "/search",
                    "button.cta",
                    evidence=("evidence/contrast.png",),
                ),
                Finding("target-size-44", "button is 30x30 px", "moderate", "2.5.5", "/", "#go"),
            ),
            location="suites/accessibility/test_contrast.py:42",
        )
    )
    gates.append(
        GateResult(
            id="suites/content/test_copy.py::test_no_placeholder",
            priority=Priority.P2,
            owner=owners[0],
            outcome=Outcome.FAILED,
            message="lorem ipsum on /about",
            location="suites/content/test_copy.py:7",
        )
    )
    return gates


def build_report(
    config: GateConfig,
    gates: Sequence[GateResult],
    *,
    signed: bool = False,
    commit: str = COMMIT,
    scope: Scope | None = None,
    shard: str = "",
    complete: bool = True,
) -> dict[str, Any]:
    """The canonical report of a run of ``gates`` (fixed clock, fixed environment)."""
    facts = RunFacts(
        scope=scope or Scope(full=True),
        complete=complete,
        signed=signed,
        collected_ids=frozenset(g.id for g in gates),
        shard=shard,
    )
    judgement = judge(config, gates, facts, (), today=TODAY)
    return canonical.build(
        config=config,
        gates=gates,
        judgement=judgement,
        facts=facts,
        subject_info={"commit": commit, "branch": "main", "dirty": False},
        env={"python": "3.11.2", "pytest": "9.0", "plugin": "0.1.0", "engines": {"chromium": "131"}},
        duration=sum(g.duration for g in gates),
        generated_at=STAMP,
    )


@pytest.fixture
def report_of(gate_config: GateConfig) -> Callable[..., dict[str, Any]]:
    """Build a report from gates with the session's gate config."""

    def make(gates: Sequence[GateResult] | None = None, **kwargs: Any) -> dict[str, Any]:
        return build_report(gate_config, sample_gates(gate_config) if gates is None else gates, **kwargs)

    return make


@pytest.fixture(scope="session")
def ci_signer() -> attest.Ed25519Signer:
    """The CI key."""
    private, _ = attest.generate_key()
    return attest.load_signing_key(private.decode())


@pytest.fixture(scope="session")
def owner_signer() -> attest.Ed25519Signer:
    """An owner's key (devops)."""
    private, _ = attest.generate_key()
    return attest.load_signing_key(private.decode())


EVIDENCE = "evidence/suites_ui_test_home.py_test_home"


def rich_gates(config: GateConfig) -> list[GateResult]:
    """The sample run plus what a real run holds: engine findings located in source and on pages,
    evidence of every kind, a flaky gate, needs-review items, a passed gate with warnings, series."""
    owners = list(config.owners)
    gates = sample_gates(config)
    gates.append(
        GateResult(
            id=f"suites/ui/test_home.py::test_home[{HOSTILE}]",
            priority=Priority.P0,
            owner=owners[-1],
            outcome=Outcome.FAILED,
            duration=4.25,
            message="Failed: 2 problem(s):\n  [axe/color-contrast-enhanced] text 5.1:1\n  [targets] 30 x 30 px",
            findings=(
                Finding("axe/color-contrast-enhanced", "text 5.1:1, needs 7:1", "serious", "1.4.6", "/talent/42",
                        "#hero > p", evidence=(f"{EVIDENCE}/001-contrast.png",)),
                Finding("axe/color-contrast-enhanced", "text over a gradient: cannot be computed", "review",
                        "1.4.6", "/talent/42", ".badge"),
                Finding("failure-evidence", "attempt 1 failed on /talent/42; screenshot and trace attached",
                        "note", page="/talent/42",
                        evidence=(f"{EVIDENCE}/attempt-1.png", f"{EVIDENCE}/attempt-1-trace.zip")),
            ),
            evidence=(f"{EVIDENCE}/001-contrast.png", f"{EVIDENCE}/attempt-1.png", f"{EVIDENCE}/attempt-1-trace.zip"),
            location="suites/ui/test_home.py:12",
        )
    )
    gates.append(
        GateResult(
            id="suites/security/test_static.py::test_bandit",
            priority=Priority.P0,
            owner=owners[0],
            outcome=Outcome.FAILED,
            duration=1.5,
            message="Failed: 1 problem(s):\n  [bandit-B602] shell=True",
            findings=(
                Finding("bandit-B602", "B602 subprocess_popen_with_shell_equals_true (high severity, high "
                        "confidence): subprocess call with shell=True", "error", "CWE-78",
                        location="src/castmatch_app/ops.py:88",
                        help_uri="https://bandit.readthedocs.io/en/1.8.6/plugins/b602_subprocess_popen_with_shell_equals_true.html"),
            ),
            location="suites/security/test_static.py:23",
        )
    )
    gates.append(
        GateResult(
            id="suites/performance/test_lighthouse.py::test_lighthouse_scores[home]",
            priority=Priority.P0,
            owner=owners[0],
            outcome=Outcome.PASSED,
            duration=47.9,
            findings=(Finding("lighthouse-audit", "unused JavaScript: 12 KB", "warning", page="/"),),
            evidence=("evidence/lh/home-mobile-run1.html", "evidence/lh/home-mobile-run1.json",
                      "evidence/lh/lighthouse-batch-timing.txt"),
            location="suites/performance/test_lighthouse.py:20",
        )
    )
    gates.append(
        GateResult(
            id="suites/journeys/test_navigation.py::test_back[pixel-7]",
            priority=Priority.P1,
            owner=owners[0],
            outcome=Outcome.FLAKY,
            duration=6.0,
            message="passed after 1 failed attempt(s): Back did not restore the filters",
            location="suites/journeys/test_navigation.py:40",
        )
    )
    frames = Series(tuple((t * 16.7, 16.7 if t % 9 else 50.0) for t in range(60)), "time between frames", "ms",
                    x="ms")
    gates.append(
        GateResult(
            id="suites/performance/test_frames.py::test_carousel_frame_rate[mobile]",
            priority=Priority.P0,
            owner=owners[0],
            outcome=Outcome.PASSED,
            duration=2.6,
            samples=(Sample("frames_on_time_percent", 88.0, unit="%", series=frames.points,
                            series_axes=tuple(sorted(frames.axes().items()))),),
            location="suites/performance/test_frames.py:60",
        )
    )
    return gates


def write_evidence(folder: Path) -> list[Path]:
    """The files ``rich_gates`` names, with content, under the report folder ``folder``."""
    files = {
        f"{EVIDENCE}/001-contrast.png": png(60, 30),
        f"{EVIDENCE}/attempt-1.png": png(80, 40),
        f"{EVIDENCE}/attempt-1-trace.zip": b"PK\x05\x06" + b"\0" * 18,
        "evidence/lh/home-mobile-run1.html": b"<!doctype html><title>Lighthouse</title>",
        "evidence/lh/home-mobile-run1.json": b"{}",
        "evidence/lh/lighthouse-batch-timing.txt": b"batch of 1 page: 7.2 s\n",
        "evidence/contrast.png": png(60, 30),
    }
    written = []
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written
