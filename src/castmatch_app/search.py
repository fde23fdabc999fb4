"""Talent search shared by the page and the API: parameter validation and the hot-query cache."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Mapping
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


class SearchParamError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _int(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SearchParamError(name, f"{name} must be a whole number") from None


def parse(params: Mapping[str, str], *, strict: bool) -> SearchQuery:
    """Build a query from URL parameters. Pages (strict=False) drop bad values; the API rejects them."""

    def choice(name: str, allowed: tuple[str, ...]) -> str:
        value = params.get(name, "").strip()
        if value and value not in allowed:
            if strict:
                raise SearchParamError(name, f"{name} must be one of: {', '.join(allowed)}")
            return ""
        return value

    raw_q, raw_area = params.get("q", ""), params.get("area", "")
    if strict and len(raw_q) > MAX_Q:
        raise SearchParamError("q", f"q must be at most {MAX_Q} characters")
    if strict and len(raw_area) > MAX_AREA:
        raise SearchParamError("area", f"area must be at most {MAX_AREA} characters")
    q = raw_q.strip()[:MAX_Q]
    area = raw_area.strip()[:MAX_AREA]  # free text: bound into SQL as a parameter
    try:
        page = _int(params, "page", 1)
        per_page = _int(params, "per_page", 12)
        min_experience = _int(params, "min_experience", 0)
    except SearchParamError:
        if strict:
            raise
        page, per_page, min_experience = 1, 12, 0
    if strict and not (0 <= min_experience <= MAX_EXPERIENCE):
        raise SearchParamError("min_experience", f"min_experience must be between 0 and {MAX_EXPERIENCE}")
    if not defects.active("edge-case-500"):
        if strict and not (1 <= page <= MAX_PAGE):
            raise SearchParamError("page", f"page must be between 1 and {MAX_PAGE}")
        if strict and not (1 <= per_page <= MAX_PER_PAGE):
            raise SearchParamError("per_page", f"per_page must be between 1 and {MAX_PER_PAGE}")
        page = min(max(page, 1), MAX_PAGE)
        per_page = min(max(per_page, 1), MAX_PER_PAGE)
    return SearchQuery(
        q=q, area=area, language=choice("language", generator.LANGUAGES), skill=choice("skill", generator.SKILLS),
        gender=choice("gender", generator.GENDERS), min_experience=max(0, min(min_experience, MAX_EXPERIENCE)),
        page=page, per_page=per_page,
    )


def openapi_parameters() -> list[dict[str, Any]]:
    """The query parameters of GET /api/v1/search as OpenAPI documents them; ``parse`` enforces them."""

    def text(name: str, limit: int, description: str) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": False, "description": description,
                "schema": {"type": "string", "maxLength": limit, "default": ""}}

    def one_of(name: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": False,
                "schema": {"type": "string", "enum": ["", *allowed], "default": ""}}

    def number(name: str, low: int, high: int, default: int) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": False,
                "schema": {"type": "integer", "minimum": low, "maximum": high, "default": default}}

    return [
        text("q", MAX_Q, "Name, skill or keyword (Latin or Devanagari)."),
        text("area", MAX_AREA, "Mumbai area, e.g. Andheri or Bandra."),
        one_of("language", generator.LANGUAGES), one_of("skill", generator.SKILLS),
        one_of("gender", generator.GENDERS),
        number("min_experience", 0, MAX_EXPERIENCE, 0), number("page", 1, MAX_PAGE, 1),
        number("per_page", 1, MAX_PER_PAGE, 12),
    ]


def pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))  # per_page=0 (edge-case-500) raises ZeroDivisionError here


async def run(rt: Runtime, query: SearchQuery) -> tuple[int, list[dict[str, Any]]]:
    if defects.active("slow-api"):
        await asyncio.sleep(random.uniform(0.21, 0.26))
    key = ("search", query.cache_key())
    if not defects.active("no-cache"):
        hit = rt.cache.get(key)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
    result = rt.catalog.search(query)
    if defects.active("no-cache"):
        # Without the cache every request also pays for the facet counts the results page shows.
        for language in generator.LANGUAGES:
            rt.catalog.search(SearchQuery(q=query.q, area=query.area, language=language, per_page=1))
    else:
        rt.cache.put(key, result)
    return result


async def api_body(rt: Runtime, query: SearchQuery) -> bytes:
    """The JSON body of GET /api/v1/search, cached as bytes so a hot query costs one dict lookup."""
    key = ("api-search", query.cache_key())
    if not defects.active("no-cache") and not defects.active("slow-api"):
        hit = rt.cache.get(key)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
    total, talents = await run(rt, query)
    body = {
        "total": str(total) if defects.active("openapi-drift") else total,
        "page": query.page, "per_page": query.per_page, "pages": pages(total, query.per_page),
        "results": talents,
    }
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    if not defects.active("no-cache"):
        rt.cache.put(key, data)
    return data
