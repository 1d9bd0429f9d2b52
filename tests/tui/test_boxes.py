"""Boxes measured before they are drawn: the path pane lays a service out from these counts
and draws only the rows on screen, so a count that is off by one misplaces every line below.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from kpath.tui.boxes import Box, box, box_height, wrap, wrap_count

CONSOLE = Console(width=200)

#: Spaces, every separator a word may break at, wide (two-cell) and zero-width characters,
#: the state glyphs, and the controls Rich's own wrap treats apart.
ALPHABET = " ab1-./:@?,=→✗⇄漢字\u0301\n\t"


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=70), st.integers(0, 30))
def test_a_line_count_is_the_lines_wrap_makes(plain: str, width: int) -> None:
    text = Text(plain)
    assert wrap_count(text, width, CONSOLE) == len(wrap(text, width, CONSOLE))


def test_counts_on_the_lines_boxes_hold() -> None:
    lines = [
        "✓ NodePort",
        "127.39.250.3:30080 → 10.1.0.11:8080",
        "ingress-nginx-controller-wrcfgnwxmj-p7vrg",
        "  10.244.1.17 node-a node-b node-c",
        "supercalifragilisticexpialidocious-without-a-break",
    ]
    for plain in lines:
        for width in range(1, 48):
            text = Text(plain, style="bold")
            assert wrap_count(text, width, CONSOLE) == len(wrap(text, width, CONSOLE)), (
                plain,
                width,
            )


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=ALPHABET, max_size=40), max_size=6), st.integers(1, 40))
def test_a_box_s_height_is_the_lines_it_draws(body: list[str], width: int) -> None:
    texts = [Text(b) for b in body]
    drawn = box(texts, width, "green", CONSOLE, title="pods")
    assert box_height(texts, width, CONSOLE) == len(drawn)
    described = Box(texts, width, "green", double=True)
    assert described.height(CONSOLE) == len(described.draw(CONSOLE))
