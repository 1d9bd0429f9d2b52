"""Where a followed cluster's events wait to be analysed: no Textual, one lock.

The informer hands events over from its threads, one batch per read from a stream; a
rollout is dozens of them in a second. The analysis takes them on another thread, as many
as have arrived since it last looked, so a burst is analysed in a few passes rather than
one per event, and the screen never waits behind a queue of stale intermediate states.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from kpath.cluster.events import Event, Replace
from kpath.cluster.policykinds import OTHER_POLICY_RAW_KINDS

#: Kinds whose events change every service (a Node: every service's node groups) or
#: rebuild it all (policies, namespaces), as `kpath.routing.incremental` says of them.
WIDE_KINDS = frozenset({"Node", "NetworkPolicy", "Namespace", *OTHER_POLICY_RAW_KINDS})


@dataclass(frozen=True)
class Batch:
    """Events taken together; ``arrived``: when the oldest of them was handed over
    (`time.monotonic`), what the screen's delay is counted from."""

    events: tuple[Event, ...]
    arrived: float


class Inbox:
    """Events handed over and not yet taken, in arrival order."""

    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._events: list[Event] = []
        self._arrived: float | None = None
        self._closed = False

    def put(self, events: Sequence[Event], arrived: float) -> None:
        if not events:
            return
        with self._ready:
            if self._closed:
                return
            self._events.extend(events)
            if self._arrived is None:
                self._arrived = arrived
            self._ready.notify()

    def take(self, stop: threading.Event, poll: float = 0.5) -> Batch | None:
        """Everything handed over since the last take, waiting for some; None once
        ``stop`` is set or the inbox is closed (checked every ``poll`` seconds)."""
        with self._ready:
            while not self._events:
                if self._closed or stop.is_set():
                    return None
                self._ready.wait(poll)
            if stop.is_set():
                return None
            assert self._arrived is not None
            batch = Batch(tuple(self._events), self._arrived)
            self._events, self._arrived = [], None
            return batch

    def close(self) -> None:
        """No more events: a waiting `take` returns None at once."""
        with self._ready:
            self._closed = True
            self._events, self._arrived = [], None
            self._ready.notify_all()


def narrow_first(events: Sequence[Event]) -> list[tuple[Event, ...]]:
    """``events`` in the order to analyse them: those that change a few services (pods,
    slices, Services, Ingresses), then those that change every service (nodes, a kind
    listed again, policies), so a rollout that came with a node flap is on screen without
    waiting for every node group to be recomputed. Each object's events keep their order
    (they are of one kind, in one part), so what is analysed last is what arrived."""
    narrow = [e for e in events if not _wide(e)]
    wide = [e for e in events if _wide(e)]
    return [tuple(part) for part in (narrow, wide) if part]


def _wide(event: Event) -> bool:
    return isinstance(event, Replace) or getattr(event, "kind", "") in WIDE_KINDS
