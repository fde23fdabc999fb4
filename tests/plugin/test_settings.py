"""One settings object: options, environment, ini, the gates file and defaults, resolved once and reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_castmatch import settings
from pytest_castmatch.settings import SettingsError
from tests.plugin.conftest import GateProject

ROOT = Path(__file__).resolve().parents[2]
PASSING = '''
    import pytest

    @pytest.mark.p0
    @pytest.mark.owner("backend-api")
    def test_api(gate, castmatch_settings):
        gate.metric("api_p99_ms", float(castmatch_settings.load_users))
'''


def _resolve(*layers: settings.Layer) -> settings.Settings:
    return settings.resolve(list(layers), Path("/project"))


def test_an_option_beats_the_environment_beats_ini_beats_the_gates_file_beats_the_default() -> None:
    option = settings.option_layer({}, ["load_users=1"], Path("/cwd"))
    env = settings.env_layer({"CASTMATCH_LOAD_USERS": "2", "CASTMATCH_FUZZ_SEED": "7"}, Path("/cwd"))
    toml = settings.toml_layer({"load_users": 4, "fuzz_seed": 9, "load_think": "1,2"}, Path("/project/baselines"),
                               lambda name: name)
    resolved = _resolve(option, env, toml)
    assert (resolved.load_users, resolved.fuzz_seed, resolved.load_think) == (1, 7, (1.0, 2.0))
    assert resolved.load_hold is None  # unset: the deployment's user model decides
    assert dict(resolved.sources) == {"load_users": "option", "fuzz_seed": "env", "load_think": "gates file"}
    assert _resolve(env, toml).load_users == 2
    assert _resolve(toml).load_users == 4
    assert _resolve().config == Path("/project/baselines/gates.toml")


def test_an_empty_variable_is_unset_and_a_secret_is_never_reported() -> None:
    resolved = _resolve(settings.env_layer({"CASTMATCH_SIGNING_KEY": "  ", "CASTMATCH_LOAD_USERS": ""}, Path("/")))
    assert resolved.signing_key is None
    assert resolved.load_users is None
    keyed = _resolve(settings.env_layer({"CASTMATCH_SIGNING_KEY": "-----BEGIN PRIVATE KEY-----"}, Path("/")))
    assert keyed.to_json()["signing_key"] == {"value": "set", "source": "env"}
    assert "BEGIN" not in repr(keyed)


@pytest.mark.parametrize(("layer", "expected"), [
    (settings.env_layer({"CASTMATCH_LOAD_USERS": "many"}, Path("/")),
     "CASTMATCH_LOAD_USERS='many': cannot read 'many' — for example CASTMATCH_LOAD_USERS=20000"),
    (settings.env_layer({"CASTMATCH_LOAD_THINK": "3,1"}, Path("/")),
     "CASTMATCH_LOAD_THINK='3,1': MIN must not exceed MAX — for example CASTMATCH_LOAD_THINK=20,40"),
    (settings.option_layer({"shard": "3/2"}, [], Path("/")),
     "--gate-shard '3/2': K must be between 1 and N — for example --gate-shard 1/3"),
    (settings.option_layer({}, ["lighthouse_runs=0"], Path("/")),
     "--gate-set lighthouse_runs '0': must be at least 1 — for example --gate-set lighthouse_runs=3"),
])
def test_a_bad_value_names_where_it_came_from_and_the_fix(layer: settings.Layer, expected: str) -> None:
    with pytest.raises(SettingsError) as raised:
        _resolve(layer)
    assert str(raised.value) == expected


@pytest.mark.parametrize("given", [
    lambda: settings.env_layer({"CASTMATCH_LOAD_SECONDS": "30"}, Path("/")),
    lambda: settings.option_layer({}, ["load_seconds=30"], Path("/")),
    lambda: settings.toml_layer({"load_seconds": 30}, Path("/"), lambda name: f"gates.toml:9: [settings] {name}"),
])
def test_a_retired_load_setting_is_refused_with_what_replaces_it(given: object) -> None:
    assert callable(given)
    with pytest.raises(SettingsError, match=r"load_seconds is no longer a setting — a load run lasts the user model's "
                                            r"ramp, warm-up and hold: set load_hold \(CASTMATCH_LOAD_HOLD"):
        given()
    with pytest.raises(SettingsError, match=r"CASTMATCH_LOAD_SPAWN_RATE='25': load_spawn_rate is no longer a setting "
                                            r"— the users arrive evenly over the user model's ramp"):
        settings.env_layer({"CASTMATCH_LOAD_SPAWN_RATE": "25"}, Path("/"))


def test_gate_set_names_the_settings_it_knows() -> None:
    with pytest.raises(SettingsError, match="expected NAME=VALUE with NAME one of: config, report_dir"):
        settings.option_layer({}, ["signing_key=x"], Path("/"))


def test_the_report_records_every_setting_with_its_source(project: GateProject,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASTMATCH_LOAD_USERS", "7")
    path = project.root / "baselines" / "gates.toml"
    path.write_text(path.read_text() + "[settings]\nload_users = 9\nfuzz_budget_s = 30\n")
    project.suite("test_api", PASSING)
    project.pytester.runpytest("--gate-set", "lighthouse_runs=2")
    report = project.report()
    recorded = report["settings"]
    assert recorded["load_users"] == {"value": 7, "source": "env"}
    assert recorded["fuzz_budget_s"] == {"value": 30.0, "source": "gates file"}
    assert recorded["lighthouse_runs"] == {"value": 2, "source": "option"}
    assert recorded["load_think"] == {"value": None, "source": "default"}
    assert recorded["signing_key"]["value"] in ("set", "unset")
    assert report["gates"][0]["metrics"][0]["value"] == 7.0


def test_an_unknown_setting_in_the_gates_file_names_its_line(project: GateProject) -> None:
    path = project.root / "baselines" / "gates.toml"
    text = path.read_text() + "[settings]\nload_user = 9\n"
    path.write_text(text)
    project.suite("test_api", PASSING)
    result = project.pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    line = len(text.splitlines())
    result.stderr.fnmatch_lines([f"*gates.toml:{line}: [[]settings[]] load_user: unknown key — did you mean "
                                 "'load_users'?*"])


def test_readme_documents_every_setting() -> None:
    assert settings.markdown_table() in (ROOT / "README.md").read_text()
