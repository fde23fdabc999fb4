"""The browser's own accessibility tree: roles and accessible names as Chromium computes them.

Accessible names follow the W3C accessible name computation (aria-labelledby, aria-label, labels,
alt text, content, hidden and presentational parts), which a page script can only approximate. The
tree is read over the DevTools protocol once per call, and each node is tied back to its element by
a short CSS selector.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from playwright.sync_api import Page

from pytest_castmatch.checks.evidence import SELECTOR_JS
from pytest_castmatch.record import Record, record


@record
class Node(Record):
    """One element exposed in the accessibility tree."""

    role: str
    name: str
    selector: str
    level: int = 0


def _value(field: Any) -> Any:
    return field.get("value") if isinstance(field, dict) else None


def _authored_name(name: Any) -> str:
    """The computed name, or "" when only the browser's fallback for an image button (its ``type``:
    "Submit") gave it one: a name the page never wrote says nothing of what the button does."""
    text = str(_value(name) or "").strip()
    sources = name.get("sources", []) if isinstance(name, dict) else []
    winner = next((src for src in sources if "value" in src and not src.get("superseded")), None)
    if (winner is not None and winner.get("attribute") == "type"
            and _value(winner.get("attributeValue")) == "image"):
        return ""  # a submit or reset button's default ("Submit", "Reset") does say what it does
    return text


def nodes(page: Page, roles: Iterable[str]) -> list[Node]:
    """The elements of the main frame with one of ``roles`` that the accessibility tree includes
    (not ignored, not hidden), in document order, with their computed accessible names."""
    wanted = set(roles)
    page.evaluate(SELECTOR_JS + "\n() => 0")
    session = page.context.new_cdp_session(page)
    try:
        tree = session.send("Accessibility.getFullAXTree")
        found: list[tuple[dict[str, Any], int]] = []
        for node in tree.get("nodes", []):
            if node.get("ignored") or _value(node.get("role")) not in wanted or "backendDOMNodeId" not in node:
                continue
            found.append((node, int(node["backendDOMNodeId"])))
        if not found:
            return []
        objects = []
        for _, backend in found:
            resolved = session.send("DOM.resolveNode", {"backendNodeId": backend})
            objects.append(resolved["object"]["objectId"])
        named = session.send("Runtime.callFunctionOn", {
            "functionDeclaration": "function (...els) { return els.map((e) => window.__cmSelector(e)); }",
            "objectId": objects[0], "arguments": [{"objectId": o} for o in objects], "returnByValue": True,
        })
        selectors = named["result"]["value"]
    finally:
        session.detach()
    out = []
    for (node, _), selector in zip(found, selectors, strict=True):
        level = next((_value(p.get("value")) for p in node.get("properties", []) if p.get("name") == "level"), 0)
        out.append(Node(str(_value(node["role"])), _authored_name(node.get("name")), str(selector), int(level or 0)))
    return out
