"""Manual checklist items: pending P0/P1 items block launch; a signed statement made before the run clears one."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from pytest_castmatch import attest, signoffs
from pytest_castmatch.cli import main
from pytest_castmatch.config import load_gates
from pytest_castmatch.trust import TrustedKey, TrustPolicy, load_trust

from .conftest import SignedProject

MANUAL = """
[manual.screen-reader-audit]
title = "Screen reader walk-through signed off"
owner = "devops"
priority = "p0"

[manual.runbooks]
title = "Runbooks reviewed"
owner = "devops"
priority = "p2"
"""
PASSING = """
    import pytest

    @pytest.mark.p0
    @pytest.mark.owner("backend-api")
    def test_api(gate):
        gate.metric("api_p99_ms", 120.0)
"""
REASON = "NVDA 2024.4 and VoiceOver on the seven key pages; notes in docs/audits/screen-reader.md"


@pytest.fixture
def manual(signed: SignedProject, monkeypatch: pytest.MonkeyPatch) -> SignedProject:
    """The signed project with one P0 and one P2 manual item, a passing gate, signing with the CI key."""
    signed.gates.write_text(signed.gates.read_text() + MANUAL)
    signed.suite("test_api", PASSING)
    monkeypatch.setenv("CASTMATCH_SIGNING_KEY", str(signed.keys["ci"]))
    return signed


def _statement(project: SignedProject, *extra: str) -> int:
    return main(["sign-off", "--statement", "--owner", "devops", "--item", "screen-reader-audit", "--reason", REASON,
                 "--gate-config", str(project.gates), *extra])


def test_a_pending_p0_item_blocks_launch_until_a_statement_signs_it_off(
    manual: SignedProject, capsys: pytest.CaptureFixture[str]
) -> None:
    assert manual.run().ret == pytest.ExitCode.TESTS_FAILED
    reasons = {(r["kind"], r["subject"]): r for r in manual.report()["verdict"]["reasons"]}
    audit, runbooks = reasons[("manual", "screen-reader-audit")], reasons[("manual", "runbooks")]
    assert (audit["blocking"], audit["owner"], audit["priority"]) == (True, "devops", "p0")
    assert "castmatch-gate sign-off --statement" in audit["message"]
    assert runbooks["blocking"] is False  # P2: advisory
    # A scoped run does not judge the launch checklist.
    assert manual.run("-m", "p0").ret == 0

    assert _statement(manual, "--key-file", str(manual.keys["devops"])) == 0
    path = manual.root / "baselines" / "signoffs" / "screen-reader-audit.json"
    written = json.loads(path.read_text())
    assert written["statement"]["reason"] == REASON
    assert "commit it" in capsys.readouterr().out

    assert manual.run().ret == 0
    report = manual.report()
    assert report["verdict"]["label"] == "GO for launch"
    row = next(m for m in report["manual"] if m["id"] == "screen-reader-audit")
    assert row["status"].startswith("signed off by devops until ")
    assert row["signoff"]["file"] == "baselines/signoffs/screen-reader-audit.json"
    assert report["policy"]["signoffs"]["sha256"] != "absent"


def test_a_statement_is_made_only_with_the_owners_listed_key_and_a_bounded_expiry(
    manual: SignedProject, capsys: pytest.CaptureFixture[str]
) -> None:
    for key in ("stranger", "ci"):
        assert _statement(manual, "--key-file", str(manual.keys[key])) == 2
        assert "does not list for devops" in capsys.readouterr().err
    far = (dt.date.today() + dt.timedelta(days=200)).isoformat()
    assert _statement(manual, "--key-file", str(manual.keys["devops"]), "--expires", far) == 2
    assert "at most 90 are allowed" in capsys.readouterr().err
    assert main(["sign-off", "--statement", "--owner", "backend-api", "--item", "screen-reader-audit", "--reason",
                 REASON, "--gate-config", str(manual.gates), "--key-file", str(manual.keys["devops"])]) == 2
    assert "belongs to 'devops'" in capsys.readouterr().err
    assert not (manual.root / "baselines" / "signoffs").exists()


def _forged(project: SignedProject, how: str) -> dict[str, Any]:
    config = load_gates(project.gates)
    trust = load_trust(project.root / "baselines" / "signers", list(config.owners))
    devops = attest.load_signing_key(str(project.keys["devops"]))
    if how == "expired":
        return signoffs.make(config, trust, devops, item="screen-reader-audit", owner="devops", reason=REASON,
                             expires=dt.date(2020, 2, 1), now=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    if how == "stranger":
        # Made against a policy that lists the stranger for devops: the committed one does not.
        stranger = attest.load_signing_key(str(project.keys["stranger"]))
        lax = TrustPolicy((TrustedKey("x", stranger.keyid, stranger.public_key, False, ("devops",), "x.pub"),))
        return signoffs.make(config, lax, stranger, item="screen-reader-audit", owner="devops", reason=REASON)
    document = signoffs.make(config, trust, devops, item="screen-reader-audit", owner="devops", reason=REASON)
    document["statement"]["reason"] = "audited (edited after signing)"
    return document


@pytest.mark.parametrize(
    ("how", "why"),
    [("expired", "expired on 2020-02-01"), ("stranger", "does not list for devops"),
     ("edited", "edited after signing")],
)
def test_a_statement_that_does_not_hold_blocks_and_names_its_file(manual: SignedProject, how: str, why: str) -> None:
    signoffs.write(_forged(manual, how), manual.root / "baselines" / "signoffs")
    result = manual.run()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    blockers = {(r["kind"], r["subject"]): r["message"] for r in manual.blockers()}
    message = blockers[("signoff", "baselines/signoffs/screen-reader-audit.json")]
    assert why in message
    assert ("manual", "screen-reader-audit") in blockers  # and the item stays pending
    # A statement that does not hold blocks any run, scoped or not.
    assert manual.run("-m", "p0").ret == pytest.ExitCode.TESTS_FAILED
