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
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from kpath.probe.plan import HopRef
from kpath.safetext import literal
from kpath.tui.boxes import Lines, box, column_widths, hstack
from kpath.tui.messages import HopSelected
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


def hop_box(hop: Hop, probes: Probes, selected: bool, width: int, console: Console) -> Lines:
    """One hop as a box; the selected hop is drawn doubled and reversed."""
    return box(hop_body(hop, probes), width, HOP_LOOK[hop.state].style, console, double=selected)


def pods_box(
    branch: Branch, probes: Probes, selected: Ref | None, width: int, console: Console
) -> Lines:
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
    return box(lines, width, HOP_LOOK[worst].style, console, title=branch.title)


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
    widths = column_widths(width)
    _, _, entry_w, _, via_w, _, pods_w = widths
    first = _first_rows(d)
    if n >= first:
        return _leg_row(d, n - first, probes, selected, widths, console)
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
            hop_box(d.entry, probes, selected == d.entry.ref, entry_w, console),
        ]
    else:
        head = [[], [], []]
    if n >= len(d.branches):
        more = (
            [Text(f"+{d.more_branches} more node groups", style="dim")] if d.more_branches else []
        )
        return hstack([*head, [], more, [], []], widths)
    b = d.branches[n]
    return hstack([*head, *_branch_columns(b, probes, selected, via_w, pods_w, console)], widths)


def _branch_columns(
    b: Branch, probes: Probes, selected: Ref | None, via_w: int, pods_w: int, console: Console
) -> list[Lines]:
    return [
        _arrow(b.via.state),
        hop_box(b.via, probes, selected == b.via.ref, via_w, console),
        _arrow(b.via.state) if b.pods else [],
        pods_box(b, probes, selected, pods_w, console),
    ]


_LEG = glyphs("╰ rule")  # the second leg starts at the route rule


def _leg_row(
    d: Diagram,
    m: int,
    probes: Probes,
    selected: Ref | None,
    widths: Sequence[int],
    console: Console,
) -> Lines:
    """Row ``m`` of the legs below the first: the leg's head (a route rule) on its first
    row, one branch (a backend Service and its pods) a row."""
    _, _, head_w, _, via_w, _, pods_w = widths
    for leg in d.legs:
        rows = max(1, len(leg.branches))
        if m >= rows:
            m -= rows
            continue
        if m == 0:
            head = [
                [Text(""), Text(_LEG, style="dim")],
                _arrow(leg.head.state),
                hop_box(leg.head, probes, selected == leg.head.ref, head_w, console),
            ]
        else:
            head = [[], [], []]
        if m >= len(leg.branches):
            return hstack([*head, [], [], [], []], widths)
        cols = _branch_columns(leg.branches[m], probes, selected, via_w, pods_w, console)
        return hstack([*head, *cols], widths)
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

    A Line-API widget: the paths are drawn as lines of text and only the lines on screen
    become strips, so selecting another service costs the drawing and one screenful. Each
    row of boxes is drawn once per (width, selection, probes) and cached; the cursor knows
    the line each row starts on and scrolls there.

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
        self._probe_version = 0
        self._rows: dict[tuple[int, int], tuple[object, Lines]] = {}
        self._offsets: dict[tuple[int, int], tuple[int, int]] = {}  # row -> (first line, height)
        self._heads: dict[int, int] = {}  # diagram -> lines of its title and summary
        self._starts: list[int] = []  # diagram -> the line its title is on
        self._empty: str | Text = "Loading…"
        self._width = 0
        self._lines: Lines = []
        self._shown_width = 0
        self._strips: LRUCache[int, Strip] = LRUCache(256)

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
        same = (
            probes is self._probes
            and list(diagrams) == self._diagrams
            and list(titles) == self._titles
            and list(summaries) == self._summaries
        )
        self._diagrams, self._titles = list(diagrams), list(titles)
        self._summaries = list(summaries)
        self._probes, self._empty = probes, empty or "No service selected."
        if not same:  # the same paths again (a selection announced twice): keep the drawing
            self._rows = {}
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

    def _row(self, di: int, n: int, selected: Ref | None, width: int) -> Lines:
        key = (width, selected, self._probe_version)
        cached = self._rows.get((di, n))
        if cached is None or cached[0] != key:
            lines = row_lines(
                self._diagrams[di], n, self._probes, selected, width, self.app.console
            )
            cached = self._rows[(di, n)] = (key, lines)
        return cached[1]

    def _redraw(self) -> None:
        width = self._width = self.scrollable_content_region.width or 80
        if not self._diagrams:
            empty = self._empty if isinstance(self._empty, Text) else literal(self._empty, "dim")
            self._show_lines(list(empty.wrap(self.app.console, max(width, 1))), width)
            return
        current = self._hops[self.hop] if 0 <= self.hop < len(self._hops) else None
        lines: Lines = []
        self._offsets = {}
        self._heads = {}
        self._starts = []
        for di, d in enumerate(self._diagrams):
            head = len(lines)
            self._starts.append(head)
            lines.append(self._titles[di])
            if di < len(self._summaries):
                # Wrapped at spaces, so a name or an address never breaks inside.
                lines.extend(self._summaries[di].wrap(self.app.console, max(width, 1)))
            self._heads[di] = len(lines) - head
            for n in range(row_count(d)):
                selected = current[0].ref if current and current[1:] == (di, n) else None
                row = self._row(di, n, selected, width)
                self._offsets[(di, n)] = (len(lines), len(row))
                lines.extend(row)
            lines.append(Text(""))
        self._show_lines(lines, width)

    def _show_lines(self, lines: Lines, width: int) -> None:
        if width == self._shown_width and lines == self._lines:
            return  # drawn already (a reload that changed nothing here): send nothing
        self._lines, self._shown_width = lines, width
        self._strips.clear()
        size = Size(width, len(lines))
        if size != self.virtual_size:
            # Assigning `virtual_size` reflows the whole screen (a full repaint, ~20 ms at
            # 160x48) on every service selected. Only the scrollbars depend on it here: set
            # it quietly and update them; showing or hiding one still asks for a layout.
            self.set_reactive(PathView.virtual_size, size)
            self._scroll_update(size)
        self.refresh()

    def _pinned(self, top: int, y: int) -> int | None:
        """The line to draw at row ``y`` instead: while a path's title and summary are
        scrolled above the pane, they stay pinned at its top (the path's failing hop and
        what it means are in view together). None: draw the line that is there."""
        if not self._starts or y >= 3:
            return None
        di = bisect_right(self._starts, top) - 1
        if di < 0 or top <= self._starts[di]:
            return None  # the title itself is on screen (or nothing is above)
        head = self._heads.get(di, 1)
        return self._starts[di] + y if y < head else None

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        top = int(self.scroll_offset.y)
        pinned = self._pinned(top, y)
        index = top + y if pinned is None else pinned
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        strip = self._strips.get(index)
        if strip is None:
            text = self._lines[index]
            strip = Strip(list(text.render(self.app.console)), text.cell_len)
            strip = self._strips[index] = strip.adjust_cell_length(width).apply_style(
                self.rich_style
            )
        return strip

    def validate_hop(self, value: int) -> int:
        return max(0, min(value, len(self._hops) - 1))

    def watch_hop(self, value: int) -> None:
        if not self._hops:
            return
        self._redraw()
        hop, di, n = self._hops[value]
        first, height = self._offsets[(di, n)]
        # The row and the lines above it that the path's pinned title and summary cover
        # (its first row: the title and summary themselves).
        head = self._heads.get(di, 1)
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
    "hop_box",
    "list_summary",
    "path_state",
    "row_lines",
    "summary_text",
]
