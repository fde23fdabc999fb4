"""Hooks other plugins and conftest files may implement to extend the launch gate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_castmatch.attest import Signer


@pytest.hookspec(firstresult=True)
def pytest_castmatch_signer(config: pytest.Config) -> Signer | None:
    """Supply the key that signs the gate report.

    Return a :class:`pytest_castmatch.attest.Signer` to sign with a key held elsewhere
    (a KMS, a hardware token); return ``None`` to fall back to ``CASTMATCH_SIGNING_KEY``.
    Called once, on the controller, at configure time. The report is GO for launch only when
    the signer's key is listed with ``launch = true`` in ``signers/signers.toml`` beside the
    gates file; a signer that fails to sign leaves a NO-GO report saying why.
    """


def pytest_castmatch_report(config: pytest.Config, report: dict[str, Any]) -> None:
    """Add to the canonical report before it is signed and written.

    Called on the controller only. Put additions under ``report["extensions"][<your name>]``.
    Every field already in ``report`` (verdict, gates, metrics, scope...) was decided by
    ``verdict.judge``: a change to any of them is detected by comparing the report before and
    after the hooks, is discarded, and blocks the run (NO-GO, naming the changed fields).
    """
