"""The help screen names every key the main screen's widgets answer to: the app's actions
come from one table, the widgets' own bindings are written out by hand (`WIDGET_KEYS`)."""

from __future__ import annotations

import pytest
from textual.binding import Binding

from kpath.tui.actions import ACTIONS, key_label
from kpath.tui.screens.help import help_table
from kpath.tui.screens.main import MainScreen
from kpath.tui.widgets.path_view import PathView
from kpath.tui.widgets.service_list import ServiceTable

#: How the help screen writes the keys Textual names otherwise.
SHOWN = {
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "home": "Home",
    "end": "End",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "escape": "Escape",
}


def help_rows() -> list[tuple[str, str]]:
    table = help_table()
    keys, what = (list(c.cells) for c in table.columns)
    return [(str(k), str(w)) for k, w in zip(keys, what, strict=True)]


@pytest.mark.parametrize("widget", [ServiceTable, PathView, MainScreen])
def test_every_widget_key_is_on_the_help_screen(widget: type) -> None:
    rows = help_rows()
    listed = {token for key, _ in rows for token in key.split()}
    said = " ".join(what for _, what in rows)  # Escape is told in the filter's row
    for binding in widget.BINDINGS:
        assert isinstance(binding, Binding)
        for key in binding.key.split(","):
            label = SHOWN.get(key, key)
            assert label in listed or (key == "escape" and label in said), (widget, key)


def test_every_action_has_its_row() -> None:
    keys = [key for key, _ in help_rows()]
    assert all(key_label(a.key) in keys for a in ACTIONS)
