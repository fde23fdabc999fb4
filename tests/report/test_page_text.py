"""The page writer escapes every value as markupsafe does, and a gate run pays for no template engine."""

from __future__ import annotations

import subprocess
import sys

import markupsafe
import pytest

from pytest_castmatch.model import Outcome, Priority
from pytest_castmatch.report import html

from .conftest import HOSTILE


@pytest.mark.parametrize("value", [
    HOSTILE, "a & b", "it's", 'say "hi"', "&amp;", "", "—·é", "line\nbreak", None, 0, 2.5, True,
    ["<b>", "x"], {"k": "<v>"}, Priority.P0, Outcome.FAILED,
])
def test_a_value_is_escaped_byte_for_byte_as_markupsafe_escapes_it(value: object) -> None:
    assert html._esc(value) == str(markupsafe.escape(value))


@pytest.mark.parametrize("value", ["p0", Priority.P1, None, "<a>"])
def test_case_changes_read_the_text_of_a_string_enum_not_its_name(value: object) -> None:
    text = value if isinstance(value, str) else str(value)
    assert html._upper(value) == str(markupsafe.escape(text.upper()))
    assert html._lower(value) == str(markupsafe.escape(text.lower()))


def test_importing_the_page_writer_imports_no_template_engine() -> None:
    code = ("import sys, pytest_castmatch.report.html\n"
            "print(sorted(m for m in ('jinja2', 'markupsafe') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"
