"""The controller's side of a gate run: the run's header and live progress in the terminal; at the end,
gather what the workers collected, compare the run with the inventory, have ``verdict.judge`` decide,
publish, make the exit status the verdict and print it. Or, for ``--gate-lock``, write the inventory.
Imported only in a gate run: it brings the report writers and the signer (cryptography) with it.

pytest glue like ``plugin.py``; every decision is the pure modules'.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import gc
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_castmatch import canonical, inventory, policy, progress, project
from pytest_castmatch.classify import GateInfo
from pytest_castmatch.config import ConfigError, GateConfig
from pytest_castmatch.model import GateResult, Outcome, Scope
from pytest_castmatch.outcomes import fold
from pytest_castmatch.report import terminal
from pytest_castmatch.report_folder import FolderError
from pytest_castmatch.summary import terminal_lines
from pytest_castmatch.verdict import Judgement, RunFacts, judge

if TYPE_CHECKING:
    from pytest_castmatch.plugin import GateRun

UNFINISHED = frozenset({Outcome.NOT_RUN, Outcome.INTERRUPTED, Outcome.CRASHED})


def stderr_line(text: str) -> None:
    """One line to stderr, at once (the run may stop right after it)."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def load_trust(run: GateRun) -> None:
    """The trust policy and the sign-off statements beside the gates file, checked before any gate runs."""
    if run.gate_config is None:
        return
    try:
        run.publication.load_trust(run.gate_config, signers=run.signers_dir, shown=run.rel)
    except ConfigError as exc:
        raise pytest.UsageError(f"castmatch: {exc}") from None
    except Exception as exc:  # a signer from a hook (KMS, token) that cannot sign: stop before any gate
        raise pytest.UsageError(f"castmatch: the signer cannot sign: {type(exc).__name__}: {exc}") from None


def hold(run: GateRun) -> None:
    """Hold the report folder for a run that will write a report, before any gate is collected."""
    # Before collection, saw_gates says whether the report was asked for or the arguments reach a suite root.
    if run.config.option.collectonly or not (run.saw_gates or run.shard or run.owners_wanted):
        return
    try:
        run.publication.hold(notice=stderr_line)
    except FolderError as exc:
        raise pytest.UsageError(f"castmatch: {exc}") from None


def settings(run: GateRun) -> dict[str, Any]:
    """The run's resolved options that change what is measured or judged, as the report records them."""
    opts = run.config.option
    return {
        "gate_config": run.rel(run.config_path),
        "shard": f"{run.shard[0]}/{run.shard[1]}" if run.shard else "",
        "owners": sorted(run.owners_wanted),
        "base_url": deployment(run),
        "report_dir": run.rel(run.report_dir),
        "suites": [run.rel(root) for root in run.roots],
        "selection": {
            "markexpr": getattr(opts, "markexpr", "") or "",
            "keyword": getattr(opts, "keyword", "") or "",
            "deselect": [str(x) for x in getattr(opts, "deselect", None) or ()],
            "ignore": [str(x) for x in getattr(opts, "ignore", None) or ()],
            "ignore_glob": [str(x) for x in getattr(opts, "ignore_glob", None) or ()],
            "args": [str(x) for x in run.config.args],
        },
        "environment": policy.measurement_environment(os.environ),
    }


def deployment(run: GateRun) -> str:
    """What the gates measure: the profile's name and address (the reference app's port varies per run)."""
    found = run.deployment
    where = found.base_url or ("embedded, on loopback" if found.reference else "")
    return f"{found.name} ({where})" if where else found.name


