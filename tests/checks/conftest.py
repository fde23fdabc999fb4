"""Fixtures for the check tests: the fixture corpus on a loopback port, one Chromium per session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any], corpus_url: str) -> dict[str, Any]:
    """The corpus as the base URL of every page here.

    pytest-playwright's own ``browser_context_args`` is session-scoped: it keeps the ``base_url`` of
    whichever test of the worker made it first, which need not be one of these.
    """
    return {**browser_context_args, "base_url": corpus_url}
