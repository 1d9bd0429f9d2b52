"""The details of the selected hop: addresses, policy, the rule that decided, the probe."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from kpath.safetext import literal
from kpath.tui.styles import HOP_LOOK, HopState
from kpath.tui.view_model import Hop, ProbeMark
from kpath.tui.widgets.path_view import probe_words


def details_renderable(
    hop: Hop | None, probe: ProbeMark | None, health: ProbeMark | None = None
) -> RenderableType:
    """The hop's facts, then `evidence`'s verdict and reason for it (and, on a node group of
    a Local-policy service, for its health check)."""
    if hop is None:
        return Text("Select a hop in the path view (Tab, then ↑ ↓).", style="dim")
    look = HOP_LOOK[hop.state]
    head = Text(f"{look.glyph} ", style=look.style)
    head.append_text(literal(hop.title, "bold"))
    if hop.state != HopState.INFO:
        head.append(f"  {look.word}", style=look.style)
    table = Table.grid(padding=(0, 1))
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    for name, value in hop.details:
        table.add_row(Text(name), literal(value))
    if hop.state != HopState.INFO and hop.probed:
        table.add_row(Text("probe"), _verdict(probe))
    if health is not None:
        table.add_row(Text("health probe"), _verdict(health))
    return Group(head, table)


def _verdict(mark: ProbeMark | None) -> Text:
    text = probe_words(mark)
    if mark is not None and mark.reason:
        text.append(": ")
        text.append_text(literal(mark.reason))
    return text


class DetailsPanel(Static):
    """Shows one hop; the screen sets it whenever the path view selects a hop."""

    DEFAULT_CSS = "DetailsPanel { padding: 0 1; height: 1fr; overflow: hidden auto; }"

    _shown: tuple[object, ...] | None = None

    def show(
        self, hop: Hop | None, probe: ProbeMark | None, health: ProbeMark | None = None
    ) -> None:
        # The same facts (a reload that changed nothing here) resend nothing.
        shown = (hop[1:] if hop else None, probe, health)  # all but its ref (first)
        if shown == self._shown:
            return
        self._shown = shown
        # Its size is the pane's, whatever it shows: no layout pass for each hop.
        self.update(details_renderable(hop, probe, health), layout=False)
