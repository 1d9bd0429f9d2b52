"""The services list: a Line-API table that stays fast at 10,000 rows.

Only the lines on screen are drawn (`render_line`), from rows built when first drawn
(`view_model.Rows`), so a filter keystroke costs a scan of the rows' words (often of the
last result only) and a repaint of about 50 lines, never a layout pass of the screen. Every
cell is a Rich `Text` made with `literal()`: a service called ``[red]x[/]`` shows as typed.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from typing import ClassVar, NamedTuple

from rich.style import Style
from rich.text import Span, Text
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.events import Click
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from kpath.cluster.records import ObjectKey
from kpath.safetext import literal
from kpath.tui.messages import ServiceHighlighted
from kpath.tui.styles import (
    HOP_LOOK,
    PROBE_LOOK,
    PROBE_SHORT,
    SEVERITY_LOOK,
    HopState,
    ProbeState,
    fit,
    glyphs,
    without_colour,
)
from kpath.tui.view_model import NO_ROWS, Rows, ServiceRow


def _position(visible: Sequence[int], index: int | None, missing: int = 0) -> int:
    """Where row ``index`` is among ``visible`` (ascending), by bisection: a keystroke at
    100,000 services does not walk the list to find the cursor's service."""
    if index is None:
        return missing
    n = bisect_left(visible, index)
    return n if n < len(visible) and visible[n] == index else missing


class _Line(NamedTuple):
    """What one list line draws: its drawn strips are kept by it."""

    row: ServiceRow
    width: int
    probe: ProbeState
    flash: bool
    cursor: bool
    name: int  # the SERVICE column's wish


class Column(NamedTuple):
    title: str
    width: int  # 0: takes the room the others leave
    drop: int  # the order in which columns give way on narrow screens (0: never)


# Narrow lists give up what the path view repeats first, and keep what probes found.
COLUMNS = (
    Column("SERVICE", 0, 0),
    Column("TYPE", 12, 5),
    Column("POLICY", 7, 2),
    Column("READY", 7, 3),
    Column("WAYS IN", 11, 1),
    Column("PATH", 12, 0),
    Column("FINDING", 9, 6),
    Column("PROBE", 10, 4),
)
MIN_NAME = 20
FOR_NAMES = 2  # the columns up to this drop order give way to long names (WAYS IN, POLICY)


def layout(width: int, name: int = MIN_NAME) -> list[tuple[Column, int]]:
    """The columns that fit in ``width`` cells, with their widths (the name column grows).
    Columns give way until the name column has ``MIN_NAME`` cells; for a longer ``name``
    only the columns the path pane repeats (WAYS IN, POLICY) give way too."""
    shown = list(COLUMNS)
    for order in sorted({c.drop for c in COLUMNS if c.drop}):
        fixed = sum(c.width + 1 for c in shown if c.width)
        if width - fixed >= (max(name, MIN_NAME) if order <= FOR_NAMES else MIN_NAME):
            break
        shown = [c for c in shown if c.drop != order]
    fixed = sum(c.width + 1 for c in shown if c.width)
    return [(c, c.width or max(8, width - fixed)) for c in shown]


def header_text(width: int, name: int = MIN_NAME) -> Text:
    out = Text(style="bold")
    for col, w in layout(width, name):
        out.append_text(fit(Text(col.title), w))
        out.append(" ")
    return out


def row_text(
    row: ServiceRow,
    width: int,
    probe: ProbeState,
    flash: bool,
    cursor: bool = False,
    name: int = MIN_NAME,
) -> Text:
    """One list line; every column keeps a glyph or word, so colour is never the only cue.

    On the ``cursor`` row the cells keep their weight but not their colours: the cursor's
    colours are chosen to contrast with each other, a yellow warning on it would not."""
    cells: dict[str, Text] = {
        "SERVICE": literal(f"{row.key.namespace}/{row.key.name}", "bold" if flash else ""),
        "TYPE": literal(row.type),
        "POLICY": literal(row.policy),
        "READY": Text(
            f"{row.ready}/{row.total}" if row.type != "ExternalName" else "-",
            style=HOP_LOOK[HopState.REJECT].style if row.total and not row.ready else "",
        ),
        "WAYS IN": Text(row.ways or "-", style="dim" if not row.external else ""),
    }
    look = HOP_LOOK[row.state]
    cells["PATH"] = Text(
        f"{look.glyph} {look.word}" if row.state != HopState.INFO else "-", style=look.style
    )
    if row.worst is not None:
        sev = SEVERITY_LOOK[row.worst]
        cells["FINDING"] = Text(f"{sev.glyph} {sev.word}", style=sev.style)
    else:
        cells["FINDING"] = Text("-", style="dim")
    plook = PROBE_LOOK[probe]
    cells["PROBE"] = Text(f"{plook.glyph} {PROBE_SHORT.get(probe, plook.word)}", style=plook.style)
    if cursor:
        for cell in cells.values():
            cell.style = without_colour(str(cell.style))
            cell.spans = [Span(s.start, s.end, without_colour(str(s.style))) for s in cell.spans]
    out = Text()
    if flash:
        out.append(glyphs("● "), style="bold yellow")
        width -= 2
    for col, w in layout(width, name):
        out.append_text(fit(cells[col.title], w))
        out.append(" ")
    return out


