"""Authenticated API: OAuth2 token endpoint, shortlists, auditions and the calendar webhook."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Header, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from castmatch_app.api import ERRORS, RT, ApiError, json_response
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
from castmatch_app.booking import can_read, talent_name, validate
from castmatch_app.security import TokenError, verify_webhook
from castmatch_app.state import SlotTakenError, verify_password

router = APIRouter(prefix="/api/v1", responses=ERRORS)
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorOut}, 403: {"model": ErrorOut},
                                                404: {"model": ErrorOut}}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FormText = Annotated[str, Form(max_length=200)]


def _token_error(code: str, description: str, status: int = 400) -> Response:
    return json_response({"error": code, "error_description": description}, status, NO_STORE)


@router.post("/oauth/token", response_model=None, tags=["auth"], summary="OAuth2 token",
             responses={200: {"model": TokenOut}, 400: {"model": TokenErrorOut}})
async def token(rt: RT, grant_type: FormText = "", username: FormText = "", password: FormText = "",
                refresh_token: FormText = "") -> Response:
    """``grant_type=password`` (username, password) or ``grant_type=refresh_token`` (each works once)."""
    ttl, refresh_ttl = rt.settings.access_token_ttl, rt.settings.refresh_token_ttl
    if grant_type == "password":
        user = rt.state.user_by_name(username)
        if user is None or not await run_in_threadpool(verify_password, password, user["password_hash"]):
            return _token_error("invalid_grant", "Username or password is wrong. Check both and try again.")
        refresh = rt.state.issue_refresh(user["id"], refresh_ttl)
    elif grant_type == "refresh_token":
        used = rt.state.use_refresh(refresh_token, refresh_ttl)
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
                          "refresh_token": refresh}, headers=NO_STORE)


async def bearer_user(rt: RT, authorization: Annotated[str, Header()] = "") -> dict[str, Any]:
    """The user of a valid ``Authorization: Bearer`` token; 401 with a challenge otherwise."""
    challenge = {"WWW-Authenticate": 'Bearer realm="castmatch"'}
    if not authorization.lower().startswith("bearer "):
        raise ApiError(401, "unauthorized", "api.unauthorized", headers=challenge)
    try:
        claims = rt.signer.verify_access(authorization[7:].strip(), rt.now())
    except TokenError as exc:
        key = "api.token_expired" if exc.reason == "expired" else "api.unauthorized"
        challenge["WWW-Authenticate"] += ', error="invalid_token"'
        raise ApiError(401, "token_" + exc.reason, key, headers=challenge) from None
    user = rt.state.user(claims.sub)
    if user is None:
        raise ApiError(401, "unauthorized", "api.unauthorized", headers=challenge)
    return user


async def director(user: Annotated[dict[str, Any], Depends(bearer_user)]) -> dict[str, Any]:
    """A signed-in casting director; 403 for any other account."""
    if user["role"] != "director":
        raise ApiError(403, "forbidden", "api.forbidden")
    return user


USER = Annotated[dict[str, Any], Depends(bearer_user)]
DIRECTOR = Annotated[dict[str, Any], Depends(director)]


@router.get("/me", tags=["auth"], responses=AUTH_ERRORS)
async def me(user: USER) -> Response:
    """The signed-in account."""
    return json_response(user)


@router.get("/shortlists", response_model=None, tags=["shortlists"],
            responses={200: {"model": list[ShortlistOut]}, **AUTH_ERRORS})
async def my_shortlists(rt: RT, user: DIRECTOR) -> Response:
    """The director's shortlists."""
    shortlist = rt.state.shortlist(rt.state.shortlist_for(user["id"]))
    return json_response([shortlist] if shortlist else [])


@router.get("/shortlists/{shortlist_id}", response_model=None, tags=["shortlists"],
            responses={200: {"model": ShortlistOut}, **AUTH_ERRORS})
async def get_shortlist(rt: RT, user: DIRECTOR, shortlist_id: int) -> Response:
    """One shortlist (its owner's only)."""
    shortlist = rt.state.shortlist(shortlist_id)
    if shortlist is None or not can_read(user, shortlist["owner_id"]):
        raise ApiError(404, "not_found", "api.not_found")
    return json_response(shortlist)


@router.get("/auditions", response_model=None, tags=["auditions"],
            responses={200: {"model": list[AuditionOut]}, **AUTH_ERRORS})
async def my_auditions(rt: RT, user: DIRECTOR) -> Response:
    """The director's auditions, newest first."""
    return json_response(rt.state.auditions_for(user["id"]))


@router.get("/auditions/{audition_id}", response_model=None, tags=["auditions"],
            responses={200: {"model": AuditionOut}, **AUTH_ERRORS})
