"""Typed dump objects (msgspec Structs of `kpath.cluster.typed`) → records, for the kinds
whose dict parsers are most of a big snapshot's cost (Pods, EndpointSlices, Services, Nodes).

msgspec has already checked every field's type against the shapes (``str | None``, lists
without nulls, booleans, integers), so these read the fields straight. They give exactly
the record `parse.py` gives for the same object's dict, and never judge one: wherever the
dict parser could refuse or read something differently (a missing name, a port out of
range), they raise `Unsure`, and the snapshot builder hands the object's dict to `parse.py`,
whose verdict and message are the only ones. Tests build snapshots both ways and compare.
"""

from __future__ import annotations

from sys import intern as _intern
from typing import Any

from kpath.cluster.fields import _EMPTY
from kpath.cluster.parse import (
    NODE_LABEL_PREFIXES,
    REDACTED,
    SERVICE_ANNOTATION_PREFIXES,
    SERVICE_NAME_LABEL,
    ZONE_LABEL,
    Interner,
    _target_port,
    address,
)
from kpath.cluster.records import (
    ContainerPort,
    Endpoint,
    EndpointPort,
    EndpointSlice,
    LoadBalancerIngress,
    Node,
    NodeAddress,
    ObjectKey,
    Pod,
    Service,
    ServicePort,
)

# Records made as tuples straight (their classes' __new__ is a Python function per call).
_new = tuple.__new__


class Unsure(Exception):
    """Not read here: the object's dict goes to the dict parser (as does any `BadField`
    a helper shared with it raises: its message is the dict parser's to give)."""


def _named(meta: Any) -> tuple[str, str]:
    """(namespace, name) of a namespaced object, as `fields._meta` reads them."""
    if meta is None:
        raise Unsure
    name, namespace = meta.name, meta.namespace
    if type(name) is not str or not name or (namespace is not None and type(namespace) is not str):
        raise Unsure
    return _intern(namespace or "default"), name


def typed_pod(obj: Any, intern: Interner) -> Pod:
    # `_named` and `_ready` written out: the most numerous objects, two calls fewer each.
    meta = obj.metadata
    if meta is None:
        raise Unsure
    name, namespace = meta.name, meta.namespace
    if type(name) is not str or not name or (namespace is not None and type(namespace) is not str):
        raise Unsure
    spec, status = obj.spec, obj.status
    ports: list[ContainerPort] = []
    node = host_network = ip = phase = ready = None
    if spec is not None:
        node, host_network = spec.nodeName, spec.hostNetwork
        for container in spec.containers or ():
            for port in container.ports or ():
                number = port.containerPort
                if number is None or not 0 < number <= 65535:
                    raise Unsure
                ports.append(_new(ContainerPort, (port.name, number, port.protocol or "TCP")))
    if status is not None:
        ip, phase = status.podIP, status.phase
        for condition in status.conditions or ():
            if condition.type == "Ready":
                ready = condition.status == "True"
                break
    return _new(
        Pod,
        (
            _intern(namespace or "default"),
            name,
            _intern(node) if node else None,
            ip if ip and ip != REDACTED else None,
            bool(host_network),
            _intern(phase or "Unknown"),
            bool(ready),
            meta.deletionTimestamp is not None,
            intern.labels(meta.labels or _EMPTY),
            intern.ports(tuple(ports)),
        ),
    )


def _ready(status: Any) -> bool | None:
    """The Ready condition: True, False, or None when there is none (`parse._conditions`)."""
    for condition in (status.conditions if status is not None else None) or ():
        if condition.type == "Ready":
            return bool(condition.status == "True")
    return None


def typed_node(obj: Any, intern: Interner) -> Node:
    meta = obj.metadata
    name = meta.name if meta is not None else None
    if type(name) is not str or not name:
        raise Unsure
    spec, status = obj.spec, obj.status
    labels = meta.labels
    labels = intern.labels(
        {k: v for k, v in labels.items() if k.startswith(NODE_LABEL_PREFIXES)} if labels else _EMPTY
    )
    listed = status.addresses if status is not None else None
    return _new(
        Node,
        (
            _intern(name),
            tuple(_new(NodeAddress, (a.type or "", address(a.address))) for a in listed or ()),
            labels.get(ZONE_LABEL),
            _ready(status),
            bool(spec.unschedulable) if spec is not None else False,
            labels,
        ),
    )


def _hint_names(hints: Any) -> tuple[str, ...]:
    return tuple(h.name for h in hints if h.name) if hints else ()


