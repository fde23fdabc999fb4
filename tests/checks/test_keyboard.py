"""Keys a page names as its way out of a trap."""

from __future__ import annotations

import pytest

from pytest_castmatch.checks import keyboard


@pytest.mark.parametrize(("text", "key"), [
    ("Ctrl+M", "Control+m"), ("ctrl + shift + x", "Control+Shift+x"), ("Escape", "Escape"), ("esc", "Escape"),
    ("F6", "F6"), ("Alt+Tab", "Alt+Tab"), ("Hyper+Q", None), ("", None),
])
def test_key_from_instruction(text: str, key: str | None) -> None:
    assert keyboard.key_from_instruction(text) == key
