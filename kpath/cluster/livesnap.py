"""A snapshot whose records follow a cluster's events, one object at a time.

`LiveSnapshot` owns the mappings of a `Snapshot` (dicts it made) and updates them in place
as `kpath.cluster.events` Changes arrive, so that after each change its snapshot equals
what `build_snapshot` would make of the same raw objects, without parsing them again.
Only the changed object is parsed; the indexes that hold it (pods by namespace, slices by
service, node buckets) are patched in the order a rebuild would give them.

Each update returns what it touched, for the analysis to recompute only that
(`kpath.routing.incremental`). Kinds with no update here (NetworkPolicy, Namespace, the
not-evaluated policy kinds) are the caller's to rebuild in full. No I/O.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from kpath.cluster.fields import BadField
from kpath.cluster.labels import carries
from kpath.cluster.parse import Interner, field_error, parser_of
from kpath.cluster.raw import RawCluster, RawObject
from kpath.cluster.records import (
    EndpointSlice,
    IngressClass,
    Node,
    ObjectKey,
    Pod,
    Service,
)
from kpath.cluster.snapshot import FROM_SLICES, Snapshot, _gateway_objects, derive_slice

#: A node bucket's key: (zone, readiness).
Bucket = tuple[str | None, bool | None]

#: Kinds `LiveSnapshot` updates one object at a time.
FOLLOWED = frozenset(
    {"Pod", "Node", "Service", "EndpointSlice", "Endpoints", "Ingress", "IngressClass"}
)


class _LiveInterner(Interner):
    """Parses one changed object: endpoints look their pod up in the live pods map (the
    keys are equal; sharing the very key object is only a saving at load)."""

    def __init__(self, pods: Mapping[ObjectKey, Any]) -> None:
        super().__init__()
        self.pods = pods

    def pod_key(self, key: ObjectKey) -> ObjectKey:
        return key


def _parse(kind: str, obj: RawObject, pods: Mapping[ObjectKey, Any], origin: str) -> Any:
    try:
        return parser_of(kind)(obj, _LiveInterner(pods))
    except (BadField, TypeError, ValueError, KeyError, AttributeError) as exc:
        raise field_error(origin, kind, 0, obj, exc) from None


def record_key(obj: RawObject) -> ObjectKey:
    """The key a record of this raw object is filed under (no namespace: "default")."""
    meta = obj.get("metadata") or {}
    return ObjectKey(str(meta.get("namespace") or "default"), str(meta.get("name") or ""))


def selects(selector: Mapping[str, str] | None, pod: Pod | None) -> bool:
    return pod is not None and selector is not None and carries(pod.labels, selector.items())


class LiveSnapshot:
    """The records of ``raw``, kept equal to ``build_snapshot(raw)`` change by change."""

    def __init__(self, snapshot: Snapshot, raw: RawCluster) -> None:
        self.raw = raw
        self.nodes: dict[str, Node] = dict(snapshot.nodes)
        self.pods: dict[ObjectKey, Pod] = dict(snapshot.pods)
        self.services: dict[ObjectKey, Service] = dict(snapshot.services)
        self.slices: dict[ObjectKey, tuple[EndpointSlice, ...]] = dict(snapshot.slices)
        self.by_ns: dict[str, tuple[Pod, ...]] = dict(snapshot.pods_by_namespace)
        self.buckets: dict[Bucket, tuple[str, ...]] = dict(snapshot.node_buckets)
        self.classes: dict[str, IngressClass] = dict(snapshot.ingress_classes)
        #: Endpoints derived from pods (the input carries neither slices nor Endpoints).
        self.derived = (
            not ({"EndpointSlice", "Endpoints"} & raw.objects.keys()) and "Pod" in raw.objects
        )
        # Every EndpointSlice by its own key, and each service's in the raw order.
        self.slice_records: dict[ObjectKey, EndpointSlice] = {}
        self.slice_order: dict[ObjectKey, list[ObjectKey]] = {}
        for key, group in self.slices.items():
            for s in group:
                if s.origin == FROM_SLICES:
                    self.slice_records[ObjectKey(s.namespace, s.name)] = s
                    self.slice_order.setdefault(key, []).append(ObjectKey(s.namespace, s.name))
        # Legacy Endpoints by their service, standing in where it has no slice.
        self.legacy: dict[ObjectKey, tuple[EndpointSlice, ...]] = {}
        for obj in raw.objects.get("Endpoints", ()):
            converted = _parse("Endpoints", obj, self.pods, raw.origin)
            if converted:
                self.legacy[record_key(obj)] = tuple(converted)
        #: Service keys by namespace, for the services a pod may concern.
        self.services_in: dict[str, set[ObjectKey]] = defaultdict(set)
        for key in self.services:
            self.services_in[key.namespace].add(key)
        self.snapshot = dataclasses.replace(
            snapshot,
            nodes=self.nodes,
            pods=self.pods,
            services=self.services,
            slices=self.slices,
            pods_by_namespace=self.by_ns,
            node_buckets=self.buckets,
            ingress_classes=self.classes,
        )

    # Pods ---------------------------------------------------------------------------

    def set_pod(self, key: ObjectKey, obj: RawObject | None) -> tuple[Pod | None, Pod | None]:
        """File a pod's new state (None: deleted); (before, after)."""
        old = self.pods.get(key)
        new: Pod | None = None
        if obj is not None:
            new = _parse("Pod", obj, self.pods, self.raw.origin)
            assert isinstance(new, Pod)
        group = self.by_ns.get(key.namespace, ())
        if old is not None and new is not None:
            self.pods[key] = new
            at = group.index(old)  # the very record: found by identity, in C
            self.by_ns[key.namespace] = (*group[:at], new, *group[at + 1 :])
        elif new is not None:
            self.pods[key] = new
            self.by_ns[key.namespace] = (*group, new)
        elif old is not None:
            del self.pods[key]
            at = group.index(old)
            rest = (*group[:at], *group[at + 1 :])
            if rest:
                self.by_ns[key.namespace] = rest
            else:
                del self.by_ns[key.namespace]
        return old, new

    def selecting(self, namespace: str, *pods: Pod | None) -> set[ObjectKey]:
        """The services of ``namespace`` whose selector picks any of ``pods``."""
        return {
            k
            for k in self.services_in.get(namespace, ())
            if any(selects(self.services[k].selector, p) for p in pods)
        }

    # EndpointSlices and Endpoints -----------------------------------------------------

    def set_slice(self, key: ObjectKey, obj: RawObject | None) -> set[ObjectKey]:
        """File an EndpointSlice's new state; the services whose endpoints it changed."""
        old = self.slice_records.pop(key, None)
        new: EndpointSlice | None = None
        if obj is not None:
            new = _parse("EndpointSlice", obj, self.pods, self.raw.origin)
            assert isinstance(new, EndpointSlice)
            self.slice_records[key] = new
        before = ObjectKey(key.namespace, old.service) if old and old.service else None
        after = ObjectKey(key.namespace, new.service) if new and new.service else None
        if before is not None and before != after:
            self.slice_order[before].remove(key)
            if not self.slice_order[before]:
                del self.slice_order[before]
        if after is not None and before != after:
            order = self.slice_order.setdefault(after, [])
            if obj is not None and old is None and self._last("EndpointSlice", key):
                order.append(key)  # added: it is the kind's last object
            else:  # it moved between services: its place in the raw order
                order.append(key)
                order.sort(key=self._position("EndpointSlice"))
        touched = {k for k in (before, after) if k is not None}
        for k in touched:
            self._file_slices(k)
        return touched

    def set_endpoints(self, key: ObjectKey, obj: RawObject | None) -> set[ObjectKey]:
        """File a legacy Endpoints object; the service it stands in for."""
        self.legacy.pop(key, None)
        if obj is not None:
            converted = _parse("Endpoints", obj, self.pods, self.raw.origin)
            if converted:
                self.legacy[key] = tuple(converted)
        self._file_slices(key)
        return {key}

    def _last(self, kind: str, key: ObjectKey) -> bool:
        objects = self.raw.objects.get(kind) or [{}]
        return record_key(objects[-1]) == key

    def _position(self, kind: str) -> Any:
        order = {record_key(o): i for i, o in enumerate(self.raw.objects.get(kind, ()))}
        return lambda k: order.get(k, len(order))

    def _file_slices(self, service: ObjectKey) -> None:
        """A service's endpoints: its slices, else its legacy Endpoints, as a rebuild."""
        names = self.slice_order.get(service)
        if names:
            self.slices[service] = tuple(self.slice_records[n] for n in names)
        elif service in self.legacy:
            self.slices[service] = self.legacy[service]
        else:
            self.slices.pop(service, None)

    def derive(self, service: ObjectKey) -> None:
        """Endpoints derived from pods again, for a service of a slice-less input."""
        svc = self.services.get(service)
        derived = derive_slice(svc, self.by_ns.get(svc.namespace, ()), self.nodes) if svc else None
        if derived is None:
            self.slices.pop(service, None)
        else:
            self.slices[service] = (derived,)

    # Services -------------------------------------------------------------------------

    def set_service(
        self, key: ObjectKey, obj: RawObject | None
    ) -> tuple[Service | None, Service | None]:
        old = self.services.get(key)
        new: Service | None = None
        if obj is not None:
            new = _parse("Service", obj, self.pods, self.raw.origin)
            assert isinstance(new, Service)
            self.services[key] = new
            self.services_in[key.namespace].add(key)
        elif old is not None:
            del self.services[key]
            self.services_in[key.namespace].discard(key)
        if self.derived:
            self.derive(key)
        return old, new

    # Nodes ------------------------------------------------------------------------------

    def set_node(self, name: str, obj: RawObject | None) -> set[Bucket] | None:
        """File a node's new state (None: deleted); the buckets whose names that changed
        (none: its zone and readiness stayed), or None when its record did not change (a
        status post that moves only what kpath does not read, a heartbeat)."""
        old = self.nodes.get(name)
        new: Node | None = None
        if obj is None:
            if old is None:
                return None
            del self.nodes[name]
        else:
            new = _parse("Node", obj, self.pods, self.raw.origin)
            assert isinstance(new, Node)
            if old == new:
                return None
            self.nodes[name] = new
        before = (old.zone, old.ready) if old is not None else None
        after = (new.zone, new.ready) if new is not None else None
        moved: set[Bucket] = set()
        if before != after:
            # Only the two buckets it leaves and joins get new tuples (sorted, as a rebuild
            # makes them); every other keeps its very tuple: groups that hold one
            # (`nodegroups.Members`) stay as they are.
            if before is not None:
                names = self.buckets[before]
                at = bisect.bisect_left(names, name)
                rest = (*names[:at], *names[at + 1 :])
                if rest:
                    self.buckets[before] = rest
                else:
                    del self.buckets[before]
                moved.add(before)
            if after is not None:
                names = self.buckets.get(after, ())
                at = bisect.bisect_left(names, name)
                self.buckets[after] = (*names[:at], name, *names[at:])
                moved.add(after)
        if self.derived:  # derived endpoints carry their node's zone
            for key in self.services:
                self.derive(key)
        return moved

    # Ingresses and the Gateway API: few objects, parsed again as a kind ------------------

    def reread_ingresses(self) -> None:
        ingresses = tuple(
            _parse("Ingress", o, self.pods, self.raw.origin)
            for o in self.raw.objects.get("Ingress", ())
        )
        self.snapshot = dataclasses.replace(self.snapshot, ingresses=ingresses)

    def reread_classes(self) -> None:
        self.classes.clear()
        for o in self.raw.objects.get("IngressClass", ()):
            c = _parse("IngressClass", o, self.pods, self.raw.origin)
            self.classes[c.name] = c

    def reread_gateways(self) -> None:
        self.snapshot = dataclasses.replace(
            self.snapshot, gateways=_gateway_objects(self.raw, _LiveInterner(self.pods))
        )
