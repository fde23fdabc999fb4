"""The canonical report: one JSON document every view and signature is made from.

Deterministic by construction: sorted keys, fixed separators, UTC timestamps, gates in
id order. Two runs of the same commit differ only in the fields listed in ``VOLATILE``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import secrets
import subprocess
import sys
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from pytest_castmatch.config import GateConfig
from pytest_castmatch.model import REPORT_SCHEMA, GateResult, sorted_gates
from pytest_castmatch.verdict import Judgement, RunFacts

#: Fields that legitimately differ between two runs of the same gates (timings, clocks).
VOLATILE = frozenset({"generated_at", "duration"})


def dumps(document: Mapping[str, Any]) -> bytes:
    """Canonical bytes: what is hashed and signed. Same document, same bytes."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


#: Containers nested less deeply than this are laid out one member per line in the file form; deeper
#: ones (a gate, a metric, a reason) stay on one line each, so a diff shows which of them changed.
EXPANDED_DEPTH = 2


def pretty(document: Mapping[str, Any]) -> str:
    """The human-diffable file form; parses to the same document as :func:`dumps`.

    Keys sorted; the top-level object and the containers directly inside it one member per line;
    each member deeper down on one line of its own (written by the C encoder, which ``indent`` would
    forgo for the pure-Python one: the file is written for every run and grows with the gate count).
    """
    return _layout(document, 0) + "\n"


#: The one-line form of a member: one encoder for every member (``json.dumps`` would make one per call).
_ONE_LINE = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(", ", ": ")).encode


def _layout(value: Any, depth: int) -> str:
    if depth >= EXPANDED_DEPTH or not isinstance(value, Mapping | list) or not value:
        return _ONE_LINE(value)
    pad = "  " * (depth + 1)
    if isinstance(value, list):
        lines = _one_line_each(value) if depth + 1 >= EXPANDED_DEPTH else [_layout(v, depth + 1) for v in value]
        inner = ",\n".join(pad + line for line in lines)
        return f"[\n{inner}\n{pad[:-2]}]"
    inner = ",\n".join(f"{pad}{json.dumps(key, ensure_ascii=False)}: {_layout(value[key], depth + 1)}"
                       for key in sorted(value))
    return f"{{\n{inner}\n{pad[:-2]}}}"


def _one_line_each(items: list[Any]) -> list[str]:
    """``[_ONE_LINE(item) for item in items]``, from one encoder call over the whole list (a gates list
    of thousands is the report's bulk, and most of an encoder call's cost is setting it up).

    The items are encoded with a separator string between each two: the text splits at the separator's
    encoded form. The separator holds a fresh random nonce, so no item's text holds it by chance; should
    one hold it anyway, the pieces do not number one per item and each item is encoded on its own.
    """
    if len(items) < 2:
        return [_ONE_LINE(item) for item in items]
    separator = f"\x00{secrets.token_hex(16)}"
    spaced: list[Any] = [separator] * (2 * len(items) - 1)
    spaced[::2] = items
    lines = _ONE_LINE(spaced)[1:-1].split(f", {_ONE_LINE(separator)}, ")
    return lines if len(lines) == len(items) else [_ONE_LINE(item) for item in items]


def write_text(path: Path, text: str) -> Path:
    """Write atomically so a reader (or a crashed run) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def write(document: Mapping[str, Any], path: Path) -> Path:
    """Write the report's file form atomically."""
    return write_text(path, pretty(document))


def strip_volatile(document: Any) -> Any:
    """The report without timings, for comparing runs (xdist vs serial, shards vs whole)."""
    if isinstance(document, Mapping):
        return {k: strip_volatile(v) for k, v in document.items() if k not in VOLATILE}
    if isinstance(document, list):
        return [strip_volatile(v) for v in document]
    return document


