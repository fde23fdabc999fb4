"""``python -m pytest_castmatch`` is ``castmatch-gate``."""

from __future__ import annotations

from pytest_castmatch.cli import main

raise SystemExit(main())
