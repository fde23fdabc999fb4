"""Shared fixtures for the plugin's own tests."""

from __future__ import annotations

from typing import Any

import pytest

# The plugin imports these only when it writes a report. Import them here, before any in-process
# pytester run: pytester drops the modules a run imported, and cryptography's classes loaded twice
# no longer recognise each other.
from pytest_castmatch import publish, sut  # noqa: F401

pytest_plugins = ["pytester"]


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
