"""The filter line above the services list."""

from __future__ import annotations

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input


class FilterBox(Input):
    """An `Input` whose typing repaints itself only.

    `Input` widens its virtual size with every character, and Textual lays the whole screen
    out again when a virtual size changes; at 10,000 services that layout was most of a
    keystroke's cost. The box has a fixed size (one line, the list's width), so its scroll
    range is all that changes: a repaint suffices.
    """

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)
