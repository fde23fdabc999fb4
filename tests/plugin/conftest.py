"""A throwaway gate project per test: a tiny gates.toml and a suites/ folder."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

GATES_TOML = """\
schema = 1
[launch]
name = "Test launch"
date = 2025-01-13
[owners.backend-api]
title = "Backend API"
[owners.devops]
title = "DevOps"
[owners.frontend-ui]
title = "Frontend"
[metrics.api_p99_ms]
title = "API p99"
owner = "backend-api"
priority = "p0"
unit = "ms"
max = 200
launch = true
[metrics.bundle_kb]
title = "JS bundle"
owner = "frontend-ui"
priority = "p2"
unit = "kB"
max = 100
"""


class GateProject:
    """Writes gate suites into a pytester dir and reads back the report they produce."""

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester
        self.root = pytester.path
        (self.root / "baselines").mkdir()
        (self.root / "baselines" / "gates.toml").write_text(GATES_TOML)
        (self.root / "suites").mkdir()
        # pytest-playwright keeps global soft-assertion state that nests badly in-process.
        pytester.makeini("[pytest]\ncastmatch_suites = suites\naddopts = -p no:playwright --import-mode=importlib\n")
        self.locked = False

    def suite(self, name: str, source: str) -> Path:
        path = self.root / "suites" / f"{name}.py"
        path.write_text(textwrap.dedent(source))
        self.locked = False
        return path

    def lock(self) -> pytest.RunResult:
        """Write the inventory (baselines/gates.lock) of the suites as they stand, as castmatch-gate lock does."""
        result = self.pytester.runpytest("--gate-lock")
        self.locked = result.ret == 0
        return result

    def run(self, *args: str, **kwargs: Any) -> pytest.RunResult:
        """Lock the suites as written (unless already locked), then run pytest in process with ``args``."""
        if not self.locked:
            self.lock()
        return self.pytester.runpytest(*args, **kwargs)

    def deployment(self, source: str) -> Path:
        """Write a deployment profile (``--gate-deployment deployment.toml`` selects it)."""
        path = self.root / "deployment.toml"
        path.write_text(textwrap.dedent(source))
        return path

    def waivers(self, source: str) -> None:
        (self.root / "baselines" / "waivers.toml").write_text(textwrap.dedent(source))

    def report(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.root / "gate-report" / "report.json").read_text())
        return data

    def outcomes(self) -> dict[str, str]:
        return {g["id"].split("::")[-1]: g["outcome"] for g in self.report()["gates"]}

    def blockers(self) -> list[dict[str, Any]]:
        return [r for r in self.report()["verdict"]["reasons"] if r["blocking"]]


@pytest.fixture
def project(pytester: pytest.Pytester) -> GateProject:
    return GateProject(pytester)


@pytest.fixture
def signing_key(project: GateProject, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh Ed25519 key (its public half beside it as .pub) that signs the project's runs, listed
    as the project's launch key in baselines/signers."""
    from pytest_castmatch.cli import main

    key = project.root / "ci.pem"
    assert main(["keygen", "--out", str(key)]) == 0
    signers = project.root / "baselines" / "signers"
    signers.mkdir()
    (signers / "ci.pub").write_bytes(key.with_name("ci.pem.pub").read_bytes())
    (signers / "signers.toml").write_text('[keys.ci]\nfile = "ci.pub"\nlaunch = true\n')
    monkeypatch.setenv("CASTMATCH_SIGNING_KEY", str(key))
    return key
