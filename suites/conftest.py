"""What every CastMatch gate suite shares: the deployment under test and the browser.

Without ``--base-url`` the gates run against the reference app, started once per run on a
free loopback port (``castmatch_base_url``). The browser is Debian's Chromium, found by
``pytest_castmatch.sut``; if none can start, every browser gate errors, and so blocks.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_castmatch import sut


@pytest.fixture(scope="session")
def base_url(castmatch_base_url: str) -> str:
    """pytest-playwright resolves ``page.goto("/search")`` against this."""
    return castmatch_base_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch the system Chromium with the flags an offline container needs."""
    try:
        return sut.chromium_launch_args(browser_type_launch_args)
    except sut.SutError as exc:
        pytest.fail(str(exc), pytrace=False)
