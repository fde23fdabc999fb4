"""W3C ACT implementation report: our checks over the vendored ACT test cases, consistency per rule.

For every ACT rule a check of ours implements (``tests/act/implementation.py``), each test case is
served on loopback and judged by that check; the table gives, per rule, the cases whose outcome
agrees with the expected one out of all its cases, the counts behind that (passed or inapplicable
cases left alone, failed cases found, cases answered "needs review", false positives and false
negatives) and ACT's consistency: consistent, partially consistent or inconsistent.

Run: ``.venv/bin/python benchmarks/act.py [--rule ID ...] [--cases]`` (one Chromium, no app).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.act import implementation as act  # noqa: E402

from pytest_castmatch import sut  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rule", action="append", default=[], help="only this ACT rule id (repeatable)")
    parser.add_argument("--cases", action="store_true", help="print every case's outcome, not only the wrong ones")
    args = parser.parse_args()
    rules, cases = act.load()
    chosen = [r for r in rules if not args.rule or r.id in args.rule]
    results = []
    started = time.perf_counter()
    with act.serve() as base, sync_playwright() as p:
        browser = p.chromium.launch(**sut.chromium_launch_args({}))  # type: ignore[arg-type]
        for rule in chosen:
            # A fresh context per rule: no cookies, clock or emulation carried over between rules.
            context = browser.new_context()
            results.append(act.run_rule(context.new_page(), base, rule, cases))
            context.close()
        browser.close()
    print(f"W3C ACT implementation report: {sum(len(r.results) for r in results)} test cases, "
          f"{len(results)} rules, {time.perf_counter() - started:.0f} s")
    print(act.HEADER)
    for r in results:
        print(act.row(r))
    for r in results:
        lines = ([f"{c.file} ({c.title}): expected {c.expected}, got {out}" for c, out in r.results]
                 if args.cases else r.wrong)
        for line in lines:
            print(f"  {r.rule.id}: {line}")


if __name__ == "__main__":
    main()
