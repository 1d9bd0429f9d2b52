"""Boxes and arrows drawn as lines of Rich `Text`, side by side. No Textual.

Rich tables of panels measure every cell several times per layout pass; a path of a
5,000-node service redrawn on each cursor move cannot afford that. These helpers draw each
box once, at a known width, and place columns by padding: the cost is a few `Text` copies.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections.abc import Sequence
from typing import NamedTuple, TypeAlias

from rich._wrap import divide_line
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from kpath.tui.styles import glyphs

Lines = list[Text]

ROUND = glyphs("╭╮╰╯─│")
DOUBLE = "╔╗╚╝═║"


#: A long word breaks after these (``10.0.0.1`` | ``/api``, ``pod-`` | ``abc12``) ...
_AFTER = frozenset("./-,=")
#: ... or before these (``10.0.0.1`` | ``:8443``), never inside a run of letters or digits.
_BEFORE = frozenset(":@?")
_AFTER_RE = re.compile("[" + re.escape("".join(sorted(_AFTER))) + "]")
_BEFORE_RE = re.compile("[" + re.escape("".join(sorted(_BEFORE))) + "]")


def wrap(text: Text, width: int, console: Console) -> Lines:
    """``text`` folded to ``width`` cells: at spaces first, then at a name's or an
    address's separators; a part with no separator that still does not fit loses its
    middle to ``…`` (so ``127.39.250.3:8`` / ``443`` never happens)."""
    if width <= 0:
        return []
    if text.cell_len <= width:
        return [text]
    plain = text.plain
    if _words_fit(plain, width):
        return list(text.wrap(console, width, overflow="fold"))  # words alone: Rich's own
    parts = _cuts(plain, width)
    # One divide for every line: each `text[a:b]` would divide the whole text again.
    n = len(plain)
    offsets = sorted({o for a, b, _ in parts for o in (a, b)} - {0, n})
    pieces = dict(zip([0, *offsets], text.divide(offsets), strict=True))
    return [elide(pieces[a], width) if elided else pieces[a] for a, _, elided in parts]


def wrap_count(text: Text, width: int, console: Console) -> int:
    """``len(wrap(text, width, console))`` from the plain string alone, without building
    the lines: how tall a box is before it is drawn (the path pane draws only the rows on
    screen, and places them by their heights)."""
    if width <= 0:
        return 0
    if text.cell_len <= width:
        return 1
    plain = text.plain
    if not _words_fit(plain, width):
        return len(_cuts(plain, width))
    if "\n" in plain or "\t" in plain or text.no_wrap:
        return len(text.wrap(console, width, overflow="fold"))  # Rich's rarer paths
    # What `Text.wrap` divides at (rich is pinned exactly: pyproject.toml).
    return len(divide_line(plain, width, fold=True)) + 1


def _words_fit(plain: str, width: int) -> bool:
    width_of = len if _one_cell(plain) else cell_len
    return all(width_of(word) <= width for word in plain.split())


def _one_cell(plain: str) -> bool:
    """Whether every character of ``plain`` takes one cell (names, addresses and the state
    glyphs): breaks are then found by string search and widths measured by len()."""
    if plain.isascii():
        return plain.isprintable()  # printable ASCII is one cell each, controls none
    return all(_cell_of(ch) == 1 for ch in set(_NOT_PRINTABLE_ASCII.findall(plain)))


#: What is left of a line without printable ASCII: its few glyphs (and any control).
_NOT_PRINTABLE_ASCII = re.compile("[^\x20-\x7e]")
_cell_of = functools.lru_cache(maxsize=1024)(cell_len)


def _separators(plain: str) -> list[int]:
    """Every offset a word of ``plain`` may break at: after ``_AFTER``, before ``_BEFORE``."""
    after = [m.end() for m in _AFTER_RE.finditer(plain)]
    return sorted({*after, *(m.start() for m in _BEFORE_RE.finditer(plain))})


def _cuts(plain: str, width: int) -> list[tuple[int, int, bool]]:
    """(start, end, elided) of each line `wrap` makes of ``plain``, wider than ``width``
    and holding a word that does not fit."""
    start, n = 0, len(plain)
    one_cell = _one_cell(plain)
    width_of = len if one_cell else cell_len
    seps = _separators(plain) if one_cell else []
    parts: list[tuple[int, int, bool]] = []  # (start, end, elided) of each line
    while start < n:
        while start < n and plain[start] == " ":
            start += 1
        if start >= n:
            break
        if n - start <= width and width_of(plain[start:]) <= width:  # cheap check first
            parts.append((start, n, False))
            break
        if one_cell:
            space, sep, over = _breaks_narrow(plain, start, width, seps)
        else:
            space, sep, over = _breaks(plain, start, width)
        word_start = plain.rfind(" ", start, over) + 1
        word_end = plain.find(" ", over)
        word_end = n if word_end < 0 else word_end
        if (
            space is not None
            and sep is not None
            and sep > space
            and width_of(plain[word_start:word_end]) > width
        ):
            # The word that overflows must break anyway: break it here, after what fits,
            # not after a lone glyph (``→ node-`` / ``abc12``, never ``→`` / ``node-``).
            cut: int | None = sep
        else:
            cut = space or sep
        if cut is None:  # one part wider than the box: keep both ends of it
            end = plain.find(" ", start)
            end = n if end < 0 else end
            parts.append((start, end, True))
            start = end
            continue
        parts.append((start, cut, False))
        start = cut
    return parts


def _breaks(plain: str, start: int, width: int) -> tuple[int | None, int | None, int]:
    """Where a line starting at ``start`` may break: after the last space that fits, after
    the last separator that fits, and the first character that does not fit."""
    n = len(plain)
    space = sep = None
    used = 0
    for i in range(start, n):
        used += cell_len(plain[i])
        if used > width:
            return space, sep, i
        nxt = plain[i + 1] if i + 1 < n else " "
        if nxt == " ":
            space = i + 1
        elif plain[i] in _AFTER or nxt in _BEFORE:
            sep = i + 1
    return space, sep, n


def _breaks_narrow(
    plain: str, start: int, width: int, seps: Sequence[int] | None = None
) -> tuple[int | None, int | None, int]:
    """`_breaks` where every character is one cell, by string search instead of a step per
    character (a 5,000-node service's pod boxes are thousands of such lines); ``seps``:
    `_separators` of ``plain``, found once for all its lines."""
    n = len(plain)
    if n - start <= width:
        return _breaks(plain, start, width)  # the whole rest fits: the end counts as a space
    over = start + width
    found = plain.rfind(" ", start + 1, over + 1)
    space = found if found > 0 else None
    # The last break in (start, over]. A separator followed by a space is the space's
    # break already: harmless here.
    seps = _separators(plain) if seps is None else seps
    k = bisect_right(seps, over) - 1
    sep = seps[k] if k >= 0 and seps[k] > start else None
    return space, sep, over


def elide(text: Text, width: int) -> Text:
    """``text`` cut to ``width`` cells by dropping its middle: ``ingress-n…r-p7vrg``."""
    if text.cell_len <= width:
        return text
    if width <= 1:
        return Text("…"[:width])
    keep = width - 1
    head, tail = keep - keep // 2, keep // 2
    out = text[:head]
    out.append(glyphs("…"))
    if tail:
        out.append_text(text[len(text) - tail :])
    return out


def box(
    body: Sequence[Text],
    width: int,
    style: str,
    console: Console,
    *,
    double: bool = False,
    title: str = "",
) -> Lines:
    """A bordered box ``width`` cells wide around ``body`` (lines folded to fit)."""
    tl, tr, bl, br, h, v = tuple(DOUBLE if double else ROUND)
    inner = max(1, width - 4)
    border = f"{style} reverse" if double else style
    top = Text(tl, style=border)
    if title and inner > len(title) + 2:
        top.append(h + f" {title} " + h * (width - 5 - len(title)), style=border)
    else:
        top.append(h * (width - 2), style=border)
    top.append(tr, style=border)
    out = [top]
    for line in body:
        for part in wrap(line, inner, console):
            row = Text(f"{v} ", style=border)
            _append_fitted(row, part, inner)
            row.append(f" {v}", style=border)
            out.append(row)
    out.append(Text(bl + h * (width - 2) + br, style=border))
    return out


def box_height(body: Sequence[Text], width: int, console: Console) -> int:
    """How many lines `box` draws for ``body`` at ``width``, without drawing them."""
    inner = max(1, width - 4)
    return 2 + sum(wrap_count(line, inner, console) for line in body)


class Box(NamedTuple):
    """A box described, not yet drawn: its height is known for a fraction of the cost of
    drawing it (see `box` for the fields)."""

    body: Sequence[Text]
    width: int
    style: str
    double: bool = False
    title: str = ""

    def draw(self, console: Console) -> Lines:
        return box(self.body, self.width, self.style, console, double=self.double, title=self.title)

    def height(self, console: Console) -> int:
        return box_height(self.body, self.width, console)


#: One column of a row of boxes: lines already drawn (an arrow, a label), or a box to draw.
Cell: TypeAlias = Lines | Box


def cell_lines(cell: Cell, console: Console) -> Lines:
    return cell.draw(console) if isinstance(cell, Box) else cell


def cell_height(cell: Cell, console: Console) -> int:
    return cell.height(console) if isinstance(cell, Box) else len(cell)


def hstack(columns: Sequence[Lines], widths: Sequence[int]) -> Lines:
    """Columns of lines placed side by side, each padded to its width and to equal height."""
    height = max((len(c) for c in columns), default=0)
    out = []
    for y in range(height):
        row = Text()
        for col, w in zip(columns, widths, strict=True):
            if y < len(col):
                _append_fitted(row, col[y], w)
            else:
                row.append(" " * w)
        out.append(row)
    return out


def _append_fitted(row: Text, cell: Text, width: int) -> None:
    """Append ``cell`` cut or padded to ``width`` cells, as before: `Text.truncate(pad=True)`
    on a copy. Boxes already have their width, and a path redraw stacks thousands of their
    lines, so a cell that fits exactly is appended as it is, without the copy."""
    if cell.cell_len != width:
        cell = cell.copy()
        cell.truncate(width, pad=True)
    row.append_text(cell)


def column_widths(width: int) -> tuple[int, int, int, int, int, int, int]:
    """client, arrow, entry, arrow, node group, arrow, pods: the pods get the most room."""
    client, arrow = (7, 2) if width < 100 else (8, 2)
    rest = max(30, width - client - 3 * arrow)
    entry = rest * 3 // 10
    via = rest * 3 // 10
    return client, arrow, entry, arrow, via, arrow, rest - entry - via
