"""The path view: each way into the selected service, drawn left to right as on a whiteboard.

    client ─▶ ╭ LoadBalancer ╮ ─▶ ╭ 3 nodes :30080 ╮ ─▶ ╭ pods ──────────╮
              │ 1.2.3.4:80   │    │ ⇄ cross-node   │    │ ⇄ web-1 …      │

Each path is its own `PathDiagram`, so moving the hop cursor redraws one or two diagrams,
never the list. Boxes carry a glyph and a word for their state; colour only repeats it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from kpath.probe.plan import HopRef
from kpath.safetext import literal
from kpath.tui.boxes import Box, Cell, Lines, cell_height, cell_lines, column_widths, hstack
from kpath.tui.messages import HopSelected
from kpath.tui.path_layout import PathLayout, RowKey, layout, message
from kpath.tui.styles import HOP_LOOK, PROBE_LOOK, HopState, ProbeState, glyphs
from kpath.tui.view_model import Branch, Diagram, Hop, ProbeMark, Ref, is_entry, path_state

Probes = Mapping[HopRef, ProbeMark]
FAILING = frozenset({HopState.DROP, HopState.REJECT, HopState.BLOCKED})
STALE = " (stale)"  # probed before the service's paths changed


def mark_of(probes: Probes, ref: Ref) -> ProbeMark | None:
    return probes.get(ref) if isinstance(ref, HopRef) else None


def probe_words(mark: ProbeMark | None) -> Text:
    """A probe verdict in a glyph and a word (and whether it is stale)."""
    look = PROBE_LOOK[mark.state if mark else ProbeState.UNPROBED]
    text = Text(f"{look.glyph} {look.word}", style=look.style)
    if mark is not None and mark.stale:
        text.append(STALE, style="dim")
    return text


def _probe_line(hop: Hop, probes: Probes) -> Text | None:
    if hop.state == HopState.INFO or not hop.probed:
        return None
    return probe_words(mark_of(probes, hop.ref))


def hop_body(hop: Hop, probes: Probes) -> list[Text]:
    """A hop's lines: glyph + title, its facts, its probe state."""
    look = HOP_LOOK[hop.state]
    title = Text(f"{look.glyph} ", style=look.style)
    title.append_text(literal(hop.title, "bold"))
    body = [title, *(literal(line) for line in hop.lines)]
    if (probe := _probe_line(hop, probes)) is not None:
        body.append(probe)
    return body


def hop_cell(hop: Hop, probes: Probes, selected: bool, width: int) -> Box:
    """One hop as a box; the selected hop is drawn doubled and reversed."""
    return Box(hop_body(hop, probes), width, HOP_LOOK[hop.state].style, double=selected)


def pods_cell(branch: Branch, probes: Probes, selected: Ref | None, width: int) -> Cell:
    """The pods a branch sends to: two lines each, the selected one reversed."""
    if not branch.pods:
        return [Text(""), Text("no pod", style="dim")]
    lines: list[Text] = []
    states = []
    for pod in branch.pods:
        look = HOP_LOOK[pod.state]
        states.append(pod.state)
        mark = "▶" if pod.ref == selected else look.glyph
        line = Text(f"{mark} ", style=look.style)
        line.append_text(literal(pod.title, "bold"))
        if pod.state in (HopState.CROSS, HopState.BLOCKED):
            line.append(f" {look.word}", style=look.style)
        probe = _probe_line(pod, probes)
        if probe is not None and mark_of(probes, pod.ref):
            line.append(" ")
            line.append_text(probe)
        sub = literal("  " + " ".join(pod.lines), "dim")
        if pod.ref == selected:
            line.stylize("reverse")
            sub.stylize("reverse")
        lines += [line, sub]
    if branch.more_pods:
        lines.append(Text(f"+{branch.more_pods} more pods", style="dim"))
    worst = next((s for s in (HopState.BLOCKED, HopState.CROSS) if s in states), HopState.FORWARD)
    return Box(lines, width, HOP_LOOK[worst].style, title=branch.title)


_ARROWS = {
    HopState.DROP: glyphs("─✗"),
    HopState.REJECT: glyphs("─⊘"),
    HopState.BLOCKED: glyphs("─⊗"),
}
_ARROW = glyphs("─▶")


