"""A store that keeps every object as its compact JSON bytes, for a lab at Kubernetes' limits.

A dump of 5,000 nodes and 150,000 pods held as Python dicts costs several times its file
size and makes every list page a `json.dumps` of 500 objects. `EncodedStore` encodes each
object once, when it is loaded or changed, and keeps only those bytes: an unfiltered page
is then a join of byte strings (`page`), and a watch's initial events are the same bytes
wrapped. Reads that need the object itself (selectors, Tables, `get`) decode it on demand
(a fresh dict each time: changing it changes nothing until it is `put` back).

Each kind keeps its own window of events (`kind_log_size`), as a real API server's watch
cache does, so a pod storm does not expire a node watch's history.
"""

from __future__ import annotations

import bisect
import json
import uuid
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from kpath.lab.store import Event, Key, Obj, Store

#: Events kept per kind for watch resumption at scale (older: 410 Gone). An event holds its
#: object as a dict (~40 KB for a pod of 6 KB of JSON), so this bounds the history at about
#: 200 MB of pod events: at a rollout every 5 s (~100 pod events), four minutes of it.
KIND_LOG_SIZE = 5_000

_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def encode(obj: Obj) -> bytes:
    """One object's compact JSON, as it is stored and served."""
    return _encode(obj).encode()


class Page(NamedTuple):
    """One page of a list: the objects' bytes, and where the next page starts."""

    items: list[bytes]
    last: Key | None  # the continue position when more objects follow, else None
    remaining: int  # objects after this page


