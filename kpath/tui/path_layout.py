"""Where each line of the path pane comes from, known before anything is drawn.

The pane is every path of a service, one after another: the path's title and summary lines,
its rows of boxes, a blank line. A big service's rows fold into hundreds of lines, most of
them off screen, so the pane draws a row only when one of its lines is shown; this layout
says which row (and which of its lines) a line of the pane is, from the rows' heights.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.text import Text

#: (diagram, row) of a path's row of boxes.
RowKey = tuple[int, int]


@dataclass(frozen=True)
class PathLayout:
    """The pane's lines: fixed ones (titles, summaries, the blank line after each path)
    and the rows of boxes, each by the line it starts on and its height."""

    total: int = 0
    #: diagram -> the line its title is on, and how many lines its title and summary take.
    starts: tuple[int, ...] = ()
    heads: tuple[int, ...] = ()
    #: row -> (first line, height)
    offsets: dict[RowKey, tuple[int, int]] = field(default_factory=dict)
    fixed: dict[int, Text] = field(default_factory=dict)
    _row_starts: tuple[int, ...] = ()
    _row_keys: tuple[RowKey, ...] = ()

    def at(self, index: int) -> Text | tuple[RowKey, int] | None:
        """Line ``index``: a fixed line's text, or (row, line within the row); None past the
        end."""
        if not 0 <= index < self.total:
            return None
        text = self.fixed.get(index)
        if text is not None:
            return text
        k = bisect_right(self._row_starts, index) - 1
        if k < 0:
            return None
        key = self._row_keys[k]
        first, height = self.offsets[key]
        return (key, index - first) if index < first + height else None

    def same_places(self, other: PathLayout) -> bool:
        """Every line where it was: only what some rows draw may differ."""
        return (
            self.total == other.total
            and self.offsets == other.offsets
            and self.starts == other.starts
            and self.fixed == other.fixed
        )


def layout(heads: Sequence[Sequence[Text]], heights: Sequence[Sequence[int]]) -> PathLayout:
    """The layout of paths with these title-and-summary lines and these row heights (one
    sequence per path), each path followed by a blank line."""
    fixed: dict[int, Text] = {}
    offsets: dict[RowKey, tuple[int, int]] = {}
    starts: list[int] = []
    row_starts: list[int] = []
    row_keys: list[RowKey] = []
    line = 0
    for di, (head, rows) in enumerate(zip(heads, heights, strict=True)):
        starts.append(line)
        for text in head:
            fixed[line] = text
            line += 1
        for n, height in enumerate(rows):
            offsets[(di, n)] = (line, height)
            row_starts.append(line)
            row_keys.append((di, n))
            line += height
        fixed[line] = Text("")
        line += 1
    return PathLayout(
        total=line,
        starts=tuple(starts),
        heads=tuple(len(h) for h in heads),
        offsets=offsets,
        fixed=fixed,
        _row_starts=tuple(row_starts),
        _row_keys=tuple(row_keys),
    )


def message(lines: Sequence[Text]) -> PathLayout:
    """A pane that shows only a message (nothing selected, an error)."""
    return PathLayout(total=len(lines), fixed=dict(enumerate(lines)))
