"""pytest glue for the CastMatch launch gate: options, markers, fixtures, hooks.

The decisions live in plain modules (classify, outcomes, verdict, canonical); this file
only moves pytest's facts to them (``controller.py`` holds the end of the run). Per-test
data rides on the test report (JSON-safe, so it crosses pytest-xdist); the set of
collected gates, and what collection lost on the way, travel through a file per worker,
so a gate lost with a crashed worker is still known, and still blocks.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# Only what an idle run needs is imported here: the gates file, the profile, the settings and the
# report writers load on activation (``GateRun.activate``), so a project that installs the plugin
# and runs no gate pays for none of them.
from pytest_castmatch import progress, project

if TYPE_CHECKING:
    from pytest_castmatch import inventory
    from pytest_castmatch.attest import Signer
    from pytest_castmatch.classify import GateInfo
    from pytest_castmatch.config import GateConfig, Waiver
    from pytest_castmatch.deployment import Deployment
    from pytest_castmatch.outcomes import PhaseLog
    from pytest_castmatch.publication import RunPublication
    from pytest_castmatch.recorder import Gate
    from pytest_castmatch.settings import Settings

#: Options whose presence alone makes a run a gate run.
GATE_OPTIONS = ("gate_report", "gate_config", "gate_deployment", "gate_shard", "gate_previous", "gate_history",
                "gate_lock", "owner", "gate_set")
GATE_KEY: pytest.StashKey[Gate] = pytest.StashKey()
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
    group.addoption("--gate-history", metavar="DIR", default=None,
                    help="a folder of earlier report.json files; index.html draws each launch metric over them")
    group.addoption("--gate-shard", metavar="K/N", default=None,
                    help="run shard K of N (stable by gate id); merge shard reports with castmatch-gate merge")
    group.addoption("--gate-lock", action="store_true", default=False,
                    help="collect the full gate and write its inventory (gates.lock beside the deployment profile, "
                         "or the gates file); same as castmatch-gate lock")
    group.addoption("--gate-deployment", metavar="PATH", default=None,
                    help="the deployment profile to gate (default: the reference app's own profile)")
    group.addoption("--gate-set", metavar="NAME=VALUE", action="append", default=[],
                    help="set one of the gate's settings (README: Settings), e.g. --gate-set load_users=200")
    # Defaults live in pytest_castmatch.settings (an unset ini key must not count as "set in the ini file").
    parser.addini("castmatch_suites", type="linelist", default=[],
                  help="folders whose tests are launch gates, relative to the ini file's folder (default: suites)")
    parser.addini("castmatch_config", default="", help="the gates file, relative to the ini file's folder "
                  "(default: baselines/gates.toml)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "p0: launch-critical gate; blocks the launch unless it passes")
    config.addinivalue_line("markers", "p1: high-priority gate; blocks the launch unless it passes")
    config.addinivalue_line("markers", "p2: medium-priority gate; reported, never blocks")
    config.addinivalue_line("markers", "owner(team): the team (from gates.toml) that owns this gate")
    config.addinivalue_line("markers", "needs(*keys): what the gate needs from the deployment profile (README: "
                                       "Deployment profile); not applicable where the profile says it lacks it")
    if config.getoption("gate_lock"):
        config.option.collectonly = True
    from pytest_castmatch import fixtures

    config.pluginmanager.register(fixtures, f"{RUN_NAME}-fixtures")
    run = GateRun(config)
    config.pluginmanager.register(run, RUN_NAME)
    if config.pluginmanager.hasplugin("xdist") and not run.is_worker:
        config.pluginmanager.register(XdistHooks(run), f"{RUN_NAME}-xdist")
    # Idle until a gate or a gate option is seen: a project that installs the plugin and runs other
    # tests gets no run folder, no gates file read, no key parsed, no report.
    if gate_options_given(config) or run.hands_down_a_run() or run.saw_gates:
        run.activate()


def gate_options_given(config: pytest.Config) -> bool:
    """Whether the command line carries any of the plugin's own options."""
    return any(config.getoption(name, None) for name in GATE_OPTIONS)


def suite_names(config: pytest.Config) -> list[str]:
    """The folders whose tests are gates, relative to the project folder (ini ``castmatch_suites``)."""
    return list(config.getini("castmatch_suites") or project.DEFAULT_SUITES)


