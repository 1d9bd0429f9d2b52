"""Which watch events change what a load keeps: pure bookkeeping, no I/O.

A load does not always keep every object of the scopes it lists. With ``-n`` it reads, across
the cluster, only the LoadBalancer and NodePort Services outside the namespace (where
ingress controllers and Gateways' data planes are reached), those Services' EndpointSlices,
and the Gateways its routes name (`kpath.cluster.live._read_controllers`,
`_read_parent_gateways`); with ``-l`` only the slices and Ingresses of the selected
Services. The informer's streams of those scopes see more than that; a `Keep` turns each
watch event (and each re-list after ``410 Gone``) into the `Change` and `Replace` events
that make the `RawCluster` what a fresh load would read: a Service that stops being a
controller type becomes a DELETED (with its slices), one that becomes one an ADDED.

Each keeper knows the keys of what it kept, seeded from the load's `RawCluster`, so a
DELETED is said only for what the snapshot holds. The keepers of one load's cluster-scope
streams share a `Beyond` (several streams, several threads: it locks).

Known limits (what needs a read the informer does not make): the slices of a Service that
*becomes* a controller appear with their next change; a Gateway a route starts naming
appears with its next change; a load that listed nothing beyond its namespace (no Ingress,
no Gateway API object) follows nothing beyond it; with ``-l`` the controller Services the
load read outside the selection are not followed (their list shares the selected one's
scope, whose stream the server filters by the selector).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from kpath.cluster.events import Change, ChangeType, Event, Replace, object_key
from kpath.cluster.gatewaykinds import ROUTE_KINDS
from kpath.cluster.parse import SERVICE_NAME_LABEL
from kpath.cluster.raw import RawCluster, RawObject

Key = tuple[str, str]  # (namespace, name)

#: The Service types an ingress controller or a Gateway's data plane is reached through
#: (as `kpath.cluster.live.CONTROLLER_TYPES`).
CONTROLLER_TYPES = frozenset({"LoadBalancer", "NodePort"})


class Keep(Protocol):
    """What one stream's events mean for the snapshot."""

    def changes(self, type_: ChangeType, obj: RawObject) -> list[Event]: ...

    def relisted(self, objects: Sequence[RawObject]) -> list[Event]: ...


def is_controller(obj: RawObject) -> bool:
    """A Service of a type the load keeps beyond the namespace scope."""
    spec = obj.get("spec")
    return isinstance(spec, dict) and spec.get("type") in CONTROLLER_TYPES


def owner_of(eps_slice: RawObject) -> Key:
    """(namespace, Service name) an EndpointSlice belongs to."""
    meta = eps_slice.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    labels = meta.get("labels")
    name = labels.get(SERVICE_NAME_LABEL) if isinstance(labels, dict) else None
    return str(meta.get("namespace") or ""), str(name or "")


def gone(kind: str, key: Key, owner: Key | None = None) -> Change:
    """A DELETED for an object known by key only (`apply_events` needs no more; a slice
    also names its Service, as its label did)."""
    ns, name = key
    meta: dict[str, Any] = {"name": name, **({"namespace": ns} if ns else {})}
    if owner is not None:
        meta["labels"] = {SERVICE_NAME_LABEL: owner[1]}
    return Change(kind, "DELETED", {"kind": kind, "metadata": meta})


def diff(kind: str, old: Iterable[Key], new: dict[Key, RawObject]) -> list[Event]:
    """The Changes that turn the objects known by ``old`` into ``new``."""
    before = set(old)
    out: list[Event] = [gone(kind, k) for k in sorted(before - new.keys())]
    out += [Change(kind, "MODIFIED" if k in before else "ADDED", o) for k, o in new.items()]
    return out


class Everything:
    """A scope the load kept whole: every event as it is; a re-list replaces the scope."""

    def __init__(self, kind: str, namespace: str | None) -> None:
        self.kind, self.namespace = kind, namespace

    def changes(self, type_: ChangeType, obj: RawObject) -> list[Event]:
        return [Change(self.kind, type_, obj)]

    def relisted(self, objects: Sequence[RawObject]) -> list[Event]:
        return [Replace(self.kind, tuple(objects), self.namespace)]


