"""pytest glue for the CastMatch launch gate: options, markers, fixtures, hooks.

The decisions live in plain modules (classify, outcomes, verdict, canonical); this file
only moves pytest's facts to them. Per-test data rides on the test report (JSON-safe,
so it crosses pytest-xdist); the set of collected gates travels through a file per
worker, so a gate lost with a crashed worker is still known, and still blocks.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zlib
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from pytest_castmatch import attest, canonical, publish, sut
from pytest_castmatch.classify import GateInfo, classify, under_any
from pytest_castmatch.config import ConfigError, GateConfig, load_gates, load_waivers
from pytest_castmatch.model import Outcome, Scope
from pytest_castmatch.outcomes import PhaseLog, fold
from pytest_castmatch.recorder import Gate
from pytest_castmatch.summary import terminal_lines
from pytest_castmatch.verdict import RunFacts, judge

GATE_KEY = pytest.StashKey[Gate]()
INFO_KEY = pytest.StashKey["GateInfo | str"]()
RUN_NAME = "castmatch-run"
DATA_ATTR = "castmatch"


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_castmatch import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("castmatch", "CastMatch launch gate")
    group.addoption("--owner", action="append", default=[], metavar="TEAM",
                    help="run only the gates owned by TEAM (repeatable); the report's scope says so")
    group.addoption("--gate-report", metavar="DIR", default=None,
                    help="where the gate report is written (default: gate-report/ under the rootdir)")
    group.addoption("--gate-config", metavar="PATH", default=None,
                    help="the gates file: owners, thresholds, launch metrics (default: baselines/gates.toml)")
    group.addoption("--gate-previous", metavar="REPORT", default=None,
                    help="an earlier report.json to show the trend against in index.html")
    group.addoption("--gate-shard", metavar="K/N", default=None,
                    help="run shard K of N (stable by gate id); merge shard reports with castmatch-gate merge")
    parser.addini("castmatch_suites", type="linelist", default=["suites"],
                  help="folders whose tests are launch gates (relative to the rootdir)")
    parser.addini("castmatch_config", default="baselines/gates.toml", help="default gates file (rootdir-relative)")


def _shard(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    try:
        k, n = (int(x) for x in value.split("/"))
    except ValueError:
        raise pytest.UsageError(f"--gate-shard {value!r}: expected K/N, e.g. --gate-shard 1/3") from None
    if not 1 <= k <= n:
        raise pytest.UsageError(f"--gate-shard {value!r}: K must be between 1 and N, e.g. --gate-shard 1/{max(n, 1)}")
    return k, n


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "p0: launch-critical gate; blocks the launch unless it passes")
    config.addinivalue_line("markers", "p1: high-priority gate; blocks the launch unless it passes")
    config.addinivalue_line("markers", "p2: medium-priority gate; reported, never blocks")
    config.addinivalue_line("markers", "owner(team): the team (from gates.toml) that owns this gate")
    run = GateRun(config)
    config.pluginmanager.register(run, RUN_NAME)
    if not run.is_worker:
        # A cleanup runs even when another plugin's pytest_unconfigure raises (a warning turned
        # into an error by filterwarnings, say), so the run's app is never left behind.
        config.add_cleanup(lambda: sut.stop_app(run.run_dir))
    if config.pluginmanager.hasplugin("xdist") and not run.is_worker:
        config.pluginmanager.register(XdistHooks(run), f"{RUN_NAME}-xdist")


def _gate_run(config: pytest.Config) -> GateRun:
    run = config.pluginmanager.get_plugin(RUN_NAME)
    assert isinstance(run, GateRun)
    return run


@pytest.fixture
def gate(request: pytest.FixtureRequest) -> Gate:
    """Record findings (``gate.check``), metrics (``gate.metric``) and evidence for this gate."""
    run = _gate_run(request.config)
    recorder = Gate(request.node.nodeid, run.gate_config, run.report_dir)
    request.node.stash[GATE_KEY] = recorder
    return recorder


@pytest.fixture(scope="session")
def castmatch_config(request: pytest.FixtureRequest) -> GateConfig:
    """The parsed gates file: owners, metric thresholds, the page inventory."""
    run = _gate_run(request.config)
    if run.gate_config is None:
        pytest.fail(run.config_error, pytrace=False)
    return run.gate_config


@pytest.fixture(scope="session")
def castmatch_base_url(request: pytest.FixtureRequest) -> str:
    """The deployment under test: ``--base-url`` if given, else the reference app on loopback."""
    given = request.config.getoption("base_url", None) if _has_option(request.config, "base_url") else None
    if given:
        return str(given).rstrip("/")
    run = _gate_run(request.config)
    try:
        return sut.ensure_app(run.run_dir).url
    except sut.SutError as exc:
        pytest.fail(str(exc), pytrace=False)


def _has_option(config: pytest.Config, name: str) -> bool:
    try:
        config.getoption(name)
    except ValueError:
        return False
    return True


class XdistHooks:
    """Controller-side hooks that exist only when pytest-xdist is installed."""

    def __init__(self, run: GateRun) -> None:
        self.run = run

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["castmatch_run_dir"] = str(self.run.run_dir)


class GateRun:
    """The run's state: on workers it classifies and records; on the controller it judges."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
        self.is_worker = workerinput is not None
        self.worker_id = str(workerinput.get("workerid", "")) if workerinput else ""
        if workerinput and "castmatch_run_dir" in workerinput:
            self.run_dir = Path(workerinput["castmatch_run_dir"])
        else:
            self.run_dir = Path(tempfile.mkdtemp(prefix="castmatch-run-"))
        root = config.rootpath
        self.roots = [root / p for p in config.getini("castmatch_suites")]
        self.shard = _shard(config.getoption("gate_shard"))
        self.owners_wanted: list[str] = list(config.getoption("owner") or [])
        opt_report = config.getoption("gate_report")
        self.report_dir = (config.invocation_params.dir / opt_report) if opt_report else root / "gate-report"
        opt_config = config.getoption("gate_config")
        self.config_path = (config.invocation_params.dir / opt_config if opt_config
                            else root / config.getini("castmatch_config"))
        self.gate_config: GateConfig | None = None
        self.config_error = ""
        if self.config_path.exists() or opt_config:
            try:
                self.gate_config = load_gates(self.config_path)
                self.waivers = load_waivers(self.config_path.with_name("waivers.toml"), self.gate_config)
            except ConfigError as exc:
                raise pytest.UsageError(f"castmatch: {exc}") from None
        else:
            self.config_error = f"no gates file at {self.config_path} — create it or pass --gate-config PATH"
        for team in self.owners_wanted:
            if self.gate_config and team not in self.gate_config.owners:
                hint = self.gate_config.suggest_owner(team)
                fix = f" — did you mean {hint!r}?" if hint else " — teams are declared in the gates file"
                raise pytest.UsageError(f"--owner {team}: unknown team{fix}")
        self.signer: attest.Signer | None = None
        self.previous: dict[str, Any] | None = None
        if not self.is_worker:
            self._load_signer_and_previous()
        self.saw_gates = bool(opt_report)
        self.collected: list[GateInfo] = []
        self.deselected = 0
        self.logs: dict[str, PhaseLog] = {}
        self.engines: dict[str, str] = {}
        self.collection_errors = 0
        self.interrupted = False
        self.other_failures = 0
        self.report: dict[str, Any] | None = None
        self._gate_paths: dict[Path, bool] = {}

    def _load_signer_and_previous(self) -> None:
        # Load the key before any gate runs: a broken key must stop the run, not void it at the end.
        self.signer = self.config.hook.pytest_castmatch_signer(config=self.config)
        spec = os.environ.get("CASTMATCH_SIGNING_KEY", "")
        if self.signer is None and spec.strip():
            try:
                self.signer = attest.load_signing_key(spec)
            except attest.AttestError as exc:
                raise pytest.UsageError(f"castmatch: CASTMATCH_SIGNING_KEY: {exc}") from None
        previous = self.config.getoption("gate_previous")
        if previous:
            path = self.config.invocation_params.dir / previous
            try:
                self.previous = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise pytest.UsageError(f"--gate-previous {previous}: cannot read a report there ({exc})") from None

    # -- collection (workers, or the single process) -----------------------------------

    def is_gate_path(self, path: Path) -> bool:
        # Asked for every phase of every test: remember the answer per path.
        known = self._gate_paths.get(path)
        if known is None:
            known = self._gate_paths[path] = under_any(path, self.roots)
        return known

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Generator[None, Any, Any]:
        rep = yield
        if not isinstance(collector, pytest.Module | pytest.Class) or not self.is_gate_path(collector.path):
            return rep
        self.saw_gates = True
        if not rep.passed:
            return rep
        problems = []
        for node in rep.result:
            if isinstance(node, pytest.Item):
                found = self._classify(node)
                if isinstance(found, str):
                    problems.append(found)
        if problems:
            rep.outcome = "failed"
            rep.longrepr = "castmatch: every gate needs one priority and one owner\n" + "\n".join(problems)
            rep.result = []
        return rep

    def _classify(self, item: pytest.Item) -> GateInfo | str:
        if INFO_KEY not in item.stash:
            item.stash[INFO_KEY] = self._classify_uncached(item)
        return item.stash[INFO_KEY]

    def _classify_uncached(self, item: pytest.Item) -> GateInfo | str:
        path, line, _ = item.location
        where = f"{path}:{(line or 0) + 1}"
        if self.gate_config is None:
            return f"{item.nodeid} ({where}): {self.config_error}"
        marks = [(m.name, m.args) for m in item.iter_markers()]
        return classify(item.nodeid, where, marks, list(self.gate_config.owners), self._config_name())

    def _config_name(self) -> str:
        try:
            return str(self.config_path.relative_to(self.config.rootpath))
        except ValueError:
            return str(self.config_path)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        keep: list[pytest.Item] = []
        drop: list[pytest.Item] = []
        for item in items:
            info = self._classify(item) if self.is_gate_path(item.path) else None
            if isinstance(info, str):
                keep.append(item)  # already reported as a collection error
                continue
            wanted = info is not None or not (self.owners_wanted or self.shard)
            if info is not None and self.owners_wanted and info.owner not in self.owners_wanted:
                wanted = False
            if info is not None and self.shard and zlib.crc32(info.id.encode()) % self.shard[1] != self.shard[0] - 1:
                wanted = False
            (keep if wanted else drop).append(item)
            if wanted and info is not None:
                self.collected.append(info)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.deselected += sum(1 for item in items if self.is_gate_path(item.path))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self.is_worker:
            payload = {"saw_gates": self.saw_gates, "deselected": self.deselected,
                       "gates": [g.to_json() for g in self.collected]}
            target = self.run_dir / f"collected-{self.worker_id}.json"
            target.write_text(json.dumps(payload))

    # -- running ----------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        result = yield
        recorder = item.stash.get(GATE_KEY, None)
        if recorder is not None and (problems := recorder.problems()):
            pytest.fail(f"{len(problems)} problem(s):\n" + "\n".join(f"  {p}" for p in problems), pytrace=False)
        return result

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
        rep = yield
        if self.is_gate_path(item.path):
            info = self._classify(item)
            data: dict[str, Any] = info.to_json() if isinstance(info, GateInfo) else {}
            recorder = item.stash.get(GATE_KEY, None)
            if recorder is not None:
                data.update(recorder.drain())
            rep.__dict__[DATA_ATTR] = data
        return rep

    # -- the controller ---------------------------------------------------------------

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.is_worker:
            return
        data = report.__dict__.get(DATA_ATTR)
        crashed = str(report.when) == "???"  # how xdist reports a test lost with its worker
        if data is None and not crashed and not self.is_gate_path(self.config.rootpath / report.fspath):
            if report.failed:
                self.other_failures += 1
            return
        log = self.logs.setdefault(report.nodeid, PhaseLog())
        if data and "priority" in data:
            log.info = GateInfo.from_json(data)
        self.engines.update((data or {}).get("engines", {}))
        log.add(when=report.when, outcome=report.outcome, wasxfail=hasattr(report, "wasxfail"),
                message=_message(report), duration=report.duration, data=data)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed and not self.is_worker:
            self.collection_errors += 1
            if self.is_gate_path(self.config.rootpath / report.fspath):
                self.saw_gates = True

    def pytest_keyboard_interrupt(self) -> None:
        self.interrupted = True

    def _worker_collections(self) -> tuple[list[GateInfo], int, bool, list[str]]:
        gates: dict[str, GateInfo] = {}
        deselected, saw, problems = 0, False, list[str]()
        files = sorted(self.run_dir.glob("collected-*.json"))
        for path in files:
            data = json.loads(path.read_text())
            saw = saw or bool(data["saw_gates"])
            deselected = max(deselected, int(data["deselected"]))
            for g in data["gates"]:
                gates.setdefault(g["id"], GateInfo.from_json(g))
        if not files and self.logs:
            problems.append("no worker reported its collection — gates that never ran cannot be listed")
        return list(gates.values()), deselected, saw, problems

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.is_worker or self.config.option.collectonly:
            return  # --collect-only lists gates; it never meant to judge them
        collected, deselected, problems = self.collected, self.deselected, list[str]()
        if _xdist_controller(self.config):
            collected, deselected, saw, problems = self._worker_collections()
            self.saw_gates = self.saw_gates or saw
        if not (self.saw_gates or (self.logs and any(log.info for log in self.logs.values()))):
            return  # not a gate run (e.g. the plugin's own tests): stay out of the way
        interrupted = self.interrupted or exitstatus == pytest.ExitCode.INTERRUPTED
        expected = {g.id: g for g in collected}
        for nodeid, log in self.logs.items():
            if nodeid not in expected and log.info is not None:
                expected[nodeid] = log.info
        gates = fold(expected.values(), self.logs, interrupted)
        unfinished = {Outcome.NOT_RUN, Outcome.INTERRUPTED, Outcome.CRASHED}
        complete = not interrupted and not self.collection_errors and not any(g.outcome in unfinished for g in gates)
        facts = RunFacts(
            scope=self._scope(deselected),
            complete=complete,
            interrupted=interrupted,
            collection_errors=self.collection_errors,
            signed=self.signer is not None,
            collected_ids=frozenset(expected),
            problems=tuple(problems),
            shard=f"{self.shard[0]}/{self.shard[1]}" if self.shard else "",
        )
        gate_config = self.gate_config
        if gate_config is None:
            return
        judgement = judge(gate_config, gates, facts, self.waivers)
        doc = canonical.build(
            config=gate_config, gates=gates, judgement=judgement, facts=facts,
            subject_info=canonical.subject(self.config.rootpath), env=canonical.environment(self.engines),
            duration=sum(g.duration for g in gates),
        )
        self.config.hook.pytest_castmatch_report(config=self.config, report=doc)
        publish.publish(doc, self.report_dir, signer=self.signer, previous=self.previous)
        self.report = doc
        if judgement.verdict.go and exitstatus == pytest.ExitCode.TESTS_FAILED and not self.other_failures:
            session.exitstatus = pytest.ExitCode.OK
        elif not judgement.verdict.go and exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _scope(self, deselected: int) -> Scope:
        opts = self.config.option
        inv = self.config.invocation_params.dir
        paths = []
        for arg in self.config.args:
            target = (inv / arg.split("::")[0]).resolve()
            if "::" in arg or not any(root.resolve() == target or root.resolve().is_relative_to(target)
                                      for root in self.roots):
                paths.append(arg)
        ignored = bool(getattr(opts, "ignore", None) or getattr(opts, "ignore_glob", None))
        markexpr, keyword = getattr(opts, "markexpr", "") or "", getattr(opts, "keyword", "") or ""
        full = not (markexpr or keyword or self.owners_wanted or self.shard or paths or deselected or ignored)
        return Scope(full=full, markexpr=markexpr, keyword=keyword, owners=tuple(self.owners_wanted),
                     paths=tuple(paths), deselected=deselected)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.report is None:
            return
        verdict = self.report["verdict"]
        terminalreporter.section(f"castmatch gate: {verdict['label']}", sep="=", bold=True,
                                 red=verdict["decision"] != "GO", green=verdict["decision"] == "GO")
        path = self.report_dir / "index.html"
        for line in terminal_lines(self.report, str(path)):
            terminalreporter.write_line(line)

    @pytest.hookimpl(tryfirst=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.is_worker:
            return
        sut.stop_app(self.run_dir)
        log = self.run_dir / sut.LOG
        if log.exists() and self.report is not None:
            (self.report_dir / "evidence").mkdir(parents=True, exist_ok=True)
            shutil.copy(log, self.report_dir / "evidence" / "app.log")
        shutil.rmtree(self.run_dir, ignore_errors=True)


def _xdist_controller(config: pytest.Config) -> bool:
    return config.pluginmanager.hasplugin("dsession")


def _message(report: pytest.TestReport) -> str:
    """The one useful line of a failure or skip: pytest's crash message, or the skip reason."""
    longrepr = report.longrepr
    if longrepr is None:
        return str(report.__dict__.get("wasxfail", ""))
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    crash: Any = getattr(longrepr, "reprcrash", None)
    if crash is not None and crash.message:
        return str(crash.message)
    return str(longrepr).strip().splitlines()[-1] if str(longrepr).strip() else ""

