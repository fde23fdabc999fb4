"""Signed shards through the real plugin: each --gate-shard run signs its envelope; merge takes only
envelopes that verify, were narrowed by their partition alone and together cover every gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_castmatch import policy
from pytest_castmatch.cli import main
from pytest_castmatch.inventory import shard_index

from .conftest import SignedProject

NAMES = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot")


def _gate(name: str, value: float) -> str:
    return f"""
@pytest.mark.p0
@pytest.mark.owner("backend-api")
def test_{name}(gate):
    gate.metric("api_p99_ms", {value})
"""


def _id(name: str) -> str:
    return f"suites/test_gates.py::test_{name}"


@pytest.fixture
def shards(signed: SignedProject, monkeypatch: pytest.MonkeyPatch) -> SignedProject:
    """Six P0 gates (``delta`` failing) over two shards, signed with the CI key."""
    assert {k for k in (1, 2) if any(shard_index(_id(n), 2) == k - 1 for n in NAMES)} == {1, 2}
    signed.suite("test_gates", "import pytest\n" + "".join(_gate(n, 900.0 if n == "delta" else 120.0)
                                                            for n in NAMES))
    monkeypatch.setenv("CASTMATCH_SIGNING_KEY", str(signed.keys["ci"]))
    return signed


def _run_shards(project: SignedProject, *extra: str, first: tuple[str, ...] = ()) -> list[Path]:
    out = []
    for k in (1, 2):
        args = ("--gate-shard", f"{k}/2", "--gate-report", f"shard{k}", *extra, *(first if k == 1 else ()))
        project.run(*args)
        out.append(project.root / f"shard{k}")
    return out


def _merge(project: SignedProject, *paths: Path | str) -> int:
    return main(["merge", *map(str, paths), "--out", str(project.root / "merged"), "--gate-config",
                 str(project.gates), "--key-file", str(project.keys["ci"])])


def test_signed_shards_merge_into_the_whole_runs_verdict(
    shards: SignedProject, capsys: pytest.CaptureFixture[str]
) -> None:
    one, two = _run_shards(shards)
    assert (one / "report.dsse.json").exists()
    assert _merge(shards, one, two / "report.dsse.json") == 1  # delta fails: NO-GO, as the whole run
    merged = json.loads((shards.root / "merged" / "report.json").read_text())
    assert merged["scope"]["full"]
    assert sorted(g["id"] for g in merged["gates"]) == sorted(_id(n) for n in NAMES)
    assert [r["subject"] for r in merged["verdict"]["reasons"] if r["kind"] == "gate"] == [_id("delta")]
    assert [s["envelope_sha256"] for s in merged["run"]["shards"]] == [
        policy.sha256_file(one / "report.dsse.json"), policy.sha256_file(two / "report.dsse.json")]
    assert merged["signer"]["launch_key"]
    capsys.readouterr()
    assert main(["verify", str(shards.root / "merged"), "--policy", str(shards.gates)]) == 0


def test_all_passing_shards_merge_into_go_for_launch(shards: SignedProject) -> None:
    suite = shards.root / "suites" / "test_gates.py"
    suite.write_text(suite.read_text().replace("900.0", "120.0"))
    assert _merge(shards, *_run_shards(shards)) == 0
    assert json.loads((shards.root / "merged" / "report.json").read_text())["verdict"]["label"] == "GO for launch"


DROP_DELTA = """
def pytest_collection_modifyitems(items):
    items[:] = [item for item in items if not item.name.endswith("delta")]
"""


@pytest.mark.parametrize("how", ["--deselect", "-k", "hook"])
def test_a_shard_that_left_out_its_failing_gate_is_refused(
    shards: SignedProject, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    paths = _run_shards(shards)
    k = 1 if shard_index(_id("delta"), 2) == 0 else 2
    narrowing = {"--deselect": ("--deselect", _id("delta")), "-k": ("-k", "not delta"), "hook": ()}[how]
    if how == "hook":  # a conftest beside the suites drops the gate, as a plugin could
        (shards.root / "suites" / "conftest.py").write_text(DROP_DELTA)
    alone = shards.pytester.runpytest("--gate-shard", f"{k}/2", "--gate-report", f"shard{k}", *narrowing)
    capsys.readouterr()
    code = _merge(shards, *paths)
    err = capsys.readouterr().err
    assert code == 2
    assert not (shards.root / "merged").exists()
    if how == "hook":
        # The shard's own inventory check blocks it, and the other shard collected the gate it lost.
        assert alone.ret == pytest.ExitCode.TESTS_FAILED
        assert "collected 6 gates, but the shards together judged 5" in err
        return
    assert alone.ret == 0  # the shard alone looks fine: GO for this scope, signed
    named = {"--deselect": f"--deselect {_id('delta')}", "-k": "-k 'not delta'"}[how]
    assert f"shard{k}: narrowed by {named}" in err


@pytest.mark.parametrize("edit", ["report.json", "report.dsse.json", "unsigned", "missing"])
def test_an_edited_unsigned_or_missing_shard_is_refused(
    shards: SignedProject, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], edit: str
) -> None:
    one, two = _run_shards(shards)
    target = one if shard_index(_id("delta"), 2) == 0 else two
    if edit == "report.json":
        path = target / "report.json"
        path.write_text(path.read_text().replace('"outcome": "failed"', '"outcome": "passed"'))
        why = "report-mismatch"
    elif edit == "report.dsse.json":
        data = json.loads((target / "report.dsse.json").read_text())
        data["payload"] = data["payload"][:-8] + ("A" * 8 if data["payload"][-9] != "A" else "B" * 8)
        (target / "report.dsse.json").write_text(json.dumps(data))
        why = "refused"
    elif edit == "unsigned":
        monkeypatch.delenv("CASTMATCH_SIGNING_KEY")
        shards.run("--gate-shard", f"{1 if target == one else 2}/2", "--gate-report", target.name)
        why = "not a signed shard"
    else:
        why = "missing"
    capsys.readouterr()
    given = [one] if edit == "missing" else [one, two]
    assert _merge(shards, *given) == 2
    err = capsys.readouterr().err
    assert why in err
    assert err.count("\n") == 1
    assert not (shards.root / "merged").exists()
