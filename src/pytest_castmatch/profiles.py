"""Read a deployment profile: a ``[deployment]`` table in its own file or in the gates file.

Which profile a run uses: ``--gate-deployment`` (or its setting), else the gates file's
``[deployment]`` table, else — with ``--base-url`` alone — a profile that knows only the address,
else the reference app's own profile, shipped beside this module. Every error names the file, the
line and the fix. README's "Deployment profile" section lists every key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pytest_castmatch.config import ConfigError, Table
from pytest_castmatch.deployment import (
    FEATURES,
    Animation,
    Api,
    Backup,
    Deployment,
    DeploymentError,
    Form,
    Health,
    Instance,
    Lacks,
    Languages,
    Load,
    Metrics,
    Pages,
    RateLimit,
    Restart,
    Series,
    SignIn,
    Themes,
)
from pytest_castmatch.runners import usermodel

REFERENCE = Path(__file__).with_name("reference") / "deployment.toml"
THEME_MODES = ("light", "prefers-color-scheme", "toggle")
LOAD_USERS = ("PagesUser", "CastmatchUser")


def load(path: Path, *, reference: bool = False) -> Deployment:
    """Parse a profile file; raises :class:`DeploymentError` naming file, line and fix."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (FileNotFoundError, IsADirectoryError):
        raise DeploymentError(f"{path}: no deployment profile there — check --gate-deployment") from None
    except tomllib.TOMLDecodeError as exc:
        raise DeploymentError(f"{path}: invalid TOML: {exc} — fix the syntax on that line") from None
    if not isinstance(data.get("deployment"), dict):
        raise _error(Table(path, text, data, ()), "deployment", "no [deployment] table",
                     'start the profile with [deployment] and name = "..." (README: "Deployment profile")')
    return parse(Table(path, text, data, ()).sub("deployment"), path, reference=reference)


def from_gates_file(path: Path, parsed: Mapping[str, Any] | None = None) -> Deployment | None:
    """The ``[deployment]`` table of the gates file, if it has one; ``parsed``: the file, already parsed."""
    if parsed is not None and "deployment" not in parsed:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    data = tomllib.loads(text) if parsed is None else parsed
    if "deployment" not in data:
        return None
    return parse(Table(path, text, data, ()).sub("deployment"), path)


def minimal(base_url: str) -> Deployment:
    """A deployment known only by its address: every gate that needs more blocks, naming the key to set."""
    host = urlsplit(base_url).hostname or base_url
    return Deployment(name=host, source="--base-url (no deployment profile)", base_url=base_url.rstrip("/"))


def reference() -> Deployment:
    """The reference app's own profile (the app itself is started on loopback)."""
    return load(REFERENCE, reference=True)


