"""Cost per page of each accessibility, interaction and motion check, and their accuracy.

Prints figures (no timed asserts):

1. accuracy of every check over the fixture corpus (tests/checks/pages): true/false positives and
   negatives;
2. median cost per page of each check on the reference app's inventory pages, of the whole set,
   beside axe-playwright-python's default call ``Axe().run(page)`` on the same pages;
3. one page's full accessibility scan (every WCAG 2.2 A/AA/AAA and best-practice rule, violations
   and incomplete results, axe injected once per document) as a ratio to axe-playwright-python's
   ``Axe().run`` with the same tags on the same page: the median after the first of N scans of
   each, taken turn about, wall clock and each one's renderer CPU time (the wall clock is noisy on
   a shared machine). The ratio is to stay at or below 0.5.

Run: ``.venv/bin/python benchmarks/accessibility.py [--base-url URL] [--scans N]`` (one Chromium).
"""

from __future__ import annotations

import argparse
import os
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
from pytest_castmatch.checks import axe, context, focus, keyboard, layout, links, motion, structure, targets  # noqa: E402
from pytest_castmatch.checks.evidence import page_path  # noqa: E402
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
        "focus visible and appearance": lambda url: (page.goto(url), focus.focus_appearance(page)),
        "reflow 320": lambda url: (page.goto(url), layout.reflow(page), desktop()),
        "breakpoints x8": lambda url: (layout.breakpoints(page, url), desktop()),
        "text 200%": lambda url: (page.goto(url), layout.text_resize(page)),
        "structure + names + lang": lambda url: (page.goto(url), structure.landmarks_and_headings(page),
                                                 structure.accessible_names(page), structure.heading_like_text(page),
                                                 structure.language(page)),
        "link purpose": lambda url: (page.goto(url), links.purpose(page)),
        "change on input 3.2.2": lambda url: (page.goto(url), context.on_input(page)),
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


def renderer_cpu(page: Page) -> Callable[[], float]:
    """Milliseconds of CPU the page's renderer main thread has used so far (CDP ``ThreadTime``).

    Unlike the wall clock, it barely moves when other work shares the machine.
    """
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable", {"timeDomain": "threadTicks"})

    def now() -> float:
        metrics = cdp.send("Performance.getMetrics")["metrics"]
        return float(next(m["value"] for m in metrics if m["name"] == "ThreadTime")) * 1000

    return now


def one_page(page: Page, url: str, scans: int) -> None:
    """Our full scan and ``Axe().run`` with the same tags on the same loaded page, turn about.

    Each runs in its own tab: ``Axe().run`` replaces ``window.axe`` on every call, which would make
    every one of our scans inject axe again. Turn about, both see the same load on the machine.
    """
    from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]

    tags = list(axe.WCAG_AAA_TAGS)
    other = page.context.new_page()
    for tab in (page, other):
        tab.set_viewport_size({"width": 1280, "height": 800})
        tab.goto(url, wait_until="load")
    runs: dict[str, tuple[Page, Callable[[], object]]] = {
        "ours": (page, lambda: axe.findings(page, theme="light", tags=tags)),
        "Axe().run": (other, lambda: Axe().run(other, options={"runOnly": {"type": "tag", "values": tags}})),
    }
    cpu = {name: renderer_cpu(tab) for name, (tab, _) in runs.items()}
    wall: dict[str, list[float]] = {name: [] for name in runs}
    busy: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(scans):
        for name, (tab, scan) in runs.items():
            tab.bring_to_front()
            before = cpu[name]()
            wall[name].append(timed(scan))
            busy[name].append(cpu[name]() - before)
    other.close()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    ours, plain = (statistics.median(wall[name][1:]) for name in runs)
    ours_cpu, plain_cpu = (statistics.median(busy[name][1:]) for name in runs)
    print(f"one page's full accessibility scan on {page_path(page)} ({len(tags)} tags: {', '.join(tags)}), "
          f"{scans} scans each, load average {load} ({os.cpu_count()} cores)")
    print(f"  ours:      first {wall['ours'][0]:.0f} ms (injects), median after the first {ours:.0f} ms, "
          f"renderer CPU {ours_cpu:.0f} ms")
    print(f"  Axe().run: first {wall['Axe().run'][0]:.0f} ms, median after the first {plain:.0f} ms, "
          f"renderer CPU {plain_cpu:.0f} ms (same tags; re-injects axe every call)")
    print(f"  ours / Axe().run: {ours / plain:.2f} wall, {ours_cpu / plain_cpu:.2f} renderer CPU "
          "(to stay at or below 0.5)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="", help="gate this deployment instead of the reference app")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--skip-costs", action="store_true", help="only the one-page scan figure")
    parser.add_argument("--scans", type=int, default=21, help="scans of the one page, each way (default 21)")
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
            if not args.skip_costs:
                costs(page, base, pages)
            one_page(page, base + pages[0], max(args.scans, 2))
            browser.close()
    finally:
        if not args.base_url:
            sut.stop_app(folder)


if __name__ == "__main__":
    main()
