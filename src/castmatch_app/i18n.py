"""Message catalogues (``locales/<lang>.json``): every user-facing string comes from here.

A key missing from a catalogue falls back to English wrapped in ``<span lang="en">`` so that
screen readers switch voice (WCAG 3.1.2) and a content gate can see the gap on the page.

A message that depends on a number has one key per plural category of CLDR (``talent.years.one``,
``talent.years.other``); ``t("talent.years", count=n)`` picks the form the language uses for ``n``
and fills ``{count}`` with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from markupsafe import Markup, escape

from castmatch_app import defects

LANGUAGES: tuple[str, ...] = ("en", "hi", "ur")
RTL: frozenset[str] = frozenset({"ur"})
DEFAULT = "en"


def plural_category(lang: str, count: int) -> str:
    """CLDR's cardinal plural category of a whole number: Hindi says "one" for 0 and 1, English and
    Urdu for 1 only (https://www.unicode.org/cldr/charts/latest/supplemental/language_plural_rules.html)."""
    if lang == "hi":
        return "one" if count in (0, 1) else "other"
    return "one" if count == 1 else "other"

# Content defects patch the catalogues here, at load time, and nowhere else.
_VAGUE = "Invalid input."


def _patch(lang: str, messages: dict[str, str]) -> dict[str, str]:
    if lang == "en" and defects.active("leaked-placeholder"):
        messages["home.lede"] = "Lorem ipsum dolor sit amet. TODO: final copy from marketing."
    if lang == "en" and defects.active("click-here-links"):
        for key in ("home.cta_search", "home.cta_join", "notfound.home", "offline.retry"):
            messages[key] = "Click here"
        messages["home.view_profile"] = "Read more"
    if lang == "en" and defects.active("vague-errors"):
        for key in list(messages):
            if key.startswith("errors.") and key != "errors.summary":
                messages[key] = _VAGUE
            if key.startswith("api.") and not key.startswith("api.rate_limited"):
                messages[key] = "Error."
    if lang == "hi" and defects.active("missing-hindi-key"):
        messages.pop("home.title", None)
        messages.pop("nav.search", None)
    return messages


def load_catalogues() -> dict[str, dict[str, str]]:
    out = {}
    for lang in LANGUAGES:
        text = resources.files("castmatch_app").joinpath("locales", f"{lang}.json").read_text("utf-8")
        out[lang] = _patch(lang, json.loads(text))
    return out


def pick_language(query_value: str | None, cookie_value: str | None, accept: str | None) -> str:
    for candidate in (query_value, cookie_value):
        if candidate in LANGUAGES:
            return str(candidate)
    for part in (accept or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT


@dataclass(frozen=True)
class Translator:
    lang: str
    messages: dict[str, str]
    fallback: dict[str, str]
    memo: dict[str, Markup] = field(default_factory=dict, compare=False, repr=False)

    @property
    def dir(self) -> str:
        if self.lang in RTL and not defects.active("broken-rtl"):
            return "rtl"
        return "ltr"

    def _plural(self, key: str, count: int | None, values: dict[str, Any]) -> str:
        if count is None:
            return key
        values["count"] = count
        return f"{key}.{plural_category(self.lang, count)}"

    def text(self, key: str, count: int | None = None, **values: Any) -> str:
        """Plain text (for attributes, headers, JSON); with ``count``, its plural form."""
        key = self._plural(key, count, values)
        template = self.messages.get(key) or self.fallback.get(key) or key
        return template.format(**values) if values else template

    def __call__(self, key: str, count: int | None = None, **values: Any) -> Markup:
        """HTML-safe text; interpolated values are escaped, English fallbacks are marked up."""
        key = self._plural(key, count, values)
        if not values:
            # Pages render dozens of fixed strings: escape each once per process, not per request.
            cached = self.memo.get(key)
            if cached is None:
                cached = self.memo[key] = self._render(key, {})
            return cached
        return self._render(key, values)

    def _render(self, key: str, values: dict[str, Any]) -> Markup:
        escaped = {k: escape(v) for k, v in values.items()}
        if key in self.messages:
            return Markup(escape(self.messages[key]).format(**escaped) if values else escape(self.messages[key]))
        english = self.fallback.get(key, key)
        body = escape(english).format(**escaped) if values else escape(english)
        return Markup('<span lang="en" dir="ltr">') + body + Markup("</span>")


class Catalogues:
    def __init__(self) -> None:
        self.messages = load_catalogues()
        self.translators = {lang: Translator(lang, self.messages[lang], self.messages[DEFAULT]) for lang in LANGUAGES}

    def translator(self, lang: str) -> Translator:
        return self.translators[lang]

    def missing(self, lang: str) -> list[str]:
        return sorted(set(self.messages[DEFAULT]) - set(self.messages[lang]))
