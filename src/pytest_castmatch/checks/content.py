"""Content audit: placeholder and debug text, descriptive link and button names, labelled fields,
actionable error messages and glossary terms.

Browser-side functions read the rendered page (what a visitor sees, including text injected by
scripts); the text rules are plain functions over strings, tested without a browser.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from playwright.sync_api import Page

from pytest_castmatch.checks.evidence import page_path
from pytest_castmatch.model import Finding
from pytest_castmatch.record import Record, record

PLACEHOLDER_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("lorem-ipsum", re.compile(r"\blorem\s+ipsum\b|\bdolor\s+sit\s+amet\b", re.I)),
    ("todo-marker", re.compile(r"\b(?:TODO|FIXME|TBD|XXX)\b")),
    ("debug-value", re.compile(r"(?<![\w-])(?:undefined|null|NaN|\[object Object\]|None)(?![\w-])")),
    ("template-leak", re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\$\{[^}]*\}")),
)
# Names that say nothing about where a link goes or what a button does (WCAG 2.4.4 / 2.4.9).
GENERIC_NAMES: frozenset[str] = frozenset({
    "click here", "click", "here", "read more", "more", "learn more", "link", "this", "go", "details",
    "this link", "continue reading", "submit", "button", "more info", "info", "see more", "download", "view",
    "find out more", "more details", "see details", "read on", "view more", "show more", "go here", "click this",
})
# An actionable message names the next step; these verbs open the instructions people act on.
ACTION_VERBS: tuple[str, ...] = (
    "enter", "choose", "select", "check", "try", "fix", "upload", "sign in", "use", "send", "shorten", "reload",
    "wait", "retry", "remove", "add", "contact", "go", "open", "type", "pick", "set", "quote", "refresh",
    "search", "book", "create", "reset", "tick", "provide",
)
VAGUE_MESSAGES: frozenset[str] = frozenset({
    "invalid input", "error", "invalid", "an error occurred", "something went wrong", "bad request",
    "failed", "oops", "invalid value", "wrong input", "validation error",
})

_COLLECT_JS = """
() => {
  const visible = (el) => { const s = getComputedStyle(el); const r = el.getBoundingClientRect();
    return s.visibility !== 'hidden' && s.display !== 'none' && (r.width > 0 || r.height > 0); };
  const sel = (el) => el.id ? '#' + el.id : el.tagName.toLowerCase() +
    (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const text = (el) => (el.innerText || el.textContent || '').replace(/\\s+/g, ' ').trim();
  const byIds = (ids) => (ids || '').split(/\\s+/).map((i) => document.getElementById(i)).filter(Boolean)
    .map(text).join(' ').trim();
  const name = (el) => {
    const lb = byIds(el.getAttribute('aria-labelledby')); if (lb) return lb;
    const al = (el.getAttribute('aria-label') || '').trim(); if (al) return al;
    let t = text(el);
    if (!t) t = [...el.querySelectorAll('img[alt],svg[aria-label]')].map((i) => i.getAttribute('alt')
      || i.getAttribute('aria-label')).join(' ').trim();
    if (!t && el.value && el.tagName === 'INPUT') t = el.value;
    return t || (el.getAttribute('title') || '').trim();
  };
  const interactive = 'a[href],button,[role=button],[role=link],input[type=submit],input[type=button]';
  const controls = [...document.querySelectorAll(interactive)]
    .filter(visible).map((el) => ({selector: sel(el), tag: el.tagName.toLowerCase(), name: name(el),
      href: el.getAttribute('href') || ''}));
  const fields = [...document.querySelectorAll('input,select,textarea')].filter((el) =>
      !['hidden', 'submit', 'button', 'reset', 'image'].includes((el.getAttribute('type') || '').toLowerCase()))
    .map((el) => {
      let label = byIds(el.getAttribute('aria-labelledby')) || (el.getAttribute('aria-label') || '').trim();
      if (!label && el.labels) label = [...el.labels].map(text).join(' ').trim();
      if (!label) label = (el.getAttribute('title') || '').trim();
      return {selector: sel(el) + (el.name ? '[name=' + el.name + ']' : ''), label};
    });
  const attrs = [...document.querySelectorAll('[alt],[title],[placeholder],[aria-label]')].flatMap((el) =>
    ['alt', 'title', 'placeholder', 'aria-label'].map((a) => el.getAttribute(a)).filter(Boolean));
  const errors = [];
  document.querySelectorAll('[aria-invalid=true]').forEach((el) => {
    const t = byIds(el.getAttribute('aria-describedby') || '') ||
      byIds(el.getAttribute('aria-errormessage') || '');
    errors.push({selector: sel(el), text: t});
  });
  document.querySelectorAll('[role=alert] li, .field-error, [data-error]').forEach((el) =>
    errors.push({selector: sel(el), text: text(el)}));
  return {text: document.body ? document.body.innerText : '', title: document.title, attrs, controls, fields,
          errors};
}
"""


@record
class PageContent(Record):
    """What a visitor reads on one page, gathered in one round trip to the browser."""

    url: str  # the page's path and query, as every other gate names its pages
    text: str
    attributes: tuple[str, ...]
    controls: tuple[dict[str, str], ...]
    fields: tuple[dict[str, str], ...]
    errors: tuple[dict[str, str], ...]


def collect(page: Page) -> PageContent:
    """Read the rendered page's text, control names, field labels and shown error messages."""
    data: dict[str, Any] = page.evaluate(_COLLECT_JS)
    return PageContent(
        url=page_path(page), text=f"{data['title']}\n{data['text']}", attributes=tuple(data["attrs"]),
        controls=tuple(data["controls"]), fields=tuple(data["fields"]), errors=tuple(data["errors"]),
    )


def placeholder_text(content: PageContent, message_keys: Iterable[str] = ()) -> list[Finding]:
    """Lorem ipsum, TODO markers, undefined/null/NaN, template syntax and raw message keys."""
    findings = []
    sources = [content.text, *content.attributes]
    for rule, pattern in PLACEHOLDER_PATTERNS:
        for source in sources:
            match = pattern.search(source)
            if match:
                start = max(0, match.start() - 40)
                findings.append(Finding(rule=rule, page=content.url, context=source[start:match.end() + 40].strip(),
                                        message=f"placeholder or debug text {match.group(0)!r} is shown"))
                break
    keys = {k for k in message_keys if "." in k}
    if keys:
        tokens = set(re.findall(r"[a-z][a-z0-9_-]*\.[a-z0-9_.-]+", "\n".join(sources)))
        for key in sorted(tokens & keys):
            findings.append(Finding(rule="raw-message-key", page=content.url, context=key,
                                    message=f"untranslated message key {key!r} is shown instead of its text"))
    return findings


# A file format says what kind of file, not which one; a demonstrative points at something else.
_FORMAT_OR_POINTER = re.compile(
    r"(?:html|pdf|epub|txt|plain text|docx?|csv|xlsx?|mp3|mp4|zip|(?:this|that|these|those)(?: \w+)?)")


def generic_name(name: str) -> bool:
    """Whether ``name`` says nothing of a link's destination or a button's action on its own."""
    bare = re.sub(r"[^\w\s]", "", " ".join(name.casefold().split())).strip()
    return bare in GENERIC_NAMES or _FORMAT_OR_POINTER.fullmatch(bare) is not None


def descriptive_names(content: PageContent) -> list[Finding]:
    """Links and buttons whose accessible name is empty or generic ("click here", "read more")."""
    findings = []
    for control in content.controls:
        name = control["name"].strip()
        if not name:
            findings.append(Finding(rule="control-no-name", page=content.url, selector=control["selector"],
                                    criterion="WCAG 4.1.2", context=control.get("href") or None,
                                    message=f"{control['tag']} has no accessible name"))
        elif generic_name(name):
            findings.append(Finding(rule="control-generic-name", page=content.url, selector=control["selector"],
                                    criterion="WCAG 2.4.9", context=control.get("href") or None,
                                    message=f"{control['tag']} is named {name!r}: say where it goes or what it does"))
    return findings


def labelled_fields(content: PageContent) -> list[Finding]:
    """Form fields without a label, aria-label, aria-labelledby or title."""
    return [
        Finding(rule="field-no-label", page=content.url, selector=f["selector"], criterion="WCAG 3.3.2",
                message="form field has no label")
        for f in content.fields if not f["label"].strip()
    ]


def actionable(message: str) -> str | None:
    """Why ``message`` is not an actionable error message, or None when it says what happened and what to do."""
    text = " ".join(message.split())
    bare = re.sub(r"[^\w\s]", "", text.casefold()).strip()
    if not bare:
        return "the message is empty"
    if bare in VAGUE_MESSAGES:
        return "the message is generic: say what is wrong and how to fix it"
    if len(bare.split()) < 4:
        return "the message is too short to say what happened and what to do"
    if not any(re.search(rf"\b{re.escape(verb)}\b", bare) for verb in ACTION_VERBS):
        return "the message does not tell the reader what to do next"
    return None


def error_messages(messages: Iterable[tuple[str, str]], *, page: str | None = None,
                   min_messages: int = 1) -> list[Finding]:
    """Each (where, message) must be actionable; fewer than ``min_messages`` messages is itself an error."""
    items = list(messages)
    findings = []
    if len(items) < min_messages:
        findings.append(Finding(rule="error-not-shown", page=page,
                                message=f"expected at least {min_messages} error message(s), saw {len(items)}"))
    seen: set[tuple[str, str]] = set()
    for where, message in items:
        reason = actionable(message)
        if reason and (where, message) not in seen:
            seen.add((where, message))
            findings.append(Finding(rule="error-not-actionable", page=page, selector=where, criterion="WCAG 3.3.3",
                                    context=message[:200], message=f"error message {message!r}: {reason}"))
    return findings


@record
class Term(Record):
    """A product term: the spelling to use and the variants that must not appear."""

    preferred: str
    avoid: tuple[str, ...]


def load_glossary(data: Mapping[str, Any]) -> list[Term]:
    """``[terms.NAME] preferred = "...", avoid = [...]`` tables -> terms."""
    terms = data.get("terms", {})
    return [Term(str(t["preferred"]), tuple(str(a) for a in t.get("avoid", ()))) for t in terms.values()]


def glossary_terms(text: str, terms: Sequence[Term], *, page: str | None = None) -> list[Finding]:
    """Avoided variants of a product term (case-insensitive, whole words) in ``text``."""
    findings = []
    for term in terms:
        for variant in term.avoid:
            match = re.search(rf"(?<![\w-]){re.escape(variant)}(?![\w-])", text, re.I)
            if match:
                start = max(0, match.start() - 40)
                findings.append(Finding(rule="glossary-term", page=page, context=text[start:match.end() + 40],
                                        message=f"{match.group(0)!r} is not our term: write {term.preferred!r}"))
    return findings
