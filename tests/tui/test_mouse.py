"""No mouse tracking unless asked: what `kpath tui` and `kpath demo` write to a real
pseudo-terminal. With tracking on, the terminal stops selecting text (an address to copy,
over ssh too); `--mouse` turns it on."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.tui.test_scope_and_pickers import two_namespaces

ROOT = Path(__file__).resolve().parents[2]
#: What Textual's driver writes to track the mouse: clicks (1000), any motion (1003).
TRACKING = (b"\x1b[?1000h", b"\x1b[?1003h")


def run_in_pty(args: list[str], shown: str, seconds: float = 60) -> tuple[bytes, int]:
    """Run ``python -m kpath ARGS`` in a 100x30 pseudo-terminal until ``shown`` is on
    screen, press q, and return every byte it wrote and its exit code."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color"}
    proc = subprocess.Popen([sys.executable, "-m", "kpath", *args], stdin=slave,
                            stdout=slave, stderr=slave, env=env, cwd=ROOT,
                            start_new_session=True, close_fds=True)
    os.close(slave)
    out = bytearray()

    def read_until(done: Callable[[], bool], wait: float) -> None:
        deadline = time.monotonic() + wait
        while not done() and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    out.extend(os.read(master, 65536))
                except OSError:  # the child closed the terminal
                    return

    def letters() -> str:  # the words arrive between escape codes
        return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|[^A-Za-z]", "",
                      out.decode("utf-8", "replace"))

    want = re.sub(r"[^A-Za-z]", "", shown)
    try:
        read_until(lambda: want in letters(), seconds)
        assert want in letters(), out[-2000:]
        os.write(master, b"q")
        read_until(lambda: proc.poll() is not None, 15)
        code = proc.wait(timeout=15)
        read_until(lambda: False, 0.3)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return bytes(out), code


@pytest.mark.parametrize("mouse", [False, True])
def test_kpath_tui_tracks_the_mouse_only_with_mouse(tmp_path: Path, mouse: bool) -> None:
    dump = two_namespaces(tmp_path)
    out, code = run_in_pty(["tui", "--dump", str(dump), "-A", *(["--mouse"] * mouse)],
                           "shop/web")
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
        done = subprocess.run([sys.executable, "-m", "kpath", command, "--help"], cwd=ROOT,
                              capture_output=True, text=True, check=True)
        assert "--mouse" in done.stdout and "selects and copies text" in done.stdout
