"""Talent search shared by the page and the API: the query, its cached results and its JSON body."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from castmatch_app import defects, generator
from castmatch_app.catalog import SearchQuery
from castmatch_app.runtime import Runtime

MAX_PAGE = 1000
MAX_PER_PAGE = 50
MAX_Q = 100
MAX_AREA = 60
MAX_EXPERIENCE = 60
EXPERIENCE_STEPS = (1, 3, 5, 10, 15)


def _number(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(params.get(name) or default)
    except ValueError:
        return default
    return min(max(value, low), high)


def from_page(params: Mapping[str, str]) -> SearchQuery:
    """The query of the search page's URL: a value the form could not have sent is dropped, not refused.

    (The API declares and validates the same parameters in ``api.search_query`` and answers 422.)
    """

    def choice(name: str, allowed: tuple[str, ...]) -> str:
        value = params.get(name, "").strip()
        return value if value in allowed else ""

    return SearchQuery(
        q=params.get("q", "").strip()[:MAX_Q], area=params.get("area", "").strip()[:MAX_AREA],
        language=choice("language", generator.LANGUAGES), skill=choice("skill", generator.SKILLS),
        gender=choice("gender", generator.GENDERS),
        min_experience=_number(params, "min_experience", 0, 0, MAX_EXPERIENCE),
        page=_number(params, "page", 1, 1, MAX_PAGE), per_page=_number(params, "per_page", 12, 1, MAX_PER_PAGE),
    )


def pages(total: int, per_page: int) -> int:
    """How many result pages ``total`` results fill (at least one)."""
    return max(1, -(-total // per_page))


async def run(rt: Runtime, query: SearchQuery) -> tuple[int, list[dict[str, Any]]]:
    """(total, this page's talents), from the runtime's cache when the same query ran before."""
    if defects.active("slow-api"):
        await asyncio.sleep(random.uniform(0.21, 0.26))
    key = ("search", query.cache_key())
    if not defects.active("no-cache"):
        hit = rt.cache.get(key)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
    result = rt.catalog.search(query)
    if defects.active("no-cache"):
        # Without the cache every request also pays for the facet counts the results page shows (how
        # many talents each language and each skill would leave).
        for language in generator.LANGUAGES:
            rt.catalog.search(replace(query, page=1, per_page=1, language=language))
        for skill in generator.SKILLS:
            rt.catalog.search(replace(query, page=1, per_page=1, skill=skill))
    else:
        rt.cache.put(key, result)
    return result


async def api_body(rt: Runtime, query: SearchQuery) -> bytes:
    """The JSON body of ``GET /api/v1/search``."""
    total, talents = await run(rt, query)
    body = {
        "total": str(total) if defects.active("openapi-drift") else total,
        "page": query.page, "per_page": query.per_page, "pages": pages(total, query.per_page),
        "results": talents,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
