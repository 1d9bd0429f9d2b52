"""kpath's one plain table, as kubectl prints one: a header row in capitals, columns three
spaces apart, no box, no cell ever wrapped. Paths, probe results and findings all use it.

Where the lines go decides their width: on a terminal each line ends at the terminal's
width, the columns that give way first (NOTES, ENDPOINTS, FINDING) cut with ``…``; in a pipe
or a file nothing is cut and a line runs as long as it needs (``grep`` sees whole rows,
whatever COLUMNS says). No line ends in a space. The decisions are pure functions
(`fit_widths`, `cut`, `table_lines`, `pipe_lines`); `PlainTable` and `PlainLine` only ask
Rich where they are printed. Widths are terminal cells (Rich's `cell_len`: a CJK letter
takes two).

A pipe never needs Rich's console: `pipe_lines` and `write_plain` give the same lines a
Rich console prints off a terminal from the cells' plain text alone (cells are
`kpath.export.styled.Styled` or Rich `Text`), and Rich is imported only to draw on a
terminal.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Literal, Protocol, TypeAlias

from kpath.export.styled import Styled

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.text import Text

#: A table's cell or line: kpath's own styled string, or a Rich `Text` (probe tables).
Cell: TypeAlias = "Styled | Text"

GAP = 3  # spaces between columns, as kubectl
ELLIPSIS = "…"
#: Which part of a cut cell goes: its end; its middle (a name's namespace and the end of its
#: name both stay, so ``ingress-nginx/…controller`` and ``ingress-nginx/…admission`` still
#: differ); its start (a port's number and protocol stay).
Cut = Literal["end", "middle", "start"]
SEPARATORS = ":/"  # a start cut begins after one of these


@dataclass(frozen=True)
class Column:
    """``give``: when a terminal is too narrow, columns with a higher ``give`` shrink first
    (0: never, the line is cut at its end instead). ``floor``: the narrowest it shrinks to,
    in cells (at least its header). ``cut``: which part of a cell too wide goes."""

    name: str
    give: int = 0
    floor: int = 0
    cut: Cut = "end"
    drop: bool = False  # left out of a terminal too narrow even for its floor


def fit_widths(
    natural: Sequence[int],
    floors: Sequence[int],
    gives: Sequence[int],
    width: int | None,
    gap: int = GAP,
    drops: Sequence[bool] | None = None,
) -> list[int]:
    """Each column's width so that a line fits ``width`` cells (None: a pipe, no limit);
    0 is a column left out (it takes no gap either).

    Columns give way by ``give``, highest first. Columns of one ``give`` shrink together,
    the widest first (so one long cell does not cost its neighbours their whole width), each
    down to its floor and only as much as the line is too long; then those that ``drop``
    are left out if the line is still too long. Room a column left out frees goes back to
    the columns that shrank, the most important (lowest ``give``) first. Columns with
    ``give`` 0 never shrink; when even the floors do not fit, the caller cuts the line."""
    widths = list(natural)
    if width is None:
        return widths
    drop = list(drops) if drops is not None else [False] * len(widths)

    def over() -> int:
        shown = [w for w in widths if w > 0]
        return sum(shown) + gap * max(len(shown) - 1, 0) - width

    for give in sorted({g for g in gives if g > 0}, reverse=True):
        tier = [i for i, g in enumerate(gives) if g == give]
        while over() > 0:
            can = [i for i in tier if widths[i] > max(floors[i], 1)]
            if not can:
                break
            top = max(widths[i] for i in can)
            for i in reversed([i for i in can if widths[i] == top]):
                if over() <= 0:
                    break
                widths[i] -= 1
        for i in reversed(tier):
            if drop[i] and over() > 0:
                widths[i] = 0
    shrunk = sorted(
        (i for i, g in enumerate(gives) if g > 0 and widths[i] > 0), key=lambda i: (gives[i], i)
    )
    for i in shrunk:  # room freed by a column left out goes back
        if over() >= 0:
            break
        widths[i] += min(natural[i] - widths[i], -over())
    return widths


#: The glyphs kpath's own cells are made of (verdicts, notes, the cut's ellipsis): one
#: cell each in Rich's table (a unit test checks), so a table of plain names and these
#: is measured without loading Rich's width tables.
NARROW = frozenset("→✗⊘↪↷⊗—⇄…")
#: A letter that is neither printable ASCII (space to ``~``) nor one of `NARROW`.
_NOT_NARROW = re.compile("[^ -~" + "".join(re.escape(c) for c in sorted(NARROW)) + "]")


def cell_len(text: str) -> int:
    """Terminal cells of ``text``, as Rich counts them (Rich's table only for letters
    beyond printable ASCII and `NARROW`)."""
    if text.isascii() and text.isprintable():
        return len(text)  # one cell a letter: what Rich's count gives, without its tables
    # Only printable ASCII and kpath's glyphs: one cell each still (one regex pass, where a
    # test of each letter in Python took a tenth of a big table's time).
    if _NOT_NARROW.search(text) is None:
        return len(text)
    from rich.cells import cell_len as rich_cell_len

    return rich_cell_len(text)


def as_text(cell: Cell) -> Text:
    """A cell as Rich `Text` (to draw it on a terminal)."""
    return cell.to_text() if isinstance(cell, Styled) else cell


def _head(text: Text, cells: int) -> Text:
    """The longest start of ``text`` within ``cells`` cells, without trailing spaces."""
    from rich.cells import set_cell_size

    keep = set_cell_size(text.plain, cells).rstrip()  # it pads a split wide letter: strip
    out = text[: len(keep)]
    out.rstrip()
    return out


def _tail(text: Text, cells: int) -> Text:
    """The longest end of ``text`` within ``cells`` cells, without leading spaces."""
    from rich.cells import get_character_cell_size

    plain, start, used = text.plain, len(text.plain), 0
    while start > 0 and used + get_character_cell_size(plain[start - 1]) <= cells:
        start -= 1
        used += get_character_cell_size(plain[start])
    while start < len(plain) and plain[start] == " ":
        start += 1
    return text[start:]


def cut(text: Text, width: int, where: Cut = "end") -> Text:
    """``text`` in at most ``width`` cells: whole when it fits, else with ``…`` in place of
    its end, middle or start (its styles kept); never ends in a space."""
    if cell_len(text.plain) <= width:
        return text
    from rich.text import Text

    if width <= 0:
        return Text("")
    mark = Text(ELLIPSIS, style="dim")
    if where == "end" or width < 3:
        return Text.assemble(_head(text, width - 1), mark)
    if where == "start":
        tail = _tail(text, width - 1)
        begun = len(text.plain) - len(tail.plain)
        if text.plain[begun - 1] not in SEPARATORS and any(c in tail.plain for c in SEPARATORS):
            # Not half a word: "http:80/TCP" reads "…80/TCP", not "…p:80/TCP".
            skip = min(tail.plain.find(c) for c in SEPARATORS if c in tail.plain) + 1
            tail = tail[skip:]
        return Text.assemble(mark, tail)
    # A namespace stays whole when it leaves a third for the name's end.
    ns, slash, _ = text.plain.partition("/")
    left = cell_len(ns) + 1 if slash and cell_len(ns) + 1 <= (width - 1) * 2 // 3 else width // 2
    return Text.assemble(_head(text, left), mark, _tail(text, width - 1 - left))


def _widths(
    columns: Sequence[Column], shown: Sequence[Sequence[Cell]], width: int | None
) -> list[int]:
    natural = [max(cell_len(r[i].plain) for r in shown) for i in range(len(columns))]
    floors = [min(n, max(c.floor, cell_len(c.name))) for n, c in zip(natural, columns, strict=True)]
    return fit_widths(
        natural, floors, [c.give for c in columns], width, drops=[c.drop for c in columns]
    )


def _checked(columns: Sequence[Column], rows: Iterable[Sequence[Cell]]) -> list[Sequence[Cell]]:
    body: list[Sequence[Cell]] = [r if isinstance(r, list | tuple) else list(r) for r in rows]
    for r in body:
        if len(r) != len(columns):
            raise ValueError(f"a row of {len(r)} cells for {len(columns)} columns")
    return body


def table_lines(
    columns: Sequence[Column],
    rows: Iterable[Sequence[Cell]],
    width: int | None,
    headers: bool = True,
) -> list[Text]:
    """The table's lines: the header (unless ``headers`` is False), then one line per row.
    ``width``: the terminal's (lines at most that many cells), or None for a pipe (every
    cell whole)."""
    from rich.text import Text

    body = [[as_text(c) for c in r] for r in _checked(columns, rows)]
    head = [Text(c.name, style="bold") for c in columns]
    shown = [head, *body] if headers else body
    if not shown:
        return []
    widths = _widths(columns, shown, width)
    keep = [i for i, w in enumerate(widths) if w > 0]
    lines = []
    for r in shown:
        line = Text()
        for n, i in enumerate(keep):
            if n:
                line.append(" " * GAP)
            fitted = cut(r[i], widths[i], columns[i].cut)
            line.append_text(fitted)
            if n < len(keep) - 1:
                line.append(" " * (widths[i] - cell_len(fitted.plain)))
        line.rstrip()  # empty trailing cells leave no spaces behind
        lines.append(line if width is None else cut(line, width))
    return lines


def pipe_lines(
    columns: Sequence[Column], rows: Iterable[Sequence[Cell]], headers: bool = True
) -> list[str]:
    """`table_lines` for a pipe, as plain strings (no styles, nothing cut): the same text,
    without Rich."""
    body = [[c.plain for c in r] for r in _checked(columns, rows)]
    shown = [[c.name for c in columns], *body] if headers else body
    if not shown:
        return []
    natural = [max(cell_len(r[i]) for r in shown) for i in range(len(columns))]
    keep = [i for i, w in enumerate(natural) if w > 0]  # a column of nothing takes no gap
    last = keep[-1] if keep else -1
    lines = []
    for r in shown:
        parts = []
        for i in keep:
            parts.append(r[i])
            if i != last:
                parts.append(" " * (natural[i] - cell_len(r[i]) + GAP))
        lines.append("".join(parts).rstrip())
    return lines


def _width(console: Console, options: ConsoleOptions) -> int | None:
    """A terminal's width; None when the output is a pipe or a file."""
    return options.max_width if console.is_terminal else None


