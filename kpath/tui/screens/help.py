"""The help screen (`?`): every key, generated from the actions table."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from kpath.tui.actions import ACTIONS, WIDGET_KEYS, key_label
from kpath.tui.styles import HOP_LOOK, PROBE_LOOK


def help_table() -> Table:
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    table.add_column("KEY", style="bold", no_wrap=True)
    table.add_column("WHAT IT DOES")
    for a in ACTIONS:
        table.add_row(Text(key_label(a.key)), Text(a.help))
    for keys, what in WIDGET_KEYS:
        table.add_row(Text(keys), Text(what))
    return table


def legend() -> Text:
    text = Text("States: ", style="bold")
    for look in (*HOP_LOOK.values(), *PROBE_LOOK.values()):
        if look.word:
            text.append(f"{look.glyph} {look.word}", style=look.style)
            text.append("  ")
    return text


class HelpScreen(ModalScreen[None]):
    """Lists every key; any of Escape, q or ? closes it."""

    CSS_PATH = "help.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", key_display="esc"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(Text("kpath keys", style="bold"))
            yield Static(help_table())
            yield Static(legend())

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
