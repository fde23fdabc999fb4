"""Lighthouse (npm ``lighthouse@12``) driven through its Node API, every run of a batch in one Node process.

One ``node`` process serves every run of a batch (a job is a page in a form factor) against one
Chromium reached over ``--port``: loading Lighthouse costs seconds and its first run warms a
JIT, so both happen once per batch, not once per page or per round of re-runs. Chromium is
Debian's (``find_chromium``), started here with the container flags, unless the caller
attaches to a browser it already runs. Runs are strictly one after another: performance
scores come from CPU time measured on this machine, and two runs at once inflate each other's
Total Blocking Time.

Scores are noisy on a shared machine, so each job runs ``runs`` times and, when a median
category score lands within ``margin`` of the threshold (or under it), up to ``max_runs`` times;
the median decides. A re-run stops early only when it could no longer change the verdict: once
the median of all ``max_runs`` runs is on the same side of the threshold whatever the runs
still to come score. Settings (simulated throttling, mobile emulation or the desktop preset)
are Lighthouse's own and the same for every run; ``SKIP_AUDITS`` leaves out unweighted audits
whose gathering costs time, which no category score reads.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import selectors
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_castmatch import progress
from pytest_castmatch.model import Finding
from pytest_castmatch.record import Record, record
from pytest_castmatch.runners import EngineMissing
from pytest_castmatch.sut import CHROMIUM_FLAGS, find_chromium

CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
FORM_FACTORS = ("mobile", "desktop")
#: Lab values read from each report, for comparison with the in-browser vitals.
LAB_AUDITS = {"LCP": "largest-contentful-paint", "CLS": "cumulative-layout-shift", "FCP": "first-contentful-paint",
              "TBT": "total-blocking-time", "TTFB": "server-response-time", "SI": "speed-index"}
INSTALL = "install Node.js 18+ (apt-get install nodejs npm) and run `npm ci` in the repository root " \
          "(package.json pins lighthouse@12), or set CASTMATCH_LIGHTHOUSE=/path/to/lighthouse"

#: Unweighted (weight 0 in every category) audits left out of each run, with what they cost: no
#: category score reads them, and Lighthouse then skips the gathering only they need.
#: bf-cache navigates away and back (~0.3 s); the screenshots are report decoration.
SKIP_AUDITS = ("bf-cache", "screenshot-thumbnails", "final-screenshot")

# The worker script: argv = [lighthouse package root, DevTools port, categories JSON, skipped audits JSON].
# Reads one job per stdin line ({url, formFactor, out}), writes one JSON and one HTML report per job
# and answers each job with one stdout line; prints {"ready": ms} once Lighthouse is loaded.
_WORKER = r"""
import {writeFileSync} from "node:fs";
import {join} from "node:path";
import {createInterface} from "node:readline";
import {pathToFileURL} from "node:url";
const [root, port, categories, skipAudits] = process.argv.slice(2);
const started = Date.now();
const load = async (rel) => (await import(pathToFileURL(join(root, rel)).href)).default;
const lighthouse = await load("core/index.js");
const desktop = await load("core/config/desktop-config.js");
console.log(JSON.stringify({ready: Date.now() - started}));
const flags = {port: Number(port), output: ["json", "html"], onlyCategories: JSON.parse(categories),
               skipAudits: JSON.parse(skipAudits), logLevel: "error", disableFullPageScreenshot: true};
