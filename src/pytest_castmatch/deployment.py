"""The deployment under test as its profile describes it: what is gated, and what it has that a gate may need.

Each capability is a key of the profile (``pytest_castmatch.profiles`` reads it): a value says the
deployment has it and how to reach it; ``false`` (a :class:`Lacks`) says it has none, so the gates
that need it are **not applicable**; a missing key says nothing, so those gates block and name the
key to set (``pytest_castmatch.needs``). Pure data, no pytest import.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from pytest_castmatch.config import ConfigError
from pytest_castmatch.record import Record, record
from pytest_castmatch.runners.usermodel import UserModel

#: The product flows of CastMatch that its own journeys, API and model gates exercise.
FEATURES = ("talent-search", "talent-onboarding", "auditions", "recommendations", "calendar-webhook", "api-v0")


class DeploymentError(ConfigError):
    """A profile (or a value it names, such as an accounts variable) cannot be used; says where and how to fix."""


@record
class Lacks(Record):
    """The profile says the deployment has none of this (``key = false`` or an empty list)."""

    key: str
    where: str
    text: str

    def reason(self, what: str) -> str:
        return f"the deployment has no {what}: {self.text} ({self.where})"


@record
class Pages(Record):
    """Which pages the browser gates visit, and the key pages the performance gates measure."""

    listed: tuple[str, ...] = ()
    sitemap: bool = False
    crawl_pages: int = 0
    crawl_depth: int = 0
    key: Mapping[str, str] = field(default_factory=dict)
    desktop: tuple[str, ...] = ()
    scripts: Mapping[str, str] = field(default_factory=dict)


@record
class Themes(Record):
    """Colour themes: ``light`` only, dark through ``prefers-color-scheme``, or a ``toggle``."""

    mode: str
    toggle: str | None = None
    saved_cookie: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return ("light",) if self.mode == "light" else ("light", "dark")


@record
class Languages(Record):
    """The default language, the translations, which of them are right to left, and how to switch."""

    default: str
    others: tuple[str, ...] = ()
    rtl: tuple[str, ...] = ()
    switch: str = ""
    catalogue: str | None = None

    @property
    def all(self) -> tuple[str, ...]:
        return (self.default, *self.others)

    def url(self, path: str, lang: str) -> str:
        """``path`` shown in ``lang`` (the default language is the path itself)."""
        if lang == self.default and not self.others:
            return path
        if self.switch.startswith("query:"):
            return f"{path}{'&' if '?' in path else '?'}{self.switch.removeprefix('query:')}={lang}"
        return f"/{lang}{path}" if lang != self.default else path


@record
class SignIn(Record):
    """The sign-in form, and the environment variable holding the test accounts."""

    page: str
    username: str
    password: str
    submit: str
    accounts: str

    def credentials(self, env: Mapping[str, str], at_least: int = 1) -> list[tuple[str, str]]:
        """Accounts from the named variable: JSON ``[["user", "password"], ...]``."""
        raw = env.get(self.accounts, "")
        fix = f'set {self.accounts}=\'[["user@example.com", "password"], ...]\' (at least {at_least})'
        try:
            data = json.loads(raw) if raw.strip() else []
            pairs = [(str(u), str(p)) for u, p in data]
        except (ValueError, TypeError):
            raise DeploymentError(f"{self.accounts}: not a JSON list of [user, password] pairs — {fix}") from None
        if len(pairs) < at_least:
            raise DeploymentError(f"{self.accounts} holds {len(pairs)} account(s), this gate needs {at_least} — {fix}")
        return pairs


@record
class Form(Record):
    """A form a visitor reaches: sent empty it explains ``errors`` fields; ``once``: a burst sends one request."""

    page: str
    form: str
    submit: str
    fill: Mapping[str, str] = field(default_factory=dict)
    errors: int = 0
    once: bool = False


@record
class Api(Record):
    """A JSON API: its OpenAPI document, token endpoint, endpoints to time, and calls that must explain errors."""

    openapi: str | None
    token: str | None
    probe: tuple[str, ...]
    errors: tuple[str, ...]
    webhook_secret: str | None


@record
class RateLimit(Record):
    path: str
    burst: int
    session_cookie: str | None


@record
class Health(Record):
    live: str
    ready: str


@record
class Series(Record):
    """A series a dashboard needs: family name, Prometheus type, the labels it must carry, and what reads it."""

    family: str
    kind: str
    labels: frozenset[str] = frozenset()
    purpose: str = ""


@record
class Metrics(Record):
    path: str
    series: tuple[Series, ...]
    traffic: tuple[str, ...]


@record
class Load(Record):
    """Who may be loaded, and the traffic: ``PagesUser`` (the page list) or a named user class, the user
    model it runs (``[deployment.load.model]``), and the deployment's request-latency histogram (a
    Prometheus family on ``[deployment.metrics] path``) for the server's own view of the run."""

    allowed_hosts: tuple[str, ...]
    user: str
    model: UserModel | None = None
    latency_histogram: str = ""


