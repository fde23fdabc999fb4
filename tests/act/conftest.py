"""The vendored W3C ACT test cases on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.act import implementation


@pytest.fixture(scope="session")
def act_url() -> Iterator[str]:
    """Base URL of the ACT test cases (tests/act)."""
    with implementation.serve() as url:
        yield url
