"""Every knob of a gate run, resolved once into a frozen :class:`Settings` (and recorded in the report).

A setting comes from, in order of precedence: its command-line option (its own, or
``--gate-set NAME=VALUE``), its environment variable, the pytest ini file, the ``[settings]`` table of
the gates file, and its default. Each resolved value remembers where it came from, so the signed
report says not only how a run was measured but who chose it. Pure: no pytest import.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import Any

from pytest_castmatch import project
from pytest_castmatch.record import Record, record


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names where it came from and the fix."""


def _count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError("must be at least 1")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise ValueError("must be a positive number")
    return value


def _non_negative(text: str) -> float:
    value = float(text)
    if not 0 <= value < float("inf"):
        raise ValueError("must be zero or a positive number")
    return value


def _whole(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError("must be a whole number of at least 0")
    return value


def _seed(text: str) -> int:
    return int(text)


def _think(text: str) -> tuple[float, float]:
    low, _, high = text.partition(",")
    pair = (_positive(low), _positive(high or low))
    if pair[0] > pair[1]:
        raise ValueError("MIN must not exceed MAX")
    return pair


def _shard(text: str) -> tuple[int, int]:
    k, n = (int(x) for x in text.split("/"))
    if not 1 <= k <= n:
        raise ValueError("K must be between 1 and N")
    return k, n


def _text(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    return text.strip()


def _url(text: str) -> str:
    return _text(text).rstrip("/")


@record
class Spec(Record):
    """One setting: where it may come from, its default, how its text is read."""

    name: str
    help: str
    example: str
    parse: Callable[[str], Any] = _text
    default: Any = None
    default_text: str = ""
    option: str | None = None
    env: str | None = None
    ini: str | None = None
    in_toml: bool = True
    secret: bool = False
    path: bool = False
    many: bool = False
    #: Whether ``--gate-set NAME=VALUE`` may set it (not a secret, nor what is needed before a run starts).
    gate_set: bool = True

    @property
    def option_text(self) -> str:
        if self.option:
            return self.option
        return f"--gate-set {self.name}=…" if self.gate_set and not self.secret else ""


SPECS: tuple[Spec, ...] = (
    Spec("config", "the gates file: owners, thresholds, launch metrics", "lax/gates.toml", path=True,
         default="baselines/gates.toml", option="--gate-config", env="CASTMATCH_CONFIG", ini="castmatch_config",
         in_toml=False),
    Spec("report_dir", "where the report folder is written", "out/gate-report", path=True, default="gate-report",
         option="--gate-report", env="CASTMATCH_REPORT"),
    Spec("deployment", "the deployment profile (a TOML file with a [deployment] table)", "staging.toml", path=True,
         default_text="the reference app's profile", option="--gate-deployment", env="CASTMATCH_DEPLOYMENT"),
    Spec("base_url", "the deployment's address; wins over the profile's base_url", "https://staging.example",
         parse=_url, default_text="the profile's, else the reference app on loopback", option="--base-url",
         env="CASTMATCH_BASE_URL", ini="base_url"),
    Spec("suites", "folders whose tests are gates", "suites", default=project.DEFAULT_SUITES, ini="castmatch_suites",
         in_toml=False, many=True, gate_set=False),
    Spec("owners", "run only these teams' gates", "backend-api", default=(), default_text="every team",
         option="--owner", in_toml=False, many=True),
    Spec("shard", "run shard K of N", "1/3", parse=_shard, default_text="the whole run", option="--gate-shard",
         in_toml=False),
    Spec("previous", "an earlier report.json for the trend in index.html", "old/report.json", path=True,
         option="--gate-previous", in_toml=False),
    Spec("history", "a folder of earlier report.json files; index.html draws each launch metric over them",
         "old-reports", path=True, option="--gate-history", in_toml=False),
    Spec("signing_key", "Ed25519 key (PEM, or a path to one) that signs the report", "ci.pem",
         default_text="unsigned", env="CASTMATCH_SIGNING_KEY", in_toml=False, secret=True),
    Spec("chromium", "the browser the gates drive", "/usr/bin/chromium",
         default_text="chromium-headless-shell, else chromium, on PATH",
         env="CASTMATCH_CHROMIUM"),
    Spec("lighthouse", "the Lighthouse command", "/opt/lh/bin/lighthouse", default_text="node_modules/.bin",
         env="CASTMATCH_LIGHTHOUSE"),
    Spec("web_vitals", "the web-vitals IIFE build", "web-vitals.iife.js", default_text="node_modules/web-vitals",
         env="CASTMATCH_WEB_VITALS"),
    Spec("lighthouse_runs", "Lighthouse runs per key page", "3", parse=_count, default=1,
         env="CASTMATCH_LIGHTHOUSE_RUNS"),
    Spec("lighthouse_max_runs", "runs per page while a median is within 3 points of its threshold", "5",
         parse=_count, default=3, env="CASTMATCH_LIGHTHOUSE_MAX_RUNS"),
    # The load run follows the deployment profile's user model ([deployment.load.model]); each of these
    # overrides one field of it, and the model in the report names every override.
    Spec("load_users", "overrides the user model's users", "20000", parse=_count,
         default_text="the profile's model", env="CASTMATCH_LOAD_USERS"),
    Spec("load_ramp", "overrides the model's ramp_seconds: the users arrive evenly over it (s)", "40",
         parse=_positive, default_text="the profile's model", env="CASTMATCH_LOAD_RAMP"),
    Spec("load_warmup", "overrides the model's warmup_seconds: after the ramp, before the hold (s)", "10",
         parse=_non_negative, default_text="the profile's model", env="CASTMATCH_LOAD_WARMUP"),
    Spec("load_hold", "overrides the model's hold_seconds: the steady state the load gates judge (s)", "60",
         parse=_positive, default_text="the profile's model", env="CASTMATCH_LOAD_HOLD"),
    Spec("load_think", "overrides the model's think time: uniform MIN,MAX (s)", "20,40", parse=_think,
         default_text="the profile's model", env="CASTMATCH_LOAD_THINK"),
    Spec("load_sign_ins", "overrides the model's sign_ins_per_second", "2", parse=_non_negative,
         default_text="the profile's model", env="CASTMATCH_LOAD_SIGN_INS"),
    Spec("load_connections", "overrides the model's connections (0: one per user)", "64", parse=_whole,
         default_text="the profile's model", env="CASTMATCH_LOAD_CONNECTIONS"),
    Spec("load_workers", "Locust worker processes", "4", parse=_count, default_text="one per core",
         env="CASTMATCH_LOAD_WORKERS"),
    Spec("fuzz_examples", "fuzz cases per API operation", "100", parse=_count, default=25,
         env="CASTMATCH_FUZZ_EXAMPLES"),
    Spec("fuzz_budget_s", "time budget of the whole fuzz run (s)", "300", parse=_positive, default=60.0,
         env="CASTMATCH_FUZZ_BUDGET_S"),
    Spec("fuzz_seed", "replay a fuzz run with this seed", "1234", parse=_seed, default_text="random",
         env="CASTMATCH_FUZZ_SEED"),
)
BY_NAME = {spec.name: spec for spec in SPECS}

#: Settings that are no longer read, with what replaces them: a value given for one is refused, never ignored.
RETIRED: Mapping[str, tuple[str, str]] = {
    "load_seconds": ("CASTMATCH_LOAD_SECONDS", "a load run lasts the user model's ramp, warm-up and hold: set "
                     "load_hold (CASTMATCH_LOAD_HOLD, the seconds held) and, if needed, load_ramp"),
    "load_spawn_rate": ("CASTMATCH_LOAD_SPAWN_RATE", "the users arrive evenly over the user model's ramp: set "
                        "load_ramp (CASTMATCH_LOAD_RAMP, seconds; users per second = users / ramp)"),
}


def refuse_retired(names: Iterable[str], where: Callable[[str], str]) -> None:
    """Raise :class:`SettingsError` for the first retired setting in ``names``, saying what replaces it."""
    for name in names:
        if name in RETIRED:
            raise SettingsError(retired(name, where(name)))


def retired(name: str, where: str) -> str:
    """The message for a value given (at ``where``) to the retired setting ``name``."""
    return f"{where}: {name} is no longer a setting — {RETIRED[name][1]} (README: Settings)"


@record
class Settings(Record):
    """The run's settings, resolved once. ``sources`` says where each value came from."""

    config: Path
    report_dir: Path
    deployment: Path | None
    base_url: str | None
    suites: tuple[str, ...]
    owners: tuple[str, ...]
    shard: tuple[int, int] | None
    previous: Path | None
    history: Path | None
    signing_key: str | None = field(repr=False)
    chromium: str | None
    lighthouse: str | None
    web_vitals: str | None
    lighthouse_runs: int
    lighthouse_max_runs: int
    load_users: int | None
    load_ramp: float | None
    load_warmup: float | None
    load_hold: float | None
    load_think: tuple[float, float] | None
    load_sign_ins: float | None
    load_connections: int | None
    load_workers: int | None
    fuzz_examples: int
    fuzz_budget_s: float
    fuzz_seed: int | None
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        """Every setting with its value and source; a secret shows only whether it is set."""
        out: dict[str, Any] = {}
        for spec in SPECS:
            value = getattr(self, spec.name)
            if spec.secret:
                value = "set" if value else "unset"
            elif isinstance(value, Path):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[spec.name] = {"value": value, "source": self.sources.get(spec.name, "default")}
        return out

    def digest(self) -> str:
        """sha256 over the canonical JSON of the values (not their sources): what the run measured with."""
        values = {name: entry["value"] for name, entry in self.to_json().items()}
        text = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@record
class Layer(Record):
    """One source of settings: raw values by setting name, where they came from, and what paths are relative to."""

    label: str
    values: Mapping[str, Any]
    base: Path
    where: Callable[[str], str] = field(default=lambda name: name)
    sep: str = " = "


def resolve(layers: Sequence[Layer], root: Path) -> Settings:
    """The first layer that sets a value wins; defaults (and default paths, relative to ``root``) fill the rest."""
    chosen: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for spec in SPECS:
        for layer in layers:
            raw = layer.values.get(spec.name)
            if raw is None or (isinstance(raw, list | tuple) and not raw and spec.many):
                continue
            chosen[spec.name] = _read(spec, raw, layer)
            sources[spec.name] = layer.label
            break
        else:
            default = spec.default
            if spec.path and isinstance(default, str):
                default = root / default
            chosen[spec.name] = default
    return Settings(**chosen, sources=sources)


def _read(spec: Spec, raw: Any, layer: Layer) -> Any:
    where = layer.where(spec.name)
    try:
        if spec.many:
            items = [raw] if isinstance(raw, str) else list(raw)
            return tuple(_text(str(item)) for item in items)
        if isinstance(raw, bool):
            raise ValueError("expected a value, not true/false")
        value = spec.parse(str(raw) if not isinstance(raw, str) else raw)
    except ValueError as exc:
        detail = str(exc) if str(exc) and "invalid literal" not in str(exc) else f"cannot read {raw!r}"
        raise SettingsError(f"{where}{layer.sep}{raw!r}: {detail} — for example {_example(spec, layer)}") from None
    if spec.path:
        return (layer.base / str(value)).resolve() if not Path(str(value)).is_absolute() else Path(str(value))
    return value


def _example(spec: Spec, layer: Layer) -> str:
    if layer.label.startswith("env"):
        return f"{spec.env}={spec.example}"
    if layer.label == "option":
        return f"{spec.option} {spec.example}" if spec.option else f"--gate-set {spec.name}={spec.example}"
    return f'{spec.name} = "{spec.example}"'


def option_layer(values: Mapping[str, Any], gate_set: Sequence[str], base: Path) -> Layer:
    """Command-line values (dedicated options by setting name, plus ``--gate-set NAME=VALUE`` pairs)."""
    merged = {name: value for name, value in values.items() if value not in (None, "", [], ())}
    for pair in gate_set:
        name, sep, value = pair.partition("=")
        if name.strip() in RETIRED:
            raise SettingsError(retired(name.strip(), f"--gate-set {pair!r}"))
        spec = BY_NAME.get(name.strip())
        if not sep or spec is None or spec.secret or not spec.gate_set:
            known = ", ".join(s.name for s in SPECS if s.gate_set and not s.secret)
            raise SettingsError(f"--gate-set {pair!r}: expected NAME=VALUE with NAME one of: {known}")
        merged.setdefault(spec.name, value)
    return Layer("option", merged, base, lambda name: BY_NAME[name].option or f"--gate-set {name}", " ")


def env_layer(env: Mapping[str, str], base: Path) -> Layer:
    """Environment variables; an empty variable counts as unset, a retired one is refused."""
    refuse_retired([name for name, (var, _) in RETIRED.items() if env.get(var, "").strip()],
                   lambda name: f"{RETIRED[name][0]}={env[RETIRED[name][0]]!r}")
    values = {spec.name: env[spec.env] for spec in SPECS if spec.env and env.get(spec.env, "").strip()}
    return Layer("env", values, base, lambda name: str(BY_NAME[name].env), "=")


def ini_layer(values: Mapping[str, Any], base: Path, file: str) -> Layer:
    """Values from the pytest ini file (only settings that have an ini key)."""
    chosen = {name: value for name, value in values.items() if value not in (None, "", [], ())}
    return Layer("ini", chosen, base, lambda name: f"{file}: {BY_NAME[name].ini}")


def toml_layer(table: Mapping[str, Any], base: Path, where: Callable[[str], str]) -> Layer:
    """The gates file's ``[settings]`` table (names checked by the caller; a retired one is refused)."""
    refuse_retired(table, where)
    return Layer("gates file", dict(table), base, where)


TOML_NAMES = tuple(spec.name for spec in SPECS if spec.in_toml)


def markdown_table() -> str:
    """README's table of every setting: name, option, environment variable, default."""
    rows = ["| setting | option | environment | default | meaning |", "|---|---|---|---|---|"]
    for spec in SPECS:
        if spec.default_text:
            default = spec.default_text
        elif isinstance(spec.default, tuple):
            default = ",".join(str(v) for v in spec.default) or "—"
        elif isinstance(spec.default, float):
            default = f"{spec.default:g}"
        else:
            default = "—" if spec.default is None else str(spec.default)
        option = f"`{spec.option_text}`" if spec.option_text else "—"
        env = f"`{spec.env}`" if spec.env else "—"
        ini = f" (ini `{spec.ini}`)" if spec.ini else ""
        rows.append(f"| `{spec.name}` | {option}{ini} | {env} | {default} | {spec.help} |")
    return "\n".join(rows)

