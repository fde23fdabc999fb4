"""What every CastMatch gate suite shares: the deployment under test and the browser.

Without ``--base-url`` the gates run against the reference app, started once per run on a
free loopback port (``castmatch_base_url``). The browser is Debian's Chromium, found by
``pytest_castmatch.sut``; if none can start, every browser gate errors, and so blocks.

HTTP-level gates get a ``client`` with a session of its own, and two test ``directors``: the
reference app's seeded users, or for another deployment its two test directors as JSON in
``CASTMATCH_SECURITY_ACCOUNTS``: ``[["user", "password"], ["other-user", "password"]]`` (the
first owns shortlist and audition 1).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from pytest_castmatch import sut
from pytest_castmatch.checks.web import Client

SEEDED = (("meera@castmatch.test", "Meera-Casting-2025"), ("arjun@castmatch.test", "Arjun-Casting-2025"))


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


@pytest.fixture
def client(castmatch_base_url: str) -> Iterator[Client]:
    """A keep-alive client with its own ``cm_sid`` session, so its rate-limit bucket is its own."""
    c = Client(castmatch_base_url)
    c.get("/")
    yield c
    c.close()


@pytest.fixture(scope="session")
def directors() -> tuple[tuple[str, str], tuple[str, str]]:
    """Two casting directors: (owner of shortlist/audition 1, someone else)."""
    given = os.environ.get("CASTMATCH_SECURITY_ACCOUNTS")
    if not given:
        return SEEDED
    first, second = json.loads(given)[:2]
    return (str(first[0]), str(first[1])), (str(second[0]), str(second[1]))

