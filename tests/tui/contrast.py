"""Contrast of what the terminal shows, from the rendered segments (WCAG 2 relative luminance).

Each cell's foreground and background come from the compositor's strips, after Textual's
own filters (ANSI to truecolour, NO_COLOR's monochrome); reverse swaps them and dim blends
the foreground halfway to the background, as terminals draw it.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.cells import cell_len
from rich.color import Color as RichColor
from textual.app import App
from textual.color import Color


class Cell(NamedTuple):
    char: str
    fg: Color
    bg: Color


def luminance(c: Color) -> float:
    def channel(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)


def contrast(a: Color, b: Color) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _color(c: RichColor | None, default: Color) -> Color:
    if c is None or c.is_default:
        return default
    r, g, b = c.get_truecolor()
    return Color(r, g, b)


def screen_cells(app: App[object]) -> list[list[Cell]]:
    """Every cell on screen with the colours it is drawn in."""
    theme = app.current_theme
    fg0 = Color.parse(theme.foreground or ("#e0e0e0" if theme.dark else "#1e1e1e"))
    bg0 = Color.parse(theme.background or ("#121212" if theme.dark else "#efefef"))
    rows: list[list[Cell]] = []
    for strip in app.screen._compositor.render_strips():  # how Textual exports screenshots
        row: list[Cell] = []
        for seg in strip:
            if seg.control:
                continue
            style = seg.style
            fg = _color(style.color if style else None, fg0)
            bg = _color(style.bgcolor if style else None, bg0)
            if style is not None and style.reverse:
                fg, bg = bg, fg
            if style is not None and style.dim:
                fg = bg.blend(fg, 0.5)
            for ch in seg.text:
                row.extend([Cell(ch, fg, bg)] * max(cell_len(ch), 1))
        rows.append(row)
    return rows


def worst_words(rows: list[list[Cell]], words: tuple[str, ...]) -> list[tuple[str, float, int]]:
    """Each verdict word found on screen: (the word, the lowest contrast of its cells, row)."""
    out = []
    for y, row in enumerate(rows):
        line = "".join(c.char for c in row)
        for word in words:
            start = line.find(word)
            while start >= 0:
                cells = row[start : start + len(word)]
                out.append((word, min(contrast(c.fg, c.bg) for c in cells), y))
                start = line.find(word, start + 1)
    return out
