"""What ``kpath lab`` does in the foreground, whichever lab it serves (a scenario or a
dump): stop on Ctrl+C or SIGTERM, and write its kubeconfig where asked (or to a new file)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import tempfile
from pathlib import Path


def stop_on_signals() -> asyncio.Event:
    """An event SIGINT and SIGTERM set, on the running loop (where it takes handlers)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    return stop


def kubeconfig_path(out: Path | None) -> Path:
    """``out``, or a new private file (mkstemp's 0600) named for this process."""
    if out is not None:
        return out
    fd, name = tempfile.mkstemp(prefix=f"kpath-lab-{os.getpid()}-", suffix=".kubeconfig")
    os.close(fd)
    return Path(name)
