"""External engines driven as subprocesses (Lighthouse, Locust, bandit).

A runner that cannot find its engine raises ``EngineMissing`` with the install command;
the gate then errors and blocks — it is never skipped green.
"""

from __future__ import annotations


class EngineMissing(RuntimeError):
    """An engine (node, Lighthouse, Locust, bandit) is not installed; the message says how to install it."""
