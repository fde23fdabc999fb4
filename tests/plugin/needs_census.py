"""A pytest plugin for one census run: each collected gate and the needs it declares, as JSON.

Loaded with ``-p tests.plugin.needs_census``; writes ``$NEEDS_CENSUS`` once collection is done.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest


def pytest_collection_finish(session: pytest.Session) -> None:
    census = {item.nodeid: [str(k) for mark in item.iter_markers("needs") for k in mark.args]
              if item.get_closest_marker("needs") is not None else None for item in session.items}
    Path(os.environ["NEEDS_CENSUS"]).write_text(json.dumps(census))
