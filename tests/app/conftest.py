"""Fixtures for the CastMatch app tests: in-process apps (TestClient) sharing one data cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from castmatch_app.app import create_app, runtime_of
from tests.app.apphelp import MakeApp, settings_for


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("castmatch-data")


@pytest.fixture(scope="session")
def state_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("castmatch-state") / "state.sqlite3"


@pytest.fixture
def make_app(data_dir: Path, state_db: Path) -> Iterator[MakeApp]:
    clients: list[TestClient] = []

    def make(*defects: str, **overrides: Any) -> TestClient:
        client = TestClient(create_app(settings_for(data_dir, state_db, defects, **overrides)))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        runtime_of(client.app).lifecycle.draining = False
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_app: MakeApp) -> TestClient:
    return make_app()


@pytest.fixture(autouse=True)
def _reset_process_defects(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # cli.main() exports its flags to the environment and sets the process-wide defect set (as a real
    # process would, for its workers); undo both after every test.
    for name in ("CASTMATCH_DEFECTS", "CASTMATCH_DATA_DIR", "CASTMATCH_STATE_DB", "CASTMATCH_FAULT_INJECTION",
                 "CASTMATCH_RATE_LIMITS", "CASTMATCH_DRAIN_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    yield
    from castmatch_app import defects

    defects.configure(frozenset())


@pytest.fixture(scope="module")
def clean(data_dir: Path, state_db: Path) -> Iterator[TestClient]:
    """One defect-free app shared by a module's 'clean app is unaffected' checks."""
    client = TestClient(create_app(settings_for(data_dir, state_db)))
    client.__enter__()
    yield client
    client.__exit__(None, None, None)
