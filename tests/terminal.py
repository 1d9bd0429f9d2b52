"""Run the real ``python -m kpath …`` in a pseudo-terminal of a given size, as a user's
terminal would: what it wrote (every byte, escape codes included) and how it exited."""

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

ROOT = Path(__file__).resolve().parents[1]


def letters(out: bytes | bytearray) -> str:
    """Only the letters of what was drawn: words arrive between escape codes."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|[^A-Za-z]", "", out.decode("utf-8", "replace"))


def run_in_pty(
    args: list[str], shown: str, *, size: tuple[int, int] = (100, 30), seconds: float = 60
) -> tuple[bytes, int]:
    """Run ``python -m kpath ARGS`` in a COLSxROWS pseudo-terminal until ``shown`` is on
    screen, press q, and return every byte it wrote and its exit code."""
    master, slave = pty.openpty()
    cols, rows = size
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kpath", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=ROOT,
        start_new_session=True,
        close_fds=True,
    )
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

    want = re.sub(r"[^A-Za-z]", "", shown)
    try:
        read_until(lambda: want in letters(out), seconds)
        assert want in letters(out), out[-2000:]
        os.write(master, b"q")
        read_until(lambda: proc.poll() is not None, 15)
        code = proc.wait(timeout=15)
        read_until(lambda: False, 0.3)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return bytes(out), code