@record
class Restart(Record):
    """How the deployment is restarted while it serves: a ``command`` run against it (``{base_url}``
    and ``{python}`` filled in), or — with ``workers`` — the workers of an instance the gate launches
    (``[deployment.instance]``) replaced one by one. ``timeout_s`` bounds it."""

    command: tuple[str, ...] = ()
    workers: int = 0
    timeout_s: float = 120.0


@record
class Instance(Record):
    """How a gate that must own a process (start it, stop it, read its output) launches one on loopback:
    ``launcher`` is ``module:function`` returning a :class:`Launched`; ``slow`` is a path that answers only
    after a while."""

    launcher: str
    slow: str | None = None


@runtime_checkable
class Launched(Protocol):
    """What a profile's launcher returns: a process the gate owns on loopback.

    The launcher is called as ``launch(folder, *, workers=1, drain_seconds=None, fault_injection=False,
    access_log=True, ready=True)``; it raises ``RuntimeError`` (naming its log) when the app does not start.
    """

    url: str
    log: Path
    pid: int
    started: float

    def wait_ready(self, timeout: float = 90.0, workers: int | None = None) -> None:
        """Block until the app answers ready with ``workers`` workers; ``RuntimeError`` when it does not."""

    def ready_workers(self) -> int:
        """How many worker processes have started (replacements included)."""

    def alive(self) -> bool:
        """True while the top process runs."""

    def stop(self, grace: float = 15.0) -> int | None:
        """Stop it (SIGTERM, then SIGKILL after ``grace``); its exit status when known."""


@record
class Backup(Record):
    """Commands that copy the deployment's state to ``{path}`` and restore it from there."""

    backup: tuple[str, ...]
    restore: tuple[str, ...]


@record
class Animation(Record):
    """An animation the frame-rate gate drives: a container, its next/previous controls, a hover target."""

    page: str
    target: str
    next: str
    previous: str
    hover: str | None


def resolve(spec: str, key: str) -> Any:
    """The object a profile names as ``module:name`` (a model factory, a launcher); ``key`` names the setting."""
    import importlib

    module, _, name = spec.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise DeploymentError(f"{key} = {spec!r} cannot be imported ({exc}) — name an importable "
                              "module:function") from None


@record
class Deployment(Record):
    """One profile, parsed. ``caps`` maps each declared capability key to its value or a :class:`Lacks`."""

    name: str
    source: str
    base_url: str | None
    reference: bool = False
    caps: Mapping[str, Any] = field(default_factory=dict)
    lines: Mapping[str, str] = field(default_factory=dict)

    def with_base_url(self, url: str | None) -> Deployment:
        """The same profile at another address (``--base-url`` wins over the profile's own)."""
        if not url:
            return self
        return Deployment(self.name, self.source, url.rstrip("/"), False, self.caps, self.lines)

    @property
    def host(self) -> str:
        return urlsplit(self.base_url or "").hostname or ""

    def where(self, key: str) -> str:
        """``file:line`` of a key (or of the profile when the key is absent)."""
        return self.lines.get(key) or self.source

    def get(self, key: str) -> Any:
        """The declared value of ``key``: its data, a :class:`Lacks`, or None when the profile is silent."""
        return self.caps.get(key)

    def has(self, key: str) -> bool:
        value = self.caps.get(key)
        return value is not None and not isinstance(value, Lacks)

    def to_json(self) -> dict[str, Any]:
        """What the report says about the deployment: its name, address and profile."""
        declared = sorted(k for k in self.caps if self.has(k))
        lacking = sorted(k for k in self.caps if isinstance(self.caps[k], Lacks))
        return {"name": self.name, "base_url": self.base_url, "profile": self.source,
                "reference_app": self.reference, "declared": declared, "lacks": lacking}

    def value(self, key: str, kind: type[Any]) -> Any:
        """The declared value of ``key`` as ``kind``; raises when the gate did not declare that it needs it."""
        found = self.caps.get(key)
        if isinstance(found, kind):
            return found
        state = found.reason(key) if isinstance(found, Lacks) else f"the profile ({self.source}) does not set {key}"
        raise DeploymentError(f"a gate read {key!r} without declaring @pytest.mark.needs({key!r}): {state}")

    def optional(self, key: str) -> Any:
        """A value a gate uses when the deployment has it: the value, or None when the profile says the
        deployment lacks it; a profile silent about it raises :class:`DeploymentError` naming the key to set."""
        from pytest_castmatch.needs import State, evaluate

        need = evaluate(self, key)
        if need.state is State.SILENT:
            raise DeploymentError(need.message)
        return None if need.state is State.ABSENT else self.caps[key]

    @property
    def pages(self) -> Pages:
        found: Pages = self.value("pages", Pages)
        return found

    @property
    def themes(self) -> Themes:
        found: Themes = self.value("themes", Themes)
        return found

    @property
    def languages(self) -> Languages:
        found: Languages = self.value("languages", Languages)
        return found

    @property
    def sign_in(self) -> SignIn:
        found: SignIn = self.value("sign_in", SignIn)
        return found

    @property
    def api(self) -> Api:
        found: Api = self.value("api", Api)
        return found
