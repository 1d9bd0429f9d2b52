"""How each hop state looks: a glyph, a word and a colour, so state never rests on colour alone.

With ``NO_COLOR`` Textual strips colour from every line; the glyph and the word still say
forward, cross-node, drop, reject, redirect, pending, and each probe verdict (confirmed, unknown,
answered (unidentified), contradiction), stale or not.
With ``TERM=linux`` (a bastion's text console) glyphs come from what its fonts hold.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from enum import StrEnum
from typing import NamedTuple

from rich.text import Text

from kpath.routing.findings import Severity


class HopState(StrEnum):
    """What kpath predicts (or a probe saw) at one hop."""

    FORWARD = "forward"
    CROSS = "cross-node"
    DROP = "drop"
    REJECT = "reject"
    REDIRECT = "redirect"  # a Gateway rule answers a redirect itself: by design, not a failure
    PENDING = "pending"
    BLOCKED = "blocked"  # a NetworkPolicy denies every endpoint from this hop's source
    INFO = "info"  # a hop that makes no decision (the client, a DNS name)


class ProbeState(StrEnum):
    """A hop's probe verdict: `kpath.probe.evidence.Proof`, and the two states before one."""

    UNPROBED = "unprobed"
    RUNNING = "probing"
    CONFIRMED = "confirmed"
    UNIDENTIFIED = "unidentified"
    ANSWERED_ERROR = "answered-error"  # reached the pod, which answered an HTTP 5xx
    UNKNOWN = "unknown"
    CONTRADICTED = "contradicted"


#: Which state wins where one mark stands for several hops (a service's line in the list):
#: the order `kpath.probe.hops` merges a hop's targets in, so the list and the JSON agree
#: (an in-cluster address that proves nothing from here does not hide what was confirmed).
PROBE_RANK = {ProbeState.UNPROBED: 0, ProbeState.RUNNING: 1, ProbeState.UNKNOWN: 2,
              ProbeState.CONFIRMED: 3, ProbeState.ANSWERED_ERROR: 4, ProbeState.UNIDENTIFIED: 5,
              ProbeState.CONTRADICTED: 6}


#: The Linux console's fonts hold ASCII and box lines, not arrows, ticks or rounded corners.
#: Each stand-in is one cell wide, like the glyph it replaces, so layouts do not move.
_CONSOLE_GLYPHS = str.maketrans({
    "→": ">", "↪": "^", "⇄": "~", "✗": "x", "⊗": "X", "⊘": "/", "…": ".", "·": ".", "○": "o",
    "◌": "?", "✓": "+", "‼": "!", "▶": ">", "●": "*", "╭": "┌", "╮": "┐", "╰": "└", "╯": "┘",
})


def console_font(environ: Mapping[str, str]) -> bool:
    """Whether to draw for a Linux text console: ``TERM=linux``, or ``KPATH_ASCII=1``."""
    return environ.get("TERM") == "linux" or environ.get("KPATH_ASCII", "") not in ("", "0")


#: Read once: the terminal does not change under a running kpath.
CONSOLE_FONT = console_font(os.environ)


def glyphs(text: str, console: bool = CONSOLE_FONT) -> str:
    """``text`` with kpath's symbols as this terminal can show them."""
    return text.translate(_CONSOLE_GLYPHS) if console else text


def fit(text: Text, width: int) -> Text:
    """A copy of ``text`` cut to ``width`` cells with an ellipsis (glyph-safe), or padded."""
    text = text.copy()
    text.truncate(width, overflow="ellipsis", pad=True)
    if CONSOLE_FONT and "…" in text.plain:
        text.plain = glyphs(text.plain)  # same length: the styles stay where they were
    return text


class Look(NamedTuple):
    glyph: str
    word: str
    style: str  # a Rich style; colours are ANSI names so themes and NO_COLOR stay in charge


HOP_LOOK: dict[HopState, Look] = {
    HopState.FORWARD: Look(glyphs("→"), "forward", "green"),
    HopState.CROSS: Look(glyphs("⇄"), "cross-node", "magenta"),
    HopState.DROP: Look(glyphs("✗"), "drop", "bold red"),
    HopState.REJECT: Look(glyphs("⊘"), "reject", "red"),
    HopState.REDIRECT: Look(glyphs("↪"), "redirect", "cyan"),
    HopState.PENDING: Look(glyphs("…"), "pending", "yellow"),
    HopState.BLOCKED: Look(glyphs("⊗"), "blocked", "bold red"),
    HopState.INFO: Look(glyphs("·"), "", "default"),
}

PROBE_LOOK: dict[ProbeState, Look] = {
    ProbeState.UNPROBED: Look(glyphs("○"), "unprobed", "dim"),
    ProbeState.RUNNING: Look(glyphs("◌"), "probing", "cyan"),
    ProbeState.CONFIRMED: Look(glyphs("✓"), "confirmed", "green"),
    ProbeState.UNIDENTIFIED: Look(glyphs("~"), "answered (unidentified)", "cyan"),
    ProbeState.ANSWERED_ERROR: Look(glyphs("!"), "answered with an HTTP error", "yellow"),
    ProbeState.UNKNOWN: Look(glyphs("?"), "unknown", "yellow"),
    ProbeState.CONTRADICTED: Look(glyphs("‼"), "contradiction", "bold yellow reverse"),
}

SEVERITY_LOOK: dict[Severity, Look] = {
    Severity.ERROR: Look(glyphs("✗"), "error", "bold red"),
    Severity.WARNING: Look(glyphs("!"), "warning", "yellow"),
    Severity.INFO: Look(glyphs("i"), "info", "cyan"),
}

