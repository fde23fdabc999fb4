"""Numbers, roles and bios in the visitor's language; the carousel's arrows follow the reading direction."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from castmatch_app.i18n import plural_category
from tests.app.apphelp import asset, sign_in

ONE_YEAR, NO_YEARS, SIX_YEARS = 7, 10, 1  # talents of the seeded catalogue with that much experience


@pytest.mark.parametrize(("lang", "count", "category"), [
    ("en", 0, "other"), ("en", 1, "one"), ("en", 2, "other"), ("hi", 0, "one"), ("hi", 1, "one"),
    ("hi", 2, "other"), ("ur", 0, "other"), ("ur", 1, "one"), ("ur", 5, "other"),
])
def test_plural_categories_follow_cldr(lang: str, count: int, category: str) -> None:
    assert plural_category(lang, count) == category


def test_one_year_is_singular_on_the_profile(clean: TestClient) -> None:
    page = html.unescape(clean.get(f"/talent/{ONE_YEAR}", params={"lang": "en"}).text)
    assert "1 year's experience" in page
    assert "with 1 year on set" in page
    assert "1 years" not in page
    assert "0 years' experience" in html.unescape(clean.get(f"/talent/{NO_YEARS}", params={"lang": "en"}).text)


def test_counts_in_hindi_and_urdu_come_from_their_catalogues(clean: TestClient) -> None:
    hi = clean.get("/api/v1/locales/hi").json()["messages"]
    ur = clean.get("/api/v1/locales/ur").json()["messages"]
    for key in ("talent.years", "search.results", "search.results_for", "talent.bio", "api.rate_limited"):
        for catalogue in (hi, ur):
            assert {f"{key}.one", f"{key}.other"} <= set(catalogue), key
    assert hi["search.results.one"] != hi["search.results.other"]
    assert ur["search.results.one"] != ur["search.results.other"]


@pytest.mark.parametrize("lang", ["hi", "ur"])
def test_bios_and_role_names_are_translated(clean: TestClient, lang: str) -> None:
    profile = clean.get(f"/talent/{SIX_YEARS}", params={"lang": lang}).text
    bio = re.search(r"<h2>[^<]*</h2>\s*<p>([^<]+)</p>", profile.split('class="tags"')[1])
    assert bio is not None
    name, _, rest = bio.group(1).partition(" ")  # a name stays as it is written (Latin on Urdu pages)
    assert name
    assert not re.search(r"[A-Za-z]", rest), bio.group(1)
    english = clean.get(f"/talent/{SIX_YEARS}", params={"lang": "en"}).text
    assert "works from" in english
    assert "works from" not in profile
    sign_in(clean)
    form = clean.get("/auditions/new", params={"talent": SIX_YEARS, "lang": lang}).text
    options = re.findall(r'<option value="\d+"[^>]*>[^:<]*: ([^<]+)</option>', form)
    assert options
    assert [o for o in options if re.search(r"[A-Za-z]", o)] == []


def test_carousel_arrows_are_mirrored_right_to_left(clean: TestClient) -> None:
    css = asset(clean, "css/app.css")
    rule = re.search(r"\[dir=rtl\] \.carousel-controls svg\{transform:scaleX\(-1\)\}", css)
    assert rule, "the carousel's chevrons keep pointing left-to-right on Urdu pages"
    urdu = clean.get("/?lang=ur").text
    assert '<html lang="ur" dir="rtl"' in urdu
    controls = urdu.split('class="carousel-controls"')[1].split("</div>")[0]
    assert "data-carousel-prev" in controls
    assert "<svg" in controls