def _arrow(state: HopState) -> Lines:
    return [Text(""), Text(_ARROWS.get(state, _ARROW), style=HOP_LOOK[state].style)]


def row_lines(
    d: Diagram, n: int, probes: Probes, selected: Ref | None, width: int, console: Console
) -> Lines:
    """Row ``n`` of a path: the client and entry on the first row, then one branch a row;
    then each further leg (a Gateway's route rule and backend) the same way."""
    cells = row_cells(d, n, probes, selected, width)
    if not cells:
        return []
    return hstack([cell_lines(c, console) for c in cells], column_widths(width))


def row_height(
    d: Diagram, n: int, probes: Probes, selected: Ref | None, width: int, console: Console
) -> int:
    """``len(row_lines(...))``, from the boxes' line counts: nothing is drawn."""
    return max(
        (cell_height(c, console) for c in row_cells(d, n, probes, selected, width)), default=0
    )


def row_cells(d: Diagram, n: int, probes: Probes, selected: Ref | None, width: int) -> list[Cell]:
    """The columns of row ``n`` (see `column_widths`), described; [] past the last row."""
    widths = column_widths(width)
    _, _, entry_w, _, via_w, _, pods_w = widths
    first = _first_rows(d)
    if n >= first:
        return _leg_cells(d, n - first, probes, selected, widths)
    head: list[Cell]
    if n == 0:
        client = [
            Text(""),
            Text(
                "client" if d.client.lines[0].startswith("outside") else "pod",
                style="bold reverse" if selected == d.client.ref else "bold",
            ),
        ]
        head = [
            client,
            _arrow(d.entry.state),
            hop_cell(d.entry, probes, selected == d.entry.ref, entry_w),
        ]
    else:
        head = [[], [], []]
    if n >= len(d.branches):
        more = (
            [Text(f"+{d.more_branches} more node groups", style="dim")] if d.more_branches else []
        )
        return [*head, [], more, [], []]
    b = d.branches[n]
    return [*head, *_branch_cells(b, probes, selected, via_w, pods_w)]


def _branch_cells(
    b: Branch, probes: Probes, selected: Ref | None, via_w: int, pods_w: int
) -> list[Cell]:
    return [
        _arrow(b.via.state),
        hop_cell(b.via, probes, selected == b.via.ref, via_w),
        _arrow(b.via.state) if b.pods else [],
        pods_cell(b, probes, selected, pods_w),
    ]


_LEG = glyphs("╰ rule")  # the second leg starts at the route rule


def _leg_cells(
    d: Diagram,
    m: int,
    probes: Probes,
    selected: Ref | None,
    widths: Sequence[int],
) -> list[Cell]:
    """Row ``m`` of the legs below the first: the leg's head (a route rule) on its first
    row, one branch (a backend Service and its pods) a row."""
    _, _, head_w, _, via_w, _, pods_w = widths
    for leg in d.legs:
        rows = max(1, len(leg.branches))
        if m >= rows:
            m -= rows
            continue
        head: list[Cell]
        if m == 0:
            head = [
                [Text(""), Text(_LEG, style="dim")],
                _arrow(leg.head.state),
                hop_cell(leg.head, probes, selected == leg.head.ref, head_w),
            ]
        else:
            head = [[], [], []]
        if m >= len(leg.branches):
            return [*head, [], [], [], []]
        return [*head, *_branch_cells(leg.branches[m], probes, selected, via_w, pods_w)]
    return []


def _first_rows(d: Diagram) -> int:
    return max(1, len(d.branches) + (1 if d.more_branches else 0))


def row_count(d: Diagram) -> int:
    return _first_rows(d) + sum(max(1, len(leg.branches)) for leg in d.legs)


def row_of(d: Diagram, ref: Ref) -> int:
    """Which row of the diagram draws the hop."""
    for n, b in enumerate(d.branches):
        if ref == b.via.ref or any(ref == p.ref for p in b.pods):
            return n
    n = _first_rows(d)
    for leg in d.legs:
        if ref == leg.head.ref:
            return n
        for m, b in enumerate(leg.branches):
            if ref == b.via.ref or any(ref == p.ref for p in b.pods):
                return n + m
        n += max(1, len(leg.branches))
    return 0


