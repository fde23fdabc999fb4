"""Public read API under /api/v1 (search, talent, recommendations, ML reports) and legacy /api/v0.

Parameters are declared with their types and bounds, so FastAPI validates them and documents them
in the OpenAPI document it generates. Refusals are ``ApiError``s, answered by the app's handler as
``{"error": {"code", "message", "fields"}}`` with the message from the English catalogue.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from castmatch_app import defects, generator, search
from castmatch_app.api_models import DriftOut, ErrorOut, RecommendationsOut, SearchOut, TalentOut
from castmatch_app.catalog import SearchQuery
from castmatch_app.i18n import LANGUAGES
from castmatch_app.recommend import EXPERIMENT, ModelUnavailableError
from castmatch_app.render import runtime, runtime_dependency
from castmatch_app.runtime import Runtime

#: On every API route: a refused parameter and the rate limit answer with the app's error object
#: (declared here, FastAPI does not document its own validation error shape, which the app never sends).
ERRORS: dict[int | str, dict[str, Any]] = {422: {"model": ErrorOut}, 429: {"model": ErrorOut}}
router = APIRouter(prefix="/api/v1", responses=ERRORS)
legacy = APIRouter(prefix="/api/v0", deprecated=True, responses=ERRORS)
SUNSET = "Sat, 01 Mar 2025 00:00:00 GMT"
MAX_K = 50

#: The app's Runtime as a parameter: ``rt: RT``.
RT = Annotated[Runtime, Depends(runtime_dependency)]

if TYPE_CHECKING:
    Language: TypeAlias = str
    Skill: TypeAlias = str
    Gender: TypeAlias = str
else:  # the generator's vocabularies as enumerations; "" (the form's "any") is allowed too
    Language = Literal[("", *generator.LANGUAGES)]
    Skill = Literal[("", *generator.SKILLS)]
    Gender = Literal[("", *generator.GENDERS)]


class ApiError(Exception):
    """A refusal the app answers as ``{"error": {...}}`` (see ``app.create_app``)."""

    def __init__(self, status: int, code: str, key: str, fields: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None, **values: Any) -> None:
        super().__init__(f"{status} {code}")
        self.status, self.code, self.key, self.fields, self.headers, self.values = (
            status, code, key, fields, headers, values)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """``data`` (or ready JSON bytes) as an application/json response."""
    body = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def error(request: Request, status: int, code: str, key: str, fields: dict[str, str] | None = None,
          headers: dict[str, str] | None = None, **values: Any) -> Response:
    """The API's error body: a code, the catalogue's message for ``key`` and the offending fields."""
    message = runtime(request).catalogues.translator("en").text(key, **values)
    detail: dict[str, Any] = {"code": code, "message": message}
    if fields:
        detail["fields"] = fields
    return json_response({"error": detail}, status, headers)


async def client_key(request: Request) -> str:
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


async def search_query(
    q: Annotated[str, Query(max_length=search.MAX_Q, description="Name, skill or keyword (Latin or Devanagari); "
                            "plurals and everyday words (actor, dancer, voice artist) match too.")] = "",
    area: Annotated[str, Query(max_length=search.MAX_AREA, description="Mumbai area, e.g. andheri.")] = "",
    language: Language = "",
    skill: Skill = "",
    gender: Gender = "",
    min_experience: Annotated[int, Query(ge=0, le=search.MAX_EXPERIENCE)] = 0,
    page: Annotated[int, Query(ge=1, le=search.MAX_PAGE)] = 1,
    per_page: Annotated[int, Query(ge=1, le=search.MAX_PER_PAGE)] = 12,
) -> SearchQuery:
    """The search filters of the API, validated by FastAPI."""
    return SearchQuery(q=q.strip(), area=area.strip(), language=language, skill=skill, gender=gender,
                       min_experience=min_experience, page=page, per_page=per_page)


@router.get("/search", response_model=None, responses={200: {"model": SearchOut}},
            summary="Search talent", tags=["talent"])
async def search_talent(rt: RT, query: Annotated[SearchQuery, Depends(search_query)]) -> Response:
    """Talent matching the filters, most relevant first (most popular without a text query)."""
    return json_response(await search.api_body(rt, query), headers={"Cache-Control": "public, max-age=30"})


@router.get("/talent/{talent_id}", response_model=None,
            responses={200: {"model": TalentOut}, 404: {"model": ErrorOut}}, tags=["talent"])
async def get_talent(rt: RT, talent_id: int) -> Response:
    """One talent's profile."""
    talent = rt.catalog.talent(talent_id)
    if talent is None:
        raise ApiError(404, "not_found", "api.not_found")
    return json_response(talent, headers={"Cache-Control": "public, max-age=300"})


K = Annotated[int, Query(ge=1, le=MAX_K, description="How many results.")]
USER = Annotated[str, Depends(client_key)]


