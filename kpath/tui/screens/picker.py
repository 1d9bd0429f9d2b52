"""A small modal list that returns one choice (a namespace, a kubeconfig context)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from kpath.safetext import literal


class Picker(ModalScreen[str | None]):
    """Choose one of ``choices``; dismisses with the choice, or None on Escape or `q` (as
    everywhere else in kpath, `q` leaves what is open; here that is the picker, not kpath).

    ``choices`` are (value, label) pairs; labels are cluster text and shown literally.
    """

    CSS_PATH = "picker.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("q", "cancel", "Close", show=False),
    ]

    def __init__(
        self, title: str, choices: Sequence[tuple[str, str]], current: str | None = None
    ) -> None:
        super().__init__()
        self._title = title
        self._choices = list(choices)
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static(Text(self._title, style="bold"))
            yield OptionList(
                *(Option(literal(label), id=str(n)) for n, (_, label) in enumerate(self._choices)),
                id="choices",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        values = [v for v, _ in self._choices]
        if self._current in values:
            options.highlighted = values.index(self._current)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self._choices[int(event.option_id or 0)][0])

    def action_cancel(self) -> None:
        self.dismiss(None)
