"""Application factory: data, model, routes, error pages and middleware of the CastMatch app."""

from __future__ import annotations

import logging
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp

from castmatch_app import __version__, api, api_auth, booking, defects, onboarding, ops, static_routes, web
from castmatch_app.assets import Assets
from castmatch_app.catalog import Catalog, ensure_catalog
from castmatch_app.config import Settings
from castmatch_app.edge import Edge
from castmatch_app.faults import Faults
from castmatch_app.i18n import Catalogues
from castmatch_app.metrics import Metrics
from castmatch_app.recommend import Breaker, Recommender
from castmatch_app.render import page, runtime, translator
from castmatch_app.runtime import Runtime
from castmatch_app.security import Signer
from castmatch_app.state import State

log = logging.getLogger("castmatch.app")
FAULT_EXEMPT = ("/healthz", "/readyz", "/metrics", "/_test/", "/static/")


def build_runtime(settings: Settings) -> Runtime:
    """Everything the app holds (catalogue, state, assets, catalogues, metrics), built with its defects."""
    with defects.using(settings.defects):
        catalog = Catalog(ensure_catalog(settings.data_dir, settings.seed, settings.talents))
        state = State(settings.state_db, password_cache=settings.data_dir / "seed-passwords.json")
        return Runtime(settings=settings, catalog=catalog, state=state, assets=Assets(), catalogues=Catalogues(),
                       metrics=Metrics(), faults=Faults(), signer=Signer(state.secret_key))


async def injected_server_error(request: Request) -> None:
    """While the ``server_error`` fault is on, every route raises, so the real 500 handling answers."""
    if runtime(request).faults.server_error and not request.url.path.startswith(FAULT_EXEMPT):
        raise RuntimeError("injected fault: server_error")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(settings: Settings | None = None) -> ASGIApp:
    """The CastMatch app for ``settings`` (default: from the environment), wrapped in its ``Edge``."""
    settings = settings or Settings.from_env()
    rt = build_runtime(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        defects.bind(settings.defects)
        rt.recommender = Recommender(rt.catalog, rt.faults, rt.metrics, settings.model_timeout_ms / 1000,
                                     Breaker(settings.breaker_failures, settings.breaker_reset_s))
        rt.lifecycle.ready = True
        yield
        rt.lifecycle.ready = False

    app = FastAPI(title="CastMatch API", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url="/api/v1/openapi.json", dependencies=[Depends(injected_server_error)],
                  description="Casting platform for the Mumbai market. Authenticate with POST /api/v1/oauth/token.")
    app.state.runtime = rt
    for router in (ops.router, api.router, api_auth.router, api.legacy, static_routes.router, web.router,
                   booking.router, onboarding.router):
        app.include_router(router)
    if settings.fault_injection:
        app.include_router(ops.faults_router)

    @app.exception_handler(api.ApiError)
    async def refused(request: Request, exc: api.ApiError) -> Response:
        return api.error(request, exc.status, exc.code, exc.key, exc.fields, exc.headers, **exc.values)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request):
            code = "not_found" if exc.status_code == 404 else "http_error"
            key = "api.not_found" if exc.status_code == 404 else "api.validation"
            return api.error(request, exc.status_code, code, key)
        if exc.status_code == 404:
            if defects.active("plain-404"):
                return PlainTextResponse("Not Found", status_code=404)
            return web.not_found_page(request)
        return PlainTextResponse(str(exc.detail), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        fields = {".".join(str(p) for p in e["loc"][1:]) or "body": e["msg"] for e in exc.errors()}
        if _is_api(request):
            return api.error(request, 422, "invalid_parameter", "api.validation", fields)
        return web.not_found_page(request)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        log.error("unhandled %s on %s", type(exc).__name__, request.url.path, exc_info=exc)
        trace = "".join(traceback.format_exception(exc)) if defects.active("stacktrace-500") else None
        if _is_api(request):
            if trace:
                return api.json_response({"error": {"code": "server_error", "message": str(exc),
                                                    "traceback": trace}}, 500)
            return api.error(request, 500, "server_error", "api.server_error")
        t = translator(request)
        return page(request, "error.html", title=t.text("error.title"), description=t.text("error.body"),
                    status=500, status_code=500, traceback=trace)

    app.add_middleware(GZipMiddleware, minimum_size=800, compresslevel=5)
    # Outside FastAPI's own error handling, so even the 500 page carries the security headers.
    return Edge(app, rt)


def runtime_of(asgi: ASGIApp) -> Runtime:
    """The Runtime behind an app made by create_app (for tests and the CLI)."""
    assert isinstance(asgi, Edge)
    return asgi.rt
