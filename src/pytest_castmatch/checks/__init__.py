"""Checks over a Playwright page or an HTTP target, each returning Findings and measurements.

A check knows nothing of pytest: call it from a REPL with a page, read the findings.
"""

#: Severity of a needs-review item: a case a check cannot decide (an axe "incomplete", a layout a
#: person must judge). It is reported apart from violations and never dropped; the verdict decides
#: what it blocks.
NEEDS_REVIEW = "review"