async def get_audition(rt: RT, user: DIRECTOR, audition_id: int) -> Response:
    """One audition with its calendar history (its owner's only)."""
    audition = rt.state.audition(audition_id)
    if audition is None or not can_read(user, audition["owner_id"]):
        raise ApiError(404, "not_found", "api.not_found")
    return json_response(audition)


@router.post("/auditions", response_model=None, status_code=201, tags=["auditions"],
             responses={201: {"model": AuditionOut}, 200: {"model": AuditionOut, "description": "Replay of an "
                        "earlier request with the same Idempotency-Key"},
                        409: {"model": ErrorOut, "description": "The Idempotency-Key was used for another "
                              "request, or the talent is already booked at that time"},
                        **AUTH_ERRORS})
async def create_audition(rt: RT, user: DIRECTOR, body: AuditionIn,
                          idempotency_key: Annotated[str | None, Header(max_length=128)] = None) -> Response:
    """Book an audition; retry safely with the same Idempotency-Key. A talent has one booking per start time."""
    talent = rt.catalog.talent(body.talent_id)
    if talent is None:
        raise ApiError(422, "invalid_parameter", "api.validation", {"talent_id": "unknown talent"})
    t = rt.catalogues.translator("en")
    role_ids = set(range(1, rt.catalog.role_count() + 1))
    errors, starts_at = validate(t, role=str(body.role_id), date=body.date, time=body.time, notes=body.notes,
                                 role_ids=role_ids)
    if errors:
        raise ApiError(422, "invalid_parameter", "api.validation", errors)
    try:
        audition, created = rt.state.book_audition(user["id"], body.talent_id, body.role_id, starts_at,
                                                   body.notes, idempotency_key)
    except SlotTakenError:
        raise ApiError(409, "slot_taken", "errors.slot_taken", {"time": t.text(
            "errors.slot_taken", name=talent_name(talent, "en"), date=body.date, time=body.time)},
            name=talent_name(talent, "en"), date=body.date, time=body.time) from None
    except ValueError:
        raise ApiError(409, "idempotency_conflict", "api.idempotency_conflict") from None
    headers = {"Location": f"/api/v1/auditions/{audition['id']}"}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return json_response(audition, 201 if created else 200, headers)


async def signed_body(rt: RT, request: Request, x_castmatch_timestamp: Annotated[str | None, Header()] = None,
                      x_castmatch_signature: Annotated[str | None, Header()] = None) -> bytes:
    """The raw body of a webhook delivery whose signature checks out (checked before parsing); 401 if not."""
    raw = await request.body()
    problem = verify_webhook(rt.settings.webhook_secret, x_castmatch_timestamp, x_castmatch_signature, raw)
    if problem:
        rt.metrics.webhooks.labels("rejected").inc()
        raise ApiError(401, "bad_signature", "api.bad_signature", reason=problem)
    return raw


# The signature covers the raw bytes, so the body is read raw and checked before it is parsed;
# its schema is the model's own, for the OpenAPI document.
CALENDAR_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": CalendarEvent.model_json_schema(ref_template="#/components/schemas/{model}")}}}}


@router.post("/webhooks/calendar", response_model=None, tags=["webhooks"], summary="Calendar provider events",
             description="Sign `<X-CastMatch-Timestamp>.<raw body>` with HMAC-SHA256 and the shared secret; "
             "send `X-CastMatch-Signature: sha256=<hex>`. Deliveries are idempotent by event id; an event "
             "whose sequence is not newer than the audition's is recorded as stale and not applied.",
             openapi_extra=CALENDAR_BODY,
             responses={200: {"model": WebhookOut}, 401: {"model": ErrorOut}, 422: {"model": ErrorOut}})
async def calendar_webhook(rt: RT, raw: Annotated[bytes, Depends(signed_body)]) -> Response:
    """Apply one calendar event to an audition."""
    try:
        event = CalendarEvent.model_validate(json.loads(raw))
    except (ValueError, ValidationError) as exc:
        raise ApiError(422, "invalid_event", "api.validation", {"body": str(exc)[:300]}) from None
    if event.type == "audition.rescheduled" and not event.starts_at:
        raise ApiError(422, "invalid_event", "api.validation", {"starts_at": "required for reschedule"})
    outcome = rt.state.apply_calendar_event(event.id, event.type, event.sequence, event.audition_id,
                                            event.starts_at)
    if outcome == "unknown-audition":
        raise ApiError(422, "invalid_event", "api.validation", {"audition_id": "unknown audition"})
    rt.metrics.webhooks.labels(outcome).inc()
    return json_response({"status": outcome, "event_id": event.id})