for await (const line of createInterface({input: process.stdin})) {
  if (!line.trim()) continue;
  const job = JSON.parse(line);
  const begun = Date.now();
  try {
    const result = await lighthouse(job.url, {...flags}, job.formFactor === "desktop" ? desktop : undefined);
    writeFileSync(job.out + ".json", result.report[0]);
    writeFileSync(job.out + ".html", result.report[1]);
    console.log(JSON.stringify({out: job.out, ms: Date.now() - begun}));
  } catch (err) {
    console.log(JSON.stringify({out: job.out, ms: Date.now() - begun, error: String(err && err.stack || err)}));
  }
}
"""


@record
class Engine(Record):
    """A usable Lighthouse: the node binary and the package root."""

    node: str
    root: Path
    version: str


@record
class Job(Record):
    """One page in one form factor."""

    label: str
    url: str
    form_factor: str = "mobile"


@record
class Run(Record):
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


def find_engine(repo_root: Path | None = None, given: str | None = None) -> Engine:
    """Lighthouse at ``given`` (the ``lighthouse`` setting), else node_modules under the repo root, else PATH."""
    node = shutil.which("node")
    if node is None:
        raise EngineMissing(f"node is not installed, Lighthouse cannot run: {INSTALL}")
    root = repo_root or Path(__file__).resolve().parents[3]
    candidates = [given or "", str(root / "node_modules" / ".bin" / "lighthouse"), shutil.which("lighthouse") or ""]
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
def chromium(port: int | None = None, browser: str | None = None) -> Iterator[int]:
    """Yield a DevTools port: ``port`` itself if given, else a Chromium (``browser``, else found) started here."""
    if port is not None:
        yield port
        return
    path = find_chromium(browser)
    if path is None:
        raise EngineMissing("no Chromium for Lighthouse: apt-get install chromium, or set CHROME_PATH")
    profile = Path(tempfile.mkdtemp(prefix="castmatch-lh-"))
    try:
        cmd = [*_dies_with_this_process(), path, "--headless=new", *CHROMIUM_FLAGS, "--remote-debugging-port=0",
               f"--user-data-dir={profile}", "about:blank"]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            active = profile / "DevToolsActivePort"
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
            # Its helpers (renderers, GPU, network) can outlive it by a moment, still writing into the profile.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            _remove_singleton(profile)
    finally:
        _remove_profile(profile)


def _remove_profile(profile: Path, seconds: float = 5.0) -> None:
    """Remove the profile folder, again while a helper Chromium just stopped still writes a file into it."""
    deadline = time.monotonic() + seconds
    while True:
        shutil.rmtree(profile, ignore_errors=True)
        if not profile.exists() or time.monotonic() > deadline:
            return
        time.sleep(0.05)


@functools.cache
def _dies_with_this_process() -> tuple[str, ...]:
    """The prefix that has the kernel stop Chromium (SIGTERM) when the process that started it ends, even
    by SIGKILL: Chromium runs in a session of its own (a Ctrl-C meant for the run must not stop it halfway)
    and would otherwise outlive a killed run. util-linux's ``setpriv --pdeathsig``; none where it is missing."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return ()
    try:
        usage = subprocess.run([setpriv, "--help"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return (setpriv, "--pdeathsig", "TERM", "--") if "--pdeathsig" in usage else ()


def _remove_singleton(profile: Path) -> None:
    """Remove the folder Chromium made in TMPDIR for its process-singleton socket, which it leaves there
    when it is stopped. The profile's ``SingletonSocket`` link names it; nothing else is touched."""
    try:
        socket = Path(os.readlink(profile / "SingletonSocket"))
    except OSError:
        return  # no link: Chromium made no such folder
    if socket.parent.name.startswith("org.chromium.Chromium."):
        shutil.rmtree(socket.parent, ignore_errors=True)


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


class Worker:
    """One ``node`` process with Lighthouse loaded, running jobs one at a time as they are sent.

    ``log`` collects (seconds since the worker started, event) pairs: when Lighthouse was loaded,
    when each run started and how long it took, so a slow batch shows where its time went.
    """

    def __init__(self, engine: Engine, folder: Path, port: int) -> None:
        self.started = time.perf_counter()
        self.ended = False
        self.log: list[tuple[float, str]] = []
        script = folder / "lighthouse-worker.mjs"
        script.write_text(_WORKER)
        # Kept open for the worker's lifetime (a pipe nobody reads could fill and stall node); close() closes it.
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [engine.node, str(script), str(engine.root), str(port), json.dumps(list(CATEGORIES)),
             json.dumps(list(SKIP_AUDITS))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True, bufsize=1)
        self._selector = selectors.DefaultSelector()
        assert self.proc.stdout is not None
        self._selector.register(self.proc.stdout, selectors.EVENT_READ)

    def note(self, event: str) -> None:
        self.log.append((round(time.perf_counter() - self.started, 2), event))

    def _line(self, deadline: float) -> str | None:
        """The worker's next stdout line, or None if it exited or the deadline passed."""
        assert self.proc.stdout is not None
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not self._selector.select(left):
                return None
            line = self.proc.stdout.readline()
            if not line:
                self.ended = True  # stdout closed: node is exiting, not slow
                return None
            with contextlib.suppress(ValueError):
                item = json.loads(line)
                if isinstance(item, dict):
                    if "ready" in item:
                        self.log.append((round(item["ready"] / 1000, 2), "Lighthouse loaded in node"))
                        continue
                    return line

    def failure(self) -> str:
        """Why the worker stopped answering (its exit status and the tail of its stderr)."""
        code = self.proc.poll()
        if code is None and self.ended:
            # Its stdout closed a moment before the exit status is there to collect.
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = self.proc.wait(10)
        self._stderr.seek(0)
        tail = self._stderr.read().strip()[-800:]
        return f"node exited {code}: {tail}" if code is not None else f"Lighthouse run timed out: {tail}"

    def run(self, job: Job, out: Path, timeout: float) -> tuple[float, str]:
        """Run one job; (seconds, error) with error empty when the reports were written."""
        assert self.proc.stdin is not None
        self.note(f"run {out.name}")
        try:
            self.proc.stdin.write(json.dumps({"url": job.url, "formFactor": job.form_factor, "out": str(out)}) + "\n")
            self.proc.stdin.flush()
        except OSError:
            return 0.0, self.failure()
        line = self._line(time.monotonic() + timeout)
        if line is None:
            why = self.failure()
            self._stop()
            return 0.0, why
        item = json.loads(line)
        self.note(f"done {out.name} in {item['ms'] / 1000:.2f} s" + (" (error)" if item.get("error") else ""))
        return item["ms"] / 1000, str(item.get("error", ""))

    def _stop(self) -> None:
        """End node: closing stdin lets it finish the loop and exit; a hung run is killed."""
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                assert self.proc.stdin is not None
                self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def close(self) -> None:
        self._stop()
        self._selector.close()
        for stream in (self.proc.stdin, self.proc.stdout, self._stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def _batch(worker: Worker, jobs: Sequence[tuple[Job, Path]], timeout: float) -> list[Run]:
    """Each job once, in order, on the worker (a dead worker fails the jobs left, it does not hang)."""
    out = []
    for index, (job, path) in enumerate(jobs, 1):
        if worker.proc.poll() is not None:
            out.append(_parse(path, 0.0, worker.failure()))
            continue
        progress.note("Lighthouse", f"page {index} of {len(jobs)}: {job.label} ({job.form_factor}), {path.name}")
        seconds, error = worker.run(job, path, timeout)
        run = _parse(path, seconds, error)
        out.append(run)
        lowest = min(run.scores.values(), default=None)
        progress.note("Lighthouse", f"page {index} of {len(jobs)} done in {seconds:.1f} s: " + (
            f"error {run.error[:80]}" if run.error else f"lowest category {lowest:g}" if lowest is not None
            else "no scores"))
    return out


def run(jobs: Sequence[Job], out_dir: Path, *, runs: int = 1, max_runs: int = 3, margin: float = 3.0,
        threshold: float = 95.0, port: int | None = None, engine: Engine | None = None,
        timeout: float = 300.0, log: list[tuple[float, str]] | None = None,
        browser: str | None = None) -> list[Result]:
    """Run every job ``runs`` times, then again (up to ``max_runs``) where the verdict is still open.

    ``timeout`` bounds each run; ``log``, when given, receives the worker's timestamped events.
    """
    engine = engine or find_engine()
    out_dir.mkdir(parents=True, exist_ok=True)
    results = [Result(j) for j in jobs]
    with chromium(port, browser) as devtools:
        worker = Worker(engine, out_dir, devtools)
        try:
            for round_no in range(max(runs, max_runs)):
                todo = [r for r in results if _borderline(r, threshold, margin, runs, max_runs)]
                if not todo:
                    break
                paths = [(r.job, out_dir / f"{_slug(r.job)}-run{round_no + 1}") for r in todo]
                for result, outcome in zip(todo, _batch(worker, paths, timeout), strict=True):
                    result.runs.append(outcome)
        finally:
            worker.close()
            if log is not None:
                log.extend(worker.log)
    return results


def _borderline(result: Result, threshold: float, margin: float, runs: int, max_runs: int) -> bool:
    """Whether the job needs another run: fewer than ``runs`` runs succeeded (a crashed run is
    replaced, up to ``max_runs`` in all), or a median is within ``margin`` of the threshold and the
    runs still allowed could carry it to the other side."""
    left = max(0, max(runs, max_runs) - len(result.runs))
    if not left:
        return False
    if sum(1 for r in result.runs if not r.error and r.scores) < runs:
        return True
    for category in CATEGORIES:
        values = [r.scores[category] for r in result.runs if category in r.scores]
        if not values or statistics.median(values) >= threshold + margin:
            continue
        # The final median if every remaining run scored 0, and if every one scored 100: when both
        # fall on the same side of the threshold, no further run can change the verdict.
        low = statistics.median(values + [0.0] * left)
        high = statistics.median(values + [100.0] * left)
        if (low >= threshold) != (high >= threshold):
            return True
    return False


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
