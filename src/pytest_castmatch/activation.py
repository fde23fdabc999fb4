"""What a gate run loads once it is one (the plugin decides when: ``plugin.gate_options_given``).

The plugin stays idle in a project that merely installs it: this module is imported, and a file
read or a key parsed, only the first time a gate or a gate option is seen. Every problem found
while loading is a ``pytest.UsageError`` naming the fix.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_castmatch import inventory, profiles, settings
from pytest_castmatch.config import ConfigError, GateConfig, Table, Waiver, load_gates, load_waivers
from pytest_castmatch.deployment import Deployment
from pytest_castmatch.settings import Settings, SettingsError

if TYPE_CHECKING:
    from pytest_castmatch.attest import Signer

@dataclass
class Loaded:
    """What a gate run works from."""

    settings: Settings
    deployment: Deployment
    gate_config: GateConfig | None = None
    config_error: str = ""
    waivers: list[Waiver] = field(default_factory=list)


def _option_values(config: pytest.Config) -> dict[str, Any]:
    base_url = config.getoption("base_url", None)
    return {"config": config.getoption("gate_config"), "report_dir": config.getoption("gate_report"),
            "deployment": config.getoption("gate_deployment"), "base_url": base_url,
            "owners": config.getoption("owner"), "shard": config.getoption("gate_shard"),
            "previous": config.getoption("gate_previous"), "history": config.getoption("gate_history")}


def _ini_values(config: pytest.Config) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in settings.SPECS:
        if spec.ini:
            try:
                out[spec.name] = config.getini(spec.ini)
            except ValueError:  # an ini key no installed plugin declares (base_url without pytest-playwright)
                continue
    return out


def _toml_layer(gate_config: GateConfig) -> settings.Layer | None:
    path = gate_config.path
    table = Table(path, path.read_text(encoding="utf-8"), gate_config.raw, ()).sub("settings")
    if not table.data:
        return None
    table.check_keys([*settings.TOML_NAMES, *settings.RETIRED])
    return settings.toml_layer(table.data, path.parent, lambda name: f"{table.where(name)}: [settings] {name}")


def load(config: pytest.Config, base: Path) -> Loaded:
    """Settings, gates file, waivers and deployment profile; a usage error names the file, line and fix.

    Settings come from options, environment, ini, the gates file's ``[settings]`` and defaults; the
    gates file itself is found from the first three. ``base`` is the project folder (the ini file's).
    """
    invocation = config.invocation_params.dir
    ini_name = config.inipath.name if config.inipath else "ini"
    layers = [settings.option_layer(_option_values(config), config.getoption("gate_set") or [], invocation),
              settings.env_layer(os.environ, invocation),
              settings.ini_layer(_ini_values(config), base, ini_name)]
    try:
        resolved = settings.resolve(layers, base)
        path = resolved.config
        gate_config, error, waivers = None, "", []
        if path.exists() or "config" in resolved.sources:
            gate_config = load_gates(path)
            waivers = load_waivers(path.with_name("waivers.toml"), gate_config)
            if (toml := _toml_layer(gate_config)) is not None:
                resolved = settings.resolve([*layers, toml], base)
        else:
            error = f"no gates file at {path} — create it or pass --gate-config PATH"
        deployment = profiles.choose(profile=resolved.deployment, gates_file=path if gate_config else None,
                                     base_url=resolved.base_url, gates=gate_config.raw if gate_config else None)
    except (ConfigError, SettingsError) as exc:
        raise pytest.UsageError(f"castmatch: {exc}") from None
    for team in resolved.owners:
        if gate_config and team not in gate_config.owners:
            hint = gate_config.suggest_owner(team)
            fix = f" — did you mean {hint!r}?" if hint else " — teams are declared in the gates file"
            raise pytest.UsageError(f"--owner {team}: unknown team{fix}")
    return Loaded(resolved, deployment, gate_config, error, waivers)


def signer(config: pytest.Config, resolved: Settings) -> Signer | None:
    """The report's signer: a plugin's (``pytest_castmatch_signer``), else the ``signing_key`` setting."""
    found: Signer | None = config.hook.pytest_castmatch_signer(config=config)
    if found is None and resolved.signing_key:
        from pytest_castmatch import attest

        try:
            found = attest.load_signing_key(resolved.signing_key)
        except attest.AttestError as exc:
            raise pytest.UsageError(f"castmatch: CASTMATCH_SIGNING_KEY: {exc}") from None
    return found


def lock_file(resolved: Settings, deployment: Deployment) -> Path:
    """Where the run's inventory lives: beside the deployment profile given, else beside the gates file.

    A deployment's own profile decides which pages are key pages, and so which gates exist: each
    deployment has the inventory of its own gates.
    """
    return inventory.lock_path(resolved.deployment or resolved.config)


def inventory_of(path: Path) -> dict[str, inventory.Entry] | None:
    """The inventory at ``path`` (None when there is none); a malformed one is a usage error."""
    try:
        return inventory.load(path)
    except ConfigError as exc:
        raise pytest.UsageError(f"castmatch: {exc}") from None


def previous(resolved: Settings) -> dict[str, Any] | None:
    """The earlier report ``--gate-previous`` names, for the trend in index.html."""
    if resolved.previous is None:
        return None
    try:
        data: dict[str, Any] = json.loads(resolved.previous.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise pytest.UsageError(f"--gate-previous {resolved.previous}: cannot read a report there ({exc})") from None
    return data


def history(resolved: Settings) -> tuple[list[dict[str, Any]], list[str]]:
    """``--gate-history``'s earlier reports, and the files there that are not reports."""
    if resolved.history is None:
        return [], []
    from pytest_castmatch import history as reports
    from pytest_castmatch.report import ReportError

    try:
        return reports.load(resolved.history)
    except ReportError as exc:
        raise pytest.UsageError(f"--gate-history {resolved.history}: {exc}") from None
