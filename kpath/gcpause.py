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
