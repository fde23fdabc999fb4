"""Checks over a Playwright page or an HTTP target, each returning Findings and measurements.

A check knows nothing of pytest: call it from a REPL with a page, read the findings.
"""
