from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.app.apphelp import csrf, rt, sign_in

PAGES = ["/", "/talent", "/talent?q=dance&area=bandra&page=2", "/talent/1", "/signin", "/join", "/offline"]


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_with_landmarks_and_one_h1(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    html = response.text
    assert html.count("<h1") == 1
    for landmark in ("<header", "<nav", "<main", "<footer"):
        assert landmark in html
    assert '<html lang="en" dir="ltr"' in html
    assert 'class="skip-link" href="#main"' in html
    assert '<meta name="description" content="' in html
    assert "<script" not in html or all("defer" in tag for tag in re.findall(r"<script[^>]*>", html))
    assert "style=" not in html  # the CSP forbids inline styles
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert "text/html" in response.headers["content-type"]


def test_images_have_dimensions_and_lazy_below_fold(client: TestClient) -> None:
    html = client.get("/talent").text
    images = re.findall(r"<img [^>]*>", html)
    assert len(images) > 8
    for tag in images:
        assert "width=" in tag
        assert "height=" in tag
        assert "alt=" in tag
    assert sum('loading="lazy"' in tag for tag in images) >= 8


def test_languages_and_rtl(client: TestClient) -> None:
    hi = client.get("/?lang=hi")
    assert '<html lang="hi" dir="ltr"' in hi.text
    assert "हर किरदार" in hi.text
    assert hi.cookies.get("lang") == "hi"
    ur = client.get("/talent", headers={"Cookie": "lang=ur"})
    assert '<html lang="ur" dir="rtl"' in ur.text
    assert client.get("/api/v1/locales/hi").json()["missing"] == []
    assert client.get("/api/v1/locales/ur").json()["dir"] == "rtl"


def test_theme_cookie_is_rendered_server_side(client: TestClient) -> None:
    assert 'data-theme="dark"' in client.get("/", headers={"Cookie": "theme=dark"}).text
    assert "data-theme" not in client.get("/").text.split(">", 2)[1]


def test_theme_toggle_form_needs_csrf(client: TestClient) -> None:
    page = client.get("/")
    token = csrf(page.text, "/prefs/theme")
    ok = client.post("/prefs/theme", data={"csrf": token, "theme": "dark", "next": "/talent"},
                     follow_redirects=False)
    assert ok.status_code == 303
    assert ok.headers["location"] == "/talent"
    assert ok.cookies.get("theme") == "dark"
    assert client.post("/prefs/theme", data={"theme": "dark"}, follow_redirects=False).status_code == 403


def test_session_cookie_flags(client: TestClient) -> None:
    cookie = client.get("/").headers["set-cookie"]
    assert "cm_sid=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie


def test_search_filters_live_in_the_query_string(client: TestClient) -> None:
    html = client.get("/talent?skill=stunts&language=marathi&page=2").text
    assert '<option value="stunts" selected>' in html
    assert '<option value="marathi" selected>' in html
    assert 'href="/talent?skill=stunts&amp;language=marathi&amp;page=1"' in html


def test_search_escapes_the_query(client: TestClient) -> None:
    html = client.get("/talent", params={"q": "<script>alert(1)</script>"}).text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_friendly_404(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "find that page" in response.text
    assert '<form class="search-form"' in response.text
    assert client.get("/talent/999999").status_code == 404


def test_friendly_500_without_traceback(client: TestClient) -> None:
    client.post("/_test/faults", json={"server_error": True})
    response = client.get("/talent")
    client.post("/_test/faults", json={"reset": True})
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "Traceback" not in response.text
    assert response.headers["x-request-id"] in response.text


def test_pwa_files(client: TestClient) -> None:
    manifest = client.get("/manifest.webmanifest").json()
    assert manifest["start_url"] == "/"
    assert any(i["purpose"] == "maskable" for i in manifest["icons"])
    worker = client.get("/sw.js")
    assert worker.headers["cache-control"] == "no-cache"
    assert '"/offline"' in worker.text
    assert "const CACHING = true;" in worker.text
    robots = client.get("/robots.txt").text
    assert "Sitemap: http://testserver/sitemap.xml" in robots


def test_sitemap_matches_navigation(client: TestClient) -> None:
    sitemap = client.get("/sitemap.xml").text
    nav = re.search(r'<nav class="nav".*?</nav>', client.get("/").text, re.S)
    assert nav is not None
    for href in re.findall(r'href="([^"]+)"', nav.group(0)):
        assert f"<loc>http://testserver{href}</loc>" in sitemap


def test_static_assets_are_versioned_compressed_and_cached(client: TestClient) -> None:
    url = rt(client).assets.url("css/app.css")
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-encoding"] in {"gzip", "br"}
    assert len(rt(client).assets.by_path["css/app.css"].body) < 14_000
    assert client.get(url, headers={"If-None-Match": response.headers["etag"]}).status_code == 304
    stale = client.get(url.replace(url.split("/")[2], "0" * 12))
    assert stale.headers["cache-control"] == "no-cache"


def test_headshots_are_deterministic_webp(client: TestClient) -> None:
    first = client.get("/media/headshots/7-card.webp")
    assert first.headers["content-type"] == "image/webp"
    assert first.headers["cache-control"].endswith("immutable")
    assert first.content == client.get("/media/headshots/7-card.webp").content
    assert first.content != client.get("/media/headshots/8-card.webp").content
    assert client.get("/media/headshots/0-card.webp").status_code == 404


def test_shortlist_needs_a_director(client: TestClient) -> None:
    assert client.get("/shortlist", follow_redirects=False).headers["location"].startswith("/signin")
    sign_in(client)
    html = client.get("/shortlist").text
    assert "Your shortlist" in html
    assert "/talent/1" in html


def test_signin_failure_is_explained(client: TestClient) -> None:
    page = client.get("/signin")
    response = client.post("/signin", data={"username": "meera@castmatch.test", "password": "wrong",
                                            "csrf": csrf(page.text, "/signin")})
    assert response.status_code == 401
    assert "Check both and try again" in response.text
    assert 'aria-describedby="signin-error"' in response.text


def test_signin_rejects_open_redirect(client: TestClient) -> None:
    page = client.get("/signin")
    response = client.post("/signin", data={"username": "meera@castmatch.test", "password": "Meera-Casting-2025",
                                            "csrf": csrf(page.text, "/signin"), "next": "//evil.example"},
                           follow_redirects=False)
    assert response.headers["location"] == "/"
