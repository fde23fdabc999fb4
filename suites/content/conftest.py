"""Shared inputs of the content, localisation, design-token and information-architecture gates."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import requests

from pytest_castmatch import Deployment
from pytest_castmatch.checks.content import Term, load_glossary

#: A path no site serves: the gates read the deployment's error page from it.
MISSING_PAGE = "/gate-check-no-such-page"
#: Pages that answer with a status of their own, not a 2xx (the not-found page answers 404).
DECLARED_STATUS: dict[str, tuple[int, ...]] = {MISSING_PAGE: (404,)}


@pytest.fixture(scope="session")
def content_pages(inventory_pages: list[str]) -> tuple[str, ...]:
    """The pages every content gate reads: the deployment's pages and its error page."""
    return (*inventory_pages, MISSING_PAGE)


@pytest.fixture(scope="session")
def declared_status() -> dict[str, tuple[int, ...]]:
    """Path -> the statuses that page must answer with, where that is not a 2xx (``navigation.visit(expect=)``)."""
    return dict(DECLARED_STATUS)


@pytest.fixture(scope="session")
def glossary(castmatch_deployment: Deployment) -> list[Term]:
    """Product terms from the profile's glossary file (none when the deployment has no glossary)."""
    path: Path | None = castmatch_deployment.optional("glossary")
    if path is None:
        return []
    with open(path, "rb") as handle:
        return load_glossary(tomllib.load(handle))


@pytest.fixture(scope="session")
def served_catalogues(castmatch_base_url: str, castmatch_deployment: Deployment) -> dict[str, dict[str, Any]]:
    """The message catalogues as the deployment serves them, per language (none without a catalogue)."""
    languages = castmatch_deployment.languages
    template: str | None = castmatch_deployment.optional("languages.catalogue")
    if template is None:
        return {}
    out = {}
    with requests.Session() as http:
        for lang in languages.all:
            response = http.get(castmatch_base_url + template.replace("{lang}", lang), timeout=10)
            response.raise_for_status()
            out[lang] = response.json()
    return out
