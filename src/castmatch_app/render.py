"""Server-side rendering: Jinja2 environment, per-request page context, client identity cookie.

Every visitor carries ``cm_sid``: a random id signed with the app key (HttpOnly, SameSite=Lax).
It binds CSRF tokens, keys the rate limiter and, once someone signs in or starts onboarding,
names their row in the ``sessions`` table. Anonymous page views never write to the database.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from castmatch_app import defects, generator, i18n, images
from castmatch_app.i18n import Translator
from castmatch_app.runtime import Runtime

SESSION_COOKIE = "cm_sid"
SESSION_MAX_AGE = 30 * 24 * 3600
HTML_CACHE = "private, no-cache"

env = Environment(loader=PackageLoader("castmatch_app", "templates"), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True, auto_reload=False)
# The headshot sizes the image route serves, so <img width/height> always match the files.
env.globals["headshot_sizes"] = images.SIZES


@dataclass
class Visitor:
    sid: str
    new: bool  # the cookie must be (re)issued on the response
    session: dict[str, Any] | None
    user: dict[str, Any] | None


def runtime(request: Request) -> Runtime:
    """The Runtime of the app serving ``request``."""
    rt: Runtime = request.app.state.runtime
    return rt


async def runtime_dependency(request: Request) -> Runtime:
    """``runtime`` for ``Depends``: an async dependency runs on the event loop, without a thread hop."""
    return runtime(request)


def visitor(request: Request) -> Visitor:
    cached: Visitor | None = getattr(request.state, "visitor", None)
    if cached is not None:
        return cached
    rt = runtime(request)
    sid = rt.signer.session_id(request.cookies.get(SESSION_COOKIE))
    new = sid is None
    if sid is None:
        sid = secrets.token_urlsafe(18)
    session = None if new else rt.state.session(sid)
    user = rt.state.user(session["user_id"]) if session and session["user_id"] else None
    found = Visitor(sid, new, session, user)
    request.state.visitor = found
    return found


def set_session_cookie(request: Request, response: Response, sid: str) -> None:
    rt = runtime(request)
    response.set_cookie(SESSION_COOKIE, rt.signer.session_cookie(sid), max_age=SESSION_MAX_AGE, path="/",
                        httponly=True, samesite="lax", secure=request.url.scheme == "https")


def translator(request: Request) -> Translator:
    rt = runtime(request)
    lang = i18n.pick_language(request.query_params.get("lang"), request.cookies.get("lang"),
                              request.headers.get("accept-language"))
    return rt.catalogues.translator(lang)


def theme_of(request: Request) -> str | None:
    if defects.active("theme-flash"):
        return None  # left to a script after load: the page first paints in the system theme
    value = request.cookies.get("theme")
    return value if value in {"light", "dark"} else None


def csrf_for(request: Request, form: str) -> str:
    return runtime(request).signer.csrf_token(visitor(request).sid, form)


def csrf_ok(request: Request, form: str, submitted: str | None) -> bool:
    v = visitor(request)
    return not v.new and runtime(request).signer.check_csrf(v.sid, submitted, form)


def page(request: Request, template: str, *, title: str, description: str, section: str = "",
         status: int = 200, **context: Any) -> HTMLResponse:
    rt = runtime(request)
    t = translator(request)
    v = visitor(request)
    query = [(k, val) for k, val in request.query_params.multi_items() if k != "lang"]
    base = str(request.base_url).rstrip("/")
    canonical = base + request.url.path + ("?" + urlencode(query) if query else "")
    html = env.get_template(template).render(
        t=t, lang=t.lang, languages=i18n.LANGUAGES, theme=theme_of(request), title=title,
        description=description, section=section, user=v.user, path=request.url.path,
        query_without_lang=urlencode(query), path_with_query=request.url.path + ("?" + urlencode(query)
                                                                                  if query else ""),
        canonical=canonical, base_url=base, asset=rt.assets.url, defect=defects.active,
        csrf=lambda form: csrf_for(request, form), media_version=generator.GENERATOR_VERSION,
        request_id=request.scope.get("castmatch.request_id"), **context,
    )
    response = HTMLResponse(html, status_code=status, headers={"Cache-Control": HTML_CACHE,
                                                                "Content-Language": t.lang,
                                                                "Vary": "Cookie, Accept-Language"})
    if v.new:
        set_session_cookie(request, response, v.sid)
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie("lang", t.lang, max_age=365 * 24 * 3600, path="/", samesite="lax", httponly=True,
                            secure=request.url.scheme == "https")
    return response
