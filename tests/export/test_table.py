"""The plain table: the width decision (pure), the cut, and the lines for a terminal and a pipe."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console, Group
from rich.text import Text

from kpath.export.styled import Styled
from kpath.export.table import (
    GAP,
    NARROW,
    Column,
    PlainLine,
    PlainTable,
    blank,
    cut,
    fit_widths,
    pipe_lines,
    plain_console,
    table_lines,
    write_plain,
)

COLS = (
    Column("SERVICE", give=1, floor=10),
    Column("AT"),
    Column("VERDICT"),
    Column("NOTES", give=9, floor=5),
)


def plain(lines: list[Text]) -> list[str]:
    return [line.plain for line in lines]


def test_a_pipe_keeps_natural_widths_whatever_the_lengths() -> None:
    assert fit_widths([40, 3, 200], [5, 3, 5], [1, 0, 9], None) == [40, 3, 200]


def test_columns_give_way_by_give_then_down_to_their_floor_only() -> None:
    # 30 + 6 + 10 + 40 + 3 gaps of 3 = 95: 15 too many, NOTES (give 9) takes it all.
    assert fit_widths([30, 6, 10, 40], [10, 2, 9, 5], [1, 0, 0, 9], 80) == [30, 6, 10, 25]
    # 55 too many: NOTES to its floor (35), then SERVICE (give 1) the other 20.
    assert fit_widths([30, 6, 10, 40], [10, 2, 9, 5], [1, 0, 0, 9], 40) == [10, 6, 10, 5]
    # Nothing shrinks more than it must, and give-0 columns never do.
    assert fit_widths([30, 6, 10, 40], [10, 2, 9, 5], [1, 0, 0, 9], 10) == [10, 6, 10, 5]
    assert fit_widths([10, 10], [1, 1], [0, 0], 5) == [10, 10]


def test_columns_of_one_give_shrink_widest_first() -> None:
    # 41 + 52 + 17 + 2 gaps = 116, 16 too many for 100: the 52 gives 11, then both give.
    assert fit_widths([41, 52, 17], [12, 9, 10], [5, 5, 5], 100) == [39, 38, 17]


def test_columns_that_drop_are_left_out_and_their_room_goes_back() -> None:
    # NOTES (give 9) cannot fit even at its floor of 16: it goes, gap and all, and what it
    # leaves goes back to ENTRY, which had shrunk.
    widths = fit_widths([20, 30, 20], [10, 10, 16], [0, 5, 9], 50, drops=[False, False, True])
    assert widths == [20, 27, 0]  # 20 + 3 + 27 = 50
    assert fit_widths([20, 30, 20], [10, 10, 16], [0, 5, 9], 80, drops=[False, False, True]) == [
        20,
        30,
        20,
    ]  # room: nothing goes
    lines = table_lines(
        [Column("A"), Column("B", give=5, floor=3), Column("NOTES", give=9, floor=16, drop=True)],
        [[Text("a" * 10), Text("b" * 20), Text("note " * 4)]],
        30,
    )
    assert [line.plain for line in lines] == ["A            B", "a" * 10 + "   " + "b" * 16 + "…"]


def test_cut_keeps_styles_adds_an_ellipsis_and_no_trailing_space() -> None:
    text = Text("ingress-nginx")
    text.stylize("bold", 0, 7)
    out = cut(text, 9)
    assert out.plain == "ingress-…" and out.cell_len == 9
    assert out.spans[0].end == 7  # the style stays on what is left
    assert cut(Text("ab cd"), 4).plain == "ab…"  # never "ab …"
    assert cut(Text("short"), 9).plain == "short"
    # A wide letter split at the edge is not half drawn: 中 takes two cells.
    assert cut(Text("ab中文"), 4).plain == "ab…" and cut(Text("ab中文"), 5).plain == "ab中…"


def test_cut_in_the_middle_keeps_what_tells_names_apart() -> None:
    a = cut(Text("ingress-nginx/ingress-nginx-controller"), 24, "middle").plain
    b = cut(Text("ingress-nginx/ingress-nginx-controller-admission"), 24, "middle").plain
    assert a == "ingress-nginx/…ontroller" and b == "ingress-nginx/…admission"
    assert cell_len(a) == cell_len(b) == 24
    assert cut(Text("http:8443/TCP"), 9, "start").plain == "…8443/TCP"
    assert cut(Text("http:80/TCP"), 9, "start").plain == "…80/TCP"  # not "…p:80/TCP"
    assert cut(Text("中文中文中文"), 6, "middle").plain == "中…文"  # 2 + 1 + 2 cells, never 7


ROWS = [
    [Text("ingress-nginx/ingress-nginx-controller"), Text("node-c"), Text("✗ drop"), Text("")],
    [
        Text("shop/checkout"),
        Text("2 nodes in zone-a"),
        Text("→ forward"),
        Text("⇄ cross-node 50% and a long note that runs on"),
    ],
]


def test_pipe_lines_run_whole_with_three_spaces_and_no_trailing_space() -> None:
    lines = plain(table_lines(COLS, ROWS, None))
    assert lines[0] == ("SERVICE" + " " * 34 + "AT" + " " * 18 + "VERDICT" + " " * 5 + "NOTES")
    assert lines[1] == "ingress-nginx/ingress-nginx-controller   node-c              ✗ drop"
    assert lines[2].endswith("→ forward   ⇄ cross-node 50% and a long note that runs on")
    assert lines[2].index("2 nodes") == lines[1].index("node-c")  # aligned columns


def test_terminal_lines_cut_notes_first_then_the_line() -> None:
    lines = plain(table_lines(COLS, ROWS, 80))
    assert all(cell_len(line) <= 80 for line in lines)
    # The verdicts stay whole; NOTES gave way.
    assert "✗ drop" in lines[1] and "→ forward" in lines[2] and lines[2].endswith("…")
    narrow = plain(table_lines(COLS, ROWS, 40))
    assert all(cell_len(line) <= 40 for line in narrow) and narrow[2].endswith("…")
    # SERVICE gave way last, to its floor.
    assert narrow[1] == "ingress-n…   node-c              ✗ drop"


def test_no_headers_and_empty_tables() -> None:
    assert len(table_lines(COLS, ROWS, None, headers=False)) == 2
    assert table_lines(COLS, [], None, headers=False) == []
    assert plain(table_lines(COLS, [], None)) == ["SERVICE   AT   VERDICT   NOTES"]


def _render(renderable: object, *, terminal: bool, width: int = 60) -> str:
    buf = io.StringIO()
    console = plain_console(file=buf, width=width, force_terminal=terminal, color_system=None)
    console.print(renderable)
    return buf.getvalue()


def test_the_renderables_ask_where_they_print() -> None:
    table = PlainTable(COLS, ROWS)
    piped = _render(table, terminal=False)
    assert "a long note that runs on\n" in piped  # a pipe: whole, not cropped at 60
    shown = _render(table, terminal=True)
    assert all(cell_len(line) <= 60 for line in shown.splitlines()) and "…" in shown
    long_line = PlainLine(Text("kpath " + "x" * 100 + "   "))
    assert _render(long_line, terminal=False) == "kpath " + "x" * 100 + "\n"
    assert _render(long_line, terminal=True) == "kpath " + "x" * 53 + "…\n"


# --------------------------------------------------------------------------- properties
# Cells as clusters write them (after safetext): letters, digits, punctuation, spaces
# inside, wide CJK letters and emoji; never a trailing space (safetext keeps names as given,
# and a name never ends in one).
CELL = st.text(st.sampled_from("ab-/.:→✗⇄ 中文😀0123456789"), max_size=30).map(str.rstrip)
COLUMNS = st.lists(
    st.tuples(
        st.integers(0, 9),
        st.integers(0, 12),
        st.sampled_from(["end", "middle", "start"]),
        st.booleans(),
    ),
    min_size=1,
    max_size=8,
)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[Column], list[list[Text]]]:
    spec = draw(COLUMNS)
    cols = [Column(f"C{i}", give=g, floor=f, cut=c, drop=d) for i, (g, f, c, d) in enumerate(spec)]
    rows = draw(st.lists(st.lists(CELL, min_size=len(cols), max_size=len(cols)), max_size=6))
    return cols, [[Text(c) for c in r] for r in rows]


@settings(max_examples=300, deadline=None)
@given(tables(), st.integers(1, 200), st.booleans())
def test_terminal_lines_never_exceed_the_width(
    table: tuple[list[Column], list[list[Text]]], width: int, headers: bool
) -> None:
    cols, rows = table
    for line in table_lines(cols, rows, width, headers):
        assert line.cell_len <= width
        assert line.plain == line.plain.rstrip()


@settings(max_examples=300, deadline=None)
@given(tables(), st.booleans())
def test_pipe_lines_lose_no_cell(
    table: tuple[list[Column], list[list[Text]]], headers: bool
) -> None:
    cols, rows = table
    lines = table_lines(cols, rows, None, headers)
    body = lines[1:] if headers else lines
    assert len(body) == len(rows)
    for line, row in zip(body, rows, strict=True):
        text = line.plain
        at = 0
        for cell in row:  # every cell whole, in order, with at least the gap between
            if not cell.plain:
                continue
            found = text.find(cell.plain, at)
            assert found >= 0, (cell.plain, text)
            at = found + len(cell.plain) + GAP
        assert text == text.rstrip()


def test_plain_console_is_soft_wrapped_only_off_a_terminal() -> None:
    assert plain_console(file=io.StringIO()).soft_wrap is True
    assert plain_console(file=io.StringIO(), force_terminal=True).soft_wrap is False
    assert isinstance(plain_console(file=io.StringIO()), Console)


@settings(max_examples=300, deadline=None)
@given(tables(), st.booleans())
def test_a_pipe_s_plain_lines_are_the_pipe_table_s_text(
    table: tuple[list[Column], list[list[Text]]], headers: bool
) -> None:
    cols, rows = table
    want = [line.plain for line in table_lines(cols, rows, None, headers)]
    assert pipe_lines(cols, rows, headers) == want
    styled = [[Styled(c.plain, "dim") for c in r] for r in rows]
    assert pipe_lines(cols, styled, headers) == want
    assert [line.plain for line in table_lines(cols, styled, None, headers)] == want


def test_write_plain_prints_what_a_console_prints_off_a_terminal() -> None:
    blocks = [
        PlainLine(Styled("kpath x   ", "bold")),
        blank(),
        PlainTable(COLS, ROWS),
        blank(),
        PlainTable(COLS, [[Styled(c.plain) for c in r] for r in ROWS], headers=False),
    ]
    out = io.StringIO()
    write_plain(blocks, out)
    assert out.getvalue() == _render(Group(*blocks), terminal=False)
    assert out.getvalue().startswith("kpath x\n\nSERVICE")


def test_kpath_s_own_glyphs_are_one_cell_as_rich_counts_them() -> None:
    from kpath.export import table

    assert all(cell_len(c) == 1 for c in table.NARROW)
    for text in ("→ forward", "⇄ cross-node 50%", "a…b", "名前 → x", "e\u0301", "\x1b[x", ""):
        assert table.cell_len(text) == cell_len(text)


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from(sorted(NARROW)),
            st.characters(max_codepoint=0x7F),
            st.characters(),
        ),
        max_size=30,
    )
)
def test_cell_len_is_rich_s_count_for_any_mix_of_glyphs_ascii_and_other_letters(
    text: str,
) -> None:
    from kpath.export import table

    assert table.cell_len(text) == cell_len(text)
