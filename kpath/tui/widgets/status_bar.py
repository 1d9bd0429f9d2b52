"""The top line: where the data comes from, when it was read, what could not be read."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from kpath.probe.consent import UI_NOTE
from kpath.routing.visibility import not_visible_short
from kpath.safetext import literal, literal_message
from kpath.tui.boxes import elide
from kpath.tui.styles import glyphs

WATCHING = "watching"
WATCH_LOST = "watch lost, retrying"


def status_text(
    origin: str,
    live: bool,
    loaded_at: datetime | None,
    loading: bool,
    not_visible: Mapping[str, str],
    probes: str,
    error: str,
    watch: str = "",
    seen: Collection[str] = (),
    stale: str = "",
    width: int = 0,
) -> Text:
    """The line's facts in a fixed order; cluster text (origin, reasons) shown literally.

    ``watch`` is how the live view follows the cluster: "" (it does not: `r` refreshes),
    ``watching``, or a word on trouble (``watch lost, retrying``). ``seen`` is the kinds
    that were read (what stands in for an unreadable kind depends on them). ``stale`` says
    since when what is shown could not be checked against the cluster (``stale since 12:00:03``).
    ``width``: the line's cells; when the facts do not fit, the origin loses its middle
    first (``context kpath-l…0.0.1:34085``), so "read HH:MM:SS" stays at 80 columns.
    """
    text = Text("kpath ", style="bold")
    name = literal(origin)
    rest = _facts(live, loaded_at, loading, not_visible, probes, error, watch, seen, stale)
    if width and text.cell_len + name.cell_len + rest.cell_len > width:
        room = max(12, width - text.cell_len - rest.cell_len)
        name = elide(name, room)
    text.append_text(name)
    text.append_text(rest)
    return text


def _facts(
    live: bool,
    loaded_at: datetime | None,
    loading: bool,
    not_visible: Mapping[str, str],
    probes: str,
    error: str,
    watch: str,
    seen: Collection[str],
    stale: str,
) -> Text:
    text = Text()
    if live:
        text.append(" │ live", style="green")
        if stale:  # before the rest: a narrow terminal cuts the end of the line
            text.append(f" │ {stale}", style="bold yellow")
        if watch:
            text.append_text(
                literal_message(f" │ {watch}", "green" if watch == WATCHING else "bold yellow")
            )
    else:
        text.append(f" │ {UI_NOTE}", style="yellow")
    if loading:
        text.append(" │ loading…", style="cyan")
    elif loaded_at is not None:
        text.append(f" │ read {loaded_at:%H:%M:%S}", style="dim")
    if not_visible:
        # What each unreadable kind hides; the reasons are in the findings (KP301).
        text.append(" │ not visible: ", style="yellow")
        text.append_text(literal(not_visible_short(not_visible, seen), "yellow"))
    if probes:
        text.append(f" │ {probes}", style="cyan")
    if error:
        text.append(glyphs(" │ ✗ "), style="bold red")
        text.append_text(literal_message(error, "red"))
    return text


class StatusBar(Static):
    """Redrawn only when one of its facts changes (cheap over a slow ssh link)."""

    # One line whatever the cluster's text: a long word is cut at the edge, never wrapped out
    # of sight (clip, not "…": a Linux console font has no ellipsis).
    DEFAULT_CSS = (
        "StatusBar { height: 1; background: $panel; padding: 0 1; "
        "text-wrap: nowrap; text-overflow: clip; }"
    )

    origin: reactive[str] = reactive("")
    live: reactive[bool] = reactive(False)
    loaded_at: reactive[datetime | None] = reactive(None)
    # Not `loading`: that is Widget.loading, which would cover the bar with a spinner.
    reading: reactive[bool] = reactive(False)
    not_visible: reactive[dict[str, str]] = reactive(dict)
    seen: reactive[frozenset[str]] = reactive(frozenset)  # the kinds that were read
    probes: reactive[str] = reactive("")
    error: reactive[str] = reactive("")
    # Not `watch`: that is DOMNode.watch(), which a reactive of that name would hide.
    watching: reactive[str] = reactive("")
    stale: reactive[str] = reactive("")

    def render(self) -> Text:
        text = status_text(
            self.origin,
            self.live,
            self.loaded_at,
            self.reading,
            self.not_visible,
            self.probes,
            self.error,
            self.watching,
            self.seen,
            self.stale,
            self.content_region.width,
        )
        text.no_wrap = True
        text.overflow = "ellipsis"
        return text