def gate_run(config: pytest.Config) -> GateRun:
    """The run's state, active: its settings, gates file and deployment loaded."""
    run = config.pluginmanager.get_plugin(RUN_NAME)
    assert isinstance(run, GateRun)
    run.activate()
    return run


class XdistHooks:
    """Controller-side hooks that exist only when pytest-xdist is installed."""

    def __init__(self, run: GateRun) -> None:
        self.run = run

    def pytest_configure_node(self, node: Any) -> None:
        if self.run.active:
            node.workerinput["castmatch_run_dir"] = str(self.run.run_dir)
            node.workerinput["castmatch_owner_pid"] = self.run.owner_pid
            node.workerinput["castmatch_staging"] = str(self.run.evidence_root)

    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        if not self.run.active:
            return
        gates = [i for i in ids if self.run.is_gate_path(self.run.config.rootpath / i.split("::")[0])]
        if gates:
            from pytest_castmatch import controller

            controller.announce(self.run, len(gates))


class Tracked:
    """One test in a gate folder as its phase hooks need it, worked out once when it is classified."""

    __slots__ = ("data", "info", "needs", "not_applicable", "recorder")

    def __init__(self, info: GateInfo | str, needs: tuple[str, ...] = ()) -> None:
        self.info = info  # a str is the collection error that keeps it from running
        # The gate's identity as each of its phase reports carries it: shared by the phases, read only.
        self.data: dict[str, Any] = {} if isinstance(info, str) else info.to_json()
        self.needs = needs  # the keys of its @pytest.mark.needs, in marker order
        self.not_applicable = ""  # why the deployment lacks what it needs, once setup found out
        self.recorder: Gate | None = None  # its ``gate`` fixture, once set up


