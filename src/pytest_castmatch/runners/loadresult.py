"""What a load run measured: per-window tallies, the hold phase, the generator's health, the server's view.

Pure: read from the files a run leaves behind (``windows.json`` from the Locust master, the app's
samples and ``/metrics`` scrapes from the runner); no Locust, no pytest, no network.

The hold is the part of the run the gates judge: from ``warmup_s`` after the declared users were
all running to the end of the run. A figure over the hold is a measurement of the deployment only
while the generator kept up: :meth:`LoadResult.saturated` says why it did not (a process above the
CPU limit for more than the allowed share of the hold, or a worker whose heartbeats stopped).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_castmatch.model import Series
from pytest_castmatch.record import Record, record
from pytest_castmatch.runners.usermodel import Saturation, UserModel

#: Requests a user makes to set itself up (one sign-in per process for bookings): reported, not judged.
SETUP_PREFIX = "setup: "


def percentile(histogram: Mapping[int, int], fraction: float) -> float:
    """The latency (ms) below which ``fraction`` of the requests in ``histogram`` fell (0 when empty)."""
    total = sum(histogram.values())
    if total == 0:
        return 0.0
    seen = 0
    for ms in sorted(histogram):
        seen += histogram[ms]
        if seen >= fraction * total:
            return float(ms)
    return float(max(histogram))


@dataclass
class Tally:
    """Requests, failures and the latency histogram (rounded ms -> count) of the successful requests,
    for one endpoint or window: percentiles are taken over successful answers only."""

    requests: int = 0
    failures: int = 0
    histogram: dict[int, int] = field(default_factory=dict)

    @property
    def successes(self) -> int:
        """Requests that were answered successfully."""
        return self.requests - self.failures

    def add(self, other: Tally) -> None:
        """Count ``other``'s requests into this tally."""
        self.requests += other.requests
        self.failures += other.failures
        for ms, n in other.histogram.items():
            self.histogram[ms] = self.histogram.get(ms, 0) + n

    def p(self, fraction: float) -> float:
        """The latency percentile of the successful requests (0 when none succeeded)."""
        return percentile(self.histogram, fraction)


@dataclass
class Window:
    """One time window of the run: ``t`` seconds after the test started, users then, per-endpoint
    tallies, and the generator's processes as the master saw them (CPU %, RSS MiB, heartbeat age s)."""

    t: float
    users: int | None
    endpoints: dict[str, Tally]
    generator: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def judged(self) -> Tally:
        """All requests of the window except the users' set-up requests."""
        total = Tally()
        for name, tally in self.endpoints.items():
            if not name.startswith(SETUP_PREFIX):
                total.add(tally)
        return total


@record
class ProcessSample(Record):
    """One reading of a group of processes: ``t`` (epoch seconds), CPU in % of one core, RSS in MiB."""

    t: float
    cpu_percent: float
    rss_mb: float


@record
class Scrape(Record):
    """The deployment's metrics endpoint as read at ``t`` (epoch seconds): its exposition text."""

    t: float
    text: str


