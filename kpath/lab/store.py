"""The lab's object store: API objects by kind, one global resourceVersion, a bounded event log.

Used from one asyncio event loop. `put` and `delete` are plain calls; watchers are woken
through an `asyncio.Event` per subscriber, created in the loop that reads them.
"""

from __future__ import annotations

import copy
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Obj = dict[str, Any]
Key = tuple[str | None, str]  # (namespace, name)

#: Events kept for watch resumption; older resourceVersions answer 410 Gone.
LOG_SIZE = 10_000


@dataclass
class Event:
    type: str  # ADDED, MODIFIED, DELETED
    kind: str
    rv: int
    object: Obj


@dataclass
class Subscriber:
    kinds: frozenset[str]
    queue: deque[Event] = field(default_factory=deque)
    wake: Any = None  # asyncio.Event, created by the watcher in its loop


class Store:
    """In-memory objects by kind; a global resourceVersion; a bounded event log for watches."""

    def __init__(self) -> None:
        self._objects: dict[str, dict[Key, Obj]] = {}
        self._rv = 1
        self.log: deque[Event] = deque(maxlen=LOG_SIZE)
        self._subscribers: list[Subscriber] = []

    @property
    def resource_version(self) -> int:
        return self._rv

    def oldest_rv(self) -> int:
        """The oldest resourceVersion a watch can still resume from."""
        return self.log[0].rv - 1 if len(self.log) == self.log.maxlen else 0

    def put(self, obj: Obj) -> Obj:
        kind = obj["kind"]
        meta = obj.setdefault("metadata", {})
        key = (meta.get("namespace"), meta["name"])
        bucket = self._objects.setdefault(kind, {})
        old = bucket.get(key)
        meta.setdefault("uid", old["metadata"]["uid"] if old else str(uuid.uuid4()))
        meta.setdefault("creationTimestamp",
                        old["metadata"].get("creationTimestamp") if old else _now())
        self._rv += 1
        meta["resourceVersion"] = str(self._rv)
        bucket[key] = obj
        self._emit(Event("MODIFIED" if old else "ADDED", kind, self._rv, obj))
        return obj

    def delete(self, kind: str, namespace: str | None, name: str) -> None:
        old = self._objects.get(kind, {}).pop((namespace, name), None)
        if old is None:
            return
        self._rv += 1
        gone = copy.deepcopy(old)
        gone["metadata"]["resourceVersion"] = str(self._rv)
        self._emit(Event("DELETED", kind, self._rv, gone))

    def get(self, kind: str, namespace: str | None, name: str) -> Obj | None:
        return self._objects.get(kind, {}).get((namespace, name))

    def list(self, kind: str, namespace: str | None = None) -> list[Obj]:
        bucket = self._objects.get(kind, {})
        keys = sorted(bucket, key=lambda k: (k[0] or "", k[1]))
        return [bucket[k] for k in keys if namespace is None or k[0] == namespace]

    def kinds(self) -> Iterator[str]:
        return iter(self._objects)

    def subscribe(self, kinds: frozenset[str]) -> Subscriber:
        sub = Subscriber(kinds)
        self._subscribers.append(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        if sub in self._subscribers:
            self._subscribers.remove(sub)

    def _emit(self, event: Event) -> None:
        self.log.append(event)
        for sub in self._subscribers:
            if event.kind in sub.kinds:
                sub.queue.append(event)
                if sub.wake is not None:
                    sub.wake.set()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
