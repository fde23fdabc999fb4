"""Authenticated API: OAuth2 token endpoint, shortlists, auditions and the calendar webhook."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from castmatch_app.api import error, json_response
from castmatch_app.api_models import (
    AuditionIn,
    AuditionOut,
    CalendarEvent,
    ErrorOut,
    ShortlistOut,
    TokenErrorOut,
    TokenOut,
    WebhookOut,
)
from castmatch_app.booking import can_read, validate
from castmatch_app.render import runtime
from castmatch_app.security import TokenError, verify_webhook
from castmatch_app.state import verify_password

router = APIRouter(prefix="/api/v1")
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorOut}, 403: {"model": ErrorOut},
                                                404: {"model": ErrorOut}}
TOKEN_FORM = {"requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {
    "type": "object", "required": ["grant_type"],
    "properties": {"grant_type": {"type": "string", "enum": ["password", "refresh_token"]},
                   "username": {"type": "string"}, "password": {"type": "string"},
                   "refresh_token": {"type": "string"}}}}}, "required": True}}


def _token_error(code: str, description: str, status: int = 400) -> Response:
    return json_response({"error": code, "error_description": description}, status,
                         {"Cache-Control": "no-store", "Pragma": "no-cache"})


@router.post("/oauth/token", response_model=None, openapi_extra=TOKEN_FORM, tags=["auth"],
             responses={200: {"model": TokenOut}, 400: {"model": TokenErrorOut}}, summary="OAuth2 token")
async def token(request: Request) -> Response:
    rt = runtime(request)
    form = await request.form()
    grant = str(form.get("grant_type", ""))
    ttl, refresh_ttl = rt.settings.access_token_ttl, rt.settings.refresh_token_ttl
    if grant == "password":
        user = rt.state.user_by_name(str(form.get("username", ""))[:200])
        password = str(form.get("password", ""))[:200]
        if user is None or not await run_in_threadpool(verify_password, password, user["password_hash"]):
            return _token_error("invalid_grant", "Username or password is wrong. Check both and try again.")
        refresh = rt.state.issue_refresh(user["id"], refresh_ttl)
    elif grant == "refresh_token":
        used = rt.state.use_refresh(str(form.get("refresh_token", ""))[:200], refresh_ttl)
        if used is None:
            return _token_error("invalid_grant", "This refresh token is unknown, expired or already used. "
                                "Sign in again with the password grant.")
        user_id, refresh = used
        user = rt.state.user(user_id)
        if user is None:
            return _token_error("invalid_grant", "The account no longer exists.")
    else:
        return _token_error("unsupported_grant_type", "Use grant_type=password or grant_type=refresh_token.")
    access = rt.signer.access_token(user["id"], user["role"], ttl, rt.now())
    return json_response({"access_token": access, "token_type": "Bearer", "expires_in": ttl,
                          "refresh_token": refresh}, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def bearer_user(request: Request) -> dict[str, Any] | Response:
    rt = runtime(request)
    auth = request.headers.get("authorization", "")
    challenge = {"WWW-Authenticate": 'Bearer realm="castmatch"'}
    if not auth.lower().startswith("bearer "):
        return error(request, 401, "unauthorized", "api.unauthorized", headers=challenge)
    try:
        claims = rt.signer.verify_access(auth[7:].strip(), rt.now())
    except TokenError as exc:
        key = "api.token_expired" if exc.reason == "expired" else "api.unauthorized"
        challenge["WWW-Authenticate"] += ', error="invalid_token"'
        return error(request, 401, "token_" + exc.reason, key, headers=challenge)
    user = rt.state.user(claims.sub)
    if user is None:
        return error(request, 401, "unauthorized", "api.unauthorized", headers=challenge)
    return user


def director(request: Request) -> dict[str, Any] | Response:
    user = bearer_user(request)
    if isinstance(user, dict) and user["role"] != "director":
        return error(request, 403, "forbidden", "api.forbidden")
    return user


@router.get("/me", tags=["auth"], responses=AUTH_ERRORS)
async def me(request: Request) -> Response:
    user = bearer_user(request)
    return user if isinstance(user, Response) else json_response(user)


@router.get("/shortlists", response_model=None, tags=["shortlists"],
            responses={200: {"model": list[ShortlistOut]}, **AUTH_ERRORS})
async def my_shortlists(request: Request) -> Response:
    rt = runtime(request)
    user = director(request)
    if isinstance(user, Response):
        return user
    shortlist = rt.state.shortlist(rt.state.shortlist_for(user["id"]))
    return json_response([shortlist] if shortlist else [])


@router.get("/shortlists/{shortlist_id}", response_model=None, tags=["shortlists"],
            responses={200: {"model": ShortlistOut}, **AUTH_ERRORS})
async def get_shortlist(request: Request, shortlist_id: int) -> Response:
    user = director(request)
    if isinstance(user, Response):
        return user
    shortlist = runtime(request).state.shortlist(shortlist_id)
    if shortlist is None or not can_read(user, shortlist["owner_id"]):
        return error(request, 404, "not_found", "api.not_found")
    return json_response(shortlist)


@router.get("/auditions", response_model=None, tags=["auditions"],
            responses={200: {"model": list[AuditionOut]}, **AUTH_ERRORS})
async def my_auditions(request: Request) -> Response:
    user = director(request)
    if isinstance(user, Response):
        return user
    return json_response(runtime(request).state.auditions_for(user["id"]))


@router.get("/auditions/{audition_id}", response_model=None, tags=["auditions"],
            responses={200: {"model": AuditionOut}, **AUTH_ERRORS})
async def get_audition(request: Request, audition_id: int) -> Response:
    user = director(request)
    if isinstance(user, Response):
        return user
    audition = runtime(request).state.audition(audition_id)
    if audition is None or not can_read(user, audition["owner_id"]):
        return error(request, 404, "not_found", "api.not_found")
    return json_response(audition)


@router.post("/auditions", response_model=None, status_code=201, tags=["auditions"],
             responses={201: {"model": AuditionOut}, 200: {"model": AuditionOut, "description": "Replay of an "
                        "earlier request with the same Idempotency-Key"}, 409: {"model": ErrorOut},
                        422: {"model": ErrorOut}, **AUTH_ERRORS})
async def create_audition(request: Request, body: AuditionIn,
                          idempotency_key: str | None = Header(None, max_length=128)) -> Response:
    rt = runtime(request)
    user = director(request)
    if isinstance(user, Response):
        return user
    if rt.catalog.talent(body.talent_id) is None:
        return error(request, 422, "invalid_parameter", "api.validation", {"talent_id": "unknown talent"})
    t = rt.catalogues.translator("en")
    role_ids = set(range(1, rt.catalog.role_count() + 1))
    errors, starts_at = validate(t, role=str(body.role_id), date=body.date, time=body.time, notes=body.notes,
                                 role_ids=role_ids)
    if errors:
        return error(request, 422, "invalid_parameter", "api.validation", errors)
    try:
        audition, created = rt.state.book_audition(user["id"], body.talent_id, body.role_id, starts_at,
                                                   body.notes, idempotency_key)
    except ValueError:
        return error(request, 409, "idempotency_conflict", "api.idempotency_conflict")
    headers = {"Location": f"/api/v1/auditions/{audition['id']}"}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return json_response(audition, 201 if created else 200, headers)


@router.post("/webhooks/calendar", response_model=None, tags=["webhooks"], summary="Calendar provider events",
             description="Sign `<X-CastMatch-Timestamp>.<raw body>` with HMAC-SHA256 and the shared secret; "
             "send `X-CastMatch-Signature: sha256=<hex>`. Deliveries are idempotent by event id; an event "
             "whose sequence is not newer than the audition's is recorded as stale and not applied.",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": CalendarEvent.model_json_schema(ref_template="#/components/schemas/{model}")}}}},
             responses={200: {"model": WebhookOut}, 401: {"model": ErrorOut}, 422: {"model": ErrorOut}})
async def calendar_webhook(request: Request) -> Response:
    rt = runtime(request)
    raw = await request.body()
    problem = verify_webhook(rt.settings.webhook_secret, request.headers.get("x-castmatch-timestamp"),
                             request.headers.get("x-castmatch-signature"), raw)
    if problem:
        rt.metrics.webhooks.labels("rejected").inc()
        return json_response({"error": {"code": "bad_signature", "message": problem}}, 401)
    try:
        event = CalendarEvent.model_validate(json.loads(raw))
    except (ValueError, ValidationError) as exc:
        return error(request, 422, "invalid_event", "api.validation", {"body": str(exc)[:300]})
    if event.type == "audition.rescheduled" and not event.starts_at:
        return error(request, 422, "invalid_event", "api.validation", {"starts_at": "required for reschedule"})
    outcome = rt.state.apply_calendar_event(event.id, event.type, event.sequence, event.audition_id,
                                            event.starts_at)
    if outcome == "unknown-audition":
        return error(request, 422, "invalid_event", "api.validation", {"audition_id": "unknown audition"})
    rt.metrics.webhooks.labels(outcome).inc()
    return json_response({"status": outcome, "event_id": event.id})
