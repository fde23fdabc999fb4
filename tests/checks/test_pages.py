"""Each page-level check against fixture pages whose expected rules are in their ``cm-expect`` meta."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.checks import corpus

CHECKS = ("keyboard", "layout", "structure", "motion", "axe")
CASES = [(check, path) for check in CHECKS for path in corpus.pages(check)]


@pytest.mark.parametrize(("check", "path"), CASES, ids=[p for _, p in CASES])
def test_check_gives_the_known_answer(page: Page, corpus_url: str, check: str, path: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    tally = corpus.Tally(check)
    corpus.judge_page(check, page, corpus_url, path, tally)
    assert not tally.wrong, "\n".join(tally.wrong)