@dataclass
class LoadResult:
    """What a load run measured: Locust's own per-endpoint summary, our windows, and what the runner sampled."""

    model: UserModel
    bucket_s: float
    summary: list[dict[str, Any]]
    windows: list[Window]
    errors: list[dict[str, Any]]
    workers_connected: int
    duration_s: float
    out_dir: Path
    started: float = 0.0
    commands: tuple[list[str], list[str]] = ([], [])
    pids: tuple[int, ...] = ()
    app: list[ProcessSample] = field(default_factory=list)
    scrapes: list[Scrape] = field(default_factory=list)

    @property
    def users_peak(self) -> int:
        """The most users running at once."""
        return max((w.users or 0 for w in self.windows), default=0)

    @property
    def reached_at_s(self) -> float | None:
        """Seconds after start at which the declared user count was first reached (None: never)."""
        return next((w.t for w in self.windows if (w.users or 0) >= self.model.users), None)

    @property
    def users_held(self) -> int:
        """The fewest users running during the hold (0 when there was no hold)."""
        return min((w.users or 0 for w in self.hold()), default=0)

    def hold(self) -> list[Window]:
        """The judged windows: ``warmup_s`` after the target was reached, while the users still ran.

        If the target was never reached the hold phase is empty, and the gates say so.
        """
        start = self.reached_at_s
        if start is None:
            return []
        return [w for w in self.windows if w.t >= start + self.model.warmup_s and w.users]

    @property
    def hold_s(self) -> float:
        """How long the hold lasted (seconds of judged windows)."""
        return len(self.hold()) * self.bucket_s

    def short_hold(self) -> str:
        """Why the hold is too short to stand for the declared one; empty when it lasted (one window's slack)."""
        if self.hold_s + self.bucket_s >= self.model.hold_s:
            return ""
        reached = f"reached at {self.reached_at_s:g} s" if self.reached_at_s is not None else "never reached"
        return (f"the {self.model.users:,} users were held {self.hold_s:g} s of the declared {self.model.hold_s:g} s "
                f"(target {reached}, ramp declared {self.model.ramp_s:g} s)")

    def hold_endpoints(self) -> dict[str, Tally]:
        """Per-endpoint tallies over the hold phase (set-up requests left out)."""
        out: dict[str, Tally] = {}
        for window in self.hold():
            for name, tally in window.endpoints.items():
                if not name.startswith(SETUP_PREFIX):
                    out.setdefault(name, Tally()).add(tally)
        return out

    def hold_total(self) -> Tally:
        """Every judged request of the hold, all endpoints together."""
        total = Tally()
        for tally in self.hold_endpoints().values():
            total.add(tally)
        return total

    def whole_run(self) -> Tally:
        """Every judged request of the run, ramp and stop included (availability counts them all)."""
        total = Tally()
        for window in self.windows:
            total.add(window.judged())
        return total

    @property
    def hold_rps(self) -> float:
        """Successful requests per second over the hold phase (a failed answer serves nobody)."""
        hold = self.hold()
        return sum(w.judged().successes for w in hold) / (len(hold) * self.bucket_s) if hold else 0.0

    def series(self, what: str) -> Series:
        """One figure per window for ``gate.metric(series=...)``: users, rps (successful requests per
        second), failures, and p50, p95, p99 of the successful requests."""
        out = []
        for w in self.windows:
            judged = w.judged()
            value = {"users": float(w.users or 0), "rps": judged.successes / self.bucket_s,
                     "failures": float(judged.failures), "p50": judged.p(0.50), "p95": judged.p(0.95),
                     "p99": judged.p(0.99)}[what]
            out.append((w.t, value))
        window = f"{self.bucket_s:g} s window"
        quantity, unit = {"users": ("users running", "users"), "rps": ("requests per second", "req/s"),
                          "failures": (f"failed requests per {window}", "requests")}.get(
                              what, (f"{what} latency per {window}", "ms"))
        return Series(tuple(out), quantity, unit)

    def generator_cpu(self) -> dict[str, list[float]]:
        """Each generator process's CPU readings (% of one core) over the hold, as the master saw them."""
        out: dict[str, list[float]] = {}
        for window in self.hold():
            for process, value in window.generator.get("cpu", {}).items():
                out.setdefault(process, []).append(value)
        return out

    def heartbeat_ages(self) -> dict[str, float]:
        """Each worker's longest wait for a heartbeat during the hold (seconds)."""
        out: dict[str, float] = {}
        for window in self.hold():
            for worker, age in window.generator.get("heartbeat_age", {}).items():
                out[worker] = max(out.get(worker, 0.0), age)
        return out

    def loop_lag_ms(self) -> dict[str, list[float]]:
        """Per worker, the longest its event loop was late in each second of the hold (ms).

        A response that arrives while the loop is late is read late: its latency then includes time
        the generator spent elsewhere (other users' work, the ramp, a busy machine).
        """
        out: dict[str, list[float]] = {}
        for window in self.hold():
            for worker, late in window.generator.get("loop_lag_ms", {}).items():
                out.setdefault(worker, []).append(late)
        return out

    def generator_rss_mb(self) -> float:
        """The generator's peak resident memory, all its processes together (MiB)."""
        return max((sum(w.generator.get("rss_mb", {}).values()) for w in self.windows), default=0.0)

    def saturated(self, rule: Saturation) -> str:
        """Why the generator cannot vouch for the hold's figures; empty when it kept up.

        Fail closed: a hold with no generator readings at all is no valid measurement either.
        """
        hold = self.hold()
        if not hold:
            return ""  # no hold: the gates report that on its own
        cpu = self.generator_cpu()
        if not cpu:
            return "generator not sampled: the master recorded no CPU readings during the hold"
        reasons = []
        for process, readings in sorted(cpu.items()):
            over = sum(1 for value in readings if value > rule.cpu_percent)
            if over > rule.share * len(readings):
                reasons.append(f"{process} above {rule.cpu_percent:g} % of a core in {over} of {len(readings)} "
                               f"seconds of the hold (allowed: {rule.share:.0%})")
        for worker, age in sorted(self.heartbeat_ages().items()):
            if age > rule.heartbeat_s:
                reasons.append(f"{worker} sent no heartbeat for {age:.1f} s (allowed: {rule.heartbeat_s:g} s)")
        expected = {name for w in hold for name in w.generator.get("heartbeat_age", {})}
        lost = sorted(expected - set(hold[-1].generator.get("heartbeat_age", {})))
        if lost:
            reasons.append(f"lost during the hold: {', '.join(lost)}")
        return "generator saturated: " + "; ".join(reasons) if reasons else ""

    def app_usage(self) -> tuple[float, float, float] | None:
        """The app's mean and peak CPU (% of one core) and peak RSS (MiB) over the hold; None when not sampled."""
        hold = self.hold()
        if not hold or not self.app:
            return None
        start, end = self.started + hold[0].t, self.started + hold[-1].t + self.bucket_s
        inside = [s for s in self.app if start <= s.t <= end] or self.app
        return (sum(s.cpu_percent for s in inside) / len(inside), max(s.cpu_percent for s in inside),
                max(s.rss_mb for s in inside))

    def hold_scrapes(self) -> tuple[Scrape, Scrape] | None:
        """The metrics scrapes that bracket the hold most tightly from inside (None: fewer than two in it)."""
        hold = self.hold()
        if not hold:
            return None
        start, end = self.started + hold[0].t, self.started + hold[-1].t + self.bucket_s
        inside = [s for s in self.scrapes if start <= s.t <= end]
        return (inside[0], inside[-1]) if len(inside) >= 2 else None


def read_windows(raw: Iterable[Mapping[str, Any]]) -> list[Window]:
    """``windows.json``'s windows as :class:`Window` objects."""
    return [Window(t=float(w["t"]), users=w["users"],
                   endpoints={name: Tally(e["requests"], e["failures"],
                                          {int(ms): int(n) for ms, n in e["histogram"].items()})
                              for name, e in w["endpoints"].items()},
                   generator=w.get("generator") or {})
            for w in raw]


def mean(values: Sequence[float]) -> float:
    """The arithmetic mean (0 for no values)."""
    return sum(values) / len(values) if values else 0.0
