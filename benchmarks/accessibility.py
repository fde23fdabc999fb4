"""Cost per page of each accessibility, interaction and motion check, and their accuracy.

Prints figures (no timed asserts):

1. accuracy of every check over the fixture corpus (tests/checks/pages): true/false positives and
   negatives;
2. median cost per page of each check on the reference app's inventory pages, of the whole set,
   beside axe-playwright-python's default call ``Axe().run(page)`` on the same pages;
3. one page's full axe AAA scan (axe injected once per document), median after the first call.

Run: ``.venv/bin/python benchmarks/accessibility.py [--base-url URL]`` (one Chromium, one page).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.checks import corpus  # noqa: E402

from pytest_castmatch import sut  # noqa: E402
from pytest_castmatch.checks import axe, keyboard, layout, motion, structure, targets  # noqa: E402
from pytest_castmatch.config import load_gates  # noqa: E402


def accuracy(page: Page) -> None:
    print("accuracy over the fixture corpus (tests/checks/pages)")
    print(corpus.HEADER)
    with corpus.serve() as base:
        tally = corpus.Tally("targets")
        page.set_viewport_size({"width": 800, "height": 600})
        for path in corpus.pages("targets"):
            page.goto(base + path)
            corpus.judge_targets(page, tally)
        rows = [tally]
        for check in ("axe", "keyboard", "layout", "structure", "motion"):
            tally = corpus.Tally(check)
            for path in corpus.pages(check):
                page.set_viewport_size({"width": 1280, "height": 800})
                fresh = page.context.browser.new_context().new_page() if check == "motion" else page  # type: ignore[union-attr]
                corpus.judge_page(check, fresh, base, path, tally)
                if fresh is not page:
                    fresh.context.close()
            rows.append(tally)
    for row in rows:
        print(row.row())
        for wrong in row.wrong:
            print("     ", wrong)
    print()


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def costs(page: Page, base: str, pages: list[str]) -> None:
    from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]

    def desktop() -> bool:
        page.set_viewport_size({"width": 1280, "height": 800})
        return True

    desktop()
    checks: dict[str, Callable[[str], object]] = {
        "axe AAA light+dark (ours)": lambda url: axe.scan_themes(page, url),
        "targets 2.5.5": lambda url: (page.goto(url), targets.enhanced(page)),
        "keyboard (walk, skip, order)": lambda url: (page.goto(url), keyboard.skip_link(page),
                                                    keyboard.reachability(page), keyboard.operable(page)),
        "focus appearance 2.4.13": lambda url: (page.goto(url), keyboard.focus_appearance(page)),
        "reflow 320": lambda url: (page.goto(url), layout.reflow(page), desktop()),
        "breakpoints x8": lambda url: (layout.breakpoints(page, url), desktop()),
        "text 200%": lambda url: (page.goto(url), layout.text_resize(page)),
        "structure + names + lang": lambda url: (page.goto(url), structure.landmarks_and_headings(page),
                                                 structure.accessible_names(page), structure.language(page)),
        "tokens": lambda url: (page.goto(url), motion.within_tokens(page, (150, 320))),
    }
    figures: dict[str, list[float]] = {name: [] for name in checks}
    default: list[float] = []
    for path in pages:
        url = base + path
        for name, fn in checks.items():
            start = time.perf_counter()
            fn(url)
            figures[name].append((time.perf_counter() - start) * 1000)
        page.goto(url)
        default.append(timed(lambda: Axe().run(page)))
    print(f"cost per page, median over {len(pages)} inventory pages (ms; includes page loads where the check loads)")
    total = 0.0
    for name, values in figures.items():
        med = statistics.median(values)
        total += med
        print(f"  {name:<32} {med:8.0f}")
    print(f"  {'whole accessibility set':<32} {total:8.0f}")
    print(f"  {'Axe().run(page) default call':<32} {statistics.median(default):8.0f}   (one theme, re-injects axe)")
    print()
    page.goto(base + pages[0])
    scans = [timed(lambda: axe.findings(page, theme="light")) for _ in range(11)]
    plain = [timed(lambda: Axe().run(page)) for _ in range(11)]
    print(f"one page's axe AAA scan on {pages[0]}: first {scans[0]:.0f} ms (injects), median after the first "
          f"{statistics.median(scans[1:]):.0f} ms (target < 60 ms)")
    print(f"Axe().run(page) on the same page: first {plain[0]:.0f} ms, median after the first "
          f"{statistics.median(plain[1:]):.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="", help="gate this deployment instead of the reference app")
    parser.add_argument("--skip-accuracy", action="store_true")
    args = parser.parse_args()
    pages = list(load_gates(ROOT / "baselines" / "gates.toml").pages)
    folder = Path(tempfile.mkdtemp(prefix="castmatch-bench-"))
    base = args.base_url.rstrip("/") or sut.ensure_app(folder).url
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(**sut.chromium_launch_args({}))  # type: ignore[arg-type]
            page = browser.new_context().new_page()
            if not args.skip_accuracy:
                accuracy(page)
            costs(page, base, pages)
            browser.close()
    finally:
        if not args.base_url:
            sut.stop_app(folder)


if __name__ == "__main__":
    main()
