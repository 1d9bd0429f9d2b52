"""Pause CPython's cyclic garbage collector around bulk work.

Decoding and routing a large cluster creates millions of small acyclic objects; the cyclic
collector would walk the whole growing heap again and again for nothing (most of
`json.loads`' time on big lists, per notes-lab §4). Reference counting still frees memory.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class GcPause:
    """Pause the cyclic collector while dumps are decoded; restore it exactly as it was.

    With `freeze` set, a successful load ends with `gc.freeze()`: the decoded objects live as
    long as the analysis, and otherwise the collector walks all of them again as they age
    through its generations (measured: 9 s of pauses after a 320 MB List, against 0.6 s
    frozen). It is only worth it, and only done, for big inputs; a frozen object is still
    freed by reference counting (decoded JSON/YAML trees hold no cycles).
    """

    def __init__(self) -> None:
        self.freeze = False
        self._was_enabled = False

    def __enter__(self) -> GcPause:
        self._was_enabled = gc.isenabled()
        if self._was_enabled:
            gc.disable()
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if self._was_enabled:
            if self.freeze and exc_type is None:
                gc.freeze()
            gc.enable()


class CollectorHold:
    """The cyclic collector held off across threads until what was made is on screen.

    A followed node event remakes every service's node groups on the apply worker: tens of
    thousands of objects, which the collector walks as soon as it is enabled again (a young
    collection of 10-40 ms, right before the screen can show the change). Each batch takes
    a hold before it is applied and gives it back once it is drawn (or dropped), so that
    walk comes after the repaint, while the screen waits for the next event. The collector
    is enabled again when the last hold is given back, if it was enabled at the first.
    Reference counting frees memory meanwhile, as under `paused_gc`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holds = 0
        self._was_enabled = False

    @property
    def holds(self) -> int:
        return self._holds

    def hold(self) -> None:
        with self._lock:
            if self._holds == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._holds += 1

    def release(self) -> None:
        with self._lock:
            if self._holds == 0:
                return  # given back already (a stop that released them all)
            self._holds -= 1
            if self._holds == 0 and self._was_enabled:
                gc.enable()

    def release_all(self) -> None:
        """Every hold given back: the follow that took them stopped."""
        with self._lock:
            if self._holds and self._was_enabled:
                gc.enable()
            self._holds = 0
