"""How many bytes kpath's terminal UI sends to the terminal: what an ssh link carries.

    python benchmarks/bench_bandwidth.py [--size 100x30] [--term xterm-256color]

Starts the lab's ``shop`` scenario in this process, runs ``kpath`` on it in a pseudo-terminal
(the real driver, the real escape codes), and counts what kpath writes during each phase:

- **first screen**: start-up until the output goes quiet (the full paint, for scale);
- **idle**: 5 s (``--idle``) with nothing happening (a live, watched cluster that does not
  change);
- **refresh**: ``r``, an unchanged cluster read again;
- **probe all**: ``P``, every hop of every visible service probed, results landing live;
- **watched change**: the lab scales a deployment behind kpath's back; the watch reloads.

Each phase ends when nothing has been written for a second. Figures are bytes, and bytes as
a multiple of the first screen (a full repaint costs about 1.0).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `kpath` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._goal import emit, result
from kpath.lab.runner import LabThread

QUIET = 1.0  # seconds without output that end a phase
FIRST_PAINT = 4096  # bytes: more than the terminal set-up codes, less than any first screen


class Terminal:
    """A pseudo-terminal running one command; counts every byte the command writes."""

    def __init__(self, argv: list[str], cols: int, rows: int, env: dict[str, str]) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.master = master
        self.total = 0
        self.last = time.monotonic()
        self._lock = threading.Lock()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                self.total += len(chunk)
                self.last = time.monotonic()

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def started(self, timeout: float = 60.0) -> None:
        """Wait for the first screen to begin: on a loaded machine kpath may be silent for
        more than `QUIET` after the terminal's set-up codes (under 1 KB; a paint is ~40 KB)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self.total >= FIRST_PAINT:
                    return
            time.sleep(0.05)
        raise SystemExit("kpath wrote nothing")

    def quiet(self, timeout: float = 60.0) -> int:
        """Wait until nothing was written for `QUIET` seconds; returns the running total."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(0.05)
            with self._lock:
                if time.monotonic() - self.last >= QUIET:
                    return self.total
        raise SystemExit("the UI never went quiet")

    def phase(self, action: object = None, settle: float = 0.0) -> int:
        """Bytes written from now until quiet, after doing ``action`` (keys or a callable)."""
        start = self.quiet()
        if isinstance(action, str):
            self.send(action)
        elif callable(action):
            action()
        time.sleep(settle)
        return self.quiet() - start

    def kill(self) -> None:
        """Stop kpath and what it started, if it still runs (its own session: a stop sent to
        this benchmark's process group does not reach it)."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def close(self) -> int:
        self.send("q")
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return -1
        finally:
            os.close(self.master)


def phases(
    term: Terminal, lab: LabThread, idle: float, cols: int, rows: int, name: str
) -> tuple[dict[str, int], int, int]:
    """Bytes of each phase, the first screen's, and kpath's exit code once it quit."""
    started = time.monotonic()
    term.started()
    first = term.quiet()
    print(
        f"kpath on the lab, {cols}x{rows}, TERM={name}; first screen after "
        f"{time.monotonic() - started - QUIET:.1f} s",
        flush=True,
    )
    results = {"first screen": first}
    idle_from = term.quiet()
    time.sleep(idle)
    results[f"idle ({idle:g} s)"] = term.total - idle_from
    results["refresh (r)"] = term.phase("r")
    results["probe all (P)"] = term.phase("P", settle=0.5)
    results["watched change"] = term.phase(lambda: lab.scale("shop", "web", 1), settle=3)
    return results, first, term.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="100x30")
    parser.add_argument("--term", default="xterm-256color")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds of the idle phase")
    parser.add_argument("--json", action="store_true", help="end with the results as a JSON line")
    args = parser.parse_args()
    cols, rows = (int(n) for n in args.size.split("x"))
    # Stopped (run.py's budget), still stop kpath in its terminal: the finally below runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with LabThread("shop") as lab, tempfile.TemporaryDirectory(prefix="kpath-") as tmp:
        kubeconfig = lab.write_kubeconfig(Path(tmp) / "kubeconfig")
        env = {**os.environ, "TERM": args.term, "PYTHONPATH": str(Path(__file__).parents[1])}
        env.pop("NO_COLOR", None)
        term = Terminal(
            [sys.executable, "-m", "kpath", "--kubeconfig", str(kubeconfig), "-A"], cols, rows, env
        )
        try:
            results, first, code = phases(term, lab, args.idle, cols, rows, args.term)
        finally:
            term.kill()
    print(f"{'phase':<18}{'bytes':>10}{'× first screen':>16}")
    for name, count in results.items():
        print(f"{name:<18}{count:>10,}{count / first:>16.2f}")
    print(f"kpath exited with {code}")
    if args.json:  # idle must send nothing; the rest are sizes without a target
        emit(
            [
                result(
                    f"bytes, {name}",
                    count,
                    "count",
                    0 if name.startswith("idle") else None,
                    note=f"{count / first:.2f}× the first screen" if first else "",
                )
                for name, count in results.items()
            ]
        )
    return 0 if code == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
