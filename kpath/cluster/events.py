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


def apply_events(raw: RawCluster, events: Iterable[Event]) -> set[str]:
    """File ``events`` into ``raw`` in place; return the kinds that changed.

    A Change replaces the object of the same namespace and name (or is added, or removes
    it); a Replace swaps the kind's objects within its namespace scope. Health says
    nothing about objects and is skipped.
    """
    changed: set[str] = set()
    for event in events:
        if isinstance(event, Health):
            continue
        changed.add(event.kind)
        objects = raw.objects.setdefault(event.kind, [])
        sources = raw.sources.setdefault(event.kind, [""] * len(objects))
        if isinstance(event, Replace):
            keep = [
                (o, s)
                for o, s in zip(objects, sources, strict=True)
                if event.namespace is not None and object_key(o)[0] != event.namespace
            ]
            objects[:] = [o for o, _ in keep] + list(event.objects)
            sources[:] = [s for _, s in keep] + [""] * len(event.objects)
            continue
        key = object_key(event.obj)
        index = next((i for i, o in enumerate(objects) if object_key(o) == key), None)
        if event.type == "DELETED":
            if index is not None:
                del objects[index]
                del sources[index]
        elif index is None:
            objects.append(event.obj)
            sources.append("")
        else:
            objects[index] = event.obj
            sources[index] = ""
    return changed
