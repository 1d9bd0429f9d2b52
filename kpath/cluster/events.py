"""What a followed cluster says between loads: objects added, changed, deleted, or a kind
listed afresh; and whether the streams are following at all.

The informer (`kpath.cluster.informer`) turns watch streams into these; `apply_events` files
them into the `RawCluster` the first load read, so the next snapshot is what a fresh load
would read, without reading anything again. Pure data and one pure update: no I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from kpath.cluster.raw import RawCluster, RawObject

ChangeType = Literal["ADDED", "MODIFIED", "DELETED"]


@dataclass(frozen=True)
class Change:
    """One watch event of one object of a kind kpath reads (`kpath.cluster.raw.KINDS`)."""

    kind: str
    type: ChangeType
    obj: RawObject


@dataclass(frozen=True)
class Replace:
    """A kind listed again (after ``410 Gone``): its objects, all of them, in place of what
    the snapshot held. ``namespace``: the scope the list covered (None: the cluster)."""

    kind: str
    objects: tuple[RawObject, ...]
    namespace: str | None = None


@dataclass(frozen=True)
class Health:
    """The streams stopped following the cluster (``ok`` False) or follow it again."""

    ok: bool
    reason: str = ""


Event = Change | Replace | Health


def object_key(obj: RawObject) -> tuple[str, str]:
    """(namespace, name) of an API object; "" for a cluster-scoped object's namespace."""
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


class RawIndex:
    """Where each object of each kind sits in a `RawCluster`, so an event finds its object
    without scanning the kind's list.

    Positions are kept as they were when last counted; each deletion since moves later
    objects back by one, so a lookup checks at most that many places before the kind is
    counted again. Owned by one caller, which files every event through it.
    """

    #: Deletions tolerated before a kind's positions are counted again.
    RECOUNT = 64

    def __init__(self) -> None:
        self._keys: dict[str, list[tuple[str, str]]] = {}  # in step with raw.objects[kind]
        self._pos: dict[str, dict[tuple[str, str], int]] = {}
        self._shift: dict[str, int] = {}

    def _kind(self, raw: RawCluster, kind: str) -> list[tuple[str, str]]:
        keys = self._keys.get(kind)
        objects = raw.objects.get(kind, ())
        if keys is None or len(keys) != len(objects):
            self._count(kind, [object_key(o) for o in objects])
            keys = self._keys[kind]
        return keys

    def _count(self, kind: str, keys: list[tuple[str, str]]) -> None:
        self._keys[kind] = keys
        # The first of equal keys, as a scan from the front would find it.
        self._pos[kind] = {k: i for i, k in reversed(list(enumerate(keys)))}
        self._shift[kind] = 0

    def find(self, raw: RawCluster, kind: str, key: tuple[str, str]) -> int | None:
        """The position of the object ``key`` of ``kind`` in ``raw.objects[kind]``."""
        keys = self._kind(raw, kind)
        at = self._pos[kind].get(key)
        if at is None:
            return None
        for i in range(min(at, len(keys) - 1), max(at - self._shift[kind], 0) - 1, -1):
            if keys[i] == key:
                return i
        raise AssertionError(f"{kind} {key}: index out of step")  # pragma: no cover

    def get(self, raw: RawCluster, kind: str, key: tuple[str, str]) -> RawObject | None:
        i = self.find(raw, kind, key)
        return None if i is None else raw.objects[kind][i]

    def forget(self, kind: str) -> None:
        """The kind's list was replaced wholesale: count it again when next asked."""
        self._keys.pop(kind, None)

    def apply(self, raw: RawCluster, event: Change) -> None:
        """File one Change into ``raw``."""
        objects = raw.objects.setdefault(event.kind, [])
        sources = raw.sources.get(event.kind)
        if sources is None:
            sources = raw.sources[event.kind] = [""] * len(objects)
        keys = self._kind(raw, event.kind)
        key = object_key(event.obj)
        index = self.find(raw, event.kind, key)
        pos = self._pos[event.kind]
        if event.type == "DELETED":
            if index is not None:
                del objects[index], sources[index], keys[index]
                del pos[key]
                self._shift[event.kind] += 1
                if self._shift[event.kind] > self.RECOUNT:
                    self._count(event.kind, keys)
        elif index is None:
            objects.append(event.obj)
            sources.append("")
            keys.append(key)
            pos[key] = len(keys) - 1
        else:
            objects[index] = event.obj
            sources[index] = ""


def apply_events(
    raw: RawCluster, events: Iterable[Event], index: RawIndex | None = None
) -> set[str]:
    """File ``events`` into ``raw`` in place; return the kinds that changed.

    A Change replaces the object of the same namespace and name (or is added, or removes
    it); a Replace swaps the kind's objects within its namespace scope. Health says
    nothing about objects and is skipped. ``index``: the caller's `RawIndex` of ``raw``,
    kept across calls (without one, each call counts the kinds it touches once).
    """
    index = RawIndex() if index is None else index
    changed: set[str] = set()
    for event in events:
        if isinstance(event, Health):
            continue
        changed.add(event.kind)
        if isinstance(event, Replace):
            objects = raw.objects.setdefault(event.kind, [])
            sources = raw.sources.setdefault(event.kind, [""] * len(objects))
            keep = [
                (o, s)
                for o, s in zip(objects, sources, strict=True)
                if event.namespace is not None and object_key(o)[0] != event.namespace
            ]
            objects[:] = [o for o, _ in keep] + list(event.objects)
            sources[:] = [s for _, s in keep] + [""] * len(event.objects)
            index.forget(event.kind)
            continue
        index.apply(raw, event)
    return changed
