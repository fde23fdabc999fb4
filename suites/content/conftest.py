"""Shared inputs of the content, localisation, design-token and information-architecture gates."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import requests

from pytest_castmatch.checks.content import Term, load_glossary

ROOT = Path(__file__).resolve().parents[2]
#: Pages a first-time visitor reads (the 404 page stands for every error page).
CONTENT_PAGES = ("/", "/talent", "/talent?q=dance&area=andheri", "/talent/1", "/join", "/signin", "/offline",
                 "/no-such-page")


#: Pages that answer with a status of their own, not a 2xx (the not-found page answers 404).
DECLARED_STATUS: dict[str, tuple[int, ...]] = {"/no-such-page": (404,)}


@pytest.fixture(scope="session")
def content_pages() -> tuple[str, ...]:
    """The pages every content gate reads."""
    return CONTENT_PAGES


@pytest.fixture(scope="session")
def declared_status() -> dict[str, tuple[int, ...]]:
    """Path -> the statuses that page must answer with, where that is not a 2xx (``navigation.visit(expect=)``)."""
    return dict(DECLARED_STATUS)


@pytest.fixture(scope="session")
def glossary() -> list[Term]:
    """Product terms from baselines/glossary.toml."""
    with open(ROOT / "baselines" / "glossary.toml", "rb") as handle:
        return load_glossary(tomllib.load(handle))


@pytest.fixture(scope="session")
def served_catalogues(castmatch_base_url: str) -> dict[str, dict[str, Any]]:
    """The message catalogues as the running app serves them (after any load-time changes)."""
    out = {}
    with requests.Session() as http:
        for lang in ("en", "hi", "ur"):
            response = http.get(f"{castmatch_base_url}/api/v1/locales/{lang}", timeout=10)
            response.raise_for_status()
            out[lang] = response.json()
    return out
