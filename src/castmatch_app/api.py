"""Public read API under /api/v1 (search, talent, recommendations, ML reports) and legacy /api/v0."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from castmatch_app import defects, search
from castmatch_app.api_models import DriftOut, ErrorOut, RecommendationsOut, SearchOut, TalentOut
from castmatch_app.i18n import LANGUAGES
from castmatch_app.recommend import EXPERIMENT, ModelUnavailableError
from castmatch_app.render import runtime

router = APIRouter(prefix="/api/v1")
legacy = APIRouter(prefix="/api/v0", deprecated=True)
SUNSET = "Sat, 01 Mar 2025 00:00:00 GMT"
ERRORS: dict[int | str, dict[str, Any]] = {422: {"model": ErrorOut}, 429: {"model": ErrorOut}}
MAX_K = 50
#: ``k`` of the recommendation routes, read by ``_k`` rather than declared: FastAPI's per-parameter
#: validation cost more than the rest of a cached recommendation.
K_PARAMETER = {"parameters": [{"name": "k", "in": "query", "required": False, "description": "How many results.",
                               "schema": {"type": "integer", "minimum": 1, "maximum": MAX_K, "default": 10}}]}


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def error(request: Request, status: int, code: str, key: str, fields: dict[str, str] | None = None,
          headers: dict[str, str] | None = None, **values: Any) -> Response:
    message = runtime(request).catalogues.translator("en").text(key, **values)
    detail: dict[str, Any] = {"code": code, "message": message}
    if fields:
        detail["fields"] = fields
    return json_response({"error": detail}, status, headers)


def client_key(request: Request) -> str:
    """Who the A/B split sees: the signed-in user, else the app's install id, else the browser session."""
    rt = runtime(request)
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        try:
            return f"user:{rt.signer.verify_access(auth[7:], rt.now()).sub}"
        except ValueError:
            pass
    client_id = request.headers.get("x-client-id", "")[:128]
    if client_id:
        return f"client:{client_id}"
    sid = rt.signer.session_id(request.cookies.get("cm_sid"))
    return f"session:{sid}" if sid else "anonymous"


@router.get("/search", response_model=None, responses={200: {"model": SearchOut}, **ERRORS},
            summary="Search talent", tags=["talent"],
            openapi_extra={"parameters": search.openapi_parameters()})
async def search_talent(request: Request) -> Response:
    # The parameters are read and checked by search.parse (documented through openapi_extra) rather
    # than declared one by one: FastAPI's per-parameter validation was the largest cost of this route.
    try:
        query = search.parse(request.query_params, strict=True)
    except search.SearchParamError as exc:
        return error(request, 422, "invalid_parameter", "api.validation", {exc.field: str(exc)})
    return json_response(await search.api_body(runtime(request), query),
                         headers={"Cache-Control": "public, max-age=30"})


@router.get("/talent/{talent_id}", response_model=None,
            responses={200: {"model": TalentOut}, 404: {"model": ErrorOut}}, tags=["talent"])
async def get_talent(request: Request, talent_id: int) -> Response:
    talent = runtime(request).catalog.talent(talent_id)
    if talent is None:
        return error(request, 404, "not_found", "api.not_found")
    return json_response(talent, headers={"Cache-Control": "public, max-age=300"})


def _k(request: Request) -> int | Response:
    """The ``k`` query parameter (1..50, default 10), or the 422 that says what is wrong with it."""
    raw = request.query_params.get("k", "")
    try:
        k = int(raw) if raw else 10
    except ValueError:
        k = 0
    if 1 <= k <= MAX_K:
        return k
    return error(request, 422, "invalid_parameter", "api.validation",
                 {"k": f"k must be a whole number from 1 to {MAX_K}"})


async def _recommend(request: Request, *, talent_id: int | None, role: dict[str, Any] | None) -> Response:
    k = _k(request)
    if isinstance(k, Response):
        return k
    rt = runtime(request)
    try:
        result = await rt.recommender.recommend(talent_id=talent_id, role=role, k=k, user_key=client_key(request))
    except ModelUnavailableError:
        return error(request, 503, "model_unavailable", "api.model_unavailable", headers={"Retry-After": "5"})
    headers = {"X-CastMatch-Variant": result.variant, "X-CastMatch-Source": result.source,
               "Cache-Control": "private, no-store", "Vary": "Authorization, X-Client-Id, Cookie"}
    # The model has answered (or the fallback has); only the serialising of its answer is cached.
    key = ("recs", talent_id, role["id"] if role else None, k, result.variant, result.source, tuple(result.ids))
    cached = rt.cache.get(key)
    if cached is not None:
        return json_response(cached, headers=headers)
    names = {t["id"]: t["name"] for t in rt.catalog.talents(result.ids)}
    body = {
        "query": {"talent_id": talent_id} if talent_id is not None else {"role_id": role["id"] if role else 0},
        "experiment": EXPERIMENT, "variant": result.variant, "source": result.source,
        "results": [{"id": i, "name": names.get(i, ""), "score": s} for i, s in zip(result.ids, result.scores,
                                                                                   strict=True)],
    }
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    rt.cache.put(key, data)
    return json_response(data, headers=headers)