def announce(run: GateRun, gates: int) -> None:
    """The run's header (what is gated, where the report goes, who signs); then live engine progress."""
    reporter = run.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or run.config.get_verbosity() < 0 or progress.active():
        return
    reporter.ensure_newline()
    for line in terminal.header_lines(gates=gates, scope=scope(run, run.deselected).describe(),
                                      deployment=deployment(run), report_dir=str(run.report_dir),
                                      keyid=run.signer.keyid if run.signer is not None else "",
                                      earlier=len(run.history), skipped=run.history_skipped):
        reporter.write_line(line)
    capture = run.config.pluginmanager.get_plugin("capturemanager")

    def show(line: str) -> None:
        # Gates run with output captured: step out of the capture for the line, as live logging does.
        with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
            reporter.write_line(f"castmatch: {terminal.plain(line)}")

    progress.set_sink(show)


def summary(run: GateRun, terminalreporter: Any) -> None:
    """The run's notes, then the verdict section: the verdict, the priority x owner table, the blockers."""
    for note in run.notes:
        terminalreporter.write_line(note)
    if run.report is None:
        return
    verdict = run.report["verdict"]
    terminalreporter.section(f"castmatch gate: {verdict['label']}", sep="=", bold=True,
                             red=verdict["decision"] != "GO", green=verdict["decision"] == "GO")
    for line in terminal_lines(run.report, str(run.report_dir / "index.html")):
        terminalreporter.write_line(line)


def _xdist_controller(config: pytest.Config) -> bool:
    return config.pluginmanager.hasplugin("dsession")


def gathered(run: GateRun) -> tuple[list[GateInfo], int, list[str], inventory.CollectionFacts]:
    """What collection produced: the gates to judge, how many were deselected, problems, and what was lost."""
    if not _xdist_controller(run.config):
        return run.collected, run.deselected, [], run.seen
    gates: dict[str, GateInfo] = {}
    deselected, problems = 0, list[str]()
    seen = inventory.CollectionFacts(roots=run.seen.roots, last_failed=run.seen.last_failed)
    files = sorted(run.run_dir.glob("collected-*.json"))
    for path in files:
        data = json.loads(path.read_text())
        run.saw_gates = run.saw_gates or bool(data["saw_gates"])
        deselected = max(deselected, int(data["deselected"]))
        seen.merge(inventory.CollectionFacts.from_json(data["seen"]))
        for g in data["gates"]:
            gates.setdefault(g["id"], GateInfo.from_json(g))
    if not files and run.logs:
        problems.append("no worker reported its collection — gates that never ran cannot be listed")
    return list(gates.values()), deselected, problems, seen


