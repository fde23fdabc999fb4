"""A pytest plugin for the sample-site run: records any start or import of the reference app.

Loaded with ``-p tests.sample_site.audit``; an audit hook sees every ``subprocess.Popen`` and every
import in the gate run's process, and the list is written to ``$SAMPLE_SITE_AUDIT`` at the end.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

_SEEN: list[str] = []
_APP = ("castmatch_app", "castmatch-app")


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "subprocess.Popen":
        command = " ".join(str(a) for a in (args[1] if isinstance(args[1], list | tuple) else [args[1]]))
        if any(name in command for name in _APP):
            _SEEN.append(f"started: {command}")
    elif event == "import" and str(args[0]).split(".")[0] == "castmatch_app":
        _SEEN.append(f"imported: {args[0]}")


def pytest_configure(config: pytest.Config) -> None:
    sys.addaudithook(_audit)
    # A cleanup runs even when another plugin's pytest_unconfigure raises; it runs after the plugin's
    # own end-of-run work (the run's app is stopped in a cleanup registered later, so earlier).
    config.add_cleanup(_write)


def _write() -> None:
    Path(os.environ["SAMPLE_SITE_AUDIT"]).write_text(json.dumps(sorted(set(_SEEN))))
