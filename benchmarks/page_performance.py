"""Print Lighthouse's scores and lab values beside our web-vitals probe for the key pages, with timings.

    .venv/bin/python benchmarks/page_performance.py [--deployment PROFILE --base-url URL] [--no-suite]
                                                    [--defects a,b]

For every key page of the deployment profile (the reference app's when none is given), in the form
factor Lighthouse judges it in (``[deployment.pages] desktop`` lists the desktop ones):
Lighthouse's four category scores and lab LCP/FCP/CLS/TBT/TTFB next to the same vitals from
our in-browser probe, measured in the same run; then the wall time of one probe load per page
and profile (each load alone) and of one Lighthouse run per page; then all twelve probe loads
again the way the suite measures them (desktop loads overlapped, see the conftest), the
Lighthouse worker's timeline, and the wall time of the whole ``pytest suites/performance`` run.
Figures, not asserts; run ``uptime`` beside them, a busy neighbour moves every one of them.

Lighthouse's mobile numbers are simulated (slow 4G, 4x CPU); our phone probe throttles the CPU
4x but not the network, so its LCP/FCP on a loopback server sit below Lighthouse's. CLS is
the same quantity in both and should agree.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

from playwright.sync_api import sync_playwright

from pytest_castmatch import Deployment, profiles, sut
from pytest_castmatch.config import load_gates
from pytest_castmatch.runners import lighthouse

ROOT = Path(__file__).resolve().parent.parent


def suite_settings() -> ModuleType:
    """The suite's own key pages, profiles and probe (one definition, read from its conftest)."""
    spec = importlib.util.spec_from_file_location("performance_conftest", ROOT / "suites/performance/conftest.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def fmt(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployment", type=Path, help="the deployment profile (default: the reference app's)")
    parser.add_argument("--base-url", help="gate this deployment instead of starting the reference app")
    parser.add_argument("--defects", default="", help="start the reference app with these defects")
    parser.add_argument("--no-suite", action="store_true", help="skip timing the whole pytest suite")
    args = parser.parse_args()
    conf = suite_settings()
    deployment = profiles.load(args.deployment) if args.deployment else profiles.reference()
    with tempfile.TemporaryDirectory(prefix="castmatch-bench-") as tmp:
        folder = Path(tmp)
        env = dict(os.environ, CASTMATCH_DEFECTS=args.defects)
        base = args.base_url.rstrip("/") if args.base_url else sut.ensure_app(folder / "app", env).url
        try:
            bench(conf, deployment, base, folder)
        finally:
            if not args.base_url:
                sut.stop_app(folder / "app")
        if not args.no_suite:
            cmd = [sys.executable, "-m", "pytest", "suites/performance", "-q", "-p", "no:cacheprovider",
                   "--gate-report", str(folder / "report")]
            if args.base_url:
                cmd += ["--base-url", base]
            if args.deployment:
                cmd += ["--gate-deployment", str(args.deployment)]
            started = time.perf_counter()
            proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
            took = time.perf_counter() - started
            tail = proc.stdout.strip().splitlines()[-1:] or ["(no output)"]
            print(f"\nwhole suite: pytest suites/performance  {took:.1f} s  (exit {proc.returncode}: {tail[0]})")
    return 0


def bench(conf: ModuleType, deployment: Deployment, base: str, folder: Path) -> None:
    engine = lighthouse.find_engine()
    pages = dict(deployment.pages.key)
    form_factor = {label: "desktop" if label in deployment.pages.desktop else "mobile" for label in pages}
    jobs = [lighthouse.Job(label, base + path, form_factor[label]) for label, path in pages.items()]
    started = time.perf_counter()
    log: list[tuple[float, str]] = []
    results = {r.job.label: r for r in lighthouse.run(jobs, folder / "lh", runs=1, max_runs=1, log=log)}
    lh_batch = time.perf_counter() - started
    limits = load_gates(ROOT / "baselines" / "gates.toml").metrics
    probe_times: dict[tuple[str, str], float] = {}
    ours = {}
    with sync_playwright() as pw:
        launch = sut.chromium_launch_args()
        browser = pw.chromium.launch(executable_path=str(launch["executable_path"]),
                                     args=[str(a) for a in launch["args"]])  # type: ignore[attr-defined]
        probes = conf.Probes(browser, pw, base, limits, pages=pages, scripts=deployment.pages.scripts)
        for label in pages:
            for profile in conf.PROFILES:
                t0 = time.perf_counter()
                probe = probes.measure(label, profile)
                probe_times[(label, profile)] = time.perf_counter() - t0
                if profile == form_factor[label]:
                    ours[label] = probe.vitals.values
        t0 = time.perf_counter()
        probes.measure_many([(label, profile) for profile in conf.PROFILES for label in pages])
        as_suite = time.perf_counter() - t0
        browser.close()
    print(f"Lighthouse {engine.version} and our web-vitals probe, same app, same run ({base})\n")
    head = (f"{'page':<8} {'form':<7} {'perf':>4} {'a11y':>4} {'bp':>4} {'seo':>4} | "
            f"{'LCP lh/ours':>13} {'FCP lh/ours':>13} {'CLS lh/ours':>13} {'TBT lh/ours':>11} "
            f"{'TTFB lh/ours':>12} {'INP':>5}")
    print(head)
    print("-" * len(head))
    for label, result in results.items():
        s, lab, v = result.scores(), result.lab(), ours.get(label, {})
        print(f"{label:<8} {result.job.form_factor:<7} {fmt(s.get('performance')):>4} "
              f"{fmt(s.get('accessibility')):>4} {fmt(s.get('best-practices')):>4} {fmt(s.get('seo')):>4} | "
              f"{fmt(lab.get('LCP')):>6}/{fmt(v.get('LCP')):<6} {fmt(lab.get('FCP')):>6}/{fmt(v.get('FCP')):<6} "
              f"{fmt(lab.get('CLS'), 3):>6}/{fmt(v.get('CLS'), 3):<6} {fmt(lab.get('TBT')):>5}/{fmt(v.get('TBT')):<5} "
              f"{fmt(lab.get('TTFB')):>5}/{fmt(v.get('TTFB')):<6} {fmt(v.get('INP')):>5}")
    print("\nwall time per page (s): one probe load per profile (alone), one Lighthouse run")
    print(f"{'page':<8} {'probe mobile':>12} {'probe desktop':>13} {'lighthouse':>10}")
    for label, result in results.items():
        lh_s = result.runs[0].seconds if result.runs else 0.0
        print(f"{label:<8} {probe_times[(label, 'mobile')]:>12.2f} {probe_times[(label, 'desktop')]:>13.2f} "
              f"{lh_s:>10.2f}")
    print(f"\nLighthouse batch ({len(jobs)} runs, one node process, one Chromium): {lh_batch:.1f} s; "
          f"probes ({len(probe_times)} loads one by one): {sum(probe_times.values()):.1f} s; "
          f"the same loads as the suite measures them: {as_suite:.1f} s")
    print("Lighthouse worker timeline (s since node started):")
    for at, event in log:
        print(f"  {at:7.2f}  {event}")


if __name__ == "__main__":
    raise SystemExit(main())
