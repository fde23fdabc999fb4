"""Build the labelled evaluation set for recommendation quality (``baselines/ml/eval_set.json``)
and the drift reference (``baselines/ml/drift_reference.json``) from the app's seeded generator.

Deterministic: the same generator version and seed give byte-identical files. Run it again only
when the generator changes, and commit both outputs:

    .venv/bin/python baselines/ml/make_eval_set.py

Labels come from the role's requirements, not from the model: a talent is relevant to a role when
it has the role's archetype (both signature skills), the required gender (unless "any"), an age in
the role's range, one of the role's languages, and works from the role's area. Roles with fewer
than three relevant talents are left out (precision@10 would be capped by the label set itself).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from castmatch_app import generator

SEED = 20250113
TALENTS = 10_000
ROLES = 60
MIN_RELEVANT = 3
# Same bins as the app's drift monitor; a fixed reference keeps a monitor honest if the app changes.
AGE_BINS = [18, 22, 26, 30, 35, 40, 50, 71]
EXPERIENCE_BINS = [0, 1, 3, 6, 10, 15, 55]
HERE = Path(__file__).resolve().parent


def relevant(role: generator.Role, talents: list[generator.Talent]) -> list[int]:
    return [
        t.id for t in talents
        if t.archetype == role.archetype and (role.gender == "any" or t.gender == role.gender)
        and role.age_min <= t.age <= role.age_max and t.area == role.area and set(t.languages) & set(role.languages)
    ]


def eval_set(talents: list[generator.Talent]) -> dict[str, object]:
    labels: dict[str, list[int]] = {}
    for role in generator.roles(SEED):
        found = relevant(role, talents)
        if len(found) >= MIN_RELEVANT:
            labels[str(role.id)] = found
        if len(labels) == ROLES:
            break
    return {
        "generator_version": generator.GENERATOR_VERSION, "seed": SEED, "talents": TALENTS,
        "query": "GET /api/v1/roles/{role_id}/talent?k=K",
        "relevance": "same archetype, gender (unless any), age in range, a shared language, same area",
        "labels": labels,
    }


def drift_reference(talents: list[generator.Talent]) -> dict[str, object]:
    n = len(talents)

    def shares(values: list[str], vocabulary: tuple[str, ...], per: float) -> list[float]:
        counts = [values.count(v) for v in vocabulary]
        return [round(c / per, 6) for c in counts]

    languages = [lang for t in talents for lang in t.languages]
    skills = [s for t in talents for s in t.skills]
    return {
        "generator_version": generator.GENERATOR_VERSION, "seed": SEED, "talents": TALENTS,
        "bins": {"age": AGE_BINS, "experience": EXPERIENCE_BINS},
        "distribution": {
            "age": [round(float(x) / n, 6) for x in np.histogram([t.age for t in talents], bins=AGE_BINS)[0]],
            "experience": [round(float(x) / n, 6)
                           for x in np.histogram([t.experience for t in talents], bins=EXPERIENCE_BINS)[0]],
            "languages": shares(languages, generator.LANGUAGES, len(languages)),
            "skills": shares(skills, generator.SKILLS, len(skills)),
            "area": shares([t.area for t in talents], generator.AREAS, n),
        },
    }


def main() -> None:
    talents = list(generator.talents(SEED, TALENTS))
    for name, data in (("eval_set.json", eval_set(talents)), ("drift_reference.json", drift_reference(talents))):
        (HERE / name).write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