def _work_tree(root: Path) -> tuple[str, str, bool]:
    """(commit, branch, dirty) of the git work tree at ``root``, from one ``git status``; empty outside one.

    Porcelain v2 heads its listing with ``# branch.oid`` (``(initial)`` before the first commit) and
    ``# branch.head`` (``(detached)`` off a branch, named ``HEAD`` here as ``git rev-parse --abbrev-ref``
    names it); every other line is a changed tracked file.
    """
    try:
        out = subprocess.run(["git", "status", "--porcelain=v2", "--branch", "--untracked-files=no"], cwd=root,
                             capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "", "", False
    if out.returncode != 0:
        return "", "", False
    heads = dict(line[2:].partition(" ")[::2] for line in out.stdout.splitlines() if line.startswith("# "))
    commit = heads.get("branch.oid", "")
    branch = heads.get("branch.head", "")
    dirty = any(line and not line.startswith("#") for line in out.stdout.splitlines())
    return ("" if commit == "(initial)" else commit), ("HEAD" if branch == "(detached)" else branch), dirty


def subject(root: Path) -> dict[str, Any]:
    """The commit being judged; CI variables win over the work tree when present."""
    commit, branch, dirty = _work_tree(root)
    return {"commit": os.environ.get("GITHUB_SHA") or commit, "branch": os.environ.get("GITHUB_REF_NAME") or branch,
            "dirty": dirty}


def platform_name() -> str:
    """The operating system as ``platform.platform()`` names it on Linux (``Linux-6.1.0-x86_64-with-glibc2.36``).

    Read from ``os.uname`` and the C library's own version string: ``platform.platform()`` would start
    ``uname -p`` and scan the Python binary for its libc version on every report.
    """
    if not hasattr(os, "uname"):
        return platform.platform(terse=True)
    sysname, _, release, _, machine = os.uname()
    try:
        libc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (ValueError, OSError):  # not glibc (macOS, musl): the name goes without it
        libc = ""
    return "-".join([sysname, release, machine, *(("with", libc.replace(" ", "")) if libc else ())])


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return ""


def _pytest_version() -> str:
    """The running pytest's version (a report is built inside a pytest run; its module says it at once)."""
    pytest = sys.modules.get("pytest")
    return str(getattr(pytest, "__version__", "")) or _version("pytest")


def environment(engines: Mapping[str, str]) -> dict[str, Any]:
    """Versions that make a report reproducible; engines are filled in by the suites that used them."""
    return {
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": platform_name(),
        "pytest": _pytest_version(),
        "plugin": _version("pytest-castmatch"),
        "engines": dict(sorted(engines.items())),
    }


def manual_rows(config: GateConfig, facts: RunFacts) -> list[dict[str, Any]]:
    """The manual checklist: each item pending, or signed off before the run (by which statement)."""
    done = {s.item: s for s in facts.signoffs}
    rows = []
    for m in sorted(config.manual.values(), key=lambda m: m.id):
        row: dict[str, Any] = {"id": m.id, "title": m.title, "owner": m.owner, "priority": m.priority.value}
        signoff = done.get(m.id)
        if signoff is None:
            row["status"] = "pending"
        else:
            row["status"] = f"signed off by {signoff.owner} until {signoff.expires} ({signoff.file})"
            row["signoff"] = {"file": signoff.file, "expires": signoff.expires, "keyid": signoff.keyid}
        rows.append(row)
    return rows


def build(
    *,
    config: GateConfig,
    gates: Sequence[GateResult],
    judgement: Judgement,
    facts: RunFacts,
    subject_info: Mapping[str, Any],
    env: Mapping[str, Any],
    duration: float,
    generated_at: dt.datetime | None = None,
    settings: Mapping[str, Any] | None = None,
    deployment: Mapping[str, Any] | None = None,
    policy: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble the canonical report document (schema ``castmatch.report/v1``).

    ``settings`` (each resolved setting with its source) and ``deployment`` (what was gated: its
    name, address and profile) say how and what the run measured; both are signed with the rest.
    ``policy`` is :func:`pytest_castmatch.policy.block`: the digests of the rules that judged
    the run; without it the report cannot prove them (``verify --policy`` fails).
    """
    stamp = (generated_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    ordered = sorted_gates(gates)
    counts: dict[str, int] = {}
    for g in ordered:
        outcome = str(g.outcome)  # a StrEnum's value
        counts[outcome] = counts.get(outcome, 0) + 1
    return {
        "schema": REPORT_SCHEMA,
        "generated_at": stamp.isoformat().replace("+00:00", "Z"),
        "duration": round(duration, 3),
        "launch": {
            "name": config.launch_name,
            "date": config.launch_date.isoformat() if config.launch_date else None,
            "config": config.path.name,
        },
        "subject": dict(subject_info),
        "deployment": dict(deployment or {}),
        "settings": dict(settings or {}),
        "environment": dict(env),
        "scope": facts.scope.to_json(),
        "run": {
            "complete": facts.complete,
            "interrupted": facts.interrupted,
            "collection_errors": facts.collection_errors,
            "problems": list(facts.problems),
            "shard": facts.shard,
        },
        "signed": facts.signed,
        "signer": {"keyid": facts.signer_keyid, "launch_key": facts.launch_key},
        "policy": dict(policy or {}),
        "owners": {o.id: o.title for o in config.owners.values()},
        "gates": [g.to_json() for g in ordered],
        "counts": dict(sorted(counts.items())),
        "matrix": judgement.matrix,
        "metrics": list(judgement.metric_rows),
        "launch_metrics": [row.to_json() for row in judgement.launch_metrics],
        "waivers": list(judgement.waivers),
        "manual": manual_rows(config, facts),
        "required_signers": list(config.required_signers),
        "inventory": facts.inventory.to_json() if facts.inventory is not None else None,
        "findings": dict(judgement.findings),
        "verdict": judgement.verdict.to_json(),
    }
