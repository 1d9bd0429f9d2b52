"""Ending a command's process without freeing what it loaded, one object at a time.

A `kpath paths` of a big cluster ends holding hundreds of thousands of records; once its
output is written, freeing them (when the command's locals go) and then tearing the
interpreter down is pure cost: 60-80 ms of a 0.5 s run at 15,000 pods. A command that is
done hands what it holds to `keep`, and `leave` ends the process as the kernel would free
it: the output flushed, the `atexit` handlers run (kubeconfig's private files are removed),
then `os._exit`. Anything it cannot vouch for (another thread still running, an output
that fails to flush) takes the ordinary way out, with its ordinary errors.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn

#: What the command asked to keep (one entry: the last ask holds all it needs).
_kept: list[object] = []
#: Set by the program's entry point only: a command run in-process (the tests, a caller
#: of `kpath.cli.main`) keeps nothing, its load freed as usual.
_armed = [False]


def arm() -> None:
    """This process is the `kpath` program: a command may keep its load to the end."""
    _armed[0] = True


def keep(obj: object) -> None:
    """Hold ``obj`` until the process ends, so that returning does not free it."""
    if _armed[0]:
        _kept[:] = [obj]


def leave(code: int) -> NoReturn:
    """End the process with ``code``: quickly when a command kept its load, else as usual."""
    if not _kept or threading.active_count() != 1:
        raise SystemExit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe or stream: the ordinary exit says it
        raise SystemExit(code) from None
    atexit._run_exitfuncs()  # the handlers an ordinary exit would run
    os._exit(code)