class Selected:
    """A scope the load kept part of, by ``wanted(obj)`` (with ``-l``: the slices and
    Ingresses of the selected Services). Tracks the keys it kept."""

    def __init__(
        self,
        kind: str,
        namespace: str | None,
        wanted: Callable[[RawObject], bool],
        kept: Iterable[Key],
    ) -> None:
        self.kind, self.namespace, self.wanted = kind, namespace, wanted
        self._kept = set(kept)
        self._lock = threading.Lock()

    def changes(self, type_: ChangeType, obj: RawObject) -> list[Event]:
        key = object_key(obj)
        with self._lock:
            if type_ != "DELETED" and self.wanted(obj):
                self._kept.add(key)
                return [Change(self.kind, type_, obj)]
            if key in self._kept:
                self._kept.discard(key)
                return [Change(self.kind, "DELETED", obj)]
        return []

    def relisted(self, objects: Sequence[RawObject]) -> list[Event]:
        kept = tuple(o for o in objects if self.wanted(o))
        with self._lock:
            self._kept = {object_key(o) for o in kept}
        return [Replace(self.kind, kept, self.namespace)]


class Selection:
    """With ``-l``: the Services the Service stream (which the server filters by the
    selector) says are selected, which the slices and Ingresses follow."""

    def __init__(self, services: Iterable[Key]) -> None:
        self._keys = set(services)
        self._lock = threading.Lock()

    def has(self, key: Key) -> bool:
        with self._lock:
            return key in self._keys

    def heard(self, type_: ChangeType, obj: RawObject) -> None:
        with self._lock:
            if type_ == "DELETED":
                self._keys.discard(object_key(obj))
            else:
                self._keys.add(object_key(obj))

    def reset(self, services: Iterable[RawObject]) -> None:
        with self._lock:
            self._keys = {object_key(s) for s in services}


class SelectedServices(Everything):
    """The selected Services themselves (the server filters them), keeping the
    `Selection` in step."""

    def __init__(self, namespace: str | None, selection: Selection) -> None:
        super().__init__("Service", namespace)
        self.selection = selection

    def changes(self, type_: ChangeType, obj: RawObject) -> list[Event]:
        self.selection.heard(type_, obj)
        return super().changes(type_, obj)

    def relisted(self, objects: Sequence[RawObject]) -> list[Event]:
        self.selection.reset(objects)
        return super().relisted(objects)