def finish(run: GateRun, session: pytest.Session, exitstatus: int) -> None:
    """Judge the run, publish the report and set the exit status from the verdict.

    The cycle collector is off meanwhile: the report makes thousands of short-lived objects beside the
    whole session's, and each full collection they would trigger walks all of them; what cycles they
    leave are collected once it is back on.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        _finish(run, session, exitstatus)
    finally:
        if enabled:
            gc.enable()


def _finish(run: GateRun, session: pytest.Session, exitstatus: int) -> None:
    collected, deselected, problems, seen = gathered(run)
    if not (run.saw_gates or any(log.info for log in run.logs.values())):
        return  # not a gate run (e.g. the plugin's own tests): stay out of the way
    gate_config = run.gate_config
    if gate_config is None:
        run.notes.append(f"castmatch: NO-GO — {run.config_error}")
        run.publication.failure = run.config_error
        if exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        return
    interrupted = run.interrupted or exitstatus == pytest.ExitCode.INTERRUPTED
    expected = {g.id: g for g in collected}
    for gate_id, log in run.logs.items():
        if gate_id not in expected and log.info is not None:
            expected[gate_id] = log.info
    gates = fold(expected.values(), run.logs, interrupted)
    complete = not interrupted and not run.collection_errors and not any(g.outcome in UNFINISHED for g in gates)
    if run.rootdir_problem:
        problems.append(run.rootdir_problem)
    facts = RunFacts(
        scope=scope(run, deselected),
        complete=complete,
        interrupted=interrupted,
        collection_errors=run.collection_errors,
        signed=run.signer is not None,
        collected_ids=frozenset(expected),
        problems=tuple(problems),
        shard=f"{run.shard[0]}/{run.shard[1]}" if run.shard else "",
        inventory=check_inventory(run, gates, seen),
        module_skips=tuple(sorted(seen.skipped.items())),
        roots=tuple(seen.roots),
        **run.publication.facts(),
    )
    doc, judgement = report(run, gate_config, gates, facts)
    run.keep_app_log(run.evidence_root)  # before the page is written, so the page links it
    if judgement.verdict.go and exitstatus == pytest.ExitCode.TESTS_FAILED and not run.other_failures:
        session.exitstatus = pytest.ExitCode.OK
    elif not judgement.verdict.go and exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    _publish(run, doc, session)


def _publish(run: GateRun, doc: dict[str, Any], session: pytest.Session) -> None:
    """Publish the report folder whole; on failure one line, a NO-GO in its place, a non-zero exit."""
    status = run.publication.publish(doc, previous=run.previous, history=run.history)
    if status is not None:
        stderr_line(f"castmatch: error: the report could not be written: {run.publication.failure}")
        session.exitstatus = status
        return
    run.report = doc
    if run.publication.refused_in_ci(doc):
        stderr_line(f"castmatch: {doc['verdict']['label']} — CI is set, so this is not a launch: sign with a "
                    "launch key listed in baselines/signers/signers.toml")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def check_inventory(
    run: GateRun, gates: list[GateResult], seen: inventory.CollectionFacts
) -> inventory.InventoryCheck:
    """The run against ``gates.lock``, inside the run's own selection."""
    selection = inventory.Selection(
        paths=project.selected_paths(run.config.args, run.config.invocation_params.dir, run.base, run.roots),
        owners=tuple(run.owners_wanted),
        shard=run.shard,
        excluded=frozenset(gate_id for gate_id, explained in seen.deselected.items() if explained),
        excluded_paths=tuple(path for path, by_option in seen.ignored.items() if by_option),
    )

    def how(entry: inventory.Entry) -> str:
        return seen.how_vanished(entry, (run.base / entry.id.split("::", 1)[0]).exists())

    return inventory.compare(run.listed, gates, selection, file=run.rel(run.lock_file), how=how)


def report(
    run: GateRun, config: GateConfig, gates: list[GateResult], facts: RunFacts
) -> tuple[dict[str, Any], Judgement]:
    """The canonical report after the report hooks; a hook that changed what was judged is itself a blocker.

    Hooks may add fields. Every field the judge's report held is compared before and after the hooks;
    when one changed, the report is judged again with that fact, the judged fields are rebuilt, and
    only the hooks' additions are kept.
    """
    judgement = judge(config, gates, facts, run.waivers)
    doc = _build(run, config, gates, judgement, facts)
    if not run.config.hook.pytest_castmatch_report.get_hookimpls():
        return doc, judgement  # no hook to watch: nothing can have changed
    judged = json.loads(canonical.dumps(doc))
    run.config.hook.pytest_castmatch_report(config=run.config, report=doc)
    changed = tuple(sorted(key for key in judged if key not in doc
                           or canonical.dumps({key: doc[key]}) != canonical.dumps({key: judged[key]})))
    if not changed:
        return doc, judgement
    added = {key: value for key, value in doc.items() if key not in judged}
    facts = dataclasses.replace(facts, report_hook_changed=changed)
    judgement = judge(config, gates, facts, run.waivers)
    return _build(run, config, gates, judgement, facts) | added, judgement


def _build(run: GateRun, config: GateConfig, gates: list[GateResult], judgement: Judgement,
           facts: RunFacts) -> dict[str, Any]:
    return canonical.build(
        config=config, gates=gates, judgement=judgement, facts=facts,
        subject_info=canonical.subject(run.base),
        env=canonical.environment(run.engines) | {"deployment": deployment(run)},
        duration=sum(g.duration for g in gates), settings=run.settings.to_json(),
        deployment=run.deployment.to_json(),
        policy=policy.block(run.config_path, settings(run), waivers=run.config_path.with_name(policy.WAIVERS),
                            signers=run.signers_dir, root=run.base, deployment=_profile_file(run)),
    )


