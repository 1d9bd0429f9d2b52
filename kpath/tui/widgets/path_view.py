"""The path view: each way into the selected service, drawn left to right as on a whiteboard.

    client ─▶ ╭ LoadBalancer ╮ ─▶ ╭ 3 nodes :30080 ╮ ─▶ ╭ pods ──────────╮
              │ 1.2.3.4:80   │    │ ⇄ cross-node   │    │ ⇄ web-1 …      │

Each path is its own `PathDiagram`, so moving the hop cursor redraws one or two diagrams,
never the list. Boxes carry a glyph and a word for their state; colour only repeats it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.console import Console
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.geometry import Size
from textual.reactive import reactive
from textual.widgets import Static

from kpath.export.safe import literal
from kpath.tui.boxes import Lines, box, column_widths, hstack
from kpath.tui.messages import HopSelected
from kpath.tui.styles import HOP_LOOK, PROBE_LOOK, HopState, ProbeState
from kpath.tui.view_model import Branch, Diagram, Hop, HopRef, path_state

Probes = Mapping[HopRef, tuple[ProbeState, str]]


def _probe_line(hop: Hop, probes: Probes) -> Text | None:
    if hop.state == HopState.INFO:
        return None
    state, _ = probes.get(hop.ref, (ProbeState.UNPROBED, ""))
    look = PROBE_LOOK[state]
    return Text(f"{look.glyph} {look.word}", style=look.style)


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
    return box(hop_body(hop, probes), width, HOP_LOOK[hop.state].style, console,
               double=selected)


def pods_box(branch: Branch, probes: Probes, selected: HopRef | None, width: int,
             console: Console) -> Lines:
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
        if pod.state == HopState.CROSS:
            line.append(" cross-node", style=look.style)
        probe = _probe_line(pod, probes)
        if probe is not None and probes.get(pod.ref):
            line.append(" ")
            line.append_text(probe)
        sub = literal("  " + " ".join(pod.lines), "dim")
        if pod.ref == selected:
            line.stylize("reverse")
            sub.stylize("reverse")
        lines += [line, sub]
    if branch.more_pods:
        lines.append(Text(f"+{branch.more_pods} more pods", style="dim"))
    worst = HopState.CROSS if HopState.CROSS in states else HopState.FORWARD
    return box(lines, width, HOP_LOOK[worst].style, console, title="pods")


def _arrow(state: HopState) -> Lines:
    glyph = {HopState.DROP: "─✗", HopState.REJECT: "─⊘"}.get(state, "─▶")
    return [Text(""), Text(glyph, style=HOP_LOOK[state].style)]


def row_lines(d: Diagram, n: int, probes: Probes, selected: HopRef | None, width: int,
              console: Console) -> Lines:
    """Row ``n`` of a path: the client and entry on the first row, then one branch a row."""
    widths = column_widths(width)
    _, _, entry_w, _, via_w, _, pods_w = widths
    if n == 0:
        client = [Text(""), Text("client" if d.client.lines[0].startswith("outside") else "pod",
                                 style="bold reverse" if selected == d.client.ref else "bold")]
        head = [client, _arrow(d.entry.state),
                hop_box(d.entry, probes, selected == d.entry.ref, entry_w, console)]
    else:
        head = [[], [], []]
    if n >= len(d.branches):
        more = ([Text(f"+{d.more_branches} more node groups", style="dim")]
                if d.more_branches else [])
        return hstack([*head, [], more, [], []], widths)
    b = d.branches[n]
    return hstack([*head, _arrow(b.via.state),
                   hop_box(b.via, probes, selected == b.via.ref, via_w, console),
                   _arrow(b.via.state) if b.pods else [],
                   pods_box(b, probes, selected, pods_w, console)], widths)


def row_count(d: Diagram) -> int:
    return max(1, len(d.branches) + (1 if d.more_branches else 0))


def row_of(d: Diagram, ref: HopRef) -> int:
    """Which row of the diagram draws the hop."""
    for n, b in enumerate(d.branches):
        if ref == b.via.ref or any(ref == p.ref for p in b.pods):
            return n
    return 0


class DiagramRow(Static):
    """One row of one path; redrawn alone when the hop cursor or a probe touches it."""

    DEFAULT_CSS = "DiagramRow { height: auto; }"

    def __init__(self, diagram: Diagram, n: int) -> None:
        super().__init__()
        self.diagram = diagram
        self.n = n
        self.probes: Probes = {}
        self.selected: HopRef | None = None
        self._probe_version = 0  # bumped when probe results land
        self._cache: tuple[object, Text] | None = None

    def render(self) -> Text:
        return self.drawn(self.size.width or 80)

    def drawn(self, width: int) -> Text:
        """The row at ``width``, drawn once per (width, selection, probes): layout asks for
        the height and then the content, and a cursor move must not pay twice."""
        key = (width, self.selected, self._probe_version)
        if self._cache is None or self._cache[0] != key:
            lines = row_lines(self.diagram, self.n, self.probes, self.selected, width,
                              self.app.console)
            text = Text("\n").join(lines)
            text.no_wrap, text.overflow = True, "crop"
            self._cache = (key, text)
        return self._cache[1]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self.drawn(width).plain.count("\n") + 1


class PathDiagram(Vertical):
    """One path of the selected service (a port reached one way): a heading and its rows."""

    DEFAULT_CSS = """
    PathDiagram { height: auto; margin: 0 0 1 0; }
    PathDiagram.-selected { background: $boost; }
    """

    def __init__(self, diagram: Diagram, title: Text) -> None:
        super().__init__()
        self.diagram = diagram
        self.heading = title
        self.rows = [DiagramRow(diagram, n) for n in range(row_count(diagram))]

    def compose(self) -> ComposeResult:
        yield Static(self.heading)
        yield from self.rows

    def set_probes(self, probes: Probes) -> None:
        for row in self.rows:
            row.probes = probes
            row._probe_version += 1
            row.refresh(layout=True)

    def select(self, ref: HopRef | None) -> DiagramRow | None:
        """Mark the selected hop; returns the row that draws it (to scroll to)."""
        target = row_of(self.diagram, ref) if ref is not None else -1
        self.set_class(ref is not None, "-selected")
        for row in self.rows:
            wanted = ref if row.n == target else None
            if row.selected != wanted:
                row.selected = wanted
                row.refresh(layout=True)
        return self.rows[target] if ref is not None else None


class PathView(VerticalScroll, can_focus=True):
    """Every path of one service, with a hop cursor. Posts `HopSelected`.

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

    hop: reactive[int] = reactive(0, always_update=True)
    """Position of the selected hop among every hop of every diagram."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._hops: list[tuple[Hop, PathDiagram]] = []
        self._probes: Probes = {}

    async def show(self, diagrams: Sequence[Diagram], titles: Sequence[Text],
                   probes: Probes, empty: str = "") -> None:
        """Replace the drawn paths (only the selected service's are ever built)."""
        await self.remove_children()
        self._probes = probes
        widgets = [PathDiagram(d, t) for d, t in zip(diagrams, titles, strict=True)]
        self._hops = [(h, w) for w in widgets for h in w.diagram.hops()]
        for w in widgets:
            for row in w.rows:
                row.probes = probes
        if not widgets:
            await self.mount(Static(literal(empty or "No service selected.", "dim")))
            self.post_message(HopSelected(None))
            return
        await self.mount_all(widgets)
        self.hop = 1 if len(self._hops) > 1 else 0  # the entry: where a user looks first

    def set_probes(self, probes: Probes) -> None:
        self._probes = probes
        for child in self.query(PathDiagram):
            child.set_probes(probes)

    @property
    def current(self) -> Hop | None:
        return self._hops[self.hop][0] if 0 <= self.hop < len(self._hops) else None

    def select_ref(self, ref: HopRef) -> bool:
        for n, (hop, _) in enumerate(self._hops):
            if hop.ref == ref:
                self.hop = n
                return True
        return False

    def validate_hop(self, value: int) -> int:
        return max(0, min(value, len(self._hops) - 1))

    def watch_hop(self, value: int) -> None:
        if not self._hops:
            return
        hop, diagram = self._hops[value]
        row = None
        for child in self.query(PathDiagram):
            if child is diagram:
                row = child.select(hop.ref)
            else:
                child.select(None)
        if row is not None:
            self.scroll_to_widget(row if row.n else diagram, animate=False, immediate=True)
        self.post_message(HopSelected(hop))

    def action_step(self, delta: int) -> None:
        self.hop += delta

    def action_jump(self, direction: int) -> None:
        if not self._hops:
            return
        current = self._hops[self.hop][0].ref.path
        order = list(dict.fromkeys(h.ref.path for h, _ in self._hops))
        target = order[max(0, min(len(order) - 1, order.index(current) + direction))]
        self.hop = next(n for n, (h, _) in enumerate(self._hops)
                        if h.ref.path == target and h.ref.level == "entry")


def diagram_title(d: Diagram, state: HopState) -> Text:
    look = HOP_LOOK[state]
    title = Text(f"{look.glyph} ", style=look.style)
    title.append_text(literal(d.title, "bold"))
    title.append(f"  {look.word}", style=look.style)
    return title


__all__ = ["PathDiagram", "PathView", "diagram_title", "hop_box", "path_state", "row_lines"]
