"""The deployment profile and what gates need from it: not applicable, blocking, the traffic guard."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_castmatch import needs, profiles
from pytest_castmatch.deployment import DeploymentError
from pytest_castmatch.needs import State
from tests.plugin.conftest import GateProject

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "sample_site" / "deployment.toml"

LIGHT_ONLY = """\
    [deployment]
    name = "Light site"
    base_url = "http://127.0.0.1:9"
    features = []
    [deployment.themes]
    mode = "light"
"""


def test_the_reference_profile_declares_every_need() -> None:
    reference = profiles.reference()
    assert reference.reference
    assert reference.base_url is None
    silent = [key for key in needs.KNOWN if needs.evaluate(reference, key).state is State.SILENT]
    absent = [key for key in needs.KNOWN if needs.evaluate(reference, key).state is State.ABSENT]
    assert absent == []
    assert silent == []


def test_the_sample_site_profile_has_pages_and_one_light_theme_and_lacks_the_rest() -> None:
    site = profiles.load(SAMPLE)
    present = sorted(key for key in needs.KNOWN if needs.evaluate(site, key).state is State.PRESENT)
    assert present == ["languages", "load", "pages", "sitemap", "themes"]
    dark = needs.evaluate(site, "themes.dark")
    assert dark.state is State.ABSENT
    line = SAMPLE.read_text().splitlines().index('mode = "light"') + 1
    assert dark.message == f'the deployment has no dark theme: [deployment.themes] mode = "light" ({SAMPLE}:{line})'


def test_with_a_base_url_alone_every_need_blocks_and_names_its_key() -> None:
    bare = profiles.choose(profile=None, gates_file=None, base_url="https://staging.example/")
    assert (bare.name, bare.base_url, bare.reference) == ("staging.example", "https://staging.example", False)
    need = needs.evaluate(bare, "sign_in")
    assert need.state is State.SILENT
    assert "set [deployment.sign_in]" in need.message


@pytest.mark.parametrize(("url", "expected"), [
    ("https://h.example/shop", r"has a path: the gates open pages from the root of its origin, so '/' would be "
                               r"https://h\.example/, not the deployment .* list = \[\"/shop/\", \.\.\.\]"),
    ("https://h.example/?preview=1", r"has a path"),
    ("h.example:8080", r"is not an http\(s\) URL"),
])
def test_a_base_url_must_be_an_origin(url: str, expected: str) -> None:
    # Under a base URL with a path, '/' would open the origin's root: another system than the one named.
    with pytest.raises(DeploymentError, match=f"--base-url '{re.escape(url)}' {expected}"):
        profiles.choose(profile=SAMPLE, gates_file=None, base_url=url)
    assert profiles.choose(profile=SAMPLE, gates_file=None, base_url="http://127.0.0.1:8080/").base_url == (
        "http://127.0.0.1:8080")


def test_an_absent_need_wins_over_a_silent_one(tmp_path: Path) -> None:
    path = tmp_path / "deployment.toml"
    path.write_text(LIGHT_ONLY.replace("    ", ""))
    found = needs.first_unmet(profiles.load(path), ("sign_in", "themes.dark"))
    assert found is not None
    assert found.key == "themes.dark"
    assert found.state is State.ABSENT


@pytest.mark.parametrize(("text", "expected"), [
    ("[deployment]\nbase_url = 'x'\n", r"deployment\.toml:1: \[deployment\] name: the profile has no name"),
    ("[deployment]\nname = 'x'\nthemes = { mode = 'sepia' }\n", r"unknown mode 'sepia'"),
    ("[deployment]\nname = 'x'\nlangauges = {}\n", r"deployment\.toml:3: .* unknown key — did you mean 'languages'\?"),
    ("[deployment]\nname = 'x'\n[deployment.languages]\ndefault = 'en'\nothers = ['hi']\n",
     r"deployment\.toml:3: \[deployment\.languages\] switch: translations need a way to switch language"),
    ("[deployment]\nname = 'x'\nfeatures = ['bookings']\n", r"deployment\.toml:3: .* unknown feature 'bookings'"),
    ("[deployment]\nname = 'x'\nbase_url = 'https://h.example/shop/'\n",
     r"deployment\.toml:3: .* 'https://h\.example/shop/' has a path: .* give the origin \(https://h\.example\)"),
    ("name = 'x'\n", r"no \[deployment\] table"),
    ("[deployment\nname = 'x'\n", r"invalid TOML"),
])
def test_a_bad_profile_names_the_file_the_line_and_the_fix(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "deployment.toml"
    path.write_text(text)
    with pytest.raises(DeploymentError, match=expected):
        profiles.load(path)


def test_accounts_come_from_the_named_variable_in_one_format() -> None:
    sign_in = profiles.reference().sign_in
    assert sign_in.credentials({"CASTMATCH_ACCOUNTS": '[["a@x", "pw"], ["b@x", "pw2"]]'}, at_least=2) == [
        ("a@x", "pw"), ("b@x", "pw2")]
    with pytest.raises(DeploymentError, match="CASTMATCH_ACCOUNTS holds 1 account"):
        sign_in.credentials({"CASTMATCH_ACCOUNTS": '[["a@x", "pw"]]'}, at_least=2)
    with pytest.raises(DeploymentError, match="not a JSON list"):
        sign_in.credentials({"CASTMATCH_ACCOUNTS": "a@x:pw"})


GATES = '''
    import pytest

    @pytest.mark.p0
    @pytest.mark.owner("frontend-ui")
    @pytest.mark.needs("themes.dark")
    def test_dark(gate):
        gate.metric("api_p99_ms", 1.0)

    @pytest.mark.p1
    @pytest.mark.owner("frontend-ui")
    @pytest.mark.needs("themes")
    def test_themes(gate):
        pass

    @pytest.mark.p0
    @pytest.mark.owner("devops")
    @pytest.mark.needs("sign_in")
    def test_sign_in(gate):
        pass
'''


def test_not_applicable_carries_the_profile_reason_and_silence_blocks(project: GateProject) -> None:
    project.deployment(LIGHT_ONLY)
    project.suite("test_needs", GATES)
    result = project.pytester.runpytest("--gate-deployment", "deployment.toml")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert project.outcomes() == {"test_dark": "not-applicable", "test_themes": "passed", "test_sign_in": "error"}
    report = project.report()
    dark = next(g for g in report["gates"] if g["id"].endswith("test_dark"))
    assert dark["message"].startswith('the deployment has no dark theme: [deployment.themes] mode = "light" (')
    reasons = {r["subject"].rsplit("::", 1)[-1]: r for r in report["verdict"]["reasons"]}
    assert reasons["test_dark"]["kind"] == "not-applicable"
    assert not reasons["test_dark"]["blocking"]
    assert reasons["test_sign_in"]["blocking"]
    assert "set [deployment.sign_in]" in reasons["test_sign_in"]["message"]
    # The launch metric only the not-applicable gate measures stays unmeasured, and blocks.
    (api,) = report["launch_metrics"]
    assert api["status"] == "not-measured"
    assert reasons["metric:api_p99_ms"]["blocking"]
    assert report["deployment"]["name"] == "Light site"
    root = project.root / "gate-report"
    why = "the deployment has no dark theme"
    assert why in (root / "index.html").read_text()
    assert why in (root / "summary.md").read_text()
    assert why in (root / "findings.sarif").read_text()
    result.stdout.fnmatch_lines(["*not applicable to this deployment (1):*", f"*test_dark — not applicable: {why}*"])


def test_a_class_need_is_each_method_need(project: GateProject) -> None:
    project.deployment(LIGHT_ONLY)
    project.suite("test_class_needs", '''
        import pytest

        pytestmark = [pytest.mark.p1, pytest.mark.owner("frontend-ui")]

        @pytest.mark.needs("themes.dark")
        class TestDark:
            def test_contrast(self):
                pass

            @pytest.mark.needs("themes")
            def test_both(self):
                pass

        def test_plain():
            pass
    ''')
    project.pytester.runpytest("--gate-deployment", "deployment.toml")
    assert project.outcomes() == {"test_contrast": "not-applicable", "test_both": "not-applicable",
                                  "test_plain": "passed"}


def test_a_run_where_no_gate_applies_judges_nothing(project: GateProject) -> None:
    project.deployment(LIGHT_ONLY)
    project.suite("test_needs", GATES)
    result = project.pytester.runpytest("--gate-deployment", "deployment.toml", "-k", "dark")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert project.report()["verdict"]["decision"] == "NO-GO"
    assert any("no gate in scope applies" in r["message"] for r in project.blockers())


def test_a_skip_of_its_own_is_never_not_applicable(project: GateProject) -> None:
    project.deployment(LIGHT_ONLY)
    project.suite("test_skip", '''
        import pytest

        @pytest.mark.p0
        @pytest.mark.owner("devops")
        @pytest.mark.needs("themes")
        def test_skip(gate):
            pytest.skip("not applicable: a gate cannot declare itself so")
    ''')
    project.pytester.runpytest("--gate-deployment", "deployment.toml")
    assert project.outcomes() == {"test_skip": "skipped"}


def test_an_unknown_need_blocks_with_the_list_of_needs(project: GateProject) -> None:
    project.deployment(LIGHT_ONLY)
    project.suite("test_x", '''
        import pytest

        @pytest.mark.p0
        @pytest.mark.owner("devops")
        @pytest.mark.needs("dark_mode")
        def test_x(gate):
            pass
    ''')
    project.pytester.runpytest("--gate-deployment", "deployment.toml")
    (gate,) = project.report()["gates"]
    assert gate["outcome"] == "error"
    assert "unknown need 'dark_mode'" in gate["message"]


def test_a_traffic_gate_blocks_before_its_fixtures_on_an_unlisted_host(project: GateProject) -> None:
    project.deployment("""\
        [deployment]
        name = "Staging"
        base_url = "https://prod.example"
        [deployment.load]
        allowed_hosts = ["staging.example"]
    """)
    project.suite("test_load", '''
        import pytest
        from pathlib import Path

        @pytest.fixture
        def traffic():
            Path("fixture-ran").write_text("the fixture sent traffic")

        @pytest.mark.p0
        @pytest.mark.owner("backend-api")
        @pytest.mark.needs("load")
        def test_load(traffic, gate):
            pass
    ''')
    result = project.pytester.runpytest("--gate-deployment", "deployment.toml")
    assert result.ret != 0
    assert not (project.root / "fixture-ran").exists()
    (gate,) = project.report()["gates"]
    assert gate["outcome"] == "error"
    assert "refusing to load-test prod.example" in gate["message"]
    assert "[deployment.load] allowed_hosts" in gate["message"]


def test_a_profile_error_is_a_usage_error_naming_the_line(project: GateProject) -> None:
    project.deployment("[deployment]\nname = 'x'\n[deployment.themes]\nmode = 'sepia'\n")
    project.suite("test_x", "def test_x():\n    pass\n")
    result = project.pytester.runpytest("--gate-deployment", "deployment.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*deployment.toml:4: [[]deployment.themes[]] mode: unknown mode 'sepia'*"])


def test_a_deployment_table_in_the_gates_file_is_the_runs_deployment(project: GateProject) -> None:
    gates = project.root / "baselines" / "gates.toml"
    gates.write_text(gates.read_text() + "[deployment]\nname = 'Inline staging'\nbase_url = 'http://127.0.0.1:9'\n")
    project.suite("test_x", 'import pytest\n\n@pytest.mark.p1\n@pytest.mark.owner("devops")\ndef test_x():\n    pass\n')
    project.pytester.runpytest()
    report = project.report()
    assert (report["deployment"]["name"], report["gates"][0]["outcome"]) == ("Inline staging", "passed")
    gates.write_text(gates.read_text() + "[deployment.themes]\nmode = 'sepia'\n")
    result = project.pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*gates.toml:*: [[]deployment.themes[]] mode: unknown mode 'sepia'*"])