def typed_endpointslice(obj: Any, intern: Interner) -> EndpointSlice:
    meta = obj.metadata
    namespace, name = _named(meta)
    labels = meta.labels or _EMPTY
    pods = intern.pods
    pod_key = intern.pod_key
    endpoints: list[Endpoint] = []
    append = endpoints.append
    for ep in obj.endpoints or ():
        addresses = ep.addresses
        if not addresses:
            continue  # kube-proxy ignores an endpoint without addresses
        addr: str | None = addresses[0]
        if not addr or addr == REDACTED:
            addr = None
        cond = ep.conditions
        # kube-proxy's reading: a nil ready or serving means true, a nil terminating false.
        if cond is None:
            ready = serving = True
            terminating = False
        else:
            ready, serving = cond.ready is not False, cond.serving is not False
            terminating = bool(cond.terminating)
        hints = ep.hints
        hint_zones: tuple[str, ...]
        hint_nodes: tuple[str, ...]
        if hints is None:
            hint_zones = hint_nodes = ()
        else:
            hint_zones, hint_nodes = _hint_names(hints.forZones), _hint_names(hints.forNodes)
        ref = ep.targetRef
        target_kind = target = None
        if ref is not None and ref.name:
            kind = ref.kind
            target_kind = _intern(kind) if kind else None
            target = _new(ObjectKey, (_intern(ref.namespace or namespace), ref.name))
            if target_kind == "Pod":
                target = pod_key(target)
                pod = pods.get(target)
                if pod is not None and pod.ip == addr:
                    addr = pod.ip  # the same text: keep one copy
        node, zone = ep.nodeName, ep.zone
        append(
            _new(
                Endpoint,
                (
                    addr,
                    ready,
                    serving,
                    terminating,
                    _intern(node) if node else None,
                    _intern(zone) if zone else None,
                    hint_zones,
                    hint_nodes,
                    target_kind,
                    target,
                ),
            )
        )
    ports = []
    for port in obj.ports or ():
        number = port.port
        if number is not None and not 0 <= number <= 65535:
            raise Unsure
        ports.append(
            _new(
                EndpointPort,
                (port.name or None, number, port.protocol or "TCP", port.appProtocol),
            )
        )
    return _new(
        EndpointSlice,
        (
            namespace,
            name,
            labels.get(SERVICE_NAME_LABEL) or None,
            obj.addressType or "IPv4",
            intern.ports(tuple(ports)),
            tuple(endpoints),
            "EndpointSlice",
        ),
    )


def _service_ports(listed: Any) -> tuple[ServicePort, ...]:
    ports = []
    for p in listed:
        number = p.port
        if type(number) is not int or not 0 < number <= 65535:
            raise Unsure
        node_port = p.nodePort
        if node_port is not None and not 0 <= node_port <= 65535:
            raise Unsure
        ports.append(
            _new(
                ServicePort,
                (
                    p.name or None,
                    p.protocol or "TCP",
                    number,
                    _target_port(p.targetPort, number),
                    node_port or None,
                    p.appProtocol,
                ),
            )
        )
    return tuple(ports)


def typed_service(obj: Any, intern: Interner) -> Service:
    meta = obj.metadata
    namespace, name = _named(meta)
    spec = obj.spec
    if spec is None:
        raise Unsure  # (rare: a Service without a spec) the dict parser's defaults
    affinity = spec.sessionAffinity
    if affinity == "ClientIP":
        raise Unsure  # its timeout is checked by the dict parser
    raw_ips = tuple(ip for ip in spec.clusterIPs or () if ip is not None)
    if not raw_ips:
        one = spec.clusterIP
        raw_ips = (one,) if one else ()
    selector = spec.selector
    health = spec.healthCheckNodePort
    if health is not None and not 0 <= health <= 65535:
        raise Unsure
    status = obj.status
    balancer = status.loadBalancer if status is not None else None
    ingress = balancer.ingress if balancer is not None else None
    annotations = meta.annotations
    if annotations:
        annotations = {
            k: v for k, v in annotations.items() if k.startswith(SERVICE_ANNOTATION_PREFIXES)
        }
    return _new(
        Service,
        (
            namespace,
            name,
            _intern(spec.type or "ClusterIP"),
            tuple(ip for ip in (address(i) for i in raw_ips if i != "None") if ip),
            "None" in raw_ips,
            tuple(ip for ip in map(address, spec.externalIPs or ()) if ip),
            intern.labels(selector) if selector else None,
            intern.ports(_service_ports(spec.ports or ())),
            "Local" if spec.externalTrafficPolicy == "Local" else "Cluster",
            _intern(spec.internalTrafficPolicy or "Cluster"),
            health or None,
            tuple(
                _new(LoadBalancerIngress, (address(i.ip), i.hostname or None, i.ipMode))
                for i in ingress
            )
            if ingress
            else (),
            spec.loadBalancerClass,
            spec.allocateLoadBalancerNodePorts is not False,
            spec.externalName,
            _intern(affinity or "None"),
            spec.trafficDistribution,
            bool(spec.publishNotReadyAddresses),
            intern.labels(meta.labels or _EMPTY),
            annotations or _EMPTY,
            None,
        ),
    )


#: Kind -> its typed reader; kinds not here are read from their dicts (`parse.PARSERS`).
TYPED_PARSERS: dict[str, Any] = {
    "Pod": typed_pod,
    "EndpointSlice": typed_endpointslice,
    "Service": typed_service,
    "Node": typed_node,
}
