"""Audition booking: validation shared by the form and the API, the booking pages, access rules."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from castmatch_app import defects
from castmatch_app.i18n import Translator
from castmatch_app.render import csrf_ok, page, runtime, translator
from castmatch_app.state import SlotTakenError
from castmatch_app.web import director_or_redirect, forbidden_form, not_found_page

router = APIRouter(include_in_schema=False)
IST = dt.timezone(dt.timedelta(hours=5, minutes=30))


def talent_name(talent: dict[str, Any], lang: str) -> str:
    """The talent's name as a page in ``lang`` shows it (Devanagari on Hindi pages)."""
    return str(talent["name_hi"] if lang == "hi" else talent["name"])


def can_read(user: dict[str, Any] | None, owner_id: int) -> bool:
    """Owners only: one casting director never sees another's shortlist or bookings."""
    if user is None:
        return False
    return user["id"] == owner_id or defects.active("idor")


def validate(t: Translator, *, role: str, date: str, time: str, notes: str, role_ids: set[int],
             today: dt.date | None = None) -> tuple[dict[str, str], str]:
    """Field errors (messages say how to fix them) and the ISO start time when valid."""
    errors: dict[str, str] = {}
    today = today or dt.datetime.now(IST).date()
    if not role.isdigit() or int(role) not in role_ids:
        errors["role"] = t.text("errors.role_required")
    day = None
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        errors["date"] = t.text("errors.date_required")
    if day is not None and day < today:
        errors["date"] = t.text("errors.date_past")
    start = None
    try:
        start = dt.time.fromisoformat(time)
    except ValueError:
        errors["time"] = t.text("errors.time_range")
    if start is not None and not (dt.time(9) <= start <= dt.time(20)):
        errors["time"] = t.text("errors.time_range")
    if len(notes) > 500:
        errors["notes"] = t.text("errors.notes_long")
    starts_at = f"{date}T{start.strftime('%H:%M')}" if not errors and start else ""
    return errors, starts_at


def _form_page(request: Request, talent: dict[str, Any], values: dict[str, str], errors: dict[str, str],
               status: int = 200) -> HTMLResponse:
    rt = runtime(request)
    t = translator(request)
    return page(request, "book.html", title=t.text("book.title"), description=t.text("book.meta"),
                section="shortlist", status=status, talent=talent, values=values, errors=errors,
                roles=rt.catalog.roles(40), nonce=values.get("nonce") or secrets.token_urlsafe(16),
                today=dt.datetime.now(IST).date().isoformat())


def _talent(request: Request, raw: str) -> dict[str, Any] | None:
    return runtime(request).catalog.talent(int(raw)) if raw.isdigit() and len(raw) < 9 else None


@router.get("/auditions/new", response_class=HTMLResponse)
async def booking_form(request: Request) -> Response:
    user = director_or_redirect(request)
    if isinstance(user, Response):
        return user
    talent = _talent(request, request.query_params.get("talent", ""))
    if talent is None:
        return not_found_page(request)
    return _form_page(request, talent, {"role": "", "date": "", "time": "", "notes": ""}, {})


@router.post("/auditions/new", response_class=HTMLResponse)
async def book(request: Request) -> Response:
    rt = runtime(request)
    form = await request.form()
    values = {k: str(form.get(k, ""))[:2000] for k in ("role", "date", "time", "notes", "nonce", "talent")}
    if not csrf_ok(request, "book", str(form.get("csrf", ""))):
        return forbidden_form(request)
    user = director_or_redirect(request)
    if isinstance(user, Response):
        return user
    talent = _talent(request, values["talent"])
    if talent is None:
        return not_found_page(request)
    role_ids = {r["id"] for r in rt.catalog.roles(40)}
    errors, starts_at = validate(translator(request), role=values["role"], date=values["date"],
                                 time=values["time"], notes=values["notes"], role_ids=role_ids)
    if errors:
        return _form_page(request, talent, values, errors, status=400)
    # The form's one-time nonce is the idempotency key: a double click books once.
    key = None if defects.active("double-submit") else "form:" + (values["nonce"] or secrets.token_hex(8))
    try:
        audition, _ = rt.state.book_audition(user["id"], talent["id"], int(values["role"]), starts_at,
                                             values["notes"], key)
    except SlotTakenError:
        t = translator(request)
        taken = t.text("errors.slot_taken", name=talent_name(talent, t.lang), date=values["date"],
                       time=values["time"])
        return _form_page(request, talent, values, {"time": taken}, status=409)
    except ValueError:  # same nonce, different content: treat as a new submission of an old form
        return _form_page(request, talent, {**values, "nonce": ""}, {}, status=409)
    return RedirectResponse(f"/auditions/{audition['id']}", status_code=303)


@router.get("/auditions/{audition_id}", response_class=HTMLResponse)
async def booked(request: Request, audition_id: str) -> Response:
    rt = runtime(request)
    t = translator(request)
    user = director_or_redirect(request)
    if isinstance(user, Response):
        return user
    audition = rt.state.audition(int(audition_id)) if audition_id.isdigit() and len(audition_id) < 9 else None
    if audition is None or not can_read(user, audition["owner_id"]):
        return not_found_page(request)  # 404, not 403: do not confirm that someone else's booking exists
    talent = rt.catalog.talent(audition["talent_id"])
    if talent is None:
        return not_found_page(request)
    return page(request, "booked.html", title=t.text("book.confirmed_title"), description=t.text("book.meta"),
                section="shortlist", audition=audition, talent=talent)

