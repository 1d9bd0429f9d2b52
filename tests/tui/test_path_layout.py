"""Where the path pane's lines come from: titles and summaries, rows by their heights."""

from __future__ import annotations

from rich.text import Text

from kpath.tui.path_layout import layout, message


def test_each_line_is_a_head_line_a_row_s_line_or_the_gap_after_a_path() -> None:
    t0, s0, t1 = Text("path 0"), Text("drops at node-c"), Text("path 1")
    lay = layout([[t0, s0], [t1]], [[3, 2], [4]])
    # path 0: title, summary, row (0, 0) x3, row (0, 1) x2, blank; path 1: title, row x4, blank
    assert lay.total == 2 + 5 + 1 + 1 + 4 + 1
    assert lay.starts == (0, 8) and lay.heads == (2, 1)
    assert lay.offsets == {(0, 0): (2, 3), (0, 1): (5, 2), (1, 0): (9, 4)}
    assert lay.at(0) is t0 and lay.at(1) is s0 and lay.at(8) is t1
    assert [lay.at(i) for i in range(2, 7)] == [
        ((0, 0), 0),
        ((0, 0), 1),
        ((0, 0), 2),
        ((0, 1), 0),
        ((0, 1), 1),
    ]
    assert lay.at(7) == Text("") and lay.at(13) == Text("")
    assert lay.at(12) == ((1, 0), 3)
    assert lay.at(14) is None and lay.at(-1) is None


def test_places_compare_without_what_rows_draw() -> None:
    a = layout([[Text("p")]], [[3, 2]])
    assert a.same_places(layout([[Text("p")]], [[3, 2]]))
    assert not a.same_places(layout([[Text("p")]], [[3, 3]]))  # a row grew: lines move
    assert not a.same_places(layout([[Text("q")]], [[3, 2]]))


def test_a_message_is_its_lines() -> None:
    lines = [Text("No service selected.")]
    lay = message(lines)
    assert lay.total == 1 and lay.at(0) is lines[0] and lay.starts == ()
