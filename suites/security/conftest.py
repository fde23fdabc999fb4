"""Shared by the security gates: an HTTP client per gate and the test accounts.

The accounts are the reference app's seeded users (see ``castmatch_app``'s docstring); to gate
another deployment, give its two test directors as JSON in ``CASTMATCH_SECURITY_ACCOUNTS``:
``[["user", "password"], ["other-user", "password"]]`` (the first owns shortlist and audition 1).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from pytest_castmatch.checks.web import Client

SEEDED = (("meera@castmatch.test", "Meera-Casting-2025"), ("arjun@castmatch.test", "Arjun-Casting-2025"))


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

