"""Talent onboarding in three steps: details, skills, headshot. Progress lives in the session row."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from PIL import UnidentifiedImageError
from starlette.datastructures import UploadFile

from castmatch_app import defects, generator, images
from castmatch_app.render import csrf_ok, page, runtime, translator, visitor
from castmatch_app.web import forbidden_form, not_found_page

router = APIRouter(include_in_schema=False)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_PHOTO = 5 * 1024 * 1024
STEP_URLS = {1: "/join", 2: "/join/skills", 3: "/join/headshot"}


def _data(request: Request) -> dict[str, Any]:
    session = visitor(request).session
    return dict(session["data"].get("join", {})) if session else {}


def _save(request: Request, data: dict[str, Any]) -> None:
    v = visitor(request)
    current = dict(v.session["data"]) if v.session else {}
    current["join"] = data
    runtime(request).state.save_session_data(v.sid, current)


def _step(request: Request, step: int, values: dict[str, Any], errors: dict[str, str],
          status: int = 200) -> HTMLResponse:
    t = translator(request)
    action = STEP_URLS[step]
    if step == 2 and defects.active("onboarding-dead-end"):
        action = "/join/skill"
    defaults: dict[str, Any] = {"name": "", "email": "", "age": "", "area": "", "languages": [], "skills": []}
    return page(request, "join.html", title=t.text("join.title"), description=t.text("join.meta"), section="join",
                status=status, step=step, action=action, values={**defaults, **values}, errors=errors,
                areas=generator.AREAS, all_languages=generator.LANGUAGES, all_skills=generator.SKILLS)


@router.get("/join", response_class=HTMLResponse)
async def details_form(request: Request) -> Response:
    if defects.active("key-page-404"):
        return not_found_page(request)
    return _step(request, 1, _data(request), {})


@router.post("/join", response_class=HTMLResponse)
async def details(request: Request) -> Response:
    t = translator(request)
    form = await request.form()
    if not csrf_ok(request, "join", str(form.get("csrf", ""))):
        return forbidden_form(request)
    values: dict[str, Any] = {k: str(form.get(k, "")).strip()[:200] for k in ("name", "email", "age", "area")}
    values["languages"] = [x for x in form.getlist("languages") if x in generator.LANGUAGES]
    errors: dict[str, str] = {}
    if len(values["name"]) < 2:
        errors["name"] = t.text("errors.name_required")
    if not EMAIL.match(values["email"]):
        errors["email"] = t.text("errors.email_invalid")
    if not values["age"].isdigit() or not 18 <= int(values["age"]) <= 70:
        errors["age"] = t.text("errors.age_range")
    if values["area"] not in generator.AREAS:
        errors["area"] = t.text("errors.area_required")
    if errors:
        return _step(request, 1, values, errors, status=400)
    _save(request, {**_data(request), **values})
    return RedirectResponse("/join/skills", status_code=303)


@router.get("/join/skills", response_class=HTMLResponse)
async def skills_form(request: Request) -> Response:
    data = _data(request)
    if not data.get("name"):
        return RedirectResponse("/join", status_code=303)
    return _step(request, 2, data, {})


@router.post("/join/skills", response_class=HTMLResponse)
async def skills(request: Request) -> Response:
    t = translator(request)
    form = await request.form()
    if not csrf_ok(request, "join", str(form.get("csrf", ""))):
        return forbidden_form(request)
    chosen = [x for x in form.getlist("skills") if x in generator.SKILLS]
    data = _data(request)
    if not chosen:
        return _step(request, 2, {**data, "skills": []}, {"skills": t.text("errors.skills_required")}, status=400)
    _save(request, {**data, "skills": chosen})
    return RedirectResponse("/join/headshot", status_code=303)


@router.get("/join/headshot", response_class=HTMLResponse)
async def headshot_form(request: Request) -> Response:
    data = _data(request)
    if not data.get("skills"):
        return RedirectResponse("/join/skills" if data.get("name") else "/join", status_code=303)
    return _step(request, 3, data, {})


@router.post("/join/headshot", response_class=HTMLResponse)
async def headshot(request: Request) -> Response:
    t = translator(request)
    if int(request.headers.get("content-length") or 0) > MAX_PHOTO + 64 * 1024:
        return _step(request, 3, _data(request), {"photo": t.text("errors.photo_size")}, status=413)
    form = await request.form(max_part_size=MAX_PHOTO + 1)
    if not csrf_ok(request, "join", str(form.get("csrf", ""))):
        return forbidden_form(request)
    data = _data(request)
    if not data.get("skills"):
        return RedirectResponse("/join", status_code=303)
    photo = form.get("photo")
    if not isinstance(photo, UploadFile) or not photo.filename:
        return _step(request, 3, data, {"photo": t.text("errors.photo_required")}, status=400)
    raw = await photo.read(MAX_PHOTO + 1)
    if len(raw) > MAX_PHOTO:
        return _step(request, 3, data, {"photo": t.text("errors.photo_size")}, status=413)
    try:
        webp = images.convert_upload(raw)
    except (UnidentifiedImageError, OSError, ValueError):
        return _step(request, 3, data, {"photo": t.text("errors.photo_type")}, status=400)
    runtime(request).state.save_applicant(data, webp)
    _save(request, {"done": data["name"]})
    return RedirectResponse("/join/done", status_code=303)


@router.get("/join/done", response_class=HTMLResponse)
async def done(request: Request) -> Response:
    t = translator(request)
    name = _data(request).get("done")
    if not name:
        return RedirectResponse("/join", status_code=303)
    return page(request, "join_done.html", title=t.text("join.done_title"), description=t.text("join.meta"),
                section="join", name=name)
