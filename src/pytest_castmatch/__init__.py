"""pytest-castmatch: the launch gate for a web app, as a pytest plugin plus gate suites.

The public vocabulary for gate authors: ``Finding`` (what a check found), its ``Severity``, and ``Priority``.
"""

from __future__ import annotations

from pytest_castmatch.model import Finding, Priority, Severity

__all__ = ["Finding", "Priority", "Severity"]
