"""The information-architecture checks over a small in-memory site."""

from __future__ import annotations

import pytest

from pytest_castmatch.checks import sitemap

SITEMAP = """<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>http://h/</loc></url><url><loc>http://h/talent</loc></url><url><loc>http://h/talent/7?lang=hi</loc></url>
<url><loc>http://h/join</loc></url></urlset>"""
HOME = """<header><nav><a href="/talent">Find talent</a><a href="/join">Join</a>
<a href="/signin">Sign in</a></nav></header>
<main><a href="/talent/1">One</a><a href="#top">Top</a><a href="mailto:x@y">Mail</a></main>
<footer><a href="/sitemap.xml">Site map</a><a href="https://elsewhere.example/">Away</a></footer>"""
SITE = {
    "/": HOME,
    "/talent": '<a href="/talent/1">1</a><a href="/talent/2">2</a><a href="/talent/3">3</a><a href="/deep">d</a>',
    "/talent/1": '<a href="/talent/2">2</a>', "/talent/2": "", "/talent/3": "", "/join": '<a href="/join/skills">n</a>',
    "/join/skills": '<a href="/join/headshot">n</a>', "/join/headshot": '<a href="/join/done">n</a>',
    "/join/done": "", "/signin": "", "/deep": '<a href="/deeper">x</a>', "/deeper": '<a href="/gone">x</a>',
}


def fetch(path: str) -> tuple[int, str]:
    return (200, SITE[path]) if path in SITE else (404, "")


def test_sitemap_paths_drop_host_and_lang() -> None:
    assert sitemap.sitemap_paths(SITEMAP) == ["/", "/talent", "/talent/7", "/join"]


def test_malformed_sitemap() -> None:
    with pytest.raises(ValueError, match="well-formed"):
        sitemap.sitemap_paths("<urlset><url>")


def test_navigation_paths_are_header_and_footer_pages() -> None:
    assert sitemap.navigation_paths(HOME) == ["/talent", "/join", "/signin"]


def test_agreement_names_the_missing_page() -> None:
    found = sitemap.agreement(sitemap.sitemap_paths(SITEMAP), ["/talent", "/join", "/signin"])
    assert [f.selector for f in found] == ["/signin"]
    assert sitemap.agreement(["/", "/talent", "/join", "/signin"], ["/talent", "/join", "/signin"]) == []
    # A filtered view is not the page itself.
    assert [f.selector for f in sitemap.agreement(["/talent?area=juhu", "/talent/4"], ["/talent"])] == ["/talent"]


def test_crawl_depths_and_broken_links() -> None:
    result = sitemap.crawl(fetch, max_depth=4)
    assert result.depth["/talent"] == 1
    assert result.depth["/join/skills"] == 2
    assert result.depth["/join/done"] == 4
    assert result.depth["/deeper"] == 3
    assert result.broken == {"/gone": 404}
    # Profiles share a shape: at most two of /talent/N are fetched.
    assert len([p for p in result.depth if p.startswith("/talent/")]) == 2


def test_reachability_within_clicks() -> None:
    result = sitemap.crawl(fetch, max_depth=4)
    found = sitemap.reachability(result, ["/", "/join/done", "/nowhere"], max_clicks=3)
    assert sorted((f.rule, f.page) for f in found) == [("broken-link", "/gone"), ("page-too-deep", "/join/done"),
                                                       ("page-too-deep", "/nowhere")]
