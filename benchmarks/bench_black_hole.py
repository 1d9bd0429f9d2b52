"""What it costs, at 80x24, to see the demo's black hole: keys pressed, bytes drawn.

    python benchmarks/bench_black_hole.py [--cols 80 --rows 24] [--show]

Runs the real ``python -m kpath demo`` under a pseudo-terminal of that size, replays what
the terminal draws into a small screen model (cursor moves, text, erases: enough for
Textual's output), and plays a user who wants to see where the demo's black hole is
(shop/checkout, Local policy, no pod on node-c):

1. wait for the list; press ``down`` until the list's cursor is on the service;
2. until the dropping node's hop box (titled ``✗ node-c``) is on screen, press ``tab``
   once (into the path pane), then ``down``.

It prints the keys pressed and the bytes read from the terminal until that box is on
screen (from the start of the program). ``--show`` prints the final screen.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from fcntl import ioctl
from pathlib import Path

from rich.cells import cell_len

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._goal import emit, result  # noqa: E402

KEYS = {"down": b"\x1b[B", "tab": b"\t", "q": b"q"}
_CSI = re.compile(rb"\x1b\[([0-9;?<>=]*)([ -/]*)([@-~])")
_OSC = re.compile(rb"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


class Screen:
    """Cells of a terminal: only what Textual's driver sends (CUP, EL/ED, text)."""

    def __init__(self, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows
        self.cells = [[" "] * cols for _ in range(rows)]
        self.bg = [[""] * cols for _ in range(rows)]  # each cell's background, as sent
        self._bg = ""
        self.x = self.y = 0
        self._pending = b""

    def feed(self, data: bytes) -> None:
        data = self._pending + data
        self._pending = b""
        i = 0
        while i < len(data):
            if data[i] == 0x1B:
                m = _CSI.match(data, i) or _OSC.match(data, i)
                if m is None:
                    if len(data) - i < 64:  # an escape cut by the read: keep it for later
                        self._pending = data[i:]
                        return
                    i += 1
                    continue
                if m.re is _CSI:
                    self._csi(m.group(1).decode(), m.group(3).decode())
                i = m.end()
                continue
            j = data.find(b"\x1b", i)
            j = len(data) if j < 0 else j
            chunk = data[i:j]
            try:
                text = chunk.decode()
            except UnicodeDecodeError:  # a character cut by the read
                self._pending = data[i:]
                return
            self._text(text)
            i = j

    def _text(self, text: str) -> None:
        for ch in text:
            if ch == "\r":
                self.x = 0
            elif ch == "\n":
                self.y = min(self.y + 1, self.rows - 1)
            elif ch >= " ":
                if 0 <= self.y < self.rows and 0 <= self.x < self.cols:
                    self.cells[self.y][self.x] = ch
                    self.bg[self.y][self.x] = self._bg
                self.x += max(cell_len(ch), 1) if ch != "\u200b" else 0

    def _csi(self, params: str, final: str) -> None:
        nums = [int(p) if p.isdigit() else 0 for p in params.split(";")] if params else []
        if final == "m":
            self._sgr(params)
        elif final == "H":
            row = nums[0] if nums and nums[0] else 1
            col = nums[1] if len(nums) > 1 and nums[1] else 1
            self.y, self.x = row - 1, col - 1
        elif final == "J" and nums[:1] == [2]:
            self.cells = [[" "] * self.cols for _ in range(self.rows)]
        elif final == "K":
            line = self.cells[self.y] if 0 <= self.y < self.rows else []
            for x in range(self.x, len(line)):
                line[x] = " "

    def _sgr(self, params: str) -> None:
        parts = params.split(";") if params else ["0"]
        i = 0
        while i < len(parts):
            p = parts[i]
            if p in ("", "0", "49"):
                self._bg = ""
            elif p == "7":
                self._bg = "reverse"
            elif p == "48" and i + 1 < len(parts):
                n = 5 if parts[i + 1] == "2" else 3
                self._bg = ";".join(parts[i : i + n])
                i += n - 1
            elif p == "38" and i + 1 < len(parts):
                i += 4 if parts[i + 1] == "2" else 2
            i += 1

    def selected_row(self) -> str:
        """The list row drawn on a background no other row of the list has: the cursor."""
        rows = [(y, "".join(r)) for y, r in enumerate(self.cells) if "/" in "".join(r)[:30]]
        counts: dict[str, int] = {}
        for y, _ in rows:
            counts[self.bg[y][2]] = counts.get(self.bg[y][2], 0) + 1
        for y, line in rows:
            if counts[self.bg[y][2]] == 1 and len(rows) > 1:
                return line
        return ""

    def text(self) -> str:
        return "\n".join("".join(r).rstrip() for r in self.cells)


class Session:
    def __init__(self, cols: int, rows: int) -> None:
        self.screen = Screen(cols, rows)
        self.bytes = 0
        self.keys = 0
        pid, fd = pty.fork()
        if pid == 0:  # the child: the real program, as a user starts it
            os.chdir(ROOT)
            env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(cols), LINES=str(rows))
            env.pop("NO_COLOR", None)
            os.execvpe(sys.executable, [sys.executable, "-m", "kpath", "demo"], env)
            os._exit(127)
        self.pid, self.fd = pid, fd
        ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def pump(self, quiet: float = 0.6, limit: float = 60.0) -> None:
        """Read until the terminal has been quiet for ``quiet`` seconds."""
        end = time.monotonic() + limit
        last = time.monotonic()
        while time.monotonic() < end:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:
                    return
                if not data:
                    return
                self.bytes += len(data)
                self.screen.feed(data)
                last = time.monotonic()
            elif time.monotonic() - last > quiet:
                return

    def wait_for(self, pattern: str, limit: float = 60.0) -> bool:
        end = time.monotonic() + limit
        while time.monotonic() < end:
            self.pump(quiet=0.3, limit=1.0)
            if re.search(pattern, self.screen.text()):
                return True
        return False

    def press(self, key: str) -> None:
        os.write(self.fd, KEYS[key])
        self.keys += 1
        self.pump()

    def close(self) -> None:
        try:
            os.write(self.fd, b"q")
            self.pump(quiet=0.5, limit=5)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            os.waitpid(self.pid, 0)