@router.get("/talent/{talent_id}/similar", response_model=None, summary="Talent like this one",
            responses={200: {"model": RecommendationsOut}, 404: {"model": ErrorOut}, 503: {"model": ErrorOut}},
            tags=["recommendations"], openapi_extra=K_PARAMETER)
async def similar(request: Request, talent_id: int) -> Response:
    rt = runtime(request)
    # Every talent has a model vector, so the model's index answers "does it exist" without a query.
    if talent_id not in rt.recommender.position and rt.catalog.talent(talent_id) is None:
        return error(request, 404, "not_found", "api.not_found")
    return await _recommend(request, talent_id=talent_id, role=None)


@router.get("/roles", tags=["roles"])
async def roles(request: Request, limit: int = Query(40, ge=1, le=400)) -> Response:
    return json_response({"results": runtime(request).catalog.roles(limit)})


@router.get("/roles/{role_id}", response_model=None, responses={404: {"model": ErrorOut}}, tags=["roles"])
async def role(request: Request, role_id: int) -> Response:
    found = runtime(request).catalog.role(role_id)
    return json_response(found) if found else error(request, 404, "not_found", "api.not_found")


@router.get("/roles/{role_id}/talent", response_model=None, summary="Talent for this role",
            responses={200: {"model": RecommendationsOut}, 404: {"model": ErrorOut}, 503: {"model": ErrorOut}},
            tags=["recommendations"], openapi_extra=K_PARAMETER)
async def talent_for_role(request: Request, role_id: int) -> Response:
    found = runtime(request).catalog.role(role_id)
    if found is None:
        return error(request, 404, "not_found", "api.not_found")
    return await _recommend(request, talent_id=None, role=found)


@router.get("/experiments/assignment", tags=["recommendations"], summary="The caller's A/B variant")
async def assignment(request: Request) -> Response:
    variant = runtime(request).recommender.variant_for(client_key(request))
    return json_response({"experiment": EXPERIMENT, "variant": variant})


@router.get("/ml/drift", response_model=None, responses={200: {"model": DriftOut}}, tags=["ml"])
async def drift(request: Request) -> Response:
    return json_response(runtime(request).recommender.drift_report)


@router.get("/ml/labelled-set", tags=["ml"], summary="Held-out labels for recommendation quality")
async def labelled_set(request: Request, size: int = Query(200, ge=1, le=2000)) -> Response:
    return json_response(runtime(request).recommender.labelled_set(size))


@router.get("/locales/{lang}", tags=["content"], summary="A message catalogue and the keys it lacks")
async def locale(request: Request, lang: str) -> Response:
    if lang not in LANGUAGES:
        return error(request, 404, "not_found", "api.not_found")
    rt = runtime(request)
    t = rt.catalogues.translator(lang)
    return json_response({"lang": lang, "dir": t.dir, "messages": rt.catalogues.messages[lang],
                          "missing": rt.catalogues.missing(lang)})


#: The reads that carry the load (search, a talent, both recommendation routes): served by
#: ``fastpath.FastPath`` straight from these functions; FastAPI still declares and documents them.
HOT_READS = (search_talent, get_talent, similar, talent_for_role)


def deprecation_headers(successor: str) -> dict[str, str]:
    if defects.active("api-v0-no-deprecation"):
        return {}
    return {"Deprecation": "@1735689600", "Sunset": SUNSET,  # deprecated since 2025-01-01
            "Link": f'<{successor}>; rel="successor-version"'}


@legacy.get("/search", response_model=None, tags=["legacy"])
async def search_v0(request: Request, q: str = "", page: int = 1) -> Response:
    query = search.parse({"q": q, "page": str(page)}, strict=False)
    total, talents = await search.run(runtime(request), query)
    body = {"count": total, "items": [{"id": t["id"], "name": t["name"]} for t in talents]}
    return json_response(body, headers=deprecation_headers("/api/v1/search"))


@legacy.get("/talent/{talent_id}", response_model=None, tags=["legacy"])
async def talent_v0(request: Request, talent_id: int) -> Response:
    talent = runtime(request).catalog.talent(talent_id)
    headers = deprecation_headers(f"/api/v1/talent/{talent_id}")
    if talent is None:
        return json_response({"error": "not found"}, 404, headers)
    return json_response({"id": talent["id"], "name": talent["name"]}, headers=headers)
