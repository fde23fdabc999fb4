"""Each front-end defect, proven on the markup, CSS and JS the app serves (browser gates come later)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from castmatch_app import defects
from tests.app.apphelp import MakeApp, asset, check_defect, contrast, rt, sign_in

Check = Callable[[TestClient], bool]


def css(c: TestClient) -> str:
    return asset(c, "css/app.css")


def dark_muted_contrast(c: TestClient) -> float:
    text = css(c)
    muted = re.findall(r"data-theme=dark\][^{]*\{[^}]*--text-muted:(#[0-9a-f]{3,6})", text)
    background = re.findall(r"data-theme=dark\][^{]*\{[^}]*--bg:(#[0-9a-f]{3,6})", text)
    return contrast(muted[-1], background[0])


def hex_outside_tokens(c: TestClient) -> bool:
    text = re.sub(r":root[^{]*\{[^}]*\}", "", css(c))  # drop token blocks
    text = re.sub(r"@media \(prefers-color-scheme:dark\)\{", "", text)
    return bool(re.search(r"#[0-9a-fA-F]{3,6}\b", text))


def font_faces_without_display(c: TestClient) -> bool:
    return any("font-display" not in face for face in re.findall(r"@font-face\{[^}]*\}", css(c)))


def head(c: TestClient, path: str = "/") -> str:
    return c.get(path).text.split("</head>")[0]


def blocking_script(c: TestClient) -> bool:
    return any("defer" not in tag and "async" not in tag for tag in re.findall(r"<script[^>]*src=[^>]*>", head(c)))


def huge_headshot(c: TestClient) -> bool:
    tag = re.search(r'<img class="headshot"[^>]*>', c.get("/talent/3").text)
    assert tag is not None
    return ".png" in tag.group(0) and "width=" not in tag.group(0)


def eager_cards(c: TestClient) -> bool:
    tags = re.findall(r"<img [^>]*>", c.get("/talent").text)
    return sum('loading="lazy"' in t for t in tags) == 0


def broken_shortlist(c: TestClient) -> bool:
    return "event.preventDefault();\n    return;" in asset(c, "js/profile.js")


def theme_flash(c: TestClient) -> bool:
    return 'data-theme="dark"' not in c.get("/", headers={"Cookie": "theme=dark"}).text


def director_page_ok(c: TestClient) -> bool:
    sign_in(c)
    return broken_shortlist(c)


CHECKS: dict[str, Check] = {
    "low-contrast-dark": lambda c: dark_muted_contrast(c) < 7,
    "small-targets": lambda c: any(int(w) < 44 for w in re.findall(r"\.icon-btn\{width:(\d+)px", css(c))),
    "no-focus-outline": lambda c: "outline:none" in css(c),
    "reflow-overflow": lambda c: "min-width:480px" in css(c),
    "literal-colour": hex_outside_tokens,
    "font-no-display": font_faces_without_display,
    "slow-transitions": lambda c: int(re.findall(r"--motion:(\d+)ms", css(c))[-1]) > 500,
    "motion-ignores-reduced": lambda c: "prefers-reduced-motion:reduce" not in css(c)
    or "let playing = !reduce.matches" not in asset(c, "js/carousel.js"),
    "carousel-no-pause": lambda c: "function togglePlay() { return;" in asset(c, "js/carousel.js"),
    "janky-animation": lambda c: "while (performance.now() - t0" in asset(c, "js/carousel.js"),
    "keyboard-trap": lambda c: 'e.key === "Tab") e.preventDefault()' in asset(c, "js/core.js"),
    "late-banner-cls": lambda c: "m.prepend(b)" in asset(c, "js/core.js"),
    "bloated-bundle": lambda c: len(asset(c, "js/core.js")) > 100_000,
    "silent-feedback": lambda c: "if (!status || !message) return;" not in asset(c, "js/core.js"),
    "lost-filter-on-back": lambda c: "history.pushState" not in asset(c, "js/search.js"),
    "broken-shortlist-button": broken_shortlist,
    "sw-no-cache": lambda c: "const CACHING = false;" in c.get("/sw.js").text,
    "missing-h1": lambda c: "<h1" not in c.get("/talent").text,
    "styled-heading": lambda c: '<p class="h2-like" id="featured-title">' in c.get("/").text,
    "select-navigates": lambda c: "data-submit-on-change" in c.get("/talent").text,
    "read-more-links": lambda c: ">Read more<" in c.get("/").text,
    "gradient-text-contrast": lambda c: "lede-gradient" in c.get("/").text,
    "overlapping-text": lambda c: "meta-overlap" in c.get("/talent").text,
    "bad-landmarks": lambda c: "<main" not in c.get("/").text or "<nav" not in c.get("/").text,
    "render-blocking-script": blocking_script,
    "huge-image": huge_headshot,
    "eager-images": eager_cards,
    "theme-flash": theme_flash,
    "leaked-placeholder": lambda c: bool(re.search(r"lorem ipsum|TODO", c.get("/").text, re.I)),
    "click-here-links": lambda c: bool(re.search(r">\s*Click here\s*<", c.get("/").text)),
    "missing-hindi-key": lambda c: '<span lang="en"' in c.get("/?lang=hi").text,
    "broken-rtl": lambda c: 'dir="rtl"' not in c.get("/?lang=ur").text,
    "plain-404": lambda c: "<html" not in c.get("/no-such-page").text,
    "key-page-404": lambda c: c.get("/join").status_code == 404,
    "sitemap-missing-page": lambda c: "/talent</loc>" not in c.get("/sitemap.xml").text,
    "no-static-cache-headers": lambda c: c.get(rt(c).assets.url("css/app.css")).headers["cache-control"]
    == "no-store",
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_front_end_defect(make_app: MakeApp, clean: TestClient, name: str) -> None:
    check_defect(make_app, clean, name, CHECKS[name])


def test_every_defect_has_a_proof() -> None:
    from tests.app.test_defects_server import CHECKS as SERVER_CHECKS
    from tests.app.test_defects_server import ELSEWHERE

    assert set(CHECKS) | set(SERVER_CHECKS) | ELSEWHERE == defects.NAMES
    assert not set(CHECKS) & set(SERVER_CHECKS)


def test_missing_hindi_key_shows_in_the_catalogue_report(make_app: MakeApp) -> None:
    assert make_app("missing-hindi-key").get("/api/v1/locales/hi").json()["missing"] == ["home.title", "nav.search"]


def test_broken_shortlist_only_for_signed_in_directors(make_app: MakeApp) -> None:
    assert director_page_ok(make_app("broken-shortlist-button"))
