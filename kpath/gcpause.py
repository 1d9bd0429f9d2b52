"""Pause CPython's cyclic garbage collector around bulk work.

Decoding and routing a large cluster creates millions of small acyclic objects; the cyclic
collector would walk the whole growing heap again and again for nothing (most of
`json.loads`' time on big lists, per notes-lab §4). Reference counting still frees memory.
"""

from __future__ import annotations

import gc
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
