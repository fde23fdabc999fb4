"""Fixtures for the check tests: the fixture corpus on a loopback port, one Chromium per session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pytest_castmatch import sut
from tests.checks import corpus


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium with the flags an offline container needs."""
    try:
        return sut.chromium_launch_args(browser_type_launch_args)
    except sut.SutError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def corpus_url() -> Iterator[str]:
    """Base URL of the fixture pages (tests/checks/pages)."""
    with corpus.serve() as url:
        yield url


@pytest.fixture(scope="session")
def base_url(corpus_url: str) -> str:
    """pytest-playwright resolves ``page.goto("/targets/sizes.html")`` against the corpus."""
    return corpus_url
