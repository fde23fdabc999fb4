from __future__ import annotations

from castmatch_app.cli import main

raise SystemExit(main())
