"""The snapshot: every record kpath routes with, indexed the way routing asks.

No I/O here. `build_snapshot` turns a `RawCluster` from any source into records. Where a
cluster's dump carries neither EndpointSlices nor Endpoints (many support bundles), the
endpoints are derived from the Service selector and the pods, as the endpoints controller
would have done, and marked as derived.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from kpath.cluster.gatewaykinds import EMPTY_GATEWAYS, GATEWAY_KINDS, ROUTE_KINDS, GatewayObjects
from kpath.cluster.labels import carries
from kpath.cluster.netpol import NetworkPolicy, OtherPolicy
from kpath.cluster.policykinds import OTHER_POLICY_RAW_KINDS
from kpath.cluster.raw import RawCluster
from kpath.cluster.records import (
    Endpoint,
    EndpointPort,
    EndpointSlice,
    Ingress,
    IngressClass,
    Namespace,
    Node,
    ObjectKey,
    Pod,
    Service,
)
from kpath.gcpause import paused_gc

if TYPE_CHECKING:
    # The parsers are imported when a snapshot is built, not with the Snapshot class: a
    # snapshot kept from an earlier run (kpath.cluster.snapcache) is loaded without them.
    from kpath.cluster.parse import Interner

_T = TypeVar("_T")

#: Where the endpoints of a service came from.
FROM_SLICES, FROM_ENDPOINTS, FROM_PODS = "EndpointSlice", "Endpoints", "Pods"


@dataclass(frozen=True)
class Snapshot:
    nodes: Mapping[str, Node]
    pods: Mapping[ObjectKey, Pod]
    services: Mapping[ObjectKey, Service]
    slices: Mapping[ObjectKey, tuple[EndpointSlice, ...]]  # by owning service
    ingresses: tuple[Ingress, ...]
    ingress_classes: Mapping[str, IngressClass]
    origin: str = ""
    not_visible: Mapping[str, str] = field(default_factory=dict)
    skipped: Mapping[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    kinds_seen: frozenset[str] = frozenset()
    #: (zone, ready) -> node names, sorted; routing treats nodes of one bucket alike
    #: unless an endpoint lives on them.
    node_buckets: Mapping[tuple[str | None, bool | None], tuple[str, ...]] = field(
        default_factory=dict
    )
    pods_by_namespace: Mapping[str, tuple[Pod, ...]] = field(default_factory=dict)
    #: Namespaces by name (their labels decide Gateway allowedRoutes selectors); empty
    #: when the source carried none.
    namespaces: Mapping[str, Namespace] = field(default_factory=dict)
    #: The namespaces whose namespaced objects were read (None: every namespace), so a
    #: view can say what it is made of: "namespace default", not "all namespaces".
    namespaces_read: frozenset[str] | None = None
    #: Why the Services where an ingress controller (or a Gateway's Service) could live
    #: were not all read (a Role in one namespace), so KP204 can say the controller is
    #: outside what could be read rather than missing; None when they were read.
    controllers_unread: str | None = None
    #: Why the Gateways outside ``namespaces_read`` that routes name could not be listed,
    #: so KP416 says a parent is outside what could be read rather than missing.
    gateways_unread: str | None = None
    gateways: GatewayObjects = EMPTY_GATEWAYS
    #: NetworkPolicies (networking.k8s.io), in the source's order; check
    #: ``"NetworkPolicy" in kinds_seen`` before reading "none" as "no policy exists".
    network_policies: tuple[NetworkPolicy, ...] = ()
    #: The same policies by namespace (a pod is selected only by its own namespace's).
    policies_by_namespace: Mapping[str, tuple[NetworkPolicy, ...]] = field(default_factory=dict)
    #: Policies of kinds kpath lists but does not evaluate (AdminNetworkPolicy, Cilium's,
    #: Calico's): they may change an answer kpath gives.
    other_policies: tuple[OtherPolicy, ...] = ()

    def service_slices(self, key: ObjectKey) -> tuple[EndpointSlice, ...]:
        return self.slices.get(key, ())

    def pod(self, key: ObjectKey | None) -> Pod | None:
        return self.pods.get(key) if key is not None else None

    def endpoint_origin(self, key: ObjectKey) -> str | None:
        slices = self.slices.get(key)
        return slices[0].origin if slices else None

    def selected_pods(self, namespace: str, selector: Mapping[str, str]) -> list[Pod]:
        """Pods in a namespace whose labels carry every pair of the selector."""
        items = selector.items()
        return [p for p in self.pods_by_namespace.get(namespace, ()) if carries(p.labels, items)]


def _parse_all(raw: RawCluster, kind: str, intern: Interner) -> Iterator[object]:
    from kpath.cluster.fields import BadField
    from kpath.cluster.parse import field_error, parser_of
    from kpath.cluster.parse_typed import TYPED_PARSERS, Unsure

    done = intern.parsed.get(kind)
    if done is not None:
        yield from done
        return
    parser = parser_of(kind)
    typed = TYPED_PARSERS.get(kind)
    for index, obj in enumerate(raw.held.get(kind, ())):
        try:
            if type(obj) is dict:
                record = parser(obj, intern)
            elif typed is None:  # a Struct of a kind read only as its dict
                obj = _plain(obj)
                record = parser(obj, intern)
            else:  # a typed dump's Struct: read straight, or as its dict where in doubt
                try:
                    record = typed(obj, intern)
                except (Unsure, BadField, TypeError, ValueError, KeyError, AttributeError):
                    obj = _plain(obj)  # the dict parser judges (and names what is wrong)
                    record = parser(obj, intern)
        # BadField is the parser's own verdict; the others are a safety net, so that a
        # parser bug is still one line naming the object rather than a traceback.
        except (BadField, TypeError, ValueError, KeyError, AttributeError) as exc:
            raise field_error(raw.source_of(kind, index), kind, index, _plain(obj), exc) from None
        yield record


def _plain(obj: Any) -> Any:
    """An object as its dict. A Struct exists only where typed decoding was loaded: a dump
    read without it (a small file, YAML) does not import msgspec here."""
    if type(obj) is dict:
        return obj
    from kpath.cluster.typed import to_plain

    return to_plain(obj)


def build_snapshot(raw: RawCluster, intern: Interner | None = None) -> Snapshot:
    """Records and indexes from raw API objects. Raises InputError naming a bad object.
    ``intern``: the interner of records already parsed (`Interner.parsed`)."""
    with paused_gc():  # hundreds of thousands of small acyclic records
        return _build(raw, intern)


def _build(raw: RawCluster, intern: Interner | None = None) -> Snapshot:
    from kpath.cluster.parse import Interner

    intern = Interner() if intern is None else intern
    nodes: dict[str, Node] = {n.name: n for n in _typed(_parse_all(raw, "Node", intern), Node)}
    pods: dict[ObjectKey, Pod] = {}
    by_ns: dict[str, list[Pod]] = defaultdict(list)
    for pod in _parse_all(raw, "Pod", intern):
        assert isinstance(pod, Pod)
        pods[ObjectKey(pod.namespace, pod.name)] = pod
        by_ns[pod.namespace].append(pod)
    services: dict[ObjectKey, Service] = {}
    for svc in _parse_all(raw, "Service", intern):
        assert isinstance(svc, Service)
        services[ObjectKey(svc.namespace, svc.name)] = svc

    intern.index_pods(pods)  # endpoints share their pod's key and address
    slices: dict[ObjectKey, list[EndpointSlice]] = defaultdict(list)
    for s in _parse_all(raw, "EndpointSlice", intern):
        assert isinstance(s, EndpointSlice)
        if s.service:
            slices[ObjectKey(s.namespace, s.service)].append(s)
    legacy: dict[ObjectKey, list[EndpointSlice]] = defaultdict(list)
    for converted in _typed(_parse_all(raw, "Endpoints", intern), list):
        for s in _typed(converted, EndpointSlice):
            if s.service:  # always: a converted Endpoints names its Service
                legacy[ObjectKey(s.namespace, s.service)].append(s)
    for key, group in legacy.items():
        if key not in slices:  # kube-proxy reads slices; Endpoints only stand in for them
            slices[key] = group
    held = raw.held
    if not ({"EndpointSlice", "Endpoints"} & held.keys()) and "Pod" in held:
        for key, svc in services.items():
            derived = derive_slice(svc, by_ns.get(svc.namespace, ()), nodes)
            if derived is not None:
                slices[key] = [derived]

    policies = tuple(_typed(_parse_all(raw, "NetworkPolicy", intern), NetworkPolicy))
    policies_by_ns: dict[str, list[NetworkPolicy]] = defaultdict(list)
    for policy in policies:
        policies_by_ns[policy.namespace].append(policy)

    buckets: dict[tuple[str | None, bool | None], list[str]] = defaultdict(list)
    for node in nodes.values():
        buckets[(node.zone, node.ready)].append(node.name)

    return Snapshot(
        nodes=nodes,
        pods=pods,
        services=services,
        slices={k: tuple(v) for k, v in slices.items()},
        ingresses=tuple(_typed(_parse_all(raw, "Ingress", intern), Ingress)),
        ingress_classes={
            c.name: c for c in _typed(_parse_all(raw, "IngressClass", intern), IngressClass)
        },
        origin=raw.origin,
        not_visible=dict(raw.not_visible),
        skipped=dict(raw.skipped),
        warnings=tuple(raw.warnings),
        namespaces_read=raw.namespaces_read,
        controllers_unread=raw.controllers_unread,
        gateways_unread=raw.gateways_unread,
        kinds_seen=frozenset(held),
        node_buckets={k: tuple(sorted(v)) for k, v in buckets.items()},
        pods_by_namespace={k: tuple(v) for k, v in by_ns.items()},
        namespaces={n.name: n for n in _typed(_parse_all(raw, "Namespace", intern), Namespace)},
        gateways=_gateway_objects(raw, intern),
        network_policies=policies,
        policies_by_namespace={k: tuple(v) for k, v in policies_by_ns.items()},
        other_policies=tuple(
            _typed(
                (p for kind in OTHER_POLICY_RAW_KINDS for p in _parse_all(raw, kind, intern)),
                OtherPolicy,
            )
        ),
    )


def _gateway_objects(raw: RawCluster, intern: Interner) -> GatewayObjects:
    """The Gateway API records; EMPTY_GATEWAYS when the source carried none."""
    if not any(raw.held.get(kind) for kind in GATEWAY_KINDS):
        return EMPTY_GATEWAYS
    # Here, not at the top: a cluster without Gateways never defines their records.
    from kpath.cluster.gatewayapi import (
        BackendTLSPolicy,
        Gateway,
        GatewayClass,
        ListenerSet,
        ReferenceGrant,
        Route,
    )

    classes: dict[str, GatewayClass] = {}
    for c in _parse_all(raw, "GatewayClass", intern):
        assert isinstance(c, GatewayClass)
        classes[c.name] = c
    gateways: dict[ObjectKey, Gateway] = {}
    for g in _parse_all(raw, "Gateway", intern):
        assert isinstance(g, Gateway)
        gateways[g.key] = g
    routes: list[Route] = []
    for kind in ROUTE_KINDS:
        routes.extend(_typed(_parse_all(raw, kind, intern), Route))
    return GatewayObjects(
        classes=classes,
        gateways=gateways,
        listener_sets=tuple(_typed(_parse_all(raw, "ListenerSet", intern), ListenerSet)),
        routes=tuple(routes),
        grants=tuple(_typed(_parse_all(raw, "ReferenceGrant", intern), ReferenceGrant)),
        backend_tls=tuple(_typed(_parse_all(raw, "BackendTLSPolicy", intern), BackendTLSPolicy)),
        versions=read_versions(raw),
    )


def _typed(items: Iterable[object], kind: type[_T]) -> Iterator[_T]:
    for item in items:
        assert isinstance(item, kind)
        yield item


def read_versions(raw: RawCluster) -> dict[str, str]:
    """Gateway API kind -> the apiVersion its objects were read at. A dump may mix
    versions of one kind (files from different releases): then all of them, sorted."""
    out: dict[str, str] = {}
    for kind in GATEWAY_KINDS:
        found = sorted(
            {
                v
                for obj in raw.held.get(kind, ())  # read whole: dicts
                if isinstance(v := obj.get("apiVersion"), str) and v
            }
        )
        if found:
            out[kind] = ", ".join(found)
    return out


def derive_slice(
    svc: Service, pods: Iterable[Pod], nodes: Mapping[str, Node]
) -> EndpointSlice | None:
    """What the endpoints controller would publish for a selector, from the pods alone."""
    if not svc.selector or svc.type == "ExternalName":
        return None
    items = svc.selector.items()
    endpoints = []
    for pod in pods:
        if pod.phase in ("Succeeded", "Failed") or not carries(pod.labels, items):
            continue
        if pod.ip is None and pod.phase == "Pending":
            continue  # no address yet (a redacted one still belongs to a running pod)
        # As the EndpointSlice controller's podToEndpoint: serving is the pod's readiness;
        # publishNotReadyAddresses makes an endpoint ready even while it terminates.
        serving = pod.ready
        ready = svc.publish_not_ready or (serving and not pod.terminating)
        node = nodes.get(pod.node) if pod.node else None
        endpoints.append(
            Endpoint(
                pod.ip,
                ready,
                serving,
                pod.terminating,
                pod.node,
                node.zone if node else None,
                (),
                (),
                "Pod",
                pod.key,
            )
        )
    # Ports stay unresolved (None): routing resolves the target port per pod.
    ports = tuple(EndpointPort(p.name, None, p.protocol, p.app_protocol) for p in svc.ports)
    return EndpointSlice(
        svc.namespace, f"{svc.name}-derived", svc.name, "IPv4", ports, tuple(endpoints), FROM_PODS
    )
