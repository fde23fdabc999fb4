"""The committed labelled set and drift reference are what the documented script produces."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from castmatch_app import generator

ML = Path(__file__).resolve().parents[2] / "baselines" / "ml"


def _script() -> object:
    spec = importlib.util.spec_from_file_location("make_eval_set", ML / "make_eval_set.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_files_are_reproducible() -> None:
    script = _script()
    talents = list(generator.talents(script.SEED, script.TALENTS))  # type: ignore[attr-defined]
    assert json.loads((ML / "eval_set.json").read_text()) == json.loads(json.dumps(script.eval_set(talents)))  # type: ignore[attr-defined]
    assert json.loads((ML / "drift_reference.json").read_text()) == json.loads(
        json.dumps(script.drift_reference(talents)))  # type: ignore[attr-defined]


def test_labels_follow_role_requirements() -> None:
    data = json.loads((ML / "eval_set.json").read_text())
    assert len(data["labels"]) == 60
    roles = {r.id: r for r in generator.roles(data["seed"])}
    talents = {t.id: t for t in generator.talents(data["seed"], data["talents"])}
    for role_id, relevant in data["labels"].items():
        role = roles[int(role_id)]
        assert len(relevant) >= 3
        for talent_id in relevant:
            talent = talents[talent_id]
            assert talent.archetype == role.archetype
            assert talent.area == role.area
            assert role.age_min <= talent.age <= role.age_max