def seen(text: str, node: str) -> bool:
    """The dropping node's own hop box is on screen (its title: ``✗ node-c``)."""
    return f"✗ {node}" in text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cols", type=int, default=80)
    ap.add_argument("--rows", type=int, default=24)
    ap.add_argument("--service", default="shop/checkout", help="the service that drops")
    ap.add_argument("--node", default="node-c", help="the node where it drops")
    ap.add_argument("--show", action="store_true", help="print the final screen")
    ap.add_argument("--json", action="store_true", help="end with the results as a JSON line")
    args = ap.parse_args()
    node, service = args.node, args.service
    # Stopped (run.py's budget), still stop the demo: it runs in a session of its own,
    # which a stop sent to this benchmark's process group does not reach.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    s = Session(args.cols, args.rows)
    try:
        if not s.wait_for(r"shop/"):
            print("the demo did not show its list", file=sys.stderr)
            return 2
        s.pump()
        for _ in range(20):  # down the list to the service
            if s.screen.selected_row().strip().startswith(service + " "):
                break
            s.press("down")
        tabbed = False
        for _ in range(40):
            if seen(s.screen.text(), node):
                break
            if not tabbed:
                s.press("tab")
                tabbed = True
            else:
                s.press("down")
        ok = seen(s.screen.text(), node)
        if args.show:
            print(s.screen.text())
        print(f"black hole ({node} of {service}) on screen: {'yes' if ok else 'NO'}")
        print(f"keys pressed: {s.keys}")
        print(f"bytes read from the terminal: {s.bytes}")
        if args.json:
            emit(
                [
                    result(
                        f"the black hole on screen at {args.cols}x{args.rows} (keys pressed)",
                        s.keys,
                        "count",
                        None if ok else 0,  # not found: a failure
                        note=f"{s.bytes:,} bytes to the terminal" + ("" if ok else "; NOT found"),
                    )
                ]
            )
        return 0 if ok else 1
    finally:
        s.close()


if __name__ == "__main__":
    raise SystemExit(main())