class EncodedStore(Store):
    """`Store`'s interface over objects kept as bytes (see the module docstring)."""

    def __init__(self, kind_log_size: int = KIND_LOG_SIZE) -> None:
        super().__init__(log_size=kind_log_size, kind_log_size=kind_log_size)
        self._encoded: dict[str, dict[Key, bytes]] = {}
        #: kind -> apiVersions its objects carry (a page is served as stored only when
        #: they are all the version asked for).
        self._versions: dict[str, set[str]] = {}
        self._loading: set[str] = set()  # kinds added to since the last `finish_load`

    # -- bulk load -------------------------------------------------------------------------

    def load(self, kind: str, objects: Iterable[Obj]) -> int:
        """Add objects of one kind without events (the state a watch starts from), sorted
        once rather than per object. Later copies of a key replace earlier ones. Returns the
        highest numeric resourceVersion seen, so the store's own can start above it."""
        highest = 0
        for obj in objects:
            highest = max(highest, self.add_loaded(kind, obj))
        self.finish_load()
        return highest

    def add_loaded(self, kind: str, obj: Obj, raw: bytes | None = None) -> int:
        """Add one object without an event; `finish_load` must follow before serving.
        ``raw`` is the object's JSON as read (one line: no raw newlines), stored as it is
        unless the object lacks what the API always sets. Returns its numeric
        resourceVersion (0 if it has none)."""
        bucket = self._encoded.get(kind)
        if bucket is None:
            bucket = self._encoded[kind] = {}
            self._versions[kind] = set()
        meta = obj.setdefault("metadata", {})
        key = (meta.get("namespace") or "", meta["name"])
        rv = meta.get("resourceVersion")
        number = int(rv) if isinstance(rv, str) and rv.isdigit() else 0
        if not number or "uid" not in meta or "creationTimestamp" not in meta:
            raw = None
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", self.created)
            if not number:
                meta["resourceVersion"] = "1"
        self._versions[kind].add(str(obj.get("apiVersion") or ""))
        if key not in bucket and key[0]:
            self._namespaces[key[0]] += 1
        bucket[key] = encode(obj) if raw is None else raw
        self._loading.add(kind)
        return number

    def finish_load(self) -> None:
        """Sort the keys of the kinds `add_loaded` touched (once, not per object)."""
        for kind in self._loading:
            self._order[kind] = sorted(self._encoded[kind])
        self._loading.clear()

    def start_at(self, rv: int) -> None:
        """Serve from resourceVersion ``rv`` on; no history before it (a watch from an
        older version answers 410 Gone, as after an etcd compaction)."""
        self._rv = max(self._rv, rv)
        self._compacted = self._rv

    # -- writes (emit events) --------------------------------------------------------------

    def put(self, obj: Obj) -> Obj:
        kind = obj["kind"]
        meta = obj.setdefault("metadata", {})
        key = (meta.get("namespace") or "", meta["name"])
        bucket = self._encoded.setdefault(kind, {})
        old = bucket.get(key)
        if old is None:
            self._keyed(kind, key)
        self._stamp(meta, json.loads(old)["metadata"] if old is not None else {})
        bucket[key] = encode(obj)
        self._versions.setdefault(kind, set()).add(str(obj.get("apiVersion") or ""))
        self._emit(Event("MODIFIED" if old is not None else "ADDED", kind, self._rv, obj))
        return obj

    def delete(self, kind: str, namespace: str | None, name: str) -> None:
        key = (namespace or "", name)
        old = self._encoded.get(kind, {}).pop(key, None)
        if old is None:
            return
        self._unkeyed(kind, key)
        self._rv += 1
        gone = json.loads(old)
        gone["metadata"]["resourceVersion"] = str(self._rv)
        self._emit(Event("DELETED", kind, self._rv, gone))

    # -- reads -----------------------------------------------------------------------------

    def get(self, kind: str, namespace: str | None, name: str) -> Obj | None:
        raw = self._encoded.get(kind, {}).get((namespace or "", name))
        return None if raw is None else json.loads(raw)

    def iter_from(
        self, kind: str, namespace: str | None = None, after: Key | None = None
    ) -> Iterator[Obj]:
        for raw in self.iter_encoded(kind, namespace, after):
            yield json.loads(raw)

    def iter_encoded(
        self, kind: str, namespace: str | None = None, after: Key | None = None
    ) -> Iterator[bytes]:
        """The stored bytes in list order, starting just after ``after``."""
        order = self._order.get(kind)
        if not order:
            return
        bucket = self._encoded[kind]
        start, stop = self._bounds(order, namespace, after)
        for i in range(start, stop):
            yield bucket[order[i]]

    def page(self, kind: str, namespace: str | None, after: Key | None, limit: int) -> Page:
        """Up to ``limit`` objects (0: all) in list order after ``after``: a slice of the
        sorted keys and one dict lookup per object, nothing decoded or encoded."""
        order = self._order.get(kind) or []
        bucket = self._encoded.get(kind, {})
        start, stop = self._bounds(order, namespace, after)
        end = stop if limit <= 0 else min(stop, start + limit)
        items = [bucket[k] for k in order[start:end]]
        more = end < stop
        return Page(items, order[end - 1] if more and end > start else None, stop - end)

    def served_as(self, kind: str, api_version: str) -> bool:
        """Are all objects of ``kind`` stored at ``api_version`` (so bytes serve as they are)?"""
        versions = self._versions.get(kind)
        return not versions or versions == {api_version}

    def kinds(self) -> Iterator[str]:
        return iter(list(self._encoded))

    def count(self, kind: str) -> int:
        return len(self._encoded.get(kind, {}))

    def stored_bytes(self) -> int:
        """The bytes of every stored object's JSON (what the store's memory is mostly)."""
        return sum(len(b) for bucket in self._encoded.values() for b in bucket.values())

    @staticmethod
    def _bounds(order: list[Key], namespace: str | None, after: Key | None) -> tuple[int, int]:
        lo, hi = 0, len(order)
        if namespace is not None:
            lo = bisect.bisect_left(order, (namespace, ""))
            hi = bisect.bisect_left(order, (namespace + "\0", ""))
        if after is not None:
            lo = max(lo, bisect.bisect_right(order, after))
        return lo, max(hi, lo)
