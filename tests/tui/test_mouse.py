"""No mouse tracking unless asked: what `kpath tui` and `kpath demo` write to a real
pseudo-terminal. With tracking on, the terminal stops selecting text (an address to copy,
over ssh too); `--mouse` turns it on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.terminal import ROOT, run_in_pty
from tests.tui.test_scope_and_pickers import two_namespaces

#: What Textual's driver writes to track the mouse: clicks (1000), any motion (1003).
TRACKING = (b"\x1b[?1000h", b"\x1b[?1003h")


@pytest.mark.parametrize("mouse", [False, True])
def test_kpath_tui_tracks_the_mouse_only_with_mouse(tmp_path: Path, mouse: bool) -> None:
    dump = two_namespaces(tmp_path)
    out, code = run_in_pty(["tui", "--dump", str(dump), "-A", *(["--mouse"] * mouse)], "shop/web")
    assert code == 0
    assert b"\x1b[?1049h" in out  # it did take the screen
    for sequence in TRACKING:
        assert (sequence in out) is mouse, sequence


@pytest.mark.lab
def test_kpath_demo_leaves_the_mouse_alone() -> None:
    out, code = run_in_pty(["demo"], "LoadBalancer", seconds=90)
    assert code == 0
    assert not any(sequence in out for sequence in TRACKING)


def test_help_says_how_to_get_the_mouse() -> None:
    for command in ("tui", "demo"):
        done = subprocess.run(
            [sys.executable, "-m", "kpath", command, "--help"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        assert "--mouse" in done.stdout and "selects and copies text" in done.stdout
