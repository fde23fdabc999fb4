"""Screenshots that show where a finding is: the element outlined, in the state it was found in.

Checks take an optional :class:`Evidence` and call :func:`shoot` at the moment they find something
(theme, viewport and scroll as they were), so the picture matches the finding. Used by the
accessibility, interaction and motion checks (axe, targets, keyboard, layout, structure, motion,
interaction, theme).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

_OUTLINE = """([selector, on]) => {
  const el = document.querySelector(selector);
  if (!el) return false;
  if (on) {
    el.dataset.cmOutline = el.getAttribute('style') || '';
    el.style.setProperty('outline', '4px solid #ff00ff', 'important');
    el.style.setProperty('outline-offset', '2px', 'important');
    el.scrollIntoView({block: 'center', inline: 'center'});
  } else if ('cmOutline' in el.dataset) {
    el.setAttribute('style', el.dataset.cmOutline);
    if (!el.getAttribute('style')) el.removeAttribute('style');
    delete el.dataset.cmOutline;
  }
  return true;
}"""


class GateLike(Protocol):
    """What a gate recorder offers for evidence (``pytest_castmatch.recorder.Gate`` has it)."""

    @property
    def evidence_dir(self) -> Path: ...

    def attach(self, path: Path) -> str: ...


class Evidence:
    """Writes outlined screenshots into one folder and names them for the report.

    The folder is asked for only when the first picture is taken, so a gate that finds nothing
    leaves no empty evidence folder behind.
    """

    def __init__(self, folder: Path | Callable[[], Path], attach: Callable[[Path], str] | None = None,
                 limit: int = 20) -> None:
        self._folder = folder
        self._attach = attach
        self.limit = limit
        self.count = 0

    @property
    def folder(self) -> Path:
        """Where the screenshots go."""
        return self._folder() if callable(self._folder) else self._folder

    @classmethod
    def for_gate(cls, gate: GateLike, limit: int = 20) -> Evidence:
        """Evidence saved under the gate's evidence folder and attached to its report entry."""
        return cls(lambda: gate.evidence_dir, gate.attach, limit)

    def shoot(self, page: Page, selector: str | None, label: str) -> tuple[str, ...]:
        """Screenshot the viewport with ``selector`` outlined; returns the report-relative path (or nothing).

        Never raises: a picture that cannot be taken must not hide the finding it illustrates.
        """
        if self.count >= self.limit:
            return ()
        self.count += 1
        name = f"{self.count:03d}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', label).strip('_')[:80]}.png"
        path = self.folder / name
        try:
            marked = bool(selector) and bool(page.evaluate(_OUTLINE, [selector, True]))
            page.screenshot(path=str(path), animations="disabled")
            if marked:
                page.evaluate(_OUTLINE, [selector, False])
        except PlaywrightError:
            return ()
        return (self._attach(path) if self._attach else str(path),)


def shoot(evidence: Evidence | None, page: Page, selector: str | None, label: str) -> tuple[str, ...]:
    """``evidence.shoot(...)`` when evidence is wanted, else nothing."""
    return evidence.shoot(page, selector, label) if evidence is not None else ()


def page_path(page: Page) -> str:
    """The page's path and query, as the inventory names pages."""
    url: str = page.url
    match = re.match(r"^[a-z]+://[^/]+(/[^#]*)?", url)
    return (match.group(1) or "/") if match else url


#: A JavaScript expression, true on an HTML web page (an HTML or XHTML document with a body), which is
#: what the page checks apply to; an SVG or XML document (shown by the browser's own viewer) is not one.
IS_HTML_PAGE_JS = ("(document.documentElement && document.documentElement.namespaceURI === "
                   "'http://www.w3.org/1999/xhtml' && !!document.body && /html/.test(document.contentType))")

#: JavaScript that defines ``window.__cmSelector(el)``: a short, unique CSS selector for an element.
#: Prepend it to a page script that names elements in its results.
SELECTOR_JS = r"""
window.__cmSelector = window.__cmSelector || function (el) {
  if (!(el instanceof Element)) return '';
  const esc = (s) => CSS.escape(s);
  const parts = [];
  let node = el;
  while (node && node.nodeType === 1 && node !== document.documentElement) {
    if (node.id && document.querySelectorAll('#' + esc(node.id)).length === 1) {
      parts.unshift('#' + esc(node.id));
      break;
    }
    let part = node.localName;
    const parent = node.parentElement;
    if (parent) {
      const same = Array.from(parent.children).filter((c) => c.localName === node.localName);
      if (same.length > 1) part += ':nth-of-type(' + (same.indexOf(node) + 1) + ')';
    }
    parts.unshift(part);
    node = parent;
  }
  return parts.join(' > ');
};
"""
