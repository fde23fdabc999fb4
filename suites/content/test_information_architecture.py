"""Information-architecture gates: the sitemap lists what the navigation offers, every section is a
few clicks from home, and a first-time visitor can walk onboarding from its first step to the end.
"""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import FilePayload, Page

from pytest_castmatch import Deployment, Finding, Gate
from pytest_castmatch.checks import navigation, sitemap

MAX_CLICKS = 3


@pytest.mark.p1
@pytest.mark.owner("ux-wireframe")
@pytest.mark.needs("sitemap")
def test_sitemap_matches_navigation_and_depth(gate: Gate, castmatch_base_url: str,
                                              castmatch_deployment: Deployment) -> None:
    """Every page in the header and footer navigation is in the sitemap; sections are <= 3 clicks deep."""
    where: str = castmatch_deployment.value("sitemap", str)
    # The offline page is served by a service worker when the network is down; nobody navigates there.
    offline = castmatch_deployment.optional("offline")
    with requests.Session() as http:
        fetch = sitemap.http_fetcher(castmatch_base_url, http)
        status, xml = fetch(where)
        assert status == 200, f"{where} answers {status}"
        listed = sitemap.sitemap_paths(xml)
        status, home = fetch("/")
        assert status == 200, f"home answers {status}"
        navigation = sitemap.navigation_paths(home)
        gate.check(sitemap.agreement(listed, navigation))
        # Sections: the distinct first path segments of the sitemap (one profile stands for all).
        sections = sorted({"/" + p.split("?")[0].strip("/").split("/")[0] if p != "/" else "/" for p in listed}
                          | {p.split("?")[0] for p in listed if p.count("/") == 1})
        sections = [s for s in sections if s != offline]
        crawled = sitemap.crawl(fetch, max_depth=MAX_CLICKS + 1, targets=sections)
    gate.check(sitemap.reachability(crawled, sections, MAX_CLICKS))
    reached = [crawled.depth[p] for p in crawled.depth if p.split("?")[0] in sections]
    gate.metric("ia_clicks_to_page", max(reached, default=MAX_CLICKS + 1), unit="clicks",
                labels={"sections": str(len(sections))})


@pytest.mark.p1
@pytest.mark.owner("ux-wireframe")
@pytest.mark.needs("feature:talent-onboarding")
def test_onboarding_first_time_flow_completes(page: Page, gate: Gate) -> None:
    """From the home page's join link, each onboarding step leads to the next and ends on a confirmation."""
    if gate.check(navigation.visit(page, "/?lang=en")):
        return
    page.locator("header a[href='/join'], main a[href='/join']").first.click()
    page.wait_for_load_state()
    findings: list[Finding] = []
    page.fill("#name", "Asha Rao")
    page.fill("#email", "asha.rao@example.com")
    page.fill("#age", "27")
    page.select_option("#area", index=1)
    page.locator("input[name=languages]").first.check()
    # Each step: (name, the field the step asks for, how to fill it). Step 1 is filled above.
    steps: list[tuple[str, str | None]] = [("details", None), ("skills", "input[name=skills]"), ("headshot", "#photo")]
    for n, (name, field) in enumerate(steps, start=1):
        if field is not None and page.locator(field).count() == 0:
            findings.append(Finding(rule="onboarding-dead-end", page=page.url, selector=f"step {n} ({name})",
                                    message=f"onboarding step {n} ({name}) is missing: {page.url} has no {field}"))
            break
        if field == "input[name=skills]":
            page.locator(field).first.check()
        elif field == "#photo":
            photo: FilePayload = {"name": "headshot.png", "mimeType": "image/png", "buffer": _png()}
            page.set_input_files(field, files=[photo])
        with page.expect_navigation() as step:
            page.locator("main form button[type=submit]").first.click()
        response = step.value
        status = response.status if response is not None else 0
        if status >= 400 or page.locator("[aria-invalid=true]").count():
            findings.append(Finding(rule="onboarding-dead-end", page=page.url, selector=f"step {n} ({name})",
                                    message=f"submitting onboarding step {n} ({name}) led to {page.url} "
                                            f"(HTTP {status}) instead of the next step"))
            break
    else:
        if not page.url.split("?")[0].rstrip("/").endswith("/join/done"):
            findings.append(Finding(rule="onboarding-no-confirmation", page=page.url,
                                    message=f"onboarding ended on {page.url}, not on its confirmation page"))
    gate.check(findings)


def _png() -> bytes:
    """A small valid PNG headshot (solid colour), made in memory."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (300, 400), (180, 140, 120)).save(out, "PNG")
    return out.getvalue()