class PathView(ScrollView, can_focus=True):
    """Every path of one service, with a hop cursor. Posts `HopSelected`.

    A Line-API widget that draws what is on screen: the pane's layout comes from the rows'
    heights (their boxes' line counts, no drawing: `row_height`), and a row of boxes is
    drawn the first time one of its lines is shown, then cached per (width, selection,
    probes). Selecting a service with hundreds of lines of boxes costs one screenful of
    them, wherever the pane opens; the cursor knows the line each row starts on and
    scrolls there.

    | Key | Does |
    | :- | :- |
    | up / left | previous hop |
    | down / right | next hop |
    | [ / ] | previous / next path |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,right,j,l", "step(1)", "Next hop", show=False),
        Binding("up,left,k,h", "step(-1)", "Previous hop", show=False),
        Binding("right_square_bracket", "jump(1)", "Next path", show=False),
        Binding("left_square_bracket", "jump(-1)", "Previous path", show=False),
    ]
    ALLOW_MAXIMIZE = True  # `z` gives it the whole screen at 80x24
    DEFAULT_CSS = """
    PathView { padding: 0 1; }
    PathView:focus { background-tint: $foreground 3%; }
    """

    # repaint=False: `watch_hop` redraws, and sends nothing when the lines did not change.
    hop: reactive[int] = reactive(0, always_update=True, repaint=False)
    """Position of the selected hop among every hop of every diagram."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._diagrams: list[Diagram] = []
        self._titles: list[Text] = []
        self._summaries: list[Text] = []  # one line under each title: where the path fails
        self._hops: list[tuple[Hop, int, int]] = []  # hop, diagram index, row
        self._probes: Probes = {}
        self._marks: tuple[ProbeMark | None, ...] = ()  # the probes of the hops shown
        self._probe_version = 0  # bumped when `_marks` change: the rows' cache key
        # (diagram, row) -> (width, selection, probes) and what was drawn / measured.
        self._rows: dict[RowKey, tuple[object, Lines]] = {}
        self._heights: dict[RowKey, tuple[object, int]] = {}
        self._head_lines: dict[int, tuple[int, Lines]] = {}  # diagram -> (width, lines)
        self._empty: str | Text = "Loading…"
        self._width = 0
        self._layout = PathLayout()
        self._at: tuple[RowKey, Ref] | None = None  # the selected hop's row, as drawn
        self._shown: object = None  # what the pane shows: unchanged, nothing is sent
        self._strips: LRUCache[int, Strip] = LRUCache(256)
        self._line_style: Style | None = None  # during a render pass: see `render_lines`

    def show(
        self,
        diagrams: Sequence[Diagram],
        titles: Sequence[Text],
        probes: Probes,
        empty: str | Text = "",
        summaries: Sequence[Text] = (),
    ) -> None:
        """Replace the drawn paths (only the selected service's are ever built).

        ``empty`` is shown instead when there is nothing to draw: a plain string (dim), or a
        `Text` the caller built safe (an error), wrapped to the pane's width.
        """
        marks = _marks(diagrams, probes)
        same = (
            list(diagrams) == self._diagrams
            and list(titles) == self._titles
            and list(summaries) == self._summaries
            and marks == self._marks
        )
        self._diagrams, self._titles = list(diagrams), list(titles)
        self._summaries = list(summaries)
        self._probes, self._empty = probes, empty or "No service selected."
        if not same:  # the same paths again (a reload that changed nothing): keep the drawing
            self._marks = marks
            self._rows, self._heights, self._head_lines = {}, {}, {}
            self._shown = None
            self._hops = [
                (h, di, row_of(d, h.ref)) for di, d in enumerate(diagrams) for h in d.hops()
            ]
        if not self._hops:
            self._redraw()
            self.post_message(HopSelected(None))
            return
        self.hop = self.first_failing()

    def first_failing(self) -> int:
        """Where the view opens: the first hop that drops, rejects, is blocked or that a
        probe contradicted (what a user came to see); else the entry."""
        for n, (hop, _, _) in enumerate(self._hops):
            mark = mark_of(self._probes, hop.ref)
            if hop.state in FAILING or (mark is not None and mark.state == ProbeState.CONTRADICTED):
                return n
        return 1 if len(self._hops) > 1 else 0

    def set_probes(self, probes: Probes) -> None:
        self._probes = probes
        marks = _marks(self._diagrams, probes)
        if marks != self._marks:  # results for other services' hops change nothing here
            self._marks = marks
            self._probe_version += 1
        self._redraw()

    @property
    def current(self) -> Hop | None:
        return self._hops[self.hop][0] if 0 <= self.hop < len(self._hops) else None

    def select_ref(self, ref: Ref) -> bool:
        for n, (hop, _, _) in enumerate(self._hops):
            if hop.ref == ref:
                self.hop = n
                return True
        return False

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()  # theme or focus changed: the background is baked into strips

    def on_resize(self) -> None:
        if self.scrollable_content_region.width != self._width:
            self._redraw()

    def _selected(self, key: RowKey) -> Ref | None:
        """The hop drawn selected in row ``key``, if the cursor is on it."""
        return self._at[1] if self._at is not None and self._at[0] == key else None

    def _row(self, key: RowKey, width: int) -> Lines:
        selected = self._selected(key)
        cache = (width, selected, self._probe_version)
        cached = self._rows.get(key)
        if cached is None or cached[0] != cache:
            di, n = key
            lines = row_lines(
                self._diagrams[di], n, self._probes, selected, width, self.app.console
            )
            cached = self._rows[key] = (cache, lines)
        return cached[1]

    def _height(self, key: RowKey, width: int) -> int:
        selected = self._selected(key)
        cache = (width, selected, self._probe_version)
        drawn = self._rows.get(key)
        if drawn is not None and drawn[0] == cache:
            return len(drawn[1])
        known = self._heights.get(key)
        if known is None or known[0] != cache:
            di, n = key
            height = row_height(
                self._diagrams[di], n, self._probes, selected, width, self.app.console
            )
            known = self._heights[key] = (cache, height)
        return known[1]

    def _head(self, di: int, width: int) -> Lines:
        """A path's title, and its summary wrapped at spaces (a name or an address never
        breaks inside)."""
        known = self._head_lines.get(di)
        if known is None or known[0] != width:
            lines = [self._titles[di]]
            if di < len(self._summaries):
                lines.extend(self._summaries[di].wrap(self.app.console, max(width, 1)))
            known = self._head_lines[di] = (width, lines)
        return known[1]

    def _redraw(self) -> None:
        """Lay the pane out again and repaint what changed: nothing when nothing did, the
        two rows the cursor left and entered when only it moved, else the whole pane."""
        width = self._width = self.scrollable_content_region.width or 80
        if not self._diagrams:
            self._at = None
            empty = self._empty if isinstance(self._empty, Text) else literal(self._empty, "dim")
            lines = list(empty.wrap(self.app.console, max(width, 1)))
            self._show(message(lines), ("message", width, lines), [])
            return
        before = self._at
        hop = self._hops[self.hop] if 0 <= self.hop < len(self._hops) else None
        self._at = ((hop[1], hop[2]), hop[0].ref) if hop is not None else None
        new = layout(
            [self._head(di, width) for di in range(len(self._diagrams))],
            [
                [self._height((di, n), width) for n in range(row_count(d))]
                for di, d in enumerate(self._diagrams)
            ],
        )
        moved = [at[0] for at in (before, self._at) if at is not None and before != self._at]
        self._show(new, ("paths", width, self._probe_version, self._at), moved)

    def _show(self, new: PathLayout, shown: object, moved: list[RowKey]) -> None:
        old, was = self._layout, self._shown
        self._layout, self._shown = new, shown
        if shown == was:
            return  # drawn already (a reload that changed nothing here): send nothing
        self._strips.clear()
        size = Size(self._width, new.total)
        if size != self.virtual_size:
            # Assigning `virtual_size` reflows the whole screen (a full repaint, ~20 ms at
            # 160x48) on every service selected. Only the scrollbars depend on it here: set
            # it quietly and update them; showing or hiding one still asks for a layout.
            self.set_reactive(PathView.virtual_size, size)
            self._scroll_update(size)
        if (
            was is not None
            and moved
            and isinstance(was, tuple)
            and isinstance(shown, tuple)
            and was[:3] == shown[:3]
            and new.same_places(old)
        ):
            for key in moved:  # only the cursor moved: the rows it left and entered
                first, height = new.offsets[key]
                self.refresh_lines(first, height)
            return
        self.refresh()

    def _pinned(self, top: int, y: int) -> int | None:
        """The line to draw at row ``y`` instead: while a path's title and summary are
        scrolled above the pane, they stay pinned at its top (the path's failing hop and
        what it means are in view together). None: draw the line that is there."""
        starts = self._layout.starts
        if not starts or y >= 3:
            return None
        di = bisect_right(starts, top) - 1
        if di < 0 or top <= starts[di]:
            return None  # the title itself is on screen (or nothing is above)
        head = self._layout.heads[di]
        return starts[di] + y if y < head else None

    def render_lines(self, crop: Region) -> list[Strip]:
        # The style under every line, found once a pass: `rich_style` walks every ancestor
        # and cost a quarter of drawing a screenful of lines when asked once a line.
        self._line_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._line_style = None

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        style = self.rich_style if self._line_style is None else self._line_style
        top = int(self.scroll_offset.y)
        pinned = self._pinned(top, y)
        index = top + y if pinned is None else pinned
        strip = self._strips.get(index)
        if strip is None:
            text = self._line(index)
            if text is None:
                return Strip.blank(width, style)
            strip = Strip(list(text.render(self.app.console)), text.cell_len)
            strip = self._strips[index] = strip.adjust_cell_length(width).apply_style(style)
        return strip

    def _line(self, index: int) -> Text | None:
        """Line ``index`` of the pane, drawing its row of boxes if no line of it was shown
        since the row last changed."""
        at = self._layout.at(index)
        if at is None or isinstance(at, Text):
            return at
        key, k = at
        lines = self._row(key, self._width)
        return lines[k] if k < len(lines) else Text("")

    def validate_hop(self, value: int) -> int:
        return max(0, min(value, len(self._hops) - 1))

    def watch_hop(self, value: int) -> None:
        if not self._hops:
            return
        self._redraw()
        hop, di, n = self._hops[value]
        first, height = self._layout.offsets[(di, n)]
        # The row and the lines above it that the path's pinned title and summary cover
        # (its first row: the title and summary themselves).
        head = self._layout.heads[di]
        first, height = first - head, height + head
        self.scroll_to_region(Region(0, first, 1, height), animate=False, immediate=True)
        self.post_message(HopSelected(hop))

    def action_step(self, delta: int) -> None:
        self.hop += delta

    def action_jump(self, direction: int) -> None:
        if not self._hops:
            return
        current = self._hops[self.hop][1]
        target = max(0, min(len(self._diagrams) - 1, current + direction))
        self.hop = next(
            n for n, (h, di, _) in enumerate(self._hops) if di == target and is_entry(h.ref)
        )


