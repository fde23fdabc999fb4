"""Fixtures for the check tests: the fixture corpus on a loopback port, one Chromium per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.checks import corpus


@pytest.fixture(scope="session")
def corpus_url() -> Iterator[str]:
    """Base URL of the fixture pages (tests/checks/pages)."""
    with corpus.serve() as url:
        yield url


@pytest.fixture(scope="session")
def base_url(corpus_url: str) -> str:
    """pytest-playwright resolves ``page.goto("/targets/sizes.html")`` against the corpus."""
    return corpus_url
