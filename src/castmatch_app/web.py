"""Pages: home, talent search, profile, sign in/out, shortlist, preferences, offline."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from castmatch_app import generator, search
from castmatch_app.render import (
    csrf_ok,
    page,
    runtime,
    set_session_cookie,
    translator,
    visitor,
)
from castmatch_app.state import verify_password

router = APIRouter(include_in_schema=False)
FEATURED = 6


def safe_next(value: str | None, default: str = "/") -> str:
    # Only local paths: "//host" or "https://..." would turn sign-in into an open redirect.
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def user_key(request: Request) -> str:
    v = visitor(request)
    return f"user:{v.user['id']}" if v.user else f"session:{v.sid}"


def forbidden_form(request: Request) -> HTMLResponse:
    t = translator(request)
    return page(request, "error.html", title=t.text("errors.csrf"), description=t.text("errors.csrf"),
                status=403, status_code=403)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> Response:
    rt = runtime(request)
    t = translator(request)
    featured = rt.cache.get("featured")
    if featured is None:
        featured = rt.catalog.popular(FEATURED)
        rt.cache.put("featured", featured)
    return page(request, "home.html", title=t.text("home.title"), description=t.text("home.meta"),
                section="home", featured=featured, areas=generator.AREAS[:12])


@router.get("/talent", response_class=HTMLResponse)
async def talent_search(request: Request) -> Response:
    rt = runtime(request)
    t = translator(request)
    query = search.from_page(request.query_params)
    total, talents = await search.run(rt, query)
    params = {k: v for k, v in request.query_params.items() if k not in {"page", "lang"} and v}

    def page_url(n: int) -> str:
        return "/talent?" + urlencode({**params, "page": n})

    selects: list[tuple[str, str, str, list[tuple[Any, str]]]] = [
        ("area", "search.area", "search.any_area", [(a, t.text("area." + a)) for a in generator.AREAS]),
        ("language", "search.language", "search.any_language",
         [(x, t.text("language." + x)) for x in generator.LANGUAGES]),
        ("skill", "search.skill", "search.any_skill", [(s, t.text("skill." + s)) for s in generator.SKILLS]),
        ("gender", "search.gender", "search.any_gender", [(g, t.text("gender." + g)) for g in generator.GENDERS]),
        ("min_experience", "search.experience", "search.any_experience",
         [(n, t.text("search.years", n=n)) for n in search.EXPERIENCE_STEPS]),
    ]
    title = t.text("search.title")
    if query.q or params:
        title = f"{t.text('search.results', count=total)} · {title}"
    return page(request, "search.html", title=title, description=t.text("search.meta"), section="search",
                query=query, total=total, talents=talents, pages=search.pages(total, query.per_page),
                page_url=page_url, selects=selects)


@router.get("/talent/{talent_id}", response_class=HTMLResponse)
async def profile(request: Request, talent_id: str) -> Response:
    rt = runtime(request)
    t = translator(request)
    talent = rt.catalog.talent(int(talent_id)) if talent_id.isdigit() and len(talent_id) < 9 else None
    if talent is None:
        return not_found_page(request)
    v = visitor(request)
    shortlisted = False
    if v.user and v.user["role"] == "director":
        shortlist = rt.state.shortlist(rt.state.shortlist_for(v.user["id"]))
        shortlisted = bool(shortlist and talent["id"] in shortlist["talent_ids"])
    similar: list[dict[str, Any]] = []
    if rt.recommender is not None:
        try:
            result = await rt.recommender.recommend(talent_id=talent["id"], role=None, k=4, user_key=user_key(request))
            similar = rt.catalog.talents(result.ids)
        except RuntimeError:
            similar = []  # the page still works without recommendations
    name = talent["name_hi"] if t.lang == "hi" else talent["name"]
    skills = ", ".join(t.text("skill." + s) for s in talent["skills"][:3])
    return page(request, "talent.html", title=name, section="search",
                description=t.text("talent.meta", name=name, area=t.text("area." + talent["area"]), skills=skills),
                talent=talent, similar=similar, shortlisted=shortlisted)


def not_found_page(request: Request) -> HTMLResponse:
    t = translator(request)
    return page(request, "error.html", title=t.text("notfound.title"), description=t.text("notfound.body"),
                status=404, status_code=404)


@router.get("/signin", response_class=HTMLResponse)
async def signin_form(request: Request) -> Response:
    t = translator(request)
    return page(request, "signin.html", title=t.text("signin.title"), description=t.text("signin.meta"),
                section="signin", next=safe_next(request.query_params.get("next")), error=None, username="")


@router.post("/signin", response_class=HTMLResponse)
async def signin(request: Request) -> Response:
    rt = runtime(request)
    t = translator(request)
    form = await request.form()
    username, password = str(form.get("username", ""))[:200], str(form.get("password", ""))[:200]
    next_url = safe_next(str(form.get("next", "")))
    if not csrf_ok(request, "signin", str(form.get("csrf", ""))):
        return forbidden_form(request)
    user = rt.state.user_by_name(username)
    valid = user is not None and await run_in_threadpool(verify_password, password, user["password_hash"])
    if not valid or user is None:
        return page(request, "signin.html", title=t.text("signin.title"), description=t.text("signin.meta"),
                    section="signin", status=401, next=next_url, username=username,
                    error=t("errors.signin_failed"))
    sid = secrets.token_urlsafe(18)  # a fresh id on sign-in: no session fixation
    rt.state.create_session(sid, user["id"])
    response = RedirectResponse(next_url, status_code=303)
    set_session_cookie(request, response, sid)
    return response


@router.post("/signout")
async def signout(request: Request) -> Response:
    rt = runtime(request)
    form = await request.form()
    if not csrf_ok(request, "signout", str(form.get("csrf", ""))):
        return forbidden_form(request)
    rt.state.delete_session(visitor(request).sid)
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(request, response, secrets.token_urlsafe(18))
    return response


@router.post("/prefs/theme")
async def set_theme(request: Request) -> Response:
    form = await request.form()
    if not csrf_ok(request, "prefs", str(form.get("csrf", ""))):
        return forbidden_form(request)
    theme = str(form.get("theme", ""))
    response = RedirectResponse(safe_next(str(form.get("next", ""))), status_code=303)
    if theme in {"light", "dark"}:
        response.set_cookie("theme", theme, max_age=365 * 24 * 3600, path="/", samesite="lax",
                            secure=request.url.scheme == "https")
    return response


def director_or_redirect(request: Request) -> dict[str, Any] | Response:
    v = visitor(request)
    if v.user is None:
        return RedirectResponse("/signin?" + urlencode({"next": request.url.path + (
            "?" + request.url.query if request.url.query else "")}), status_code=303)
    if v.user["role"] != "director":
        t = translator(request)
        return page(request, "error.html", title=t.text("shortlist.director_only"),
                    description=t.text("shortlist.director_only"), status=403, status_code=403)
    return v.user


@router.get("/shortlist", response_class=HTMLResponse)
async def shortlist_page(request: Request) -> Response:
    rt = runtime(request)
    t = translator(request)
    user = director_or_redirect(request)
    if isinstance(user, Response):
        return user
    shortlist = rt.state.shortlist(rt.state.shortlist_for(user["id"]))
    talents = rt.catalog.talents(shortlist["talent_ids"] if shortlist else [])
    auditions = rt.state.auditions_for(user["id"])
    names = {x["id"]: x for x in rt.catalog.talents([a["talent_id"] for a in auditions])}
    for a in auditions:
        other = names.get(a["talent_id"])
        a["talent_name"] = (other["name_hi"] if t.lang == "hi" else other["name"]) if other else "?"
    return page(request, "shortlist.html", title=t.text("shortlist.title"), section="shortlist",
                description=t.text("shortlist.title"), talents=talents, auditions=auditions,
                notice=None)


async def _shortlist_change(request: Request, add: bool) -> Response:
    rt = runtime(request)
    t = translator(request)
    form = await request.form()
    wants_json = "application/json" in request.headers.get("accept", "")
    if not csrf_ok(request, "shortlist", str(form.get("csrf", ""))):
        if wants_json:
            return JSONResponse({"error": {"code": "csrf", "message": t.text("errors.csrf")}}, status_code=403)
        return forbidden_form(request)
    user = director_or_redirect(request)
    if isinstance(user, Response):
        return user
    raw = str(form.get("talent", ""))
    talent = rt.catalog.talent(int(raw)) if raw.isdigit() and len(raw) < 9 else None
    if talent is None:
        return not_found_page(request)
    shortlist_id = rt.state.shortlist_for(user["id"])
    name = talent["name_hi"] if t.lang == "hi" else talent["name"]
    if add:
        rt.state.add_to_shortlist(shortlist_id, talent["id"])
        message = t.text("talent.shortlist_added", name=name)
    else:
        rt.state.remove_from_shortlist(shortlist_id, talent["id"])
        message = t.text("shortlist.removed", name=name)
    if wants_json:
        return JSONResponse({"status": "ok", "message": message, "shortlist_id": shortlist_id})
    return RedirectResponse(f"/talent/{talent['id']}" if add else "/shortlist", status_code=303)


@router.post("/shortlist/add")
async def shortlist_add(request: Request) -> Response:
    return await _shortlist_change(request, True)


@router.post("/shortlist/remove")
async def shortlist_remove(request: Request) -> Response:
    return await _shortlist_change(request, False)


@router.get("/offline", response_class=HTMLResponse)
async def offline(request: Request) -> Response:
    t = translator(request)
    return page(request, "offline.html", title=t.text("offline.title"), description=t.text("offline.meta"))
