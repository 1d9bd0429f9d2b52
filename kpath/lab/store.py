"""The lab's object store: API objects by kind, one global resourceVersion, a bounded event log.

Used from one asyncio event loop. `put` and `delete` are plain calls; watchers are woken
through an `asyncio.Event` per subscriber, created in the loop that reads them.

Each kind keeps its keys sorted (namespace, name) as they are added, so a paged list of
20k objects never sorts the whole set per page: a page is a bisect plus a slice.
"""

from __future__ import annotations

import asyncio
import bisect
import copy
import uuid
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Obj = dict[str, Any]
Key = tuple[str, str]  # (namespace or "", name): "" sorts cluster-scoped objects first

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
    """One watch stream's inbox; `wake` is set whenever an event is queued."""

    kinds: frozenset[str]
    queue: deque[Event] = field(default_factory=deque)
    wake: asyncio.Event | None = None  # created by the watcher, in its loop


class Store:
    """In-memory objects by kind; a global resourceVersion; a bounded event log for watches."""

    def __init__(self, log_size: int = LOG_SIZE, kind_log_size: int | None = None) -> None:
        self._objects: dict[str, dict[Key, Obj]] = {}
        self._order: dict[str, list[Key]] = {}  # per kind, kept sorted
        self._namespaces: Counter[str] = Counter()  # objects per namespace, all kinds
        self._rv = 1
        self.created = _now()  # derived objects (namespaces) date from here
        self.log: deque[Event] = deque(maxlen=log_size)
        # A window of events per kind too, as a real API server's watch cache keeps one per
        # resource: a storm of pod events does not push a node watch's history out.
        # With ``kind_log_size`` each kind's window decides how old a watch of it may
        # resume from; without, the whole log does (and each kind keeps as many).
        self._per_kind = kind_log_size is not None
        self._kind_log_size = kind_log_size if kind_log_size is not None else log_size
        self._kind_logs: dict[str, deque[Event]] = {}
        self._compacted = 0  # resourceVersions before this are gone (see `compact`)
        self._subscribers: list[Subscriber] = []

    @property
    def resource_version(self) -> int:
        return self._rv

    def oldest_rv(self, kind: str | None = None) -> int:
        """The oldest resourceVersion a watch (of ``kind``: from that kind's own history) can
        still resume from (0: the log is complete)."""
        log = self._kind_logs.get(kind) if kind is not None and self._per_kind else self.log
        trimmed = log[0].rv - 1 if log and len(log) == log.maxlen else 0
        return max(trimmed, self._compacted)

    def events_after(self, kind: str, rv: int) -> list[Event]:
        """The kept events of ``kind`` newer than ``rv``, oldest first."""
        log = self._kind_logs.get(kind)
        if not log:
            return []
        if log[0].rv > rv:
            return list(log)
        return [e for e in log if e.rv > rv]

    def compact(self) -> int:
        """Forget the event history up to now, as etcd's compaction does: a watch from any
        older resourceVersion then answers 410 Gone. Returns the new oldest version."""
        self.log.clear()
        self._kind_logs.clear()
        self._compacted = self._rv
        return self._rv

    # -- writes (emit events) --------------------------------------------------------------

    def put(self, obj: Obj) -> Obj:
        kind = obj["kind"]
        meta = obj.setdefault("metadata", {})
        key = (meta.get("namespace") or "", meta["name"])
        bucket = self._objects.setdefault(kind, {})
        old = bucket.get(key)
        if old is None:
            self._keyed(kind, key)
        self._stamp(meta, old["metadata"] if old else {})
        bucket[key] = obj
        self._emit(Event("MODIFIED" if old else "ADDED", kind, self._rv, obj))
        return obj

    def delete(self, kind: str, namespace: str | None, name: str) -> None:
        key = (namespace or "", name)
        old = self._objects.get(kind, {}).pop(key, None)
        if old is None:
            return
        self._unkeyed(kind, key)
        self._rv += 1
        # The stored dict may still be held by a reader; the event gets its own copy.
        gone = copy.deepcopy(old)
        gone["metadata"]["resourceVersion"] = str(self._rv)
        self._emit(Event("DELETED", kind, self._rv, gone))

    # Bookkeeping shared by every store, whatever form it keeps objects in.

    def _keyed(self, kind: str, key: Key) -> None:
        """A new key of ``kind``: into its sorted order and its namespace's count."""
        bisect.insort(self._order.setdefault(kind, []), key)
        if key[0]:
            self._namespaces[key[0]] += 1

    def _unkeyed(self, kind: str, key: Key) -> None:
        """A key of ``kind`` gone: out of its order and its namespace's count."""
        order = self._order[kind]
        del order[bisect.bisect_left(order, key)]
        if key[0]:
            self._namespaces[key[0]] -= 1
            if not self._namespaces[key[0]]:
                del self._namespaces[key[0]]

    def _stamp(self, meta: Obj, old_meta: Obj) -> None:
        """The server's fields on a write: uid and creation kept from the stored copy, a
        new resourceVersion."""
        meta.setdefault("uid", old_meta.get("uid") or str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", old_meta.get("creationTimestamp") or _now())
        self._rv += 1
        meta["resourceVersion"] = str(self._rv)

    # -- reads -----------------------------------------------------------------------------

    def get(self, kind: str, namespace: str | None, name: str) -> Obj | None:
        return self._objects.get(kind, {}).get((namespace or "", name))

    def list(self, kind: str, namespace: str | None = None) -> list[Obj]:
        """Objects of one kind sorted by (namespace, name); all namespaces when None."""
        return list(self.iter_from(kind, namespace))

    def iter_from(
        self, kind: str, namespace: str | None = None, after: Key | None = None
    ) -> Iterator[Obj]:
        """Objects in list order, starting just after ``after`` (a continue position)."""
        order = self._order.get(kind)
        if not order:
            return
        bucket = self._objects[kind]
        start = 0
        if namespace is not None:
            start = bisect.bisect_left(order, (namespace, ""))
        if after is not None:
            start = max(start, bisect.bisect_right(order, after))
        for i in range(start, len(order)):
            key = order[i]
            if namespace is not None and key[0] != namespace:
                return
            yield bucket[key]

    def count_from(self, kind: str, namespace: str | None = None, after: Key | None = None) -> int:
        """How many objects `iter_from` would yield, without walking them."""
        order = self._order.get(kind) or []
        lo, hi = 0, len(order)
        if namespace is not None:
            lo = bisect.bisect_left(order, (namespace, ""))
            hi = bisect.bisect_left(order, (namespace + "\0", ""))
        if after is not None:
            lo = max(lo, bisect.bisect_right(order, after))
        return max(hi - lo, 0)

    def kinds(self) -> Iterator[str]:
        return iter(list(self._objects))

    def namespaces_in_use(self) -> set[str]:
        """Namespaces that hold at least one object of any kind."""
        return set(self._namespaces)

    # -- watches ---------------------------------------------------------------------------

    def subscribe(self, kinds: frozenset[str]) -> Subscriber:
        sub = Subscriber(kinds)
        self._subscribers.append(sub)
        return sub

    @property
    def watcher_count(self) -> int:
        """Open subscriptions (watch streams); lets a caller wait until a watch is live."""
        return len(self._subscribers)

    def unsubscribe(self, sub: Subscriber) -> None:
        if sub in self._subscribers:
            self._subscribers.remove(sub)

    def _emit(self, event: Event) -> None:
        self.log.append(event)
        log = self._kind_logs.get(event.kind)
        if log is None:
            log = self._kind_logs[event.kind] = deque(maxlen=self._kind_log_size)
        log.append(event)
        for sub in self._subscribers:
            if event.kind in sub.kinds:
                sub.queue.append(event)
                if sub.wake is not None:
                    sub.wake.set()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
