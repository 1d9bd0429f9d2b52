"""Helpers for the informer tests: run `follow_cluster` in a thread, keep what it
delivered, and compare a followed `RawCluster` with a fresh load."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from kpath.cluster.events import Change, Event, Health, Replace, apply_events, object_key
from kpath.cluster.informer import follow_cluster
from kpath.cluster.live import LiveOptions
from kpath.cluster.raw import RawCluster


class Delivered:
    """Every call of on_events, in order."""

    def __init__(self) -> None:
        self.calls: list[list[Event]] = []
        self._cond = threading.Condition()

    def __call__(self, events: Sequence[Event]) -> None:
        with self._cond:
            self.calls.append(list(events))
            self._cond.notify_all()

    @property
    def events(self) -> list[Event]:
        with self._cond:
            return [e for call in self.calls for e in call]

    def changes(self) -> list[Change]:
        return [e for e in self.events if isinstance(e, Change)]

    def replaces(self) -> list[Replace]:
        return [e for e in self.events if isinstance(e, Replace)]

    def health(self) -> list[bool]:
        return [e.ok for e in self.events if isinstance(e, Health)]

    def wait_for_version(self, rv: int, timeout: float = 20.0) -> bool:
        """Until an event of at least resourceVersion ``rv`` arrived."""
        return self.wait(lambda: any(version_of(e) >= rv for e in self.events), timeout)

    def wait(self, check: Any, timeout: float = 20.0) -> bool:
        end = time.monotonic() + timeout
        with self._cond:
            while not check():
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.1))
            return True


def version_of(event: Event) -> int:
    if isinstance(event, Change):
        rv = (event.obj.get("metadata") or {}).get("resourceVersion") or "0"
        return int(rv) if str(rv).isdigit() else 0
    if isinstance(event, Replace):
        return max((version_of(Change(event.kind, "ADDED", o)) for o in event.objects), default=0)
    return 0


@contextmanager
def following(
    options: LiveOptions, raw: RawCluster, **kw: Any
) -> Iterator[tuple[Delivered, threading.Thread]]:
    """`follow_cluster` of ``raw`` in a thread; stopped (and proved stopped) on exit."""
    delivered = Delivered()
    stop = threading.Event()
    thread = threading.Thread(
        target=follow_cluster, args=(options, raw, delivered, stop), kwargs=kw, daemon=True
    )
    thread.start()
    try:
        yield delivered, thread
    finally:
        stop.set()
        thread.join(timeout=2)
        assert not thread.is_alive(), "follow_cluster did not stop within 2 s of stop.set()"


def followed(raw: RawCluster, delivered: Delivered) -> RawCluster:
    """A copy of ``raw`` with every delivered event filed in."""
    mine = copy.deepcopy(raw)
    apply_events(mine, delivered.events)
    return mine


def by_key(raw: RawCluster) -> dict[str, dict[tuple[str, str], Any]]:
    """kind -> (namespace, name) -> object: what a load holds, whatever the order."""
    return {
        kind: {object_key(o): o for o in objects}
        for kind, objects in raw.objects.items()
        if objects or kind in raw.objects
    }
