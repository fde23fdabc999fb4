"""Lighthouse (npm ``lighthouse@12``) driven through its Node API, several pages per Node process.

One ``node`` process runs a batch of jobs (a page in a form factor) against one Chromium reached
over ``--port``: loading Lighthouse costs seconds, so it is loaded once per batch, not once per
page. Chromium is Debian's (``find_chromium``), started here with the container flags, unless
the caller attaches to a browser it already runs.

Scores are noisy on a shared machine, so each job runs ``runs`` times and, when a median
category score lands within ``margin`` of the threshold (or under it), up to ``max_runs`` times;
the median decides. Settings (simulated throttling, mobile emulation or the desktop preset)
are Lighthouse's own and the same for every run.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_castmatch.model import Finding
from pytest_castmatch.runners import EngineMissing
from pytest_castmatch.sut import CHROMIUM_FLAGS, find_chromium

CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
FORM_FACTORS = ("mobile", "desktop")
#: Lab values read from each report, for comparison with the in-browser vitals.
LAB_AUDITS = {"LCP": "largest-contentful-paint", "CLS": "cumulative-layout-shift", "FCP": "first-contentful-paint",
              "TBT": "total-blocking-time", "TTFB": "server-response-time", "SI": "speed-index"}
INSTALL = "install Node.js 18+ (apt-get install nodejs npm) and run `npm ci` in the repository root " \
          "(package.json pins lighthouse@12), or set CASTMATCH_LIGHTHOUSE=/path/to/lighthouse"

# The batch script: argv = [lighthouse package root, jobs file]. Writes one JSON and one HTML per job.
_BATCH = r"""
import {readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {pathToFileURL} from "node:url";
const [root, jobsFile] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(jobsFile, "utf8"));
const load = async (rel) => (await import(pathToFileURL(join(root, rel)).href)).default;
const lighthouse = await load("core/index.js");
const desktop = await load("core/config/desktop-config.js");
for (const job of spec.jobs) {
  const flags = {port: spec.port, output: ["json", "html"], onlyCategories: spec.categories,
                 logLevel: "error", disableFullPageScreenshot: true};
  const started = Date.now();
  try {
    const result = await lighthouse(job.url, flags, job.formFactor === "desktop" ? desktop : undefined);
    writeFileSync(job.out + ".json", result.report[0]);
    writeFileSync(job.out + ".html", result.report[1]);
    console.log(JSON.stringify({out: job.out, ms: Date.now() - started}));
  } catch (err) {
    console.log(JSON.stringify({out: job.out, ms: Date.now() - started, error: String(err && err.stack || err)}));
  }
}
"""


@dataclass(frozen=True)
class Engine:
    """A usable Lighthouse: the node binary and the package root."""

    node: str
    root: Path
    version: str


@dataclass(frozen=True)
class Job:
    """One page in one form factor."""

    label: str
    url: str
    form_factor: str = "mobile"


@dataclass(frozen=True)
class Run:
    """One Lighthouse run: category scores (0-100), failing audits, lab values and report files."""

    scores: dict[str, float]
    audits: tuple[dict[str, Any], ...]
    lab: dict[str, float]
    json_path: Path
    html_path: Path
    seconds: float
    error: str = ""


@dataclass
class Result:
    """Every run of one job and their medians."""

    job: Job
    runs: list[Run] = field(default_factory=list)

    def median(self, category: str) -> float | None:
        values = [r.scores[category] for r in self.runs if category in r.scores]
        return statistics.median(values) if values else None

    def scores(self) -> dict[str, float]:
        return {c: v for c in CATEGORIES if (v := self.median(c)) is not None}

    def lab(self) -> dict[str, float]:
        keys = {k for r in self.runs for k in r.lab}
        return {k: statistics.median([r.lab[k] for r in self.runs if k in r.lab]) for k in sorted(keys)}

    def representative(self) -> Run | None:
        """The run whose performance score is the median one (its report is the evidence)."""
        good = [r for r in self.runs if not r.error and r.scores]
        if not good:
            return None
        perf = self.median("performance") or 0.0
        return min(good, key=lambda r: abs(r.scores.get("performance", 0.0) - perf))


def _package_root(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        pkg = folder / "package.json"
        if pkg.is_file():
            with contextlib.suppress(ValueError, OSError):
                if json.loads(pkg.read_text()).get("name") == "lighthouse":
                    return folder
    return None


def find_engine(repo_root: Path | None = None) -> Engine:
    """Lighthouse from CASTMATCH_LIGHTHOUSE, else node_modules under the repo root, else PATH."""
    node = shutil.which("node")
    if node is None:
        raise EngineMissing(f"node is not installed, Lighthouse cannot run: {INSTALL}")
    root = repo_root or Path(__file__).resolve().parents[3]
    candidates = [os.environ.get("CASTMATCH_LIGHTHOUSE", ""), str(root / "node_modules" / ".bin" / "lighthouse"),
                  shutil.which("lighthouse") or ""]
    for cand in filter(None, candidates):
        path = Path(cand)
        if path.exists():
            pkg = _package_root(path.resolve().parent if path.is_file() else path.resolve())
            if pkg is not None and (pkg / "core" / "index.js").is_file():
                version = str(json.loads((pkg / "package.json").read_text()).get("version", "?"))
                if not version.startswith("12."):
                    raise EngineMissing(f"Lighthouse {version} at {pkg} is not 12.x (13 needs a newer Node): {INSTALL}")
                return Engine(node, pkg, version)
    raise EngineMissing(f"Lighthouse not found (looked in {', '.join(filter(None, candidates))}): {INSTALL}")


@contextlib.contextmanager
def chromium(port: int | None = None) -> Iterator[int]:
    """Yield a DevTools port: ``port`` itself if given, else a Chromium started here for the batch."""
    if port is not None:
        yield port
        return
    path = find_chromium()
    if path is None:
        raise EngineMissing("no Chromium for Lighthouse: apt-get install chromium, or set CHROME_PATH")
    with tempfile.TemporaryDirectory(prefix="castmatch-lh-") as profile:
        cmd = [path, "--headless=new", *CHROMIUM_FLAGS, "--remote-debugging-port=0", f"--user-data-dir={profile}",
               "about:blank"]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            active = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + 30
            while not active.exists() or not active.read_text().strip():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise EngineMissing(f"Chromium ({path}) did not open a DevTools port for Lighthouse")
                time.sleep(0.05)
            yield int(active.read_text().split()[0])
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _parse(path: Path, seconds: float, error: str) -> Run:
    json_path, html_path = path.with_suffix(".json"), path.with_suffix(".html")
    if error or not json_path.is_file():
        return Run({}, (), {}, json_path, html_path, seconds, error or "Lighthouse wrote no report")
    lhr = json.loads(json_path.read_text())
    if lhr.get("runtimeError"):
        return Run({}, (), {}, json_path, html_path, seconds, str(lhr["runtimeError"].get("message")))
    scores = {k: round(100 * float(v["score"]), 1) for k, v in lhr["categories"].items() if v.get("score") is not None}
    audits = []
    for cat_id, cat in lhr["categories"].items():
        for ref in cat["auditRefs"]:
            audit = lhr["audits"].get(ref["id"], {})
            score = audit.get("score")
            scored = audit.get("scoreDisplayMode") in ("binary", "numeric", "metricSavings")
            if ref.get("weight", 0) > 0 and scored and score is not None and score < 0.9:
                audits.append({"category": cat_id, "id": ref["id"], "title": audit.get("title", ref["id"]),
                               "score": score, "display": audit.get("displayValue", "")})
    lab = {k: float(lhr["audits"][a]["numericValue"]) for k, a in LAB_AUDITS.items()
           if lhr["audits"].get(a, {}).get("numericValue") is not None}
    return Run(scores, tuple(audits), lab, json_path, html_path, seconds)


def _batch(engine: Engine, jobs: Sequence[tuple[Job, Path]], port: int, timeout: float) -> list[Run]:
    folder = jobs[0][1].parent
    script, spec = folder / "lighthouse-batch.mjs", folder / "lighthouse-jobs.json"
    script.write_text(_BATCH)
    spec.write_text(json.dumps({"port": port, "categories": list(CATEGORIES),
                                "jobs": [{"url": j.url, "formFactor": j.form_factor, "out": str(p)} for j, p in jobs]}))
    proc = subprocess.run([engine.node, str(script), str(engine.root), str(spec)], capture_output=True, text=True,
                          timeout=timeout, check=False)
    done: dict[str, tuple[float, str]] = {}
    for line in proc.stdout.splitlines():
        with contextlib.suppress(ValueError):
            item = json.loads(line)
            done[item["out"]] = (item["ms"] / 1000, str(item.get("error", "")))
    failed = "" if proc.returncode == 0 else f"node exited {proc.returncode}: {proc.stderr.strip()[-800:]}"
    return [_parse(p, *done.get(str(p), (0.0, failed or "no result"))) for _, p in jobs]


def run(jobs: Sequence[Job], out_dir: Path, *, runs: int = 1, max_runs: int = 3, margin: float = 3.0,
        threshold: float = 95.0, port: int | None = None, engine: Engine | None = None,
        timeout: float = 600.0) -> list[Result]:
    """Run every job ``runs`` times, then again (up to ``max_runs``) where the median is borderline."""
    engine = engine or find_engine()
    out_dir.mkdir(parents=True, exist_ok=True)
    results = [Result(j) for j in jobs]
    with chromium(port) as devtools:
        for round_no in range(max(runs, max_runs)):
            todo = [r for r in results if round_no < runs or _borderline(r, threshold, margin)]
            if not todo:
                break
            paths = [(r.job, out_dir / f"{_slug(r.job)}-run{round_no + 1}") for r in todo]
            for result, outcome in zip(todo, _batch(engine, paths, devtools, timeout), strict=True):
                result.runs.append(outcome)
    return results


def _borderline(result: Result, threshold: float, margin: float) -> bool:
    if any(r.error for r in result.runs):
        return True
    return any(v < threshold + margin for v in result.scores().values())


def _slug(job: Job) -> str:
    return "".join(c if c.isalnum() else "-" for c in f"{job.label}-{job.form_factor}").strip("-")


def findings(result: Result, threshold: float = 95.0) -> list[Finding]:
    """A category under ``threshold`` fails with its failing audits; other failing audits are warnings."""
    label = f"{result.job.label} ({result.job.form_factor})"
    # A run that crashed (NO_NAVSTART and the like happen on a loaded machine) fails the gate only
    # when no run succeeded; otherwise the median of the good runs decides and the crash is reported.
    severity = "warning" if any(not r.error and r.scores for r in result.runs) else "error"
    out = [Finding(rule="lighthouse-error", criterion="Lighthouse", page=label, severity=severity,
                   message=f"Lighthouse run failed for {result.job.url}: {r.error}") for r in result.runs if r.error]
    scores = result.scores()
    for cat in CATEGORIES:
        if cat not in scores:
            out.append(Finding(rule="lighthouse-missing", criterion="Lighthouse", page=label,
                               message=f"no {cat} score for {result.job.url}: the measurement is incomplete"))
    rep = result.representative()
    for audit in rep.audits if rep else ():
        failing = scores.get(audit["category"], 0.0) < threshold
        shown = f", {audit['display']}" if audit["display"] else ""
        out.append(Finding(
            rule=f"lighthouse/{audit['id']}", page=label, severity="error" if failing else "warning",
            criterion=f"Lighthouse {audit['category']}",
            message=f"{audit['title']} (audit score {audit['score']:.2f}{shown}); "
                    f"{audit['category']} = {scores.get(audit['category'], 0):g}",
        ))
    return out