def _profile_file(run: GateRun) -> Path | None:
    """The deployment profile's file (None for a bare ``--base-url``, which has none)."""
    source = Path(run.deployment.source)
    return source if source.is_file() else None


def scope(run: GateRun, deselected: int) -> Scope:
    """What the run covered, from its selection options and path arguments."""
    opts = run.config.option
    inv = run.config.invocation_params.dir
    paths = []
    for arg in run.config.args:
        target = (inv / arg.split("::")[0]).resolve()
        if "::" in arg or not any(root.resolve() == target or root.resolve().is_relative_to(target)
                                  for root in run.roots):
            paths.append(arg)
    ignored = bool(getattr(opts, "ignore", None) or getattr(opts, "ignore_glob", None))
    markexpr, keyword = getattr(opts, "markexpr", "") or "", getattr(opts, "keyword", "") or ""
    full = not (markexpr or keyword or run.owners_wanted or run.shard or paths or deselected or ignored)
    return Scope(full=full, markexpr=markexpr, keyword=keyword, owners=tuple(run.owners_wanted),
                 paths=tuple(paths), deselected=deselected)


def write_lock(run: GateRun, session: pytest.Session) -> None:
    """``--gate-lock``: write the inventory from a full, unhollowed collection, or refuse and say why."""
    collected, _, problems, seen = gathered(run)
    lock = run.rel(run.lock_file)
    if run.rootdir_problem:
        problems.append(run.rootdir_problem)
    if not scope(run, sum(seen.deselected.values())).full:
        problems.append("the inventory lists the full gate — drop -m, -k, --owner, --gate-shard, --deselect, "
                        "--ignore and path arguments")
    if run.collection_errors:
        problems.append(f"{run.collection_errors} collection error(s) — fix them first")
    problems.extend(f"{module} was skipped at collection: {why} — a gate module must load" for module, why
                    in sorted(seen.skipped.items()))
    problems.extend(f"{path} was ignored at collection (collect_ignore, collect_ignore_glob or a "
                    "pytest_ignore_collect hook) — the inventory would leave out its gates"
                    for path in _ignored_tests(run, seen))
    kept = {g.id for g in collected}
    problems.extend(f"{gate_id} was deselected by a plugin or hook — the inventory would leave it out"
                    for gate_id, explained in sorted(seen.deselected.items()) if not explained)
    problems.extend(f"{gate_id} was dropped by a pytest_collection_modifyitems hook — the inventory would leave "
                    "it out" for gate_id in sorted(set(seen.produced) - kept - set(seen.deselected)))
    if not collected and not problems:
        problems.append(f"no gates collected under {', '.join(seen.roots)}")
    if problems:
        run.notes.extend([f"castmatch: {lock} not written:", *(f"  {p}" for p in problems)])
        session.exitstatus = pytest.ExitCode.USAGE_ERROR
        return
    try:
        before = set(inventory.load(run.lock_file) or {})
    except ConfigError:
        before = set()  # a malformed file is what the lock replaces
    canonical.write_text(run.lock_file, inventory.render(collected))
    run.notes.append(f"castmatch: wrote {lock}: {len(kept)} gates ({len(kept - before)} added, "
                     f"{len(before - kept)} removed) — review the change and commit it")


def _ignored_tests(run: GateRun, seen: inventory.CollectionFacts) -> list[str]:
    """Paths a conftest or hook ignored that hold test modules (folders pytest never enters by design do not)."""
    patterns = run.config.getini("python_files")
    out = []
    for path, by_option in sorted(seen.ignored.items()):
        where = run.base / path
        files = [where] if where.is_file() else list(where.rglob("*.py"))
        if not by_option and any(fnmatch.fnmatch(f.name, pat) for f in files for pat in patterns):
            out.append(path)
    return out
