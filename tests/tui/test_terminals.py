"""Terminals a bastion host offers: NO_COLOR, and TERM=xterm-256color, screen-256color and linux.

Without colour every state still reads as a glyph and a word; on a Linux text console the
glyphs are ones its fonts hold, one cell each, so nothing shifts.
"""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from rich.text import Text
from textual.color import Color

from kpath.tui.boxes import ROUND
from kpath.tui.styles import (
    HOP_LOOK,
    PROBE_LOOK,
    SEVERITY_LOOK,
    console_font,
    glyphs,
)
from tests.tui import data
from tests.tui.helpers import make_app, screen_text

HOSTILE = Path(__file__).resolve().parents[1] / "data" / "hostile" / "hostile.json"
UNICODE_ONLY = "→⇄✗⊘…○◌✓‼▶●╭╮╰╯"


def console_safe(ch: str) -> bool:
    """ASCII, or a box line (every Linux console font has those)."""
    return ch.isascii() or unicodedata.name(ch, "").startswith("BOX DRAWINGS")


def test_console_font_is_chosen_by_term_or_by_asking() -> None:
    assert console_font({"TERM": "linux"})
    assert console_font({"TERM": "xterm-256color", "KPATH_ASCII": "1"})
    assert not console_font({"TERM": "xterm-256color"})
    assert not console_font({"TERM": "screen-256color", "KPATH_ASCII": "0"})
    assert not console_font({})


def test_console_glyphs_are_safe_and_keep_their_width() -> None:
    looks = [*HOP_LOOK.values(), *PROBE_LOOK.values(), *SEVERITY_LOOK.values()]
    for text in [*(look.glyph for look in looks), ROUND, "─▶", "─✗", "─⊘", "● ", UNICODE_ONLY]:
        # The tables were built for this terminal; rebuild each from its Unicode form too.
        for source in (text, glyphs(text, console=False)):
            safe = glyphs(source, console=True)
            assert all(console_safe(ch) for ch in safe), safe
            assert Text(safe).cell_len == Text(source).cell_len, (source, safe)
    assert glyphs("⇄ cross-node", console=True) == "~ cross-node"
    assert glyphs("⇄ cross-node", console=False) == "⇄ cross-node"


@pytest.mark.anyio
async def test_no_color_keeps_every_state_as_glyph_and_word(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(data.shop())
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_loaded(pilot.pause)
        assert app.no_color
        text = screen_text(app)
        for state in ("cross-node", "reject", "drop"):
            look = next(v for v in HOP_LOOK.values() if v.word == state)
            assert f"{look.glyph} {look.word}" in text, state
        # What reaches the terminal goes through Textual's no-colour filter: greys only.
        coloured = set()
        for strip in app.screen._compositor.render_strips():
            for line_filter in app._filters:
                strip = strip.apply_filter(line_filter, Color(0, 0, 0))
            for segment in strip:
                for colour in (segment.style.color, segment.style.bgcolor) if segment.style else ():
                    if colour is not None and colour.triplet is not None:
                        r, g, b = colour.triplet
                        if not (r == g == b):
                            coloured.add(colour.triplet)
        assert not coloured


@pytest.mark.parametrize("term", ["xterm-256color", "screen-256color", "linux"])
def test_snapshot_renders_under_each_term(term: str, tmp_path: Path) -> None:
    out = tmp_path / "view.svg"
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "KPATH_ASCII")}
    env["TERM"] = term
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kpath",
            "snapshot",
            "--dump",
            str(HOSTILE),
            "--svg",
            str(out),
            "--size",
            "80x24",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    svg = out.read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "unprobed" in svg and "NodePort" in svg
    drawn = "".join(ch for ch in UNICODE_ONLY if ch in svg)
    if term == "linux":
        assert drawn == "", drawn
        assert "▁" not in svg  # the pane border is a box line, not an eighth block
        assert "o&#160;unprobed" in svg
    else:
        assert "○" in drawn and "╭" in drawn
