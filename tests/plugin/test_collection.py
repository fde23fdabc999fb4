"""Collection-time rules: every gate has one priority and one known owner; config errors name the line."""

from __future__ import annotations

import pytest

from tests.plugin.conftest import GateProject


def test_unknown_owner_is_a_collection_error_naming_file_test_and_fix(project: GateProject) -> None:
    project.suite("test_typo", """
        import pytest

        @pytest.mark.p0
        @pytest.mark.owner("backend-apy")
        def test_api():
            pass
    """)
    result = project.run()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([
        "*ERROR collecting suites/test_typo.py*",
        "suites/test_typo.py::test_api (suites/test_typo.py:4): owner 'backend-apy' is not declared in "
        "baselines/gates.toml — did you mean @pytest.mark.owner(\"backend-api\")?",
    ])
    assert project.report()["verdict"]["decision"] == "NO-GO"


@pytest.mark.parametrize(
    ("marks", "expected"),
    [
        ("", "*no priority marker — add @pytest.mark.p0, @pytest.mark.p1 or @pytest.mark.p2"),
        ("@pytest.mark.p1", '*no owner marker — add @pytest.mark.owner("team") with a team from baselines/gates.toml'),
        ('@pytest.mark.p0\n@pytest.mark.p2\n@pytest.mark.owner("devops")',
         "*2 priority markers (p0, p2) — keep exactly one*"),
        ('@pytest.mark.p0\n@pytest.mark.owner("devops", "ops")', "*owner takes exactly one team name*"),
    ],
)
def test_misclassified_gates_are_collection_errors(project: GateProject, marks: str, expected: str) -> None:
    project.suite("test_bad", f"import pytest\n\n{marks}\ndef test_gate():\n    pass\n")
    result = project.run("-m", "p0 or p1 or p2 or not p0")
    assert result.ret != 0
    result.stdout.fnmatch_lines([expected])


def test_a_deselecting_marker_does_not_hide_an_invalid_gate(project: GateProject) -> None:
    project.suite("test_bad", "def test_unmarked():\n    pass\n")
    result = project.run("-m", "p0")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*test_unmarked*no priority marker*"])


def test_module_level_markers_classify_every_test(project: GateProject) -> None:
    project.suite("test_module", """
        import pytest

        pytestmark = [pytest.mark.p1, pytest.mark.owner("devops")]

        class TestOps:
            def test_one(self):
                pass

        def test_two():
            pass
    """)
    result = project.run("-m", "p1")
    result.assert_outcomes(passed=2)
    assert {g["owner"] for g in project.report()["gates"]} == {"devops"}


def test_class_markers_count_with_the_test_own(project: GateProject) -> None:
    """A test's markers are its own and every enclosing class's and module's: a priority on the class and
    another on the method are two priorities; a class's owner is each method's owner."""
    project.suite("test_classes", """
        import pytest

        pytestmark = pytest.mark.owner("devops")

        @pytest.mark.p0
        class TestOps:
            def test_inherits(self):
                pass

            @pytest.mark.p1
            def test_two_priorities(self):
                pass

        @pytest.mark.owner("backend-api")
        class TestApi:
            @pytest.mark.p2
            def test_two_owners(self):
                pass
    """)
    result = project.run()
    assert result.ret != 0
    result.stdout.fnmatch_lines([
        "*test_two_priorities (suites/test_classes.py:*): 2 priority markers (p0, p1)*",
        "*test_two_owners (suites/test_classes.py:*): 2 owners (backend-api, devops)*",
    ])
    assert "test_inherits (" not in result.stdout.str()


def test_tests_outside_the_suites_are_not_gates(project: GateProject) -> None:
    project.pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    result = project.run("test_plain.py")
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    assert not (project.root / "gate-report").exists()


def test_a_malformed_gates_file_names_the_line(project: GateProject) -> None:
    (project.root / "baselines" / "gates.toml").write_text('schema = 1\n[launch]\nname = "x"\ndate = \n')
    project.suite("test_x", "def test_x():\n    pass\n")
    result = project.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*baselines/gates.toml: invalid TOML: *(at line 4, column 8)*fix the syntax*"])


def test_an_unknown_metric_owner_names_the_line_and_suggests(project: GateProject) -> None:
    path = project.root / "baselines" / "gates.toml"
    path.write_text(path.read_text().replace('owner = "frontend-ui"', 'owner = "frontend"'))
    project.suite("test_x", "def test_x():\n    pass\n")
    result = project.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*baselines/gates.toml:20: [[]metrics.bundle_kb[]] owner: unknown owner 'frontend' — "
         "did you mean 'frontend-ui'?*"]
    )


def test_collect_only_lists_gates_without_judging_them(project: GateProject) -> None:
    project.suite("test_x", '''
        import pytest

        @pytest.mark.p0
        @pytest.mark.owner("devops")
        def test_x():
            pass
    ''')
    result = project.run("--collect-only", "-q")
    assert result.ret == 0
    assert not (project.root / "gate-report").exists()
