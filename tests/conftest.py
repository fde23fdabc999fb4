"""Shared fixtures for the plugin's own tests, and the Hypothesis profile they run under."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization  # noqa: F401
from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: F401
from hypothesis import HealthCheck, settings

from pytest_castmatch import attest, publish, sut  # noqa: F401

# The cryptography modules above, and the plugin's own that load more of it, are imported only when
# a key is made or a report signed or written. They are imported here, before any in-process pytester
# run: pytester drops the modules a run imported, and cryptography's classes loaded twice no longer
# recognise each other ("must be a KeySerializationEncryption instance").

pytest_plugins = ["pytester"]

#: Properties are judged on what they compute, never on how fast a shared machine computes it: no
#: deadline, no "too slow" health check. A failing example is printed with the blob that replays it.
HYPOTHESIS_PROFILE = "castmatch-tests"
settings.register_profile(HYPOTHESIS_PROFILE, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])


#: Tests that take a minute or more each (a gate folder's defect rows, whole suites against a failing
#: deployment): they run first, so none starts last and runs alone. ``make test`` runs xdist with
#: ``--dist worksteal``: xdist hands each worker a run of consecutive tests, so one worker gets all
#: of these, and the other, once done with its own share, takes the ones not started yet.
LONGEST = ("tests/defects/test_matrix.py::test_defects_turn_their_gates_red",
           "tests/defects/test_failing_deployments.py::")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first (the matrix's folders in their own order: the most rows first), the rest as collected."""
    items.sort(key=lambda item: next((i for i, prefix in enumerate(LONGEST) if item.nodeid.startswith(prefix)),
                                     len(LONGEST)))


def pytest_configure(config: pytest.Config) -> None:
    """Run the tests under the profile above unless ``--hypothesis-profile`` names another."""
    if not config.getoption("hypothesis_profile", None):
        settings.load_profile(HYPOTHESIS_PROFILE)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium with the flags an offline container needs, as the suites use it."""
    try:
        return sut.chromium_launch_args(browser_type_launch_args)
    except sut.SutError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def base_url() -> str | None:
    """No deployment here: tests load fixture pages by full URL or ``page.set_content``.

    Folders that serve a corpus override this with its URL.
    """
    return None


@pytest.fixture(autouse=True)
def _fresh_suites_modules(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pytester project's ``suites`` package never resolves to one this process imported before.

    Under ``--import-mode=importlib`` pytest reuses a module already in ``sys.modules`` under the
    same dotted name, so the repository's ``suites.conftest`` (imported by a test on this worker)
    would stand in for a throwaway project's own ``suites/conftest.py``.
    """
    if "pytester" not in request.fixturenames:
        return
    for name in [m for m in sys.modules if m == "suites" or m.startswith("suites.")]:
        monkeypatch.delitem(sys.modules, name)
