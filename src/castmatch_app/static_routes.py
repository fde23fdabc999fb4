"""Assets, generated headshots, service worker, manifest, robots.txt and sitemap.xml."""

from __future__ import annotations

import asyncio
import json
from xml.sax.saxutils import escape as xml_escape

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from castmatch_app import defects, generator, images
from castmatch_app.assets import Asset
from castmatch_app.render import runtime, translator

router = APIRouter(include_in_schema=False)
IMMUTABLE = "public, max-age=31536000, immutable"


def cache_header(value: str) -> str:
    return "no-store" if defects.active("no-static-cache-headers") else value


def send_asset(request: Request, asset: Asset, cache_control: str) -> Response:
    headers = {"Cache-Control": cache_header(cache_control), "ETag": asset.etag, "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    accept = request.headers.get("accept-encoding", "")
    body = asset.body
    if asset.br is not None and "br" in accept:
        body, headers["Content-Encoding"] = asset.br, "br"
    elif asset.gzip and "gzip" in accept:
        body, headers["Content-Encoding"] = asset.gzip, "gzip"
    return Response(body, media_type=asset.content_type, headers=headers)


@router.get("/static/{digest}/{path:path}")
async def static(request: Request, digest: str, path: str) -> Response:
    asset = runtime(request).assets.find(path)
    if asset is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    # An old hash still gets today's file (rolling deploys), but must not be cached as immutable.
    return send_asset(request, asset, IMMUTABLE if asset.url.split("/")[2] == digest else "no-cache")


@router.get("/sw.js")
async def service_worker(request: Request) -> Response:
    response = send_asset(request, runtime(request).assets.service_worker, "no-cache")
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@router.get("/media/headshots/{name}")
async def headshot(request: Request, name: str) -> Response:
    stem, _, ext = name.partition(".")
    talent_id, _, size = stem.partition("-")
    rt = runtime(request)
    if not talent_id.isdigit() or not 1 <= int(talent_id) <= rt.catalog.talent_count:
        return Response("Not found", status_code=404, media_type="text/plain")
    if ext == "png" and not size:
        data = await run_in_threadpool(images.huge_png)
        return Response(data, media_type="image/png", headers={"Cache-Control": cache_header(IMMUTABLE)})
    if ext != "webp" or size not in images.SIZES:
        return Response("Not found", status_code=404, media_type="text/plain")
    data = await run_in_threadpool(images.headshot_webp, int(talent_id), size)
    return Response(data, media_type="image/webp", headers={"Cache-Control": cache_header(IMMUTABLE)})


@router.get("/manifest.webmanifest")
async def manifest(request: Request) -> Response:
    rt = runtime(request)
    t = translator(request)
    body = {
        "name": t.text("site.name"), "short_name": t.text("site.name"), "description": t.text("home.meta"),
        "lang": t.lang, "dir": t.dir, "start_url": "/", "scope": "/", "display": "standalone",
        "background_color": "#fdfbf7", "theme_color": "#7b1245",
        "icons": [
            {"src": rt.assets.url("icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": rt.assets.url("icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": rt.assets.url("icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
    }
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/manifest+json",
                    headers={"Cache-Control": "public, max-age=3600"})


@router.get("/favicon.ico")
async def favicon(request: Request) -> Response:
    asset = runtime(request).assets.find("icon-192.png")
    assert asset is not None
    return send_asset(request, asset, "public, max-age=86400")


@router.get("/robots.txt")
async def robots(request: Request) -> Response:
    base = str(request.base_url).rstrip("/")
    text = ("User-agent: *\nAllow: /\nDisallow: /shortlist\nDisallow: /auditions/\nDisallow: /api/\n"
            f"Disallow: /_test/\n\nSitemap: {base}/sitemap.xml\n")
    return Response(text, media_type="text/plain", headers={"Cache-Control": "public, max-age=3600"})


def sitemap_paths(popular_ids: list[int]) -> list[str]:
    paths = ["/", "/talent", "/join", "/signin", "/offline"]
    if defects.active("sitemap-missing-page"):
        paths.remove("/talent")
    paths += [f"/talent?area={a}" for a in generator.AREAS]
    paths += [f"/talent/{i}" for i in popular_ids]
    return paths


@router.get("/sitemap.xml")
async def sitemap(request: Request) -> Response:
    rt = runtime(request)
    base = str(request.base_url).rstrip("/")
    ids = [t["id"] for t in rt.catalog.popular(200)]
    urls = "".join(f"<url><loc>{xml_escape(base + p)}</loc></url>" for p in sitemap_paths(ids))
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>\n')
    return Response(xml, media_type="application/xml", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/_legacy/analytics.js")
async def legacy_analytics() -> Response:
    """Only referenced under the render-blocking-script defect: a slow third-party-style script."""
    await asyncio.sleep(1.5)
    return Response("window.__legacyAnalytics = true;\n", media_type="text/javascript",
                    headers={"Cache-Control": "no-store"})
