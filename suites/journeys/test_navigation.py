"""Navigation: deep links and the Back button keep the search state; unknown URLs get a friendly 404;
the sitemap lists every page the navigation offers.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from pytest_castmatch import Deployment, Finding, Gate
from pytest_castmatch.checks import journeys, navigation, sitemap

FIRST = {"area": "bandra", "language": "hindi"}
SECOND = {"area": "bandra", "language": "hindi", "skill": "acting"}
SEARCH_FORM = "form[role=search][action$='/talent']"
#: Mistyped addresses: a page that does not exist, and one below a path that does not either.
MISTYPED = ("/gate-check-mistyped-page?ref=shared-link", "/gate-check/mistyped/0000x")
#: At most this many sitemap entries are opened (a catalogue's sitemap can list thousands).
SITEMAP_OPENED = 40


def _apply(page: Page, filters: dict[str, str]) -> None:
    for name in ("area", "language", "skill"):
        page.locator(f"{SEARCH_FORM} [name={name}]").select_option(filters.get(name, ""))
    page.locator(f"{SEARCH_FORM} [type=submit]").click()


def _shows(filters: dict[str, str]) -> Callable[[str], bool]:
    """A URL test: the address carries exactly these filters."""
    return lambda url: journeys.query_state(url) == filters


def _summary(page: Page) -> str:
    return page.locator("#results h2").first.inner_text().strip()


@pytest.mark.p0
@pytest.mark.owner("ux-wireframe")
@pytest.mark.needs("feature:talent-search")
@pytest.mark.flaky(reruns=1, rerun_except=journeys.NOT_RETRIED)
@pytest.mark.parametrize("journey_device", journeys.CORE_MATRIX, indirect=True)
def test_filters_survive_deep_links_and_back(journey_page: Page, journey_device: str, gate: Gate) -> None:
    page = journey_page
    j = journeys.Journey(page, gate.check, name=f"search navigation on {journey_device}")

    j.step = "filter twice"
    if not j.opens("/talent"):
        return
    summaries: dict[str, str] = {}
    for label, filters in (("first", FIRST), ("second", SECOND)):
        before = _summary(page)
        _apply(page, filters)
        if not j.arrives(_shows(filters), "filters-in-url",
                         f"the {label} filters {filters} are not in the address, so they cannot be shared or "
                         "restored"):
            return
        page.wait_for_function("(before) => document.querySelector('#results h2').textContent.trim() !== before",
                               arg=before)
        summaries[label] = _summary(page)
    filtered_url = page.url

    j.step = "open a profile"
    card = page.locator("#results a[href^='/talent/']").first
    if not j.sees(card, "search-results", f"no results for {SECOND}"):
        return
    href = str(card.get_attribute("href"))
    card.click()
    if not j.arrives(lambda url: journeys.page_path(url) == href, "open-profile", f"the result did not open {href}"):
        return
    name = page.locator("h1").first.inner_text().strip()

    for label, filters in (("second", SECOND), ("first", FIRST)):
        j.step = f"back to the {label} filters"
        page.go_back()
        ok = j.arrives(_shows(filters), "back-url",
                       f"Back did not return to the {label} filters {filters}")
        diff = journeys.state_differences(filters, journeys.form_state(page, SEARCH_FORM))
        ok = j.expect(not diff, "back-form", f"after Back the filter form changed: {'; '.join(diff)}",
                      SEARCH_FORM) and ok
        try:
            page.wait_for_function("(want) => document.querySelector('#results h2').textContent.trim() === want",
                                   arg=summaries[label], timeout=journeys.STEP_TIMEOUT_MS)
        except Exception:
            ok = j.fail("back-results", f"after Back the results read {_summary(page)!r}, "
                        f"expected {summaries[label]!r}")
        if not ok:
            return

    j.step = "deep link to the filtered search"
    if not j.opens(filtered_url):
        return
    diff = journeys.state_differences(SECOND, journeys.form_state(page, SEARCH_FORM))
    j.expect(not diff, "deep-link-form", f"the deep link {journeys.page_path(filtered_url)} does not restore the "
             f"filters: {'; '.join(diff)}", SEARCH_FORM)
    j.expect(_summary(page) == summaries["second"], "deep-link-results",
             f"the deep link shows {_summary(page)!r}, the journey showed {summaries['second']!r}")

    j.step = "deep link to the profile"
    if not j.opens(href):
        return
    j.expect(page.locator("h1").first.inner_text().strip() == name, "deep-link-profile-name",
             f"{href} opened directly does not show {name!r}")


@pytest.mark.p1
@pytest.mark.owner("frontend-ui")
@pytest.mark.needs("pages")
@pytest.mark.flaky(reruns=1, rerun_except=journeys.NOT_RETRIED)
@pytest.mark.parametrize("journey_device", journeys.CORE_MATRIX, indirect=True)
def test_unknown_url_shows_friendly_404(journey_page: Page, journey_device: str, gate: Gate) -> None:
    page = journey_page
    j = journeys.Journey(page, gate.check, name=f"unknown URL on {journey_device}")
    j.step = "open a mistyped link"
    for path in MISTYPED:
        if not j.opens(path, expect=(404,)):
            return
        gate.check(journeys.error_page_findings(page, 404, 404, "friendly-404"))
    j.step = "find the way back"
    back = page.locator("main a[href='/']").first
    if j.sees(back, "way-back", "the 404 page has no link back to the home page"):
        back.click()
        j.arrives(lambda url: journeys.page_path(url) == "/", "way-back-works",
                  "the 404 page's home link did not lead home")


@pytest.mark.p1
@pytest.mark.owner("ux-wireframe")
@pytest.mark.needs("sitemap")
@pytest.mark.flaky(reruns=1, rerun_except=journeys.NOT_RETRIED)
def test_sitemap_matches_navigation(journey_page: Page, castmatch_base_url: str, gate: Gate,
                                    castmatch_deployment: Deployment) -> None:
    page = journey_page
    where: str = castmatch_deployment.value("sitemap", str)
    if gate.check(navigation.visit(page, "/")):
        return
    html = page.content()
    linked = sitemap.navigation_paths(html)
    assert linked, "the home page has no header, navigation or footer links to compare with the sitemap"
    try:
        with urllib.request.urlopen(f"{castmatch_base_url}{where}", timeout=10) as response:
            listed = sitemap.sitemap_paths(response.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        pytest.fail(f"{castmatch_base_url}{where} cannot be read: {exc}", pytrace=False)
    gate.check(journeys.sitemap_lists_navigation(listed, linked))
    # Every page the sitemap lists must open; pages of one shape (/item/1, /item/2...) stand for each other.
    for path in sitemap.one_per_shape(listed)[:SITEMAP_OPENED]:
        status = page.request.get(path, max_redirects=0).status
        if status != 200:
            gate.check([Finding(rule="sitemap-dead-link", page=path,
                                message=f"{path} is in the sitemap but answers {status}")])
