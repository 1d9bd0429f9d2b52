"""kpath's one plain table, as kubectl prints one: a header row in capitals, columns three
spaces apart, no box, no cell ever wrapped. Paths, probe results and findings all use it.

Where the lines go decides their width: on a terminal each line ends at the terminal's
width, the columns that give way first (NOTES, ENDPOINTS, FINDING) cut with ``…``; in a pipe
or a file nothing is cut and a line runs as long as it needs (``grep`` sees whole rows,
whatever COLUMNS says). No line ends in a space. The decisions are pure functions
(`fit_widths`, `cut`, `table_lines`); `PlainTable` and `PlainLine` only ask Rich where they
are printed. Widths are terminal cells (Rich's `cell_len`: a CJK letter takes two).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.text import Text

GAP = 3  # spaces between columns, as kubectl
ELLIPSIS = "…"


@dataclass(frozen=True)
class Column:
    """``give``: when a terminal is too narrow, columns with a higher ``give`` shrink first
    (0: never, the line is cut at its end instead). ``floor``: the narrowest it shrinks to,
    in cells (at least its header)."""

    name: str
    give: int = 0
    floor: int = 0


def fit_widths(natural: Sequence[int], floors: Sequence[int], gives: Sequence[int],
               width: int | None, gap: int = GAP) -> list[int]:
    """Each column's width so that a line fits ``width`` cells (None: a pipe, no limit).

    Columns shrink by ``give``, highest first (ties: the rightmost first), each down to its
    floor, only as much as the line is too long. Columns with ``give`` 0 never shrink; when
    even the floors do not fit, the caller cuts the line at ``width``."""
    widths = list(natural)
    if width is None:
        return widths
    over = sum(widths) + gap * max(len(widths) - 1, 0) - width
    order = sorted((i for i, g in enumerate(gives) if g > 0), key=lambda i: (-gives[i], -i))
    for i in order:
        if over <= 0:
            break
        room = max(widths[i] - max(floors[i], 1), 0)
        take = min(room, over)
        widths[i] -= take
        over -= take
    return widths


def cut(text: Text, width: int) -> Text:
    """``text`` in at most ``width`` cells: whole when it fits, else cut with ``…`` (its
    styles kept); never ends in a space."""
    if cell_len(text.plain) <= width:
        return text
    if width <= 0:
        return Text("")
    keep = set_cell_size(text.plain, width - 1).rstrip()  # pads a split wide letter: strip
    out = text[: len(keep)]
    out.rstrip()
    out.append(ELLIPSIS, style="dim")
    return out


def table_lines(columns: Sequence[Column], rows: Iterable[Sequence[Text]], width: int | None,
                headers: bool = True) -> list[Text]:
    """The table's lines: the header (unless ``headers`` is False), then one line per row.
    ``width``: the terminal's (lines at most that many cells), or None for a pipe (every
    cell whole)."""
    body = [list(r) for r in rows]
    for r in body:
        if len(r) != len(columns):
            raise ValueError(f"a row of {len(r)} cells for {len(columns)} columns")
    head = [Text(c.name, style="bold") for c in columns]
    shown = [head, *body] if headers else body
    if not shown:
        return []
    natural = [max(cell_len(r[i].plain) for r in shown) for i in range(len(columns))]
    floors = [min(n, max(c.floor, cell_len(c.name))) for n, c in zip(natural, columns,
                                                                       strict=True)]
    widths = fit_widths(natural, floors, [c.give for c in columns], width)
    last = len(columns) - 1
    lines = []
    for r in shown:
        line = Text()
        for i, (cell, w) in enumerate(zip(r, widths, strict=True)):
            if i:
                line.append(" " * GAP)
            fitted = cut(cell, w)
            line.append_text(fitted)
            if i < last:
                line.append(" " * (w - cell_len(fitted.plain)))
        line.rstrip()  # empty trailing cells leave no spaces behind
        lines.append(line if width is None else cut(line, width))
    return lines


def _width(console: Console, options: ConsoleOptions) -> int | None:
    """A terminal's width; None when the output is a pipe or a file."""
    return options.max_width if console.is_terminal else None


class PlainTable:
    """A Rich renderable: `table_lines` at the width of where it is printed. Print it with
    ``soft_wrap=True`` (see `plain_console`) so a pipe's long lines are not cropped."""

    def __init__(self, columns: Sequence[Column], rows: Iterable[Sequence[Text]],
                 headers: bool = True) -> None:
        self.columns = tuple(columns)
        self.rows = [tuple(r) for r in rows]
        self.headers = headers

    def lines(self, width: int | None) -> list[Text]:
        return table_lines(self.columns, self.rows, width, self.headers)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.lines(_width(console, options)):
            yield from line.render(console)
            yield Segment.line()


class PlainLine:
    """One line of text that is never wrapped: cut with ``…`` on a terminal, whole in a
    pipe."""

    def __init__(self, text: Text) -> None:
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = _width(console, options)
        text = self.text.copy()
        text.rstrip()
        yield from (text if width is None else cut(text, width)).render(console)
        yield Segment.line()


def plain_console(**kw: object) -> Console:
    """stdout as kpath's tables print to it: on a terminal at its width (colour unless
    NO_COLOR); in a pipe plain, and never cropped or wrapped."""
    console = Console(**kw)  # type: ignore[arg-type]
    console.soft_wrap = not console.is_terminal
    return console
