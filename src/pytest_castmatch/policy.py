"""Which rules judged a run: sha256 digests of the policy files and of the resolved settings.

The report carries a ``policy`` block; since the report is the signed statement's predicate,
the digests are signed with it, and ``castmatch-gate verify --policy gates.toml`` proves the
run was judged by the committed rules rather than a laxer copy beside them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_castmatch import canonical

#: What a digest says when the file it names does not exist.
ABSENT = "absent"
#: The gate inventory, beside the gates file.
INVENTORY = "gates.lock"
WAIVERS = "waivers.toml"
SIGNERS = "signers"
SIGNOFFS = "signoffs"
#: The file-backed entries of the policy block, in report order.
FILES = ("gates", "waivers", "inventory", "signers", "signoffs")


#: CASTMATCH_* variables that do not change what is measured: left out of the recorded settings.
_NOT_MEASUREMENT = frozenset({"CASTMATCH_SIGNING_KEY", "CASTMATCH_REPORT_WAIT", "CASTMATCH_SUPERVISOR_PID",
                              "CASTMATCH_OWNER_PID", "CASTMATCH_WORKER_INDEX"})
#: Variables whose value is a secret: the settings record only that they are set.
_SECRET = re.compile(r"SECRET|PASSWORD|TOKEN$|KEY$|ACCOUNTS|DIRECTOR")


def measurement_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """Every CASTMATCH_* variable that changes what is measured; secrets as "(set)"."""
    return {name: "(set)" if _SECRET.search(name) else value for name, value in sorted(environ.items())
            if name.startswith("CASTMATCH_") and name not in _NOT_MEASUREMENT}


def sha256_file(path: Path) -> str:
    """The file's sha256 in hex, or :data:`ABSENT`."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return ABSENT


def sha256_folder(folder: Path, *patterns: str) -> str:
    """One digest over the files matching ``patterns`` (names and contents), or :data:`ABSENT`."""
    files = sorted({p for pattern in patterns for p in folder.glob(pattern) if p.is_file()})
    if not files:
        return ABSENT
    return hashlib.sha256(canonical.dumps({p.name: sha256_file(p) for p in files})).hexdigest()


def settings_digest(settings: Mapping[str, Any]) -> str:
    """The sha256 of the resolved settings' canonical JSON."""
    return hashlib.sha256(canonical.dumps(settings)).hexdigest()


def _shown(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return str(path)


def current(
    gates: Path, *, waivers: Path | None = None, signers: Path | None = None, root: Path | None = None
) -> dict[str, dict[str, str]]:
    """Digests of the policy files as they are on disk now, beside ``gates`` (``signers`` elsewhere when given)."""
    folder = gates.parent
    paths = {
        "gates": gates,
        "waivers": waivers or folder / WAIVERS,
        "inventory": folder / INVENTORY,
        "signers": signers or folder / SIGNERS,
        "signoffs": folder / SIGNOFFS,
    }
    digests = {
        "gates": sha256_file(paths["gates"]),
        "waivers": sha256_file(paths["waivers"]),
        "inventory": sha256_file(paths["inventory"]),
        "signers": sha256_folder(paths["signers"], "*.toml", "*.pub"),
        "signoffs": sha256_folder(paths["signoffs"], "*.json"),
    }
    return {name: {"file": _shown(paths[name], root), "sha256": digests[name]} for name in FILES}


def block(
    gates: Path,
    settings: Mapping[str, Any],
    *,
    waivers: Path | None = None,
    signers: Path | None = None,
    root: Path | None = None,
    deployment: Path | None = None,
) -> dict[str, Any]:
    """The report's ``policy`` block: every policy file's digest, and the settings with theirs;
    with ``deployment``, the digest of the deployment profile the gates read too."""
    out: dict[str, Any] = dict(current(gates, waivers=waivers, signers=signers, root=root))
    if deployment is not None:
        out["deployment"] = {"file": _shown(deployment, root), "sha256": sha256_file(deployment)}
    out["settings"] = {"sha256": settings_digest(settings), "values": dict(settings)}
    return out


def differences(recorded: Mapping[str, Any], gates: Path, *, root: Path | None = None) -> list[str]:
    """How the files beside ``gates`` differ from the digests a report recorded, one line each."""
    if not recorded or any(not isinstance(recorded.get(name), Mapping) for name in FILES):
        return ["the report records no policy digests — it cannot prove which rules judged it; re-run the gate"]
    now = current(gates, root=root)
    out = []
    for name in FILES:
        was, is_ = recorded[name], now[name]
        if was.get("sha256") != is_["sha256"]:
            out.append(
                f"{name}: the run was judged under {was.get('file')} (sha256 {_short(was.get('sha256'))}), "
                f"but {is_['file']} is sha256 {_short(is_['sha256'])}"
            )
    settings = recorded.get("settings")
    if not isinstance(settings, Mapping) or settings.get("sha256") != settings_digest(settings.get("values") or {}):
        out.append("settings: the recorded settings do not match their digest")
    return out


def _short(digest: object) -> str:
    text = str(digest)
    return text if text == ABSENT else text[:12] + "…"
