"""WCAG relative luminance and contrast ratio, against the figures WCAG's own definitions give."""

from __future__ import annotations

import pytest

from pytest_castmatch.checks import contrast

WHITE, BLACK = (255.0, 255.0, 255.0), (0.0, 0.0, 0.0)


def test_luminance_runs_from_black_to_white() -> None:
    assert contrast.luminance(BLACK) == 0
    assert contrast.luminance(WHITE) == pytest.approx(1)
    # Green weighs most, blue least: 0.7152, 0.2126 and 0.0722 of a full channel.
    assert [contrast.luminance(c) for c in ((0, 255, 0), (255, 0, 0), (0, 0, 255))] == pytest.approx(
        [0.7152, 0.2126, 0.0722])


@pytest.mark.parametrize(("fg", "bg", "expected"), [
    (BLACK, WHITE, 21.0),
    (WHITE, WHITE, 1.0),
    ((0x76, 0x76, 0x76), WHITE, 4.54),  # the lightest grey that meets AA on white
    ((0x59, 0x59, 0x59), WHITE, 7.0),   # the lightest grey that meets AAA on white
])
def test_ratio_matches_wcag(fg: tuple[float, float, float], bg: tuple[float, float, float], expected: float) -> None:
    assert contrast.ratio(fg, bg) == pytest.approx(expected, abs=0.01)
    assert contrast.ratio(bg, fg) == contrast.ratio(fg, bg)
