"""What a gate needs from the deployment, and whether the profile provides it.

A gate declares its needs with ``@pytest.mark.needs("sign_in", "themes.dark", ...)``. Before the gate
sets anything up, each need is looked up in the profile:

- declared with a value: the gate runs;
- declared ``false`` (the deployment lacks it): the gate is **not applicable**, with the profile's line
  as its reason;
- not declared at all: the gate **blocks**, naming the key to set — a profile that says nothing is
  never taken to mean "not needed".

Pure: no pytest import.
"""

from __future__ import annotations

import enum

from pytest_castmatch.deployment import FEATURES, Deployment, Lacks, Load
from pytest_castmatch.record import Record, record
from pytest_castmatch.traffic import TrafficRefused, ensure_allowed


class State(enum.StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    SILENT = "silent"


@record
class Need(Record):
    """One need looked up in a profile: its state and, unless present, the sentence the report shows."""

    key: str
    state: State
    message: str = ""


#: Every need a gate may declare: what it is (for sentences) and the profile key that declares it.
KNOWN: dict[str, tuple[str, str]] = {
    "pages": ("page list", "[deployment.pages] list, sitemap or crawl"),
    "sitemap": ("sitemap", '[deployment] sitemap = "/sitemap.xml" (or false)'),
    "themes": ("colour themes", '[deployment.themes] mode = "light" | "prefers-color-scheme" | "toggle"'),
    "themes.dark": ("dark theme", '[deployment.themes] mode = "prefers-color-scheme" or "toggle"'),
    "themes.toggle": ("theme toggle", '[deployment.themes] toggle = "<selector>" (or false)'),
    "themes.saved_cookie": ("saved theme", '[deployment.themes] saved_cookie = "<cookie>" (or false)'),
    "languages": ("language settings", '[deployment.languages] default = "en"'),
    "languages.others": ("translation", '[deployment.languages] others = ["hi", ...] (or [])'),
    "languages.rtl": ("right-to-left language", '[deployment.languages] rtl = ["ur"] (or [])'),
    "languages.catalogue": ("served message catalogue", '[deployment.languages] catalogue = "/locales/{lang}"'),
    "sign_in": ("sign-in", "[deployment.sign_in] page, username, password, submit, accounts (or sign_in = false)"),
    "forms": ("form to exercise", "[[deployment.forms]] page, form, submit (or forms = [])"),
    "forms.once": ("form whose submit must send one request", "once = true on a [[deployment.forms]] entry"),
    "forms.errors": ("form that explains its errors", "errors = N on a [[deployment.forms]] entry"),
    "api": ("JSON API", "[deployment.api] (or api = false)"),
    "api.openapi": ("OpenAPI document", '[deployment.api] openapi = "/openapi.json" (or false)'),
    "api.token": ("token endpoint", '[deployment.api] token = "/oauth/token" (or false)'),
    "api.webhook_secret": ("signed webhook", '[deployment.api] webhook_secret = "ENV_VAR" (or false)'),
    "rate_limit": ("rate limit", "[deployment.rate_limit] path, burst (or rate_limit = false)"),
    "fault_injection": ("fault injection", '[deployment] fault_injection = "/_test/faults" (or false)'),
    "source": ("Python source to scan", '[deployment] source = ["src/app"] (or false)'),
    "ml_model": ("ML model to benchmark", '[deployment] ml_model = "module:factory" (or false)'),
    "offline": ("offline page", '[deployment] offline = "/offline" (or false)'),
    "design_tokens": ("colour design tokens", "[deployment] design_tokens = true (or false)"),
    "motion_tokens": ("motion tokens", "[deployment] motion_tokens = [150, 320] (or false)"),
    "glossary": ("product glossary", '[deployment] glossary = "glossary.toml" (or false)'),
    "health": ("health endpoints", "[deployment.health] live, ready (or health = false)"),
    "metrics": ("metrics endpoint", "[deployment.metrics] path, series (or metrics = false)"),
    "load": ("load allowance", "[deployment.load] allowed_hosts, user (or load = false)"),
    "restart": ("way to restart it while it serves", "[deployment.restart] command or workers (or restart = false)"),
    "instance": ("launcher for an instance of its own", '[deployment.instance] launcher = "module:function" '
                 "(or instance = false)"),
    "backup": ("backup and restore commands", "[deployment.backup] backup, restore (or backup = false)"),
    "animation": ("animation to time", "[deployment.animation] page, target, next, previous (or false)"),
    **{f"feature:{f}": (f"{f} feature", f'[deployment] features = ["{f}", ...] (or [])') for f in FEATURES},
}


class UnknownNeed(KeyError):
    """A gate declared a need this plugin does not know."""


def evaluate(deployment: Deployment, key: str) -> Need:
    """Whether ``deployment`` provides ``key``; the message says why not, or which key to set."""
    if key not in KNOWN:
        raise UnknownNeed(f"unknown need {key!r} — use one of: {', '.join(sorted(KNOWN))}")
    what, declare = KNOWN[key]
    value = deployment.get(key)
    if isinstance(value, Lacks):
        return Need(key, State.ABSENT, value.reason(what))
    if value is None:
        return Need(key, State.SILENT, f"set {declare} — the deployment profile says nothing about its {what} "
                                       f"({deployment.source})")
    return Need(key, State.PRESENT)


def first_unmet(deployment: Deployment, keys: tuple[str, ...]) -> Need | None:
    """The need that stops a gate: an absent one first (whatever else is unknown, the gate cannot apply),
    else a silent one (it blocks), else None."""
    found = [evaluate(deployment, key) for key in keys]
    for state in (State.ABSENT, State.SILENT):
        for need in found:
            if need.state is state:
                return need
    return None


@record
class Decision(Record):
    """What happens to a gate with these needs: it runs (no message), is not applicable, or blocks."""

    not_applicable: bool = False
    message: str = ""


def decide(deployment: Deployment, keys: tuple[str, ...]) -> Decision:
    """Look up a gate's needs; a gate that sends traffic (``load``) must also pass the traffic guard."""
    try:
        unmet = first_unmet(deployment, keys)
    except UnknownNeed as exc:
        return Decision(message=str(exc.args[0]))
    if unmet is not None:
        return Decision(unmet.state is State.ABSENT, unmet.message)
    load = deployment.get("load")
    if "load" in keys and deployment.base_url and isinstance(load, Load):
        try:
            ensure_allowed(deployment.base_url, load.allowed_hosts)
        except TrafficRefused as exc:
            return Decision(message=str(exc))
    return Decision()
