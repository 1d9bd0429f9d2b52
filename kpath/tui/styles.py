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

from rich.style import Style
from rich.terminal_theme import TerminalTheme
from rich.text import Text
from textual._ansi_theme import ALABASTER, MONOKAI

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
PROBE_RANK = {
    ProbeState.UNPROBED: 0,
    ProbeState.RUNNING: 1,
    ProbeState.UNKNOWN: 2,
    ProbeState.CONFIRMED: 3,
    ProbeState.ANSWERED_ERROR: 4,
    ProbeState.UNIDENTIFIED: 5,
    ProbeState.CONTRADICTED: 6,
}


#: The Linux console's fonts hold ASCII and box lines, not arrows, ticks or rounded corners.
#: Each stand-in is one cell wide, like the glyph it replaces, so layouts do not move.
_CONSOLE_GLYPHS = str.maketrans(
    {
        "→": ">",
        "↪": "^",
        "⇄": "~",
        "✗": "x",
        "⊗": "X",
        "⊘": "/",
        "…": ".",
        "·": ".",
        "○": "o",
        "◌": "?",
        "✓": "+",
        "‼": "!",
        "▶": ">",
        "●": "*",
        "╭": "┌",
        "╮": "┐",
        "╰": "└",
        "╯": "┘",
    }
)


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
    HopState.REJECT: Look(glyphs("⊘"), "reject", "bold red"),
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

#: A probe verdict in the list's PROBE column: one whole word that fits its 10 cells.
PROBE_SHORT: dict[ProbeState, str] = {
    ProbeState.UNIDENTIFIED: "answered",
    ProbeState.ANSWERED_ERROR: "HTTP err",
    ProbeState.CONTRADICTED: "refuted",
}

SEVERITY_LOOK: dict[Severity, Look] = {
    Severity.ERROR: Look(glyphs("✗"), "error", "bold red"),
    Severity.WARNING: Look(glyphs("!"), "warning", "yellow"),
    Severity.INFO: Look(glyphs("i"), "info", "cyan"),
}

#: Under NO_COLOR Textual turns every colour grey by its luminance, so a red "drop" would
#: be the faintest text on screen. Without colour, bad states stand out by weight instead:
#: bold, and reverse for what loses traffic; nothing that states a failure is dim.
_PLAIN: dict[StrEnum | Severity, str] = {
    HopState.FORWARD: "",
    HopState.CROSS: "bold",
    HopState.DROP: "bold reverse",
    HopState.REJECT: "bold reverse",
    HopState.REDIRECT: "",
    HopState.PENDING: "bold",
    HopState.BLOCKED: "bold reverse",
    HopState.INFO: "default",
    ProbeState.UNPROBED: "dim",
    ProbeState.RUNNING: "",
    ProbeState.CONFIRMED: "",
    ProbeState.UNIDENTIFIED: "",
    ProbeState.ANSWERED_ERROR: "bold",
    ProbeState.UNKNOWN: "bold",
    ProbeState.CONTRADICTED: "bold reverse",
    Severity.ERROR: "bold reverse",
    Severity.WARNING: "bold",
    Severity.INFO: "",
}
_COLOUR: dict[StrEnum | Severity, str] = {
    **{k: v.style for k, v in HOP_LOOK.items()},
    **{k: v.style for k, v in PROBE_LOOK.items()},
    **{k: v.style for k, v in SEVERITY_LOOK.items()},
}


def use_no_color(no_color: bool) -> None:
    """Switch the looks for a ``NO_COLOR`` terminal (the app calls this before drawing).

    The tables are changed in place: every widget reads them when it draws."""
    styles = _PLAIN if no_color else _COLOUR
    for table in (HOP_LOOK, PROBE_LOOK, SEVERITY_LOOK):
        for key, look in table.items():
            table[key] = look._replace(style=styles[key])  # type: ignore[index]


def _palette(base: TerminalTheme, colours: Mapping[int, tuple[int, int, int]]) -> TerminalTheme:
    """``base`` with some ANSI colours replaced (normal and bright alike)."""
    ansi: list[tuple[int, int, int]] = [(r, g, b) for r, g, b in base.ansi_colors._colors]
    for index, rgb in colours.items():
        ansi[index] = ansi[index + 8] = rgb
    bg, fg = base.background_color, base.foreground_color
    return TerminalTheme(
        (bg.red, bg.green, bg.blue), (fg.red, fg.green, fg.blue), ansi[:8], ansi[8:]
    )


#: The ANSI colours verdicts are drawn in, by theme: each reads at 4.5:1 or more on the
#: theme's background and its raised surfaces (Textual's MONOKAI red is 4.3:1 on $boost,
#: ALABASTER's green 3.2:1 on the light background). 1 red, 2 green, 3 yellow, 5 magenta,
#: 6 cyan.
ANSI_DARK = _palette(
    MONOKAI,
    {
        1: (255, 110, 110),
        2: (120, 220, 110),
        3: (240, 200, 80),
        5: (225, 140, 240),
        6: (90, 210, 230),
    },
)
ANSI_LIGHT = _palette(
    ALABASTER,
    {1: (170, 20, 30), 2: (20, 110, 40), 3: (130, 80, 0), 5: (130, 40, 150), 6: (0, 100, 115)},
)


def truecolour(style: str, theme: TerminalTheme) -> Style:
    """``style`` with its ANSI colours as ``theme`` draws them. For widgets that turn Rich
    text into Textual content (Static, OptionList): those map ANSI red to pure #ff0000,
    not through the app's ANSI theme as the Line-API widgets' strips are."""
    parsed = Style.parse(style)
    if parsed.color is None or parsed.color.is_default:
        return parsed
    r, g, b = parsed.color.get_truecolor(theme)
    return parsed + Style(color=f"rgb({r},{g},{b})")


def without_colour(style: str) -> Style:
    """``style``'s weight (bold, reverse, …) without its colours: the list's cursor row is
    drawn in the cursor's own colours, so no verdict is orange on orange."""
    parsed = Style.parse(style)
    return Style(
        bold=parsed.bold,
        dim=parsed.dim,
        italic=parsed.italic,
        reverse=parsed.reverse,
        underline=parsed.underline,
    )
