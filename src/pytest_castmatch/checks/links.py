"""Link purpose: WCAG 2.4.4 Link Purpose (In Context) and 2.4.9 Link Purpose (Link Only, AAA).

Every link the browser exposes (its own accessibility tree: role and accessible name as computed
for assistive technology) needs a name; a generic name ("Read more", "Click here", "Download") fails
2.4.9, which asks the link alone to say where it goes. It also fails 2.4.4 unless its programmatically
determined context says more: the sentence or paragraph, list item or table cell (with the cell's
headers) that holds it, and what ``aria-describedby`` points to.
"""

# ruff: noqa: E501 - the page script is JavaScript, kept readable on long lines

from __future__ import annotations

from playwright.sync_api import Page

from pytest_castmatch.checks import axtree
from pytest_castmatch.checks.content import generic_name
from pytest_castmatch.checks.evidence import Evidence, page_path, shoot
from pytest_castmatch.model import Finding

#: Words of context beyond the link's own name that can say what a generic link is for.
CONTEXT_WORDS = 1

# The link's programmatically determined context, minus its own text.
_CONTEXT = r"""
(selectors) => selectors.map((sel) => {
  const el = document.querySelector(sel);
  if (!el) return '';
  const text = (n) => (n ? (n.innerText || n.textContent || '') : '').replace(/\s+/g, ' ').trim();
  const ownText = (n) => Array.from(n.childNodes).filter((c) => c.nodeType === 3).map((c) => c.textContent).join(' ');
  const parts = [];
  const holder = el.closest('p, li, td, th, dd, dt, blockquote, figcaption');
  if (holder) parts.push(text(holder));
  // The lists it is in: each enclosing list item's own words ("Ulysses" above a list of its formats).
  for (let li = (holder || el).parentElement && (holder || el).parentElement.closest('li'); li; li = li.parentElement && li.parentElement.closest('li'))
    parts.push(ownText(li));
  const cell = el.closest('td, th');
  if (cell && cell.closest('table')) {
    const ids = (cell.getAttribute('headers') || '').split(/\s+/).filter(Boolean);
    for (const id of ids) parts.push(text(document.getElementById(id)));
    if (!ids.length) {
      // Header cells of the same column (spans counted) and of the same row.
      const start = (c) => { let x = 0; for (const o of c.parentElement.cells) { if (o === c) return x; x += o.colSpan; } return x; };
      const from = start(cell), to = from + cell.colSpan;
      for (const row of cell.closest('table').rows) for (const c of row.cells) {
        if (c === cell || c.localName !== 'th') continue;
        const a = start(c), b = a + c.colSpan;
        if ((row === cell.parentElement) || (a < to && from < b)) parts.push(text(c));
      }
    }
  }
  for (const id of (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean)) parts.push(text(document.getElementById(id)));
  const own = text(el);
  return parts.join(' ').replace(own, ' ').replace(/\s+/g, ' ').trim();
})
"""


def purpose(page: Page, *, evidence: Evidence | None = None) -> list[Finding]:
    """Links with no name (2.4.4), a generic name and no context to explain it (2.4.4), or a generic
    name that only its context explains (2.4.9)."""
    path = page_path(page)
    links = axtree.nodes(page, {"link"})
    contexts: list[str] = page.evaluate(_CONTEXT, [n.selector for n in links]) if links else []
    out: list[Finding] = []
    for node, context in zip(links, contexts, strict=True):
        if not node.name:
            criterion, why = "WCAG 2.4.4", "the link has no accessible name: nothing says where it goes"
        elif not generic_name(node.name):
            continue
        elif len([w for w in context.split() if len(w) > 2]) >= CONTEXT_WORDS:
            criterion, why = "WCAG 2.4.9", f"the link is named {node.name!r}: only its context ({context[:60]!r}) says where it goes"
        else:
            criterion, why = "WCAG 2.4.4", f"the link is named {node.name!r} and nothing around it says where it goes"
        out.append(Finding(rule="link-purpose", criterion=criterion, page=path, selector=node.selector, message=why,
                           evidence=shoot(evidence, page, node.selector, f"link-purpose-{path}")))
    return out