class ServiceHeader(Static):
    """The column titles, drawn to the same layout as the rows below."""

    DEFAULT_CSS = "ServiceHeader { height: 1; padding: 0 1; }"

    def render(self) -> Text:
        # Lay the titles out at the rows' width (the list's scrollbar takes some of it).
        tables = self.screen.query(ServiceTable)
        table = tables.first() if tables else None
        width = table.scrollable_content_region.width if table else self.size.width
        return header_text(width or self.size.width, table.name_width if table else MIN_NAME)


class ServiceTable(ScrollView, can_focus=True):
    """The rows of the services list, with a cursor. Posts `ServiceHighlighted`.

    | Key | Does |
    | :- | :- |
    | up / down | move the cursor |
    | page up / page down | move a screen |
    | home / end | first / last service |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "move(-1000000000)", "First", show=False),
        Binding("end", "move(1000000000)", "Last", show=False),
    ]
    ALLOW_MAXIMIZE = True
    COMPONENT_CLASSES: ClassVar[set[str]] = {"service-table--cursor"}
    DEFAULT_CSS = """
    ServiceTable { padding: 0 1; scrollbar-gutter: stable; overflow-x: hidden; }
    ServiceTable > .service-table--cursor { background: $boost; text-style: bold reverse; }
    ServiceTable:focus > .service-table--cursor {
        background: $accent; color: auto 90%; text-style: bold;
    }
    """

    # repaint=False: `watch_cursor` repaints the two lines that changed, not the whole list.
    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)
    """Position of the cursor among the visible rows."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: Rows = NO_ROWS
        self._visible: Sequence[int] = ()
        self._probes: dict[ObjectKey, ProbeState] = {}
        self._flash: frozenset[ObjectKey] = frozenset()
        self._highlighted: ObjectKey | None = None
        self.name_width = MIN_NAME  # the SERVICE column's wish (the screen sets it)
        # Drawn lines by (row, width, probe, flash, cursor); a screenful is ~50 entries.
        self._strips: LRUCache[_Line, Strip] = LRUCache(1024)
        self._drawn: dict[int, _Line] = {}  # what each line on screen drew

    @property
    def rows(self) -> Rows:
        return self._rows

    @property
    def visible_count(self) -> int:
        return len(self._visible)

    @property
    def current(self) -> ServiceRow | None:
        if 0 <= self.cursor < len(self._visible):
            return self._rows[self._visible[self.cursor]]
        return None

    def show(
        self,
        rows: Rows,
        visible: Sequence[int],
        keep: ObjectKey | None = None,
        announce: bool = False,
    ) -> None:
        """New rows or a new filter; the cursor stays on ``keep`` when it is still shown.
        ``visible``: indexes into ``rows``, ascending (`view_model.visible`).

        ``announce`` posts `ServiceHighlighted` even if the service under the cursor is the
        same (new data for it).
        """
        target = 0
        if keep is not None:
            target = _position(visible, rows.index_of(keep))
        same = (
            visible == self._visible
            and target == self.cursor
            and (rows is self._rows or self._window_same(rows, visible))
        )
        self._rows, self._visible = rows, visible
        self._set_height(len(visible))
        if same:
            # Nothing shown changed (a keystroke, a reload of the same cluster): repaint
            # nothing, an ssh link carries nothing.
            if announce:
                row = self.current
                self._highlighted = row.key if row is not None else None
                self.post_message(ServiceHighlighted(self._highlighted))
            return
        if announce:
            self._highlighted = None
        self.cursor = target
        if announce and not visible:  # no row for the cursor to land on: say "none"
            self.post_message(ServiceHighlighted(None))
        self.refresh()

    def _window_same(self, rows: Rows, visible: Sequence[int]) -> bool:
        """New rows (a reload) that draw the lines on screen as they are: the rows under
        the screen are read when scrolled to, from the new rows."""
        top = int(self.scroll_offset.y)
        window = visible[top : top + self.size.height]
        return all(self._rows[i] == rows[i] for i in window)

    def _set_height(self, count: int) -> None:
        """The scroll area's height, without the layout pass of the whole screen that
        setting `virtual_size` costs (a layout reactive): only the scrollbar changes, and
        Textual lays the screen out itself when the scrollbar shows or hides."""
        size = Size(self.size.width, count)
        if size == self.virtual_size:
            return
        self.set_reactive(ScrollView.virtual_size, size)
        self._scroll_update(size)  # the scrollbar's window and visibility, the scroll clamped

    def select(self, key: ObjectKey) -> bool:
        """Put the cursor on a service; False when it is not among the visible rows."""
        n = _position(self._visible, self._rows.index_of(key) if self._rows else None, -1)
        if n < 0:
            return False
        self.cursor = n
        return True

    def set_marks(
        self, probes: Mapping[ObjectKey, ProbeState], flash: frozenset[ObjectKey]
    ) -> None:
        if probes == self._probes and flash == self._flash:
            return  # a reload that changed no mark resends no line
        self._probes, self._flash = dict(probes), flash  # its own copy: see `mark_probe`
        self.refresh()

    def mark_probe(self, key: ObjectKey, state: ProbeState) -> None:
        """One service's probe state changed: repaint its line if it is on screen."""
        self._probes[key] = state
        top, height = int(self.scroll_offset.y), self.size.height
        keys = self._rows.keys
        for y, i in enumerate(self._visible[top : top + height]):
            if keys[i] == key:
                self.refresh(Region(0, y, self.size.width, 1))

    def update_rows(
        self,
        rows: Rows,
        keys: frozenset[ObjectKey],
        flash: frozenset[ObjectKey] | None = None,
    ) -> None:
        """New data for the services ``keys`` alone (followed events): of the lines on
        screen, those of ``keys`` are repainted where what they draw differs; every other
        line stays as drawn, and no row off screen is read. ``rows`` keep the visible
        rows' places (the screen calls `show` when they moved)."""
        self._rows = rows
        if flash is not None:
            keys = keys | (flash ^ self._flash)
            self._flash = flash
        top, height, width = int(self.scroll_offset.y), self.size.height, self.size.width
        names = rows.keys
        for y, i in enumerate(self._visible[top : top + height]):
            if i < len(names) and names[i] in keys and self._line(top + y) != self._drawn.get(y):
                self.refresh(Region(0, y, width, 1))

    def _line(self, index: int) -> _Line:
        """What line ``index`` of the visible rows draws."""
        row = self._rows[self._visible[index]]
        return _Line(
            row,
            self.scrollable_content_region.width,
            self._probes.get(row.key, ProbeState.UNPROBED),
            row.key in self._flash,
            index == self.cursor,
            self.name_width,
        )

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()  # theme or focus changed: cursor colours differ

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self._visible) - 1))

    def watch_cursor(self, old: int, value: int) -> None:
        top = int(self.scroll_offset.y)
        if self._visible:
            self.scroll_to_region(Region(0, value, 1, 1), animate=False, immediate=True)
        if int(self.scroll_offset.y) == top:
            # No scroll: repaint the two lines that changed, not the whole list (ssh links).
            width = self.size.width
            for y in {old, value}:
                self.refresh(Region(0, y - top, width, 1))
        else:
            self.refresh()
        row = self.current
        key = row.key if row is not None else None
        if key != self._highlighted:
            self._highlighted = key
            self.post_message(ServiceHighlighted(key))

    def action_move(self, delta: int) -> None:
        self.cursor += delta

    def action_page(self, direction: int) -> None:
        self.cursor += direction * max(1, self.scrollable_content_region.height - 1)

    def on_click(self, event: Click) -> None:
        self.cursor = int(self.scroll_offset.y) + event.y

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = int(self.scroll_offset.y) + y
        if index >= len(self._visible):
            return Strip.blank(width, self.rich_style)
        # Keyed by the row's content: a reload's new rows draw from here where unchanged.
        line = self._drawn[y] = self._line(index)
        strip = self._strips.get(line)
        if strip is None:
            text = row_text(line.row, width, line.probe, line.flash, line.cursor, line.name)
            strip = Strip(list(text.render(self.app.console)), text.cell_len)
            base: Style = self.rich_style
            if index == self.cursor:
                base = base + self.get_component_rich_style("service-table--cursor")
            strip = self._strips[line] = strip.adjust_cell_length(width).apply_style(base)
        return strip