def _marks(diagrams: Sequence[Diagram], probes: Probes) -> tuple[ProbeMark | None, ...]:
    """The probe results the paths' boxes show: all that the drawing reads of ``probes``."""
    return tuple(mark_of(probes, h.ref) for d in diagrams for h in d.hops())


def summary_text(line: str, state: HopState) -> Text:
    """A path's summary under its title: in its state's style when it fails."""
    return literal(line, HOP_LOOK[state].style if state in FAILING else "")


def list_summary(line: str, state: HopState) -> Text:
    """The summary under the list: the state's glyph, then the line, in the pane's own
    colours (a `Static` maps ANSI red to pure #ff0000, unreadable on $boost)."""
    look = HOP_LOOK[state]
    text = Text(f"{look.glyph} ", style="bold" if state in FAILING else "")
    text.append_text(literal(line, "bold" if state in FAILING else ""))
    return text


def diagram_title(d: Diagram, state: HopState) -> Text:
    look = HOP_LOOK[state]
    title = Text(f"{look.glyph} ", style=look.style)
    title.append_text(literal(d.title, "bold"))
    title.append(f"  {look.word}", style=look.style)
    return title


__all__ = [
    "FAILING",
    "PathView",
    "diagram_title",
    "list_summary",
    "path_state",
    "row_lines",
    "summary_text",
]
