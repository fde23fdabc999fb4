"""Operations endpoints: liveness, readiness, Prometheus metrics and (opt-in) fault injection."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from castmatch_app import defects
from castmatch_app.api import RT, json_response

router = APIRouter(tags=["operations"])
faults_router = APIRouter(prefix="/_test", include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/healthz", summary="Liveness")
async def healthz(rt: RT) -> Response:
    # The only place the active defects are revealed, so a test can check which app it talks to.
    headers = {**NO_STORE, "X-CastMatch-Defects": ",".join(sorted(rt.settings.defects))}
    return json_response({"status": "ok"}, headers=headers)


@router.get("/readyz", summary="Readiness: 503 while starting or draining")
async def readyz(rt: RT) -> Response:
    lying = defects.active("readyz-lies")
    if rt.lifecycle.draining and not lying:
        return json_response({"status": "draining"}, 503, {**NO_STORE, "Retry-After": "1"})
    if (not rt.lifecycle.ready or rt.recommender is None) and not lying:
        return json_response({"status": "starting"}, 503, {**NO_STORE, "Retry-After": "1"})
    return json_response({"status": "ready"}, headers=NO_STORE)


@router.get("/metrics", summary="Prometheus metrics")
async def metrics(rt: RT) -> Response:
    rt.metrics.ready.set(1 if rt.lifecycle.ready and not rt.lifecycle.draining else 0)
    return Response(rt.metrics.render(), media_type=CONTENT_TYPE_LATEST, headers=NO_STORE)


@faults_router.get("/faults")
async def get_faults(rt: RT) -> Response:
    return json_response(rt.faults.as_dict())


@faults_router.post("/faults")
async def set_faults(rt: RT, changes: Annotated[dict[str, Any], Body()]) -> Response:
    """Switch faults on or off (``{"model_down": true}``); ``{"reset": true}`` switches every one off first."""
    try:
        if changes.pop("reset", False):
            rt.faults.reset()
        rt.faults.update(changes)
    except ValueError as exc:
        return json_response({"error": {"code": "bad_fault", "message": str(exc)}}, 400)
    return json_response(rt.faults.as_dict())


@faults_router.get("/sleep")
async def sleep(ms: int = Query(1000, ge=0, le=60_000)) -> Response:
    """A deliberately slow request, to prove that shutdown drains in-flight work."""
    await asyncio.sleep(ms / 1000)
    return json_response({"slept_ms": ms})
