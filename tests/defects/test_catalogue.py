"""The defect catalogue and the table of gates that catch it agree with each other and with gates.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

from castmatch_app.defects import CATALOGUE, NAMES
from tests.defects.catches import CATCHES

ROOT = Path(__file__).resolve().parents[2]
OWNERS = frozenset(tomllib.loads((ROOT / "baselines" / "gates.toml").read_text())["owners"])


def test_every_defect_has_gates_and_every_gate_entry_a_defect() -> None:
    assert sorted(NAMES - set(CATCHES)) == [], "defects no gate is named to catch (tests/defects/catches.py)"
    assert sorted(set(CATCHES) - NAMES) == [], "entries in catches.py for defects the catalogue lacks"


def test_owners_and_priorities_come_from_gates_toml() -> None:
    assert [d.name for d in CATALOGUE if d.owner not in OWNERS] == []
    assert [d.name for d in CATALOGUE if d.priority not in {"p0", "p1", "p2"}] == []
    assert {d.owner for d in CATALOGUE} == OWNERS, "every team of gates.toml can be proven red"


def test_every_named_gate_is_in_the_inventory() -> None:
    # The inventory (baselines/gates.lock) lists every gate id a full run collects, parameters
    # included: a target that matches none of them would make its row a collection error.
    lines = (ROOT / "baselines" / "gates.lock").read_text().splitlines()
    ids = [line.split()[2] for line in lines if line and not line.startswith("#")]
    missing = [f"{defect}: {target}" for defect, targets in sorted(CATCHES.items()) for target in targets
               if not any(gid == target or gid.startswith((target + "[", target + "::")) for gid in ids)]
    assert missing == [], "targets no gate of baselines/gates.lock matches"


def test_gate_modules_have_unique_names() -> None:
    # Suites have no __init__.py: pytest imports each module by its basename, so two
    # test_x.py in different folders break a full run (each folder alone still collects).
    names = [p.name for p in (ROOT / "suites").rglob("test_*.py")]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []
