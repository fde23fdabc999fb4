"""Search in a casting director's own words: the words people use for the talent they need, their plurals,
and two words at once, each typed into the search box, find talent.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from pytest_castmatch import Gate
from pytest_castmatch.checks import journeys

#: The home page promises "actors, dancers and voice artists"; a director also types plurals and
#: pairs. None of these is a word of the catalogue's skills as written ("acting", "dance-kathak").
PHRASES = ("actor", "actresses", "dancer", "voice artist", "Kathak dancer", "singers", "dances")
HOME_SEARCH = "main form[role=search]"
SEARCH_FORM = "form[role=search][action$='/talent']"


def _cards_for(j: journeys.Journey, page: Page, phrase: str) -> int | None:
    """How many talents the results show once they answer ``phrase`` (None when they never do)."""
    if not j.sees(page.locator("#results h2", has_text=phrase), "search-answered",
                  f"searching for {phrase!r} showed no summary of its results"):
        return None
    return page.locator("#results a[href^='/talent/']").count()


@pytest.mark.p0
@pytest.mark.owner("ux-wireframe")
@pytest.mark.needs("feature:talent-search")
@pytest.mark.flaky(reruns=1)
def test_search_finds_talent_as_people_phrase_it(journey_page: Page, gate: Gate) -> None:
    """Each phrase, typed into the home page's search box and then the search page's, finds talent."""
    page = journey_page
    j = journeys.Journey(page, gate.check, name="search in everyday words")
    found: dict[str, int | None] = {}

    j.step = f"search for {PHRASES[0]!r} from the home page"
    page.goto("/")
    page.locator(f"{HOME_SEARCH} input[type=search]").first.fill(PHRASES[0])
    page.locator(f"{HOME_SEARCH} [type=submit]").first.click()
    found[PHRASES[0]] = _cards_for(j, page, PHRASES[0])
    for phrase in PHRASES[1:]:
        j.step = f"search for {phrase!r}"
        box = page.locator(f"{SEARCH_FORM} [name=q]")
        if not j.sees(box, "search-box", "the search page has no search box"):
            return
        box.fill(phrase)
        page.locator(f"{SEARCH_FORM} [type=submit]").click()
        found[phrase] = _cards_for(j, page, phrase)

    j.step = "compare"
    nobody = [phrase for phrase, cards in found.items() if cards == 0]
    j.expect(not nobody, "search-finds-nobody",
             f"searching for {', '.join(map(repr, nobody))} found no talent, in a catalogue of actors, dancers, "
             "singers and voice artists")