async def _recommend(rt: RT, *, talent_id: int | None, role: dict[str, Any] | None, k: int, user: str) -> Response:
    try:
        result = await rt.recommender.recommend(talent_id=talent_id, role=role, k=k, user_key=user)
    except ModelUnavailableError:
        raise ApiError(503, "model_unavailable", "api.model_unavailable", headers={"Retry-After": "5"}) from None
    headers = {"X-CastMatch-Variant": result.variant, "X-CastMatch-Source": result.source,
               "Cache-Control": "private, no-store", "Vary": "Authorization, X-Client-Id, Cookie"}
    names = {t["id"]: t["name"] for t in rt.catalog.talents(result.ids)}
    body = {
        "query": {"talent_id": talent_id} if talent_id is not None else {"role_id": role["id"] if role else 0},
        "experiment": EXPERIMENT, "variant": result.variant, "source": result.source,
        "results": [{"id": i, "name": names.get(i, ""), "score": s}
                    for i, s in zip(result.ids, result.scores, strict=True)],
    }
    return json_response(body, headers=headers)


RECOMMENDATION_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": RecommendationsOut}, 404: {"model": ErrorOut}, 503: {"model": ErrorOut}}


@router.get("/talent/{talent_id}/similar", response_model=None, summary="Talent like this one",
            responses=RECOMMENDATION_RESPONSES, tags=["recommendations"])
async def similar(rt: RT, talent_id: int, user: USER, k: K = 10) -> Response:
    """The talent most like this one, from the recommendation model (or popular talent while it is down)."""
    if rt.catalog.talent(talent_id) is None:
        raise ApiError(404, "not_found", "api.not_found")
    return await _recommend(rt, talent_id=talent_id, role=None, k=k, user=user)


@router.get("/roles", tags=["roles"])
async def roles(rt: RT, limit: Annotated[int, Query(ge=1, le=400)] = 40) -> Response:
    """Open roles with their projects."""
    return json_response({"results": rt.catalog.roles(limit)})


@router.get("/roles/{role_id}", response_model=None, responses={404: {"model": ErrorOut}}, tags=["roles"])
async def role(rt: RT, role_id: int) -> Response:
    """One role with its project."""
    found = rt.catalog.role(role_id)
    if found is None:
        raise ApiError(404, "not_found", "api.not_found")
    return json_response(found)


@router.get("/roles/{role_id}/talent", response_model=None, summary="Talent for this role",
            responses=RECOMMENDATION_RESPONSES, tags=["recommendations"])
async def talent_for_role(rt: RT, role_id: int, user: USER, k: K = 10) -> Response:
    """The talent the recommendation model suggests for this role."""
    found = rt.catalog.role(role_id)
    if found is None:
        raise ApiError(404, "not_found", "api.not_found")
    return await _recommend(rt, talent_id=None, role=found, k=k, user=user)


@router.get("/experiments/assignment", tags=["recommendations"], summary="The caller's A/B variant")
async def assignment(rt: RT, user: USER) -> Response:
    """The A/B variant this caller sees (sticky per user, app install or browser session)."""
    return json_response({"experiment": EXPERIMENT, "variant": rt.recommender.variant_for(user)})


@router.get("/ml/drift", response_model=None, responses={200: {"model": DriftOut}}, tags=["ml"])
async def drift(rt: RT) -> Response:
    """Population stability of the model's input features against the training reference."""
    return json_response(rt.recommender.drift_report)


@router.get("/ml/labelled-set", tags=["ml"], summary="Held-out labels for recommendation quality")
async def labelled_set(rt: RT, size: Annotated[int, Query(ge=1, le=2000)] = 200) -> Response:
    """Held-out queries and labels for measuring recommendation precision and recall."""
    return json_response(rt.recommender.labelled_set(size))


@router.get("/locales/{lang}", tags=["content"], summary="A message catalogue and the keys it lacks")
async def locale(rt: RT, lang: str) -> Response:
    """A message catalogue, its text direction and the keys it lacks against English."""
    if lang not in LANGUAGES:
        raise ApiError(404, "not_found", "api.not_found")
    t = rt.catalogues.translator(lang)
    return json_response({"lang": lang, "dir": t.dir, "messages": rt.catalogues.messages[lang],
                          "missing": rt.catalogues.missing(lang)})


def deprecation_headers(successor: str) -> dict[str, str]:
    """Deprecation (RFC 9745), Sunset (RFC 8594) and the successor link of an /api/v0 answer."""
    if defects.active("api-v0-no-deprecation"):
        return {}
    return {"Deprecation": "@1735689600", "Sunset": SUNSET,  # deprecated since 2025-01-01
            "Link": f'<{successor}>; rel="successor-version"'}


@legacy.get("/search", response_model=None, tags=["legacy"])
async def search_v0(rt: RT, q: Annotated[str, Query(max_length=search.MAX_Q)] = "",
                    page: Annotated[int, Query(ge=1, le=search.MAX_PAGE)] = 1) -> Response:
    """Deprecated: use /api/v1/search."""
    total, talents = await search.run(rt, SearchQuery(q=q.strip(), page=page))
    body = {"count": total, "items": [{"id": t["id"], "name": t["name"]} for t in talents]}
    return json_response(body, headers=deprecation_headers("/api/v1/search"))


@legacy.get("/talent/{talent_id}", response_model=None, tags=["legacy"])
async def talent_v0(rt: RT, talent_id: int) -> Response:
    """Deprecated: use /api/v1/talent/{talent_id}."""
    talent = rt.catalog.talent(talent_id)
    headers = deprecation_headers(f"/api/v1/talent/{talent_id}")
    if talent is None:
        return json_response({"error": "not found"}, 404, headers)
    return json_response({"id": talent["id"], "name": talent["name"]}, headers=headers)