class GateRun:
    """The run's state: on workers it classifies and records; on the controller it judges.

    Constructed idle (nothing read but pytest's own options); :meth:`activate` loads the settings,
    the gates file, the inventory, the deployment profile and the signing key the first time a gate
    or a gate option is seen.
    """

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
        self.is_worker = workerinput is not None
        self.worker_id = str(workerinput.get("workerid", "")) if workerinput else ""
        self.workerinput = workerinput or {}
        #: The run's own process (the xdist controller, or the single one): the reference app a gate starts
        #: stops once it is gone. A worker's may end first while another worker still uses that app.
        self.owner_pid = int(self.workerinput.get("castmatch_owner_pid") or os.getpid())
        inv = config.invocation_params.dir
        self.base, self.rootdir_problem = project.locate(config.inipath, config.rootpath, inv)
        self.roots = [project.absolute(self.base / p) for p in suite_names(config)]
        # A gate run: the report was asked for, or collection takes in a suite root.
        args = [project.absolute(inv / a.partition("::")[0]) for a in config.args]
        self.saw_gates = bool(config.getoption("gate_report")) or any(project.covers(a, self.roots) for a in args)
        self.locking = bool(config.getoption("gate_lock"))
        if self.locking and config.getoption("numprocesses", None):
            raise pytest.UsageError("--gate-lock collects in one process — drop -n")
        self.active = False
        self.gate_config: GateConfig | None = None
        self.waivers: list[Waiver] = []
        self.listed: dict[str, inventory.Entry] | None = None
        self.config_error = ""
        self.signer: Signer | None = None
        self.previous: dict[str, Any] | None = None
        self.history: list[dict[str, Any]] = []
        self.history_skipped: list[str] = []
        self.collected: list[GateInfo] = []
        self._rel: dict[Path, str] = {}
        self.seen: inventory.CollectionFacts  # what collection found and lost: made on activation
        self.deselected = 0
        self.logs: dict[str, PhaseLog] = {}
        self.engines: dict[str, str] = {}
        self.collection_errors = 0
        self.interrupted = False
        self.other_failures = 0
        self.report: dict[str, Any] | None = None
        self.notes: list[str] = []
        self._gate_paths: dict[Path, bool] = {}
        self._infos: dict[str, GateInfo] = {}  # the collected gates by id, for their phase reports
        # Every test in a gate folder, classified: one lookup per phase (an item hashes by its node id).
        self._tracked: dict[pytest.Item, Tracked] = {}
        self._parent_marks: dict[pytest.Collector, list[tuple[str, tuple[Any, ...]]]] = {}
        self.session_started = False

    def hands_down_a_run(self) -> bool:
        """On an xdist worker: whether the controller is running a gate (and passed its run folder)."""
        return "castmatch_run_dir" in self.workerinput

    def activate(self) -> None:
        """Load what a gate run needs, once; any problem is a usage error naming the fix.

        On the controller a usage error here also voids the report folder's earlier verdict: a run
        stopped before it began leaves no verdict behind that it never judged.
        """
        if self.active:
            return
        from pytest_castmatch import inventory

        self.seen = inventory.CollectionFacts(roots=[self.rel(r) for r in self.roots],
                                              last_failed=bool(self.config.getoption("lf", False)))
        try:
            self._load()
        except pytest.UsageError as exc:
            if not self.is_worker:
                from pytest_castmatch.publication import void_stale

                void_stale(getattr(self, "report_dir", None) or self._given_report_dir(),
                           str(exc).removeprefix("castmatch: "))
            raise
        self.active = True
        self.config.pluginmanager.register(PhaseHooks(self), f"{RUN_NAME}-phases")
        if not self.is_worker:
            self._interrupt_on_sigterm()
            if self.session_started:
                self._hold()

    def _interrupt_on_sigterm(self) -> None:
        """SIGTERM (a cancelled CI job, a ``kill``) stops a gate run as Ctrl-C does: the gates left are
        reported interrupted, the verdict is NO-GO, the report is written, and the run's app, browsers
        and folders are stopped and removed. Left alone, SIGTERM ends the process on the spot and all of
        that is lost. A handler someone else set is kept; a second SIGTERM ends the process at once."""

        def interrupt(signum: int, frame: Any) -> None:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            raise KeyboardInterrupt("SIGTERM")

        try:
            if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
                return
            signal.signal(signal.SIGTERM, interrupt)
        except ValueError:
            return  # not the main thread (pytest run from another thread): signals are not ours to take

        def restore() -> None:
            if signal.getsignal(signal.SIGTERM) is interrupt:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)

        self.config.add_cleanup(restore)

    def _load(self) -> None:
        from pytest_castmatch import activation, classify, outcomes, policy, sut

        # What the per-gate hooks call, bound once here: the idle plugin imports neither module.
        self._classify_marks = classify.classify
        self._gate_info = classify.GateInfo
        self._new_log = outcomes.PhaseLog
        from pytest_castmatch.publication import RunPublication  # brings the signer and the report writers
        from pytest_castmatch.settings import BY_NAME as SETTING_SPECS

        loaded = activation.load(self.config, self.base)
        self.settings: Settings = loaded.settings
        self.deployment: Deployment = loaded.deployment
        self.gate_config, self.config_error, self.waivers = loaded.gate_config, loaded.config_error, loaded.waivers
        self.shard = self.settings.shard
        self.owners_wanted: list[str] = list(self.settings.owners)
        self.report_dir = self.settings.report_dir
        self.config_path = self.settings.config
        staging = self.workerinput.get("castmatch_staging")
        self.publication: RunPublication = RunPublication(self.report_dir, staging=Path(staging) if staging else None)
        #: Where gates put evidence: the folder being assembled, which replaces the report folder whole.
        self.evidence_root: Path = self.publication.evidence_root
        # The trust policy is the project's, beside its own gates file (ini or default): a gates file
        # named for one run brings other rules (which the report's digests show), never other trusted keys.
        own = self.config.getini("castmatch_config") or str(SETTING_SPECS["config"].default)
        self.signers_dir: Path = (self.base / own).parent / policy.SIGNERS
        self.lock_file = activation.lock_file(self.settings, self.deployment)
        if self.gate_config is not None and not self.is_worker and not self.locking:
            self.listed = activation.inventory_of(self.lock_file)
        if not self.is_worker:
            from pytest_castmatch import controller

            # Before any gate runs: a broken key must stop the run, not void it at the end.
            self.signer = activation.signer(self.config, self.settings)
            self.previous = activation.previous(self.settings)
            self.history, self.history_skipped = activation.history(self.settings)
            self.publication.signer = self.signer
            controller.load_trust(self)
            self.config.add_cleanup(self.publication.finish)
        # Last: a usage error above leaves no run folder behind.
        if self.hands_down_a_run():
            self.run_dir = Path(self.workerinput["castmatch_run_dir"])
        else:
            run_dir = self.run_dir = Path(tempfile.mkdtemp(prefix="castmatch-run-"))
            # Cleanups run even when another plugin's pytest_unconfigure raises (a warning turned into an
            # error by filterwarnings, say), last registered first: the run's app is stopped, then its
            # folder removed.
            self.config.add_cleanup(lambda: shutil.rmtree(run_dir, ignore_errors=True))
            self.config.add_cleanup(lambda: sut.stop_app(run_dir))

    def _given_report_dir(self) -> Path:
        """The report folder before the settings are resolved: --gate-report, else gate-report/ in the project."""
        from pytest_castmatch.settings import BY_NAME as SETTING_SPECS

        given = self.config.getoption("gate_report")
        default = str(SETTING_SPECS["report_dir"].default)
        return self.config.invocation_params.dir / given if given else self.base / default

    def _hold(self) -> None:
        from pytest_castmatch import controller

        controller.hold(self)

    def rel(self, path: Path) -> str:
        """``path`` relative to the project folder, '/'-separated (remembered: asked once per gate)."""
        known = self._rel.get(path)
        if known is None:
            known = self._rel[path] = project.relative(path, self.base)
        return known

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Hold the report folder for the run, before any gate is collected (or when the run becomes one)."""
        self.session_started = True
        if self.active and not self.is_worker:
            self._hold()

    # -- collection (workers, or the single process) -----------------------------------

    def is_gate_path(self, path: Path) -> bool:
        # Asked for every phase of every test: remember the answer per path.
        known = self._gate_paths.get(path)
        if known is None:
            known = self._gate_paths[path] = project.under_any(project.absolute(path), self.roots)
        return known

    def pytest_collectstart(self, collector: pytest.Collector) -> None:
        if not self.active and not isinstance(collector, pytest.Session) and self.is_gate_path(collector.path):
            self.activate()

    @pytest.hookimpl(wrapper=True)
    def pytest_ignore_collect(self, collection_path: Path, config: pytest.Config) -> Generator[None, Any, Any]:
        ignored = yield
        if self.active and ignored and collection_path.name != "__pycache__" and self.is_gate_path(collection_path):
            opts = config.option
            self.seen.ignored[self.rel(collection_path)] = project.ignored_by_option(
                collection_path, opts.ignore or [], opts.ignore_glob or [], config.invocation_params.dir)
        return ignored

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Generator[None, Any, Any]:
        rep = yield
        if not self.active or isinstance(collector, pytest.Session) or not self.is_gate_path(collector.path):
            return rep
        if rep.skipped:
            self.saw_gates = True
            self.seen.skipped[self.rel(collector.path)] = _message(rep)
        elif rep.failed:
            self.seen.failed.append(self.rel(collector.path))
        if not isinstance(collector, pytest.Module | pytest.Class) or not rep.passed:
            return rep
        self.saw_gates = True
        if isinstance(collector, pytest.Module):
            self.seen.files.append(self.rel(collector.path))
        problems = []
        for node in rep.result:
            if isinstance(node, pytest.Item):
                found = self._classify(node)
                if isinstance(found, str):
                    problems.append(found)
                else:
                    self.seen.produced.append(found.id)
        if problems:
            rep.outcome = "failed"
            rep.longrepr = "castmatch: every gate needs one priority and one owner\n" + "\n".join(problems)
            rep.result = []
        return rep

    def _classify(self, item: pytest.Item) -> GateInfo | str:
        return self._track(item).info

    def _track(self, item: pytest.Item) -> Tracked:
        tracked = self._tracked.get(item)
        if tracked is None:
            tracked = self._tracked[item] = self._classify_uncached(item)
        return tracked

    def _classify_uncached(self, item: pytest.Item) -> Tracked:
        gate_id = item.nodeid if self._ids_as_pytest else project.rebase(
            item.nodeid, item.path, self.base, self.config.rootpath)
        where = f"{self.rel(item.path)}:{(item.location[1] or 0) + 1}"
        if self.gate_config is None:
            return Tracked(f"{gate_id} ({where}): {self.config_error}")
        marks = [(m.name, m.args) for m in item.own_markers]
        marks += self._inherited_marks(item.parent)
        needs = tuple(str(key) for name, args in marks if name == "needs" for key in args)
        return Tracked(self._classify_marks(gate_id, where, marks, self._owners, self._config_name), needs)

    def _inherited_marks(self, parent: pytest.Collector | None) -> list[tuple[str, tuple[Any, ...]]]:
        """The markers a test inherits from its class, module and folders: what ``item.iter_markers()``
        yields after the test's own, walked once per parent rather than once per test."""
        if parent is None:
            return []
        marks = self._parent_marks.get(parent)
        if marks is None:
            marks = self._parent_marks[parent] = [(m.name, m.args) for m in parent.iter_markers()]
        return marks

    def _gate_item(self, item: pytest.Item) -> Tracked | None:
        """The item's classification when it is a test in a gate folder of an active run, else None."""
        tracked = self._tracked.get(item)
        if tracked is None and self.active and self.is_gate_path(item.path):
            tracked = self._track(item)
        return tracked

    @functools.cached_property
    def _owners(self) -> dict[str, None]:
        # The declared teams in file order, asked "is this one declared?" once per gate.
        return dict.fromkeys(self.gate_config.owners) if self.gate_config else {}

    @functools.cached_property
    def _ids_as_pytest(self) -> bool:
        # pytest's rootdir is the project's folder: a node id is already the gate id.
        return self.base == self.config.rootpath

    @functools.cached_property
    def _config_name(self) -> str:
        return self.rel(self.config_path)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        if not self.active or not (self.owners_wanted or self.shard):
            return  # neither --owner nor --gate-shard: every test stays
        from pytest_castmatch import inventory

        keep: list[pytest.Item] = []
        drop: list[pytest.Item] = []
        for item in items:
            info = self._classify(item) if self.is_gate_path(item.path) else None
            if info is None:
                wanted = not (self.owners_wanted or self.shard)
            elif isinstance(info, str):
                wanted = True  # already reported as a collection error
            else:
                wanted = (not self.owners_wanted or info.owner in self.owners_wanted) and (
                    not self.shard or inventory.shard_index(info.id, self.shard[1]) == self.shard[0] - 1)
            (keep if wanted else drop).append(item)
        if drop:
            for item in drop:
                self._deselect(item, explained=True)
            config.hook.pytest_deselected(items=drop)
            items[:] = keep

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        if not self.active:
            return
        opts = self.config.option
        # -m and -k deselect through this hook like any plugin would: with either given, every
        # deselection counts as the user's. --lf never does: a run of the last failures is not a gate.
        chosen = bool(opts.markexpr or opts.keyword) and not self.seen.last_failed
        prefixes = tuple(opts.deselect or ())
        for item in items:
            self._deselect(item, explained=chosen or (bool(prefixes) and item.nodeid.startswith(prefixes)))

    def _deselect(self, item: pytest.Item, explained: bool) -> None:
        info = self._classify(item) if self.is_gate_path(item.path) else None
        if info is not None and not isinstance(info, str) and info.id not in self.seen.deselected:
            self.seen.deselected[info.id] = explained
            self.deselected += 1

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if not self.active:
            return
        # What runs is session.items once every hook had its say: only those gates are judged. A gate
        # is what _classify made of it (a GateInfo; a str is its collection error), tested as such: a
        # class looked up here could be another copy of the module in a process that re-imports it.
        for item in session.items:
            tracked = self._gate_item(item)
            if tracked is not None and not isinstance(info := tracked.info, str):
                self.collected.append(info)
                self._infos[info.id] = info
        if self.is_worker:
            payload = {"saw_gates": self.saw_gates, "deselected": self.deselected,
                       "gates": [g.to_json() for g in self.collected], "seen": self.seen.to_json()}
            target = self.run_dir / f"collected-{self.worker_id}.json"
            target.write_text(json.dumps(payload))
        elif self.collected:
            from pytest_castmatch import controller  # a gate run writes a report: its writers may load now

            controller.announce(self, len(self.collected))

    # -- the controller ---------------------------------------------------------------

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.is_worker:
            return
        # Called for every phase of every test: no import, no copy on the way.
        fields = report.__dict__
        data = fields.get(DATA_ATTR)
        if not self.active:
            if data is None:
                return
            self.activate()  # a worker ran a gate this controller did not expect: judge it
        when: str = report.when  # beyond the declared three: see below
        if data is None and when != "???" and not self.is_gate_path(self.config.rootpath / report.fspath):
            # ("???" is how xdist reports a test lost with its worker: that one is judged below.)
            if report.failed:
                self.other_failures += 1
            return
        key = str(data["id"]) if data and "id" in data else report.nodeid
        log = self.logs.get(key)
        if log is None:
            log = self.logs[key] = self._new_log()
        if log.info is None and data and "priority" in data:
            log.info = self._infos.get(key) or self._gate_info.from_json(data)
        if data and (engines := data.get("engines")):
            self.engines.update(engines)
        wasxfail = "wasxfail" in fields
        log.add(when=when, outcome=report.outcome, wasxfail=wasxfail,
                message=_message(report) if wasxfail or report.longrepr is not None else "",
                duration=report.duration, data=data)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if self.active and report.failed and not self.is_worker:
            self.collection_errors += 1
            if self.is_gate_path(self.config.rootpath / report.fspath):
                self.saw_gates = True

    def pytest_keyboard_interrupt(self) -> None:
        self.interrupted = True

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        progress.set_sink(None)
        if self.is_worker or not self.active:
            return
        from pytest_castmatch import controller  # the report writers and the signer: only when a report is written

        if self.locking:
            controller.write_lock(self, session)
        elif not self.config.option.collectonly:  # --collect-only lists gates; it never meant to judge them
            controller.finish(self, session, exitstatus)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.active:
            from pytest_castmatch import controller

            controller.summary(self, terminalreporter)

    @pytest.hookimpl(tryfirst=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.is_worker or not self.active:
            return
        from pytest_castmatch import sut

        sut.stop_app(self.run_dir)
        if self.report is not None:
            self.keep_app_log()  # again, now that the app has stopped: its last lines too
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def keep_app_log(self, folder: Path | None = None) -> None:
        """Copy the reference app's log (when it ran) into the evidence folder of ``folder``
        (default: the published report folder)."""
        from pytest_castmatch import sut

        log = self.run_dir / sut.LOG
        target = (folder or self.report_dir) / "evidence"
        if log.exists():
            try:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy(log, target / "app.log")
            except OSError as exc:
                self.notes.append(f"castmatch: the app log was not kept in {target}: {exc.strerror or exc}")


class PhaseHooks:
    """The hooks called for every phase of every test, registered once the run is active: an idle
    plugin adds nothing to a test's setup, call or report."""

    def __init__(self, run: GateRun) -> None:
        self.run = run

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """Before any fixture: a gate whose needs the deployment lacks is not applicable; one whose
        needs the profile does not mention blocks; one that sends traffic must be allowed to."""
        tracked = self.run._gate_item(item)
        if tracked is None or not tracked.needs:
            return
        from pytest_castmatch import needs

        verdict = needs.decide(self.run.deployment, tracked.needs)
        if verdict.not_applicable:
            tracked.not_applicable = verdict.message
            pytest.skip(f"not applicable: {verdict.message}")
        if verdict.message:
            pytest.fail(verdict.message, pytrace=False)

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_call(self, item: pytest.Item) -> None:
        """After the test's own call returned (pytest's call runs before any trylast one; a call that
        raised stops the hook): what the gate recorded fails the call phase as a raise in it would."""
        recorder = item.stash.get(GATE_KEY, None)
        if recorder is not None and (problems := recorder.new_problems()):
            pytest.fail(_problem_text(problems), pytrace=False)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
        rep = yield
        if call.excinfo is not None:
            # A DeploymentError can only have been raised once its module was imported.
            profile = sys.modules.get("pytest_castmatch.deployment")
            if profile is not None and call.excinfo.errisinstance(profile.DeploymentError):
                # A gate or fixture read what the profile does not say: the sentence names the key, no traceback.
                rep.longrepr = str(call.excinfo.value)
        tracked = self.run._gate_item(item)
        if tracked is not None:
            data = tracked.data
            recorder = tracked.recorder
            if recorder is not None:
                if call.when == "teardown" and (problems := recorder.new_problems()) and rep.passed:
                    # Recorded after the call's check (a fixture's teardown): fail the teardown with them.
                    rep.outcome = "failed"
                    rep.longrepr = "castmatch: recorded in teardown: " + _problem_text(problems)
                data = data | recorder.drain()  # a phase that adds to the identity gets a copy
            if tracked.not_applicable and rep.when == "setup" and rep.skipped:
                from pytest_castmatch.outcomes import NOT_APPLICABLE

                data = data | {NOT_APPLICABLE: tracked.not_applicable}
            rep.__dict__[DATA_ATTR] = data
        return rep


def _problem_text(problems: list[str]) -> str:
    """The first problem on the first line (the one line a report keeps), the rest below it."""
    more = "".join(f"\n  {p}" for p in problems[1:])
    return f"{len(problems)} problem(s): {problems[0]}{more}"


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