def origin_problem(url: str) -> str:
    """Why ``url`` cannot be a deployment's base URL ("" when it can): an http(s) origin, with no path.

    The gates address pages from the root ('/' is the home page, '/about' a page); under a base URL
    with a path they would open the origin's own root instead, which is not the deployment.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"{url!r} is not an http(s) URL — write it as https://staging.example.org"
    if parts.path.strip("/") or parts.query or parts.fragment:
        origin = f"{parts.scheme}://{parts.netloc}"
        return (f"{url!r} has a path: the gates open pages from the root of its origin, so '/' would be {origin}/, "
                f"not the deployment — give the origin ({origin}) and name the pages with their prefix "
                f"([deployment.pages] list = [\"{parts.path.rstrip('/') or '/'}/\", ...])")
    return ""


def choose(*, profile: Path | None, gates_file: Path | None, base_url: str | None,
           gates: Mapping[str, Any] | None = None) -> Deployment:
    """The run's deployment, by the precedence in this module's docstring; ``base_url`` wins over any profile's.
    ``gates`` is the gates file already parsed (read again otherwise)."""
    if base_url and (problem := origin_problem(base_url)):
        raise DeploymentError(f"--base-url {problem}")
    if profile is not None:
        chosen = load(profile)
    elif gates_file is not None and (inline := from_gates_file(gates_file, gates)) is not None:
        chosen = inline
    elif base_url:
        return minimal(base_url)
    else:
        return reference()
    return chosen.with_base_url(base_url)


def _error(table: Table, key: str, problem: str, fix: str) -> DeploymentError:
    return DeploymentError(str(table.error(key, problem, fix)))


class _Reader:
    """Collects capabilities (key -> value or :class:`Lacks`) and where each was written."""

    def __init__(self) -> None:
        self.caps: dict[str, Any] = {}
        self.lines: dict[str, str] = {}

    def given(self, table: Table, local: str, key: str | None = None) -> bool:
        """True when ``local`` has a value; records a :class:`Lacks` for ``false``, ``[]`` or ``{}``."""
        key = key or ".".join((*table.keys[1:], local))
        if local not in table.data:
            return False
        where = table.where(local)
        self.lines[key] = where
        value = table.data[local]
        if value is False or value == [] or value == {}:
            shown = "false" if value is False else str(value)
            self.caps[key] = Lacks(key, where, f"[{'.'.join(table.keys)}] {local} = {shown}")
            return False
        return True

    def read(self, table: Table, key: str, build: Callable[[Table, _Reader], Any]) -> None:
        """A capability written as a sub-table (or ``key = false``)."""
        if self.given(table, key):
            if not isinstance(table.data[key], dict):
                raise _error(table, key, "expected a table or false", f"write [deployment.{key}] or {key} = false")
            self.caps[key] = build(table.sub(key), self)
        elif isinstance(lacks := self.caps.get(key), Lacks):
            # What a capability holds, its deployment lacks too: the sub-keys share the reason.
            for sub in SUB_KEYS.get(key, ()):
                self.caps[f"{key}.{sub}"] = lacks


def _paths(table: Table, key: str) -> tuple[str, ...]:
    values = table.strings(key)
    for value in values:
        if not value.startswith("/"):
            raise _error(table, key, f"{value!r} is not a path", 'write paths from the site root, e.g. "/about"')
    return values


def _path(table: Table, key: str) -> str:
    value = table.string(key)
    if not value.startswith("/"):
        raise _error(table, key, f"{value!r} is not a path", f'write {key} = "/{value.lstrip("/")}"')
    return value


def _optional(table: Table, key: str, read: Callable[[Table, str], Any]) -> Any:
    value = table.data.get(key)
    return None if value is None or value is False else read(table, key)


def _count(table: Table, key: str, default: int) -> int:
    value = table.data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _error(table, key, f"expected a whole number, got {value!r}", f"write {key} = {default}")
    return value


def _pages(t: Table, _: _Reader) -> Pages:
    t.check_keys(["list", "sitemap", "crawl", "key", "desktop", "scripts"])
    ways = [k for k in ("list", "sitemap", "crawl") if k in t.data]
    if len(ways) != 1:
        raise _error(t, ways[1] if ways[1:] else "list", "say how to find the pages in exactly one way",
                     'write list = ["/", ...], or sitemap = true, or crawl = { max_pages = 20, max_depth = 2 }')
    crawl = t.sub("crawl") if "crawl" in t.data else None
    if crawl is not None:
        crawl.check_keys(["max_pages", "max_depth"])
    key = t.sub("key").data if "key" in t.data else {}
    if not key or not all(isinstance(v, str) and v.startswith("/") for v in key.values()):
        raise _error(t, "key", "the performance gates need key pages, label = path",
                     'write [deployment.pages.key] home = "/"')
    desktop = t.strings("desktop")
    for label in desktop:
        if label not in key:
            raise _error(t, "desktop", f"{label!r} is not a key page", f"use one of {', '.join(key)}")
    return Pages(listed=_paths(t, "list") if "list" in t.data else (), sitemap=t.boolean("sitemap", False),
                 crawl_pages=_count(crawl, "max_pages", 20) if crawl else 0,
                 crawl_depth=_count(crawl, "max_depth", 2) if crawl else 0,
                 key=dict(key), desktop=desktop, scripts=dict(t.sub("scripts").data) if "scripts" in t.data else {})


def _themes(t: Table, r: _Reader) -> Themes:
    t.check_keys(["mode", "toggle", "saved_cookie"])
    mode = t.string("mode")
    if mode not in THEME_MODES:
        raise _error(t, "mode", f"unknown mode {mode!r}", f"use one of {', '.join(THEME_MODES)}")
    light = Lacks("themes", t.where("mode"), '[deployment.themes] mode = "light"')
    r.caps["themes.dark"] = True if mode != "light" else light
    found: dict[str, str | None] = {}
    for local in ("toggle", "saved_cookie"):
        found[local] = t.string(local) if r.given(t, local) else None
        if found[local] is not None:
            r.caps[f"themes.{local}"] = found[local]
        elif mode == "light" and local not in t.data:
            r.caps[f"themes.{local}"] = light
    if mode == "toggle" and found["toggle"] is None:
        raise _error(t, "toggle", 'mode = "toggle" needs the control', 'write toggle = "[data-theme-toggle]"')
    return Themes(mode, found["toggle"], found["saved_cookie"])


def _languages(t: Table, r: _Reader) -> Languages:
    t.check_keys(["default", "others", "rtl", "switch", "catalogue"])
    default = t.string("default")
    others = t.strings("others") if r.given(t, "others") else ()
    if others:
        r.caps["languages.others"] = others
    rtl = t.strings("rtl") if r.given(t, "rtl") else ()
    for lang in rtl:
        if lang not in (default, *others):
            raise _error(t, "rtl", f"{lang!r} is not one of the languages", "list it in others, or drop it from rtl")
    if rtl:
        r.caps["languages.rtl"] = rtl
    if "others" in t.data and not others:
        # One language only: no translation can be right to left or served from a catalogue.
        for sub in ("rtl", "catalogue"):
            r.caps.setdefault(f"languages.{sub}", r.caps["languages.others"])
    switch = str(t.data.get("switch", ""))
    if others and not (switch == "path" or (switch.startswith("query:") and len(switch) > 6)):
        raise _error(t, "switch", "translations need a way to switch language",
                     'write switch = "query:lang" (?lang=hi) or switch = "path" (/hi/...)')
    catalogue = _path(t, "catalogue") if r.given(t, "catalogue") else None
    if catalogue is not None:
        if "{lang}" not in catalogue:
            raise _error(t, "catalogue", "the catalogue path needs {lang}", 'write catalogue = "/locales/{lang}.json"')
        r.caps["languages.catalogue"] = catalogue
    return Languages(default, others, rtl, switch, catalogue)


def _sign_in(t: Table, _: _Reader) -> SignIn:
    t.check_keys(["page", "username", "password", "submit", "accounts"])
    return SignIn(_path(t, "page"), t.string("username"), t.string("password"), t.string("submit"),
                  t.string("accounts"))


def _forms(r: _Reader, table: Table) -> None:
    if not r.given(table, "forms"):
        if isinstance(lacks := r.caps.get("forms"), Lacks):
            r.caps["forms.once"] = r.caps["forms.errors"] = lacks
        return
    entries = table.data["forms"]
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise _error(table, "forms", "expected [[deployment.forms]] tables or forms = []", "see README")
    forms = []
    for entry in entries:
        t = Table(table.path, table.text, entry, ("deployment", "forms"))
        t.check_keys(["page", "form", "submit", "fill", "errors", "once"])
        fill = t.sub("fill").data if "fill" in t.data else {}
        forms.append(Form(_path(t, "page"), t.string("form"), t.string("submit"),
                          {str(k): str(v) for k, v in fill.items()}, _count(t, "errors", 0),
                          t.boolean("once", False)))
    r.caps["forms"] = tuple(forms)
    for kind, has in (("once", any(f.once for f in forms)), ("errors", any(f.errors for f in forms))):
        r.caps[f"forms.{kind}"] = True if has else Lacks(
            f"forms.{kind}", r.lines["forms"], f"no [[deployment.forms]] entry sets {kind}")


def _api(t: Table, r: _Reader) -> Api:
    t.check_keys(["openapi", "token", "probe", "errors", "webhook_secret"])
    found: dict[str, str | None] = {}
    for local in ("openapi", "token"):
        found[local] = _path(t, local) if r.given(t, local) else None
        if found[local] is not None:
            r.caps[f"api.{local}"] = found[local]
    secret = t.string("webhook_secret") if r.given(t, "webhook_secret") else None
    if secret is not None:
        r.caps["api.webhook_secret"] = secret
    return Api(found["openapi"], found["token"], _paths(t, "probe"), _paths(t, "errors"), secret)


def _rate_limit(t: Table, _: _Reader) -> RateLimit:
    t.check_keys(["path", "burst", "session_cookie"])
    return RateLimit(_path(t, "path"), max(1, _count(t, "burst", 1)), _optional(t, "session_cookie", Table.string))


def _health(t: Table, _: _Reader) -> Health:
    t.check_keys(["live", "ready"])
    return Health(_path(t, "live"), _path(t, "ready"))


def _metrics(t: Table, _: _Reader) -> Metrics:
    t.check_keys(["path", "series", "traffic"])
    series = []
    for entry in t.data.get("series", []):
        s = Table(t.path, t.text, entry, ("deployment", "metrics", "series"))
        s.check_keys(["name", "kind", "labels", "panel"])
        kind = s.string("kind")
        if kind not in ("counter", "gauge", "histogram", "summary"):
            raise _error(s, "kind", f"unknown kind {kind!r}", "use counter, gauge, histogram or summary")
        series.append(Series(s.string("name"), kind, frozenset(s.strings("labels")), s.string("panel", "dashboard")))
    return Metrics(_path(t, "path"), tuple(series), _paths(t, "traffic"))


def _load(t: Table, _: _Reader) -> Load:
    t.check_keys(["allowed_hosts", "user", "model", "latency_histogram"])
    user = t.string("user", "PagesUser")
    if user not in LOAD_USERS:
        raise _error(t, "user", f"unknown traffic model {user!r}", f"use one of {', '.join(LOAD_USERS)}")
    model = usermodel.user_model(t.sub("model")) if isinstance(t.data.get("model"), dict) else None
    if "model" in t.data and model is None:
        raise _error(t, "model", "expected a table", "write [deployment.load.model] with users, ramp_seconds, "
                     "hold_seconds and think (README: Load)")
    return Load(tuple(h.lower() for h in t.strings("allowed_hosts")), user, model,
                _optional(t, "latency_histogram", Table.string) or "")


def _command(t: Table, key: str, example: str) -> tuple[str, ...]:
    value = t.data.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise _error(t, key, "expected the command as a list of arguments", f"write {key} = {example}")
    return tuple(value)


def _restart(t: Table, _: _Reader) -> Restart:
    t.check_keys(["command", "workers", "timeout_s"])
    if ("command" in t.data) == ("workers" in t.data):
        raise _error(t, "command", "say how the deployment restarts in exactly one way",
                     'write command = ["./rolling-restart", "{base_url}"], or workers = 2 (through '
                     "[deployment.instance])")
    command = _command(t, "command", '["./rolling-restart", "{base_url}"]') if "command" in t.data else ()
    workers = _count(t, "workers", 0)
    if not command and workers < 2:
        raise _error(t, "workers", "a rolling restart needs at least two workers", "write workers = 2")
    return Restart(command, workers, float(_count(t, "timeout_s", 120)))


def _instance(t: Table, _: _Reader) -> Instance:
    t.check_keys(["launcher", "slow"])
    launcher = t.string("launcher")
    if ":" not in launcher:
        raise _error(t, "launcher", f"{launcher!r} is not module:function", 'write launcher = "pkg.testing:launch"')
    return Instance(launcher, _optional(t, "slow", _path))


def _backup(t: Table, _: _Reader) -> Backup:
    t.check_keys(["backup", "restore"])
    example = '["app", "backup", "{path}"]'
    return Backup(_command(t, "backup", example), _command(t, "restore", example.replace("backup", "restore")))


def _animation(t: Table, _: _Reader) -> Animation:
    t.check_keys(["page", "target", "next", "previous", "hover"])
    return Animation(_path(t, "page"), t.string("target"), t.string("next"), t.string("previous"),
                     _optional(t, "hover", Table.string))


TOP_KEYS = ("name", "base_url", "features", "pages", "sitemap", "themes", "languages", "sign_in", "forms", "api",
            "rate_limit", "fault_injection", "source", "ml_model", "offline", "design_tokens", "motion_tokens",
            "glossary", "health", "metrics", "load", "restart", "animation", "instance", "backup")
SUB_KEYS = {"themes": ("dark", "toggle", "saved_cookie"), "languages": ("others", "rtl", "catalogue"),
            "api": ("openapi", "token", "webhook_secret")}
TABLES: Mapping[str, Callable[[Table, _Reader], Any]] = {
    "pages": _pages, "themes": _themes, "languages": _languages, "sign_in": _sign_in, "api": _api,
    "rate_limit": _rate_limit, "health": _health, "metrics": _metrics, "load": _load, "restart": _restart,
    "animation": _animation, "instance": _instance, "backup": _backup,
}


def _features(r: _Reader, table: Table) -> None:
    given = r.given(table, "features")
    features = table.strings("features") if given else ()
    for feature in features:
        if feature not in FEATURES:
            raise _error(table, "features", f"unknown feature {feature!r}", f"known: {', '.join(FEATURES)}")
    if given or isinstance(r.caps.get("features"), Lacks):
        for feature in FEATURES:
            r.caps[f"feature:{feature}"] = True if feature in features else Lacks(
                f"feature:{feature}", r.lines["features"], f"[deployment] features = {list(features)}")


def _scalars(r: _Reader, table: Table, path: Path) -> None:
    for key in ("fault_injection", "offline", "sitemap"):
        if r.given(table, key):
            r.caps[key] = _path(table, key)
    if r.given(table, "source"):
        r.caps["source"] = tuple((path.parent / p).resolve() for p in table.strings("source"))
    if r.given(table, "glossary"):
        r.caps["glossary"] = (path.parent / table.string("glossary")).resolve()
    if r.given(table, "ml_model"):
        spec = table.string("ml_model")
        if ":" not in spec:
            raise _error(table, "ml_model", f"{spec!r} is not module:function", 'write ml_model = "pkg.model:factory"')
        r.caps["ml_model"] = spec
    if r.given(table, "design_tokens"):
        r.caps["design_tokens"] = table.boolean("design_tokens", True)
    if r.given(table, "motion_tokens"):
        values = table.data["motion_tokens"]
        if not isinstance(values, list) or not all(isinstance(v, int | float) and v > 0 for v in values):
            raise _error(table, "motion_tokens", f"expected durations in ms, got {values!r}",
                         "write motion_tokens = [150, 320]")
        r.caps["motion_tokens"] = tuple(float(v) for v in values)


def parse(table: Table, path: Path, *, reference: bool = False) -> Deployment:
    """Read a ``[deployment]`` table."""
    try:
        table.check_keys(TOP_KEYS)
        name = table.string("name") if "name" in table.data else ""
        if not name:
            raise _error(table, "name", "the profile has no name", 'add name = "Our staging" (the report names it)')
        base_url = _optional(table, "base_url", Table.string)
        if base_url and (problem := origin_problem(base_url)):
            raise _error(table, "base_url", problem.partition(" — ")[0], problem.partition(" — ")[2])
        r = _Reader()
        _features(r, table)
        _scalars(r, table, path)
        _forms(r, table)
        for key, build in TABLES.items():
            r.read(table, key, build)
    except DeploymentError:
        raise
    except ConfigError as exc:  # config.Table's own errors carry the file and line already
        raise DeploymentError(str(exc)) from None
    return Deployment(name=name, source=str(path), base_url=base_url.rstrip("/") if base_url else None,
                      reference=reference, caps=r.caps, lines=r.lines)
