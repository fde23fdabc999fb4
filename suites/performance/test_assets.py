"""Asset budgets and front-end loading rules on every key page, from one network log per page.

The phone load is judged (its small viewport puts more images below the fold); byte sizes are
compressed transfer sizes.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_castmatch import Gate
from pytest_castmatch.checks import assets

PROFILE = "mobile"


def _loads(probes: Any, key_pages: dict[str, str]) -> list[tuple[str, assets.PageLoad, dict[str, bool]]]:
    out = []
    for label in key_pages:
        probe = probes.get(label, PROFILE)
        out.append((label, probe.load, probe.owned))
    return out


@pytest.mark.p0
@pytest.mark.owner("frontend-ui")
@pytest.mark.needs("pages")
@pytest.mark.probe_profiles(PROFILE)
def test_js_css_budgets(gate: Gate, probes: Any, key_pages: dict[str, str]) -> None:
    """Compressed JS and CSS bytes and request count per page within budget; each page ships only its own code."""
    for label, load, owned in _loads(probes, key_pages):
        sizes = assets.budgets(load)  # empty for a page that did not answer: code_split reports it
        for name in ("page_js_kb", "page_css_kb", "page_requests"):
            if name in sizes:
                gate.metric(name, sizes[name], labels={"page": label})
        gate.check(assets.code_split(load, label, owned))


@pytest.mark.p0
@pytest.mark.owner("frontend-ui")
@pytest.mark.needs("pages")
@pytest.mark.probe_profiles(PROFILE)
def test_no_render_blocking_resources(gate: Gate, probes: Any, key_pages: dict[str, str]) -> None:
    """No script blocks the first paint; at most one same-origin stylesheet does."""
    for label, load, _ in _loads(probes, key_pages):
        gate.check(assets.render_blocking(load, label))


@pytest.mark.p1
@pytest.mark.owner("frontend-ui")
@pytest.mark.needs("pages")
def test_below_fold_images_lazy(gate: Gate, probes: Any, key_pages: dict[str, str]) -> None:
    """Images below the fold carry loading="lazy" (phone and desktop viewports)."""
    for label in key_pages:
        for profile in ("mobile", "desktop"):
            gate.check(assets.lazy_loading(probes.get(label, profile).load, f"{label} ({profile})"))


@pytest.mark.p2
@pytest.mark.owner("frontend-ui")
@pytest.mark.needs("pages")
@pytest.mark.probe_profiles(PROFILE)
def test_modern_images(gate: Gate, probes: Any, key_pages: dict[str, str]) -> None:
    """Images are WebP/AVIF with width and height, each within the byte budget."""
    for label, load, _ in _loads(probes, key_pages):
        gate.check(assets.images(load, label))


@pytest.mark.p1
@pytest.mark.owner("backend-api")
@pytest.mark.needs("pages")
@pytest.mark.probe_profiles(PROFILE)
def test_static_cache_headers(gate: Gate, probes: Any, key_pages: dict[str, str]) -> None:
    """Scripts, stylesheets, images and fonts are cacheable for a day or more."""
    for label, load, _ in _loads(probes, key_pages):
        gate.check(assets.cache_headers(load, label))


@pytest.mark.p1
@pytest.mark.owner("typography-content")
@pytest.mark.needs("pages")
@pytest.mark.probe_profiles(PROFILE)
def test_font_loading(gate: Gate, probes: Any, key_pages: dict[str, str]) -> None:
    """Every @font-face sets font-display; every web font fetched is preloaded."""
    for label, load, _ in _loads(probes, key_pages):
        gate.check(assets.fonts(load, label))