class Beyond:
    """What a namespaced load keeps outside its namespace, shared by its cluster-scope
    Service, EndpointSlice and Gateway streams (and told of route changes)."""

    def __init__(self, namespace: str, raw: RawCluster) -> None:
        self.namespace = namespace
        self._lock = threading.Lock()
        outside = self._outside
        self.services = {object_key(s) for s in raw.objects.get("Service", ()) if outside(s)}
        self.slices = {
            object_key(s): owner_of(s) for s in raw.objects.get("EndpointSlice", ()) if outside(s)
        }
        self.gateways = {object_key(g) for g in raw.objects.get("Gateway", ()) if outside(g)}
        # Which Gateways outside the namespace each route (and ListenerSet) names.
        self._parents: dict[tuple[str, Key], set[Key]] = {}
        for kind in (*ROUTE_KINDS, "ListenerSet"):
            for route in raw.objects.get(kind, ()):
                self._parents[(kind, object_key(route))] = self._named(kind, route)

    def _outside(self, obj: RawObject) -> bool:
        return object_key(obj)[0] != self.namespace

    def _named(self, kind: str, route: RawObject) -> set[Key]:
        from kpath.cluster.live import parent_gateways  # the load's own rule

        return parent_gateways(RawCluster(objects={kind: [route]}), self.namespace)

    def _wanted_gateways(self) -> set[Key]:
        return set().union(*self._parents.values()) if self._parents else set()

    # -- Services --------------------------------------------------------------------------

    def service(self, type_: ChangeType, obj: RawObject) -> list[Event]:
        if not self._outside(obj):
            return []  # the namespaced stream's
        key = object_key(obj)
        with self._lock:
            if type_ != "DELETED" and is_controller(obj):
                known = key in self.services
                self.services.add(key)
                return [Change("Service", "MODIFIED" if known else "ADDED", obj)]
            if key not in self.services:
                return []
            self.services.discard(key)
            return [Change("Service", "DELETED", obj), *self._drop_slices_of({key})]

    def services_relisted(self, objects: Sequence[RawObject]) -> list[Event]:
        new = {object_key(o): o for o in objects if self._outside(o) and is_controller(o)}
        with self._lock:
            dropped = self.services - new.keys()
            out = diff("Service", self.services, new)
            self.services = set(new)
            return out + self._drop_slices_of(dropped)

    def _drop_slices_of(self, services: set[Key]) -> list[Event]:
        keys = sorted(k for k, owner in self.slices.items() if owner in services)
        return [gone("EndpointSlice", k, self.slices.pop(k)) for k in keys]

    def controller_names(self) -> list[str]:
        with self._lock:
            return sorted({name for _, name in self.services})

    # -- EndpointSlices --------------------------------------------------------------------

    def eps_slice(self, type_: ChangeType, obj: RawObject) -> list[Event]:
        if not self._outside(obj):
            return []
        key = object_key(obj)
        with self._lock:
            if type_ != "DELETED" and owner_of(obj) in self.services:
                known = key in self.slices
                self.slices[key] = owner_of(obj)
                return [Change("EndpointSlice", "MODIFIED" if known else "ADDED", obj)]
            if self.slices.pop(key, None) is None:
                return []
            return [Change("EndpointSlice", "DELETED", obj)]

    def slices_relisted(self, objects: Sequence[RawObject]) -> list[Event]:
        with self._lock:
            new = {
                object_key(o): o
                for o in objects
                if self._outside(o) and owner_of(o) in self.services
            }
            out: list[Event] = [
                gone("EndpointSlice", k, owner)
                for k, owner in sorted(self.slices.items())
                if k not in new
            ]
            out += [
                Change("EndpointSlice", "MODIFIED" if k in self.slices else "ADDED", o)
                for k, o in new.items()
            ]
            self.slices = {k: owner_of(o) for k, o in new.items()}
            return out

    # -- Gateways and the routes that name them --------------------------------------------

    def gateway(self, type_: ChangeType, obj: RawObject) -> list[Event]:
        if not self._outside(obj):
            return []
        key = object_key(obj)
        with self._lock:
            if type_ != "DELETED" and key in self._wanted_gateways():
                known = key in self.gateways
                self.gateways.add(key)
                return [Change("Gateway", "MODIFIED" if known else "ADDED", obj)]
            if key not in self.gateways:
                return []
            self.gateways.discard(key)
            return [Change("Gateway", "DELETED", obj)]

    def gateways_relisted(self, objects: Sequence[RawObject]) -> list[Event]:
        with self._lock:
            wanted = self._wanted_gateways()
            new = {
                object_key(o): o for o in objects if self._outside(o) and object_key(o) in wanted
            }
            out = diff("Gateway", self.gateways, new)
            self.gateways = set(new)
            return out

    def route(self, kind: str, type_: ChangeType, obj: RawObject) -> list[Event]:
        """A route of the namespace changed: a Gateway no route names any more leaves."""
        with self._lock:
            slot = (kind, object_key(obj))
            if type_ == "DELETED":
                self._parents.pop(slot, None)
            else:
                self._parents[slot] = self._named(kind, obj)
            unnamed = sorted(self.gateways - self._wanted_gateways())
            self.gateways -= set(unnamed)
        return [gone("Gateway", k) for k in unnamed]

    def routes_relisted(self, kind: str, objects: Sequence[RawObject]) -> list[Event]:
        with self._lock:
            for slot in [s for s in self._parents if s[0] == kind]:
                del self._parents[slot]
            for route in objects:
                self._parents[(kind, object_key(route))] = self._named(kind, route)
            unnamed = sorted(self.gateways - self._wanted_gateways())
            self.gateways -= set(unnamed)
        return [gone("Gateway", k) for k in unnamed]


class BeyondStream:
    """The keeper of one cluster-scope stream of a namespaced load (`Beyond`)."""

    def __init__(self, kind: str, beyond: Beyond) -> None:
        self.kind, self.beyond = kind, beyond

    def changes(self, type_: ChangeType, obj: RawObject) -> list[Event]:
        b = self.beyond
        if self.kind == "Service":
            return b.service(type_, obj)
        if self.kind == "EndpointSlice":
            return b.eps_slice(type_, obj)
        return b.gateway(type_, obj)

    def relisted(self, objects: Sequence[RawObject]) -> list[Event]:
        b = self.beyond
        if self.kind == "Service":
            return b.services_relisted(objects)
        if self.kind == "EndpointSlice":
            return b.slices_relisted(objects)
        return b.gateways_relisted(objects)


class Routes(Everything):
    """A namespaced route kind (or ListenerSets) whose parents decide which Gateways
    beyond the namespace the load keeps."""

    def __init__(self, kind: str, namespace: str | None, beyond: Beyond) -> None:
        super().__init__(kind, namespace)
        self.beyond = beyond

    def changes(self, type_: ChangeType, obj: RawObject) -> list[Event]:
        return super().changes(type_, obj) + self.beyond.route(self.kind, type_, obj)

    def relisted(self, objects: Sequence[RawObject]) -> list[Event]:
        return super().relisted(objects) + self.beyond.routes_relisted(self.kind, objects)