class Block(Protocol):
    """What kpath prints as plain lines: a table or a line (see `write_plain`)."""

    def plain_lines(self) -> list[str]: ...


class PlainTable:
    """A Rich renderable: `table_lines` at the width of where it is printed. Print it with
    ``soft_wrap=True`` (see `plain_console`) so a pipe's long lines are not cropped."""

    def __init__(
        self, columns: Sequence[Column], rows: Iterable[Sequence[Cell]], headers: bool = True
    ) -> None:
        self.columns = tuple(columns)
        self.rows = [tuple(r) for r in rows]
        self.headers = headers

    def lines(self, width: int | None) -> list[Text]:
        return table_lines(self.columns, self.rows, width, self.headers)

    def plain_lines(self) -> list[str]:
        return pipe_lines(self.columns, self.rows, self.headers)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.segment import Segment

        for line in self.lines(_width(console, options)):
            yield from line.render(console)
            yield Segment.line()


class PlainLine:
    """One line of text that is never wrapped: cut with ``…`` on a terminal, whole in a
    pipe."""

    def __init__(self, text: Cell) -> None:
        self.text = text

    def plain_lines(self) -> list[str]:
        return [self.text.plain.rstrip()]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.segment import Segment

        width = _width(console, options)
        text = as_text(self.text).copy()
        text.rstrip()
        yield from (text if width is None else cut(text, width)).render(console)
        yield Segment.line()


def blank() -> PlainLine:
    """An empty line."""
    return PlainLine(Styled(""))


def write_plain(blocks: Iterable[Block], file: IO[str]) -> None:
    """``blocks`` as a console prints them off a terminal (no styles, nothing cut), in one
    write."""
    file.write("".join(f"{line}\n" for b in blocks for line in b.plain_lines()))


def plain_console(**kw: object) -> Console:
    """stdout as kpath's tables print to it: on a terminal at its width (colour unless
    NO_COLOR); in a pipe plain, and never cropped or wrapped, even when FORCE_COLOR or
    TTY_COMPATIBLE would have Rich treat it as a terminal (CI sets them; ``grep`` still
    wants whole lines)."""
    from rich.console import Console

    if "force_terminal" not in kw:
        kw["force_terminal"] = isatty(kw.get("file") or sys.stdout)
    console = Console(**kw)  # type: ignore[arg-type]
    console.soft_wrap = not console.is_terminal
    return console


def isatty(file: object) -> bool:
    """Whether kpath draws for a terminal there (`plain_console`'s rule)."""
    isatty = getattr(file, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (ValueError, OSError):  # closed or detached
        return False
