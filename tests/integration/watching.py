"""Helpers for the watch tests: a listener that records what `watch_changes` said, a
context that runs and stops a watch, and a bounded wait on the lab's state."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from kpath.cluster.live import LiveOptions
from kpath.cluster.watch import watch_changes


class Heard:
    """What on_change was told, with a way to wait for a kind."""

    def __init__(self) -> None:
        self.kinds: list[str] = []
        self._cond = threading.Condition()

    def __call__(self, kind: str) -> None:
        with self._cond:
            self.kinds.append(kind)
            self._cond.notify_all()

    def wait_for(self, kind: str, timeout: float = 10.0, count: int = 1) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.kinds.count(kind) >= count, timeout)

    def clear(self) -> None:
        with self._cond:
            self.kinds.clear()


@contextmanager
def watching(options: LiveOptions, heard: Heard, **kw: object) -> Iterator[threading.Thread]:
    stop = threading.Event()
    thread = threading.Thread(
        target=watch_changes, args=(options, heard, stop), kwargs=kw, daemon=True
    )
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join(timeout=2)
        assert not thread.is_alive(), "watch_changes did not stop within 2 s of stop.set()"


def eventually(check: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Poll ``check`` until it holds (True) or ``timeout`` passes (False)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.02)
    return check()
