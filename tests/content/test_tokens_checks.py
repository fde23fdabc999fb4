"""The design-token checks against pages with known colours."""

from __future__ import annotations

from playwright.sync_api import Page

from pytest_castmatch.checks import tokens

TOKENS = """:root{--bg:#fdfbf7;--text:#1c1720;--accent:#7b1245;--space:1rem;--shadow:0 1px 3px rgb(0 0 0/.2)}
:root[data-theme=dark]{--bg:#121016;--text:#f5f1f7;--accent:#ffb1d0}
body{background:var(--bg);color:var(--text);margin:0}
.btn{background:var(--accent);color:var(--bg);border:2px solid var(--accent)}"""


def page_with(cpage: Page, extra_css: str = "", theme: str = "") -> None:
    attr = f' data-theme="{theme}"' if theme else ""
    cpage.set_content(f"<html{attr}><head><style>{TOKENS}{extra_css}</style></head><body><p>Text</p>"
                      '<button class="btn">Book audition</button><p class="brand">CastMatch</p></body></html>')


def test_token_values_are_read_per_theme(cpage: Page) -> None:
    page_with(cpage)
    assert tokens.token_colours(cpage)["--accent"] == "rgb(123, 18, 69)"
    page_with(cpage, theme="dark")
    assert tokens.token_colours(cpage)["--accent"] == "rgb(255, 177, 208)"


def test_token_colours_pass(cpage: Page) -> None:
    for theme in ("", "dark"):
        page_with(cpage, theme=theme)
        assert tokens.computed_colours(cpage) == []
        assert tokens.authored_colours(cpage) == []


def test_literal_colour_is_found_both_ways(cpage: Page) -> None:
    page_with(cpage, ".brand{color:#d63384}")
    computed = tokens.computed_colours(cpage)
    assert [(f.rule, f.selector) for f in computed] == [("colour-not-token", "p.brand")]
    assert "rgb(214, 51, 132)" in computed[0].message
    assert [f.selector for f in tokens.authored_colours(cpage)] == [".brand"]


def test_a_light_token_in_the_dark_theme_is_stray(cpage: Page) -> None:
    # Correct in light, wrong in dark: only the computed rule, per theme, can see it.
    page_with(cpage, ":root[data-theme=dark] .brand{color:var(--unknown, #7b1245)}", theme="dark")
    assert [f.selector for f in tokens.computed_colours(cpage)] == ["p.brand"]


def test_no_tokens_at_all(cpage: Page) -> None:
    cpage.set_content("<p style='color:#123456'>x</p>")
    assert [f.rule for f in tokens.computed_colours(cpage)] == ["no-colour-tokens"]
