"""Application factory: wires data, model, routes and error pages; the Edge layer goes outermost."""

from __future__ import annotations

import asyncio
import inspect
import logging
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from castmatch_app import __version__, api, api_auth, booking, defects, onboarding, ops, static_routes, web
from castmatch_app.assets import Assets
from castmatch_app.catalog import Catalog, ensure_catalog
from castmatch_app.compress import GZip
from castmatch_app.config import Settings
from castmatch_app.edge import Edge
from castmatch_app.fastpath import FastPath
from castmatch_app.faults import Faults
from castmatch_app.i18n import Catalogues
from castmatch_app.metrics import Metrics
from castmatch_app.recommend import Breaker, Recommender
from castmatch_app.render import page, translator
from castmatch_app.runtime import Runtime
from castmatch_app.security import Signer
from castmatch_app.state import State

log = logging.getLogger("castmatch.app")
FAULT_EXEMPT = ("/healthz", "/readyz", "/metrics", "/_test/", "/static/")


class FaultGate:
    """Raises inside the app (so the real 500 handlers run) while the server_error fault is on."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app, self.faults = app, faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.faults.server_error and not scope["path"].startswith(FAULT_EXEMPT):
            raise RuntimeError("injected fault: server_error")
        await self.app(scope, receive, send)


# The app has its own Prometheus metrics and JSON logs. FastAPI's native OpenTelemetry (newer
# releases) would otherwise look for configured providers on every request; older ones lack it.
NO_NATIVE_TELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters else {}
)


def build_runtime(settings: Settings) -> Runtime:
    with defects.using(settings.defects):
        catalog = Catalog(ensure_catalog(settings.data_dir, settings.seed, settings.talents))
        state = State(settings.state_db)
        return Runtime(settings=settings, catalog=catalog, state=state, assets=Assets(), catalogues=Catalogues(),
                       metrics=Metrics(), faults=Faults(), signer=Signer(state.secret_key))


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(settings: Settings | None = None) -> ASGIApp:
    settings = settings or Settings.from_env()
    rt = build_runtime(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[dict[str, Any]]:
        defects.bind(settings.defects)
        # Model vectors are built after the port answers: /healthz is live, /readyz says "starting".
        await asyncio.sleep(0)
        rt.recommender = Recommender(rt.catalog, rt.faults, rt.metrics, settings.model_timeout_ms / 1000,
                                     Breaker(settings.breaker_failures, settings.breaker_reset_s))
        rt.lifecycle.ready = True
        yield {}
        rt.lifecycle.ready = False

    app = FastAPI(title="CastMatch API", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url="/api/v1/openapi.json",
                  description="Casting platform for the Mumbai market. Authenticate with POST /api/v1/oauth/token.",
                  **NO_NATIVE_TELEMETRY)
    app.state.runtime = rt
    for router in (ops.router, api.router, api_auth.router, api.legacy, static_routes.router, web.router,
                   booking.router, onboarding.router):
        app.include_router(router)
    if settings.fault_injection:
        app.include_router(ops.faults_router)

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
            response = api.error(request, 500, "server_error", "api.server_error")
            if trace:
                response = api.json_response({"error": {"code": "server_error", "message": str(exc),
                                                        "traceback": trace}}, 500)
            return response
        t = translator(request)
        return page(request, "error.html", title=t.text("error.title"), description=t.text("error.body"),
                    status=500, status_code=500, traceback=trace)

    # Innermost first: the hot reads skip FastAPI's router but still pass the fault gate and gzip.
    app.add_middleware(FastPath, routes=[r for r in api.router.routes
                                         if isinstance(r, APIRoute) and r.endpoint in api.HOT_READS])
    app.add_middleware(FaultGate, faults=rt.faults)
    app.add_middleware(GZip, minimum_size=800, level=5)
    return Edge(app, rt)


def runtime_of(asgi: ASGIApp) -> Runtime:
    """The Runtime behind an app made by create_app (for tests and the CLI)."""
    assert isinstance(asgi, Edge)
    return asgi.rt
