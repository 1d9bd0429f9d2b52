"""API dicts → slim records.

Defaults are the ones the API server fills in, so a hand-written manifest and a live object
parse the same way. Unknown fields are ignored. Labels and port lists repeat across the pods
of one workload, so identical ones are shared (interned) to keep a large snapshot small.

A value that has the wrong type raises `InputError` through `parse_error`, naming the object.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

from kpath.cluster.records import (
    ContainerPort,
    Endpoint,
    EndpointPort,
    EndpointSlice,
    Ingress,
    IngressBackend,
    IngressClass,
    IngressPath,
    IngressRule,
    LoadBalancerIngress,
    Node,
    NodeAddress,
    ObjectKey,
    Pod,
    Service,
    ServicePort,
)
from kpath.errors import InputError

ZONE_LABEL = "topology.kubernetes.io/zone"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
REDACTED = "***HIDDEN***"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

_EMPTY: dict[str, str] = {}
_intern = sys.intern


class Interner:
    """Shares equal label maps and port tuples between records (one per snapshot build)."""

    def __init__(self) -> None:
        self._labels: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
        self._ports: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        #: The pods index, once built: endpoints that point at a pod share its key and its
        #: address string instead of holding equal copies (a pod's worth of bytes each).
        self.pods: Mapping[ObjectKey, Any] = {}
        self._pod_keys: dict[ObjectKey, ObjectKey] = {}

    def index_pods(self, pods: Mapping[ObjectKey, Any]) -> None:
        self.pods = pods
        self._pod_keys = {k: k for k in pods}

    def pod_key(self, key: ObjectKey) -> ObjectKey:
        return self._pod_keys.get(key, key)

    def labels(self, raw: Any) -> Mapping[str, str]:
        if not raw:
            return _EMPTY
        if not isinstance(raw, dict):
            raise TypeError("labels must be a mapping")
        key = tuple(raw.items())
        shared = self._labels.get(key)
        if shared is None:
            shared = {_intern(str(k)): _intern(str(v)) for k, v in raw.items()}
            self._labels[key] = shared
        return shared

    def ports(self, ports: tuple[Any, ...]) -> tuple[Any, ...]:
        return self._ports.setdefault(ports, ports)


def address(value: Any) -> str | None:
    """An address, or None when it is missing or redacted by a support-bundle tool."""
    if not value or value == REDACTED:
        return None
    return str(value)


def _meta(obj: Mapping[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or not meta.get("name"):
        raise TypeError("metadata.name is missing")
    return _intern(meta.get("namespace") or "default"), meta["name"]


def parse_node(obj: Mapping[str, Any], intern: Interner) -> Node:
    meta = obj.get("metadata") or {}
    if not meta.get("name"):
        raise TypeError("metadata.name is missing")
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    labels = intern.labels(_routing_labels(meta.get("labels")))
    ready: bool | None = None
    for cond in status.get("conditions") or ():
        if cond.get("type") == "Ready":
            ready = cond.get("status") == "True"
    addresses = tuple(
        NodeAddress(a.get("type", ""), address(a.get("address")))
        for a in status.get("addresses") or ()
    )
    # Only the GA label: kube-proxy's topology hints and the EndpointSlice controller's
    # endpoint zones read topology.kubernetes.io/zone and ignore the deprecated beta label.
    zone = labels.get(ZONE_LABEL)
    return Node(
        _intern(meta["name"]), addresses, zone, ready, bool(spec.get("unschedulable")), labels
    )


def parse_pod(obj: Mapping[str, Any], intern: Interner) -> Pod:
    namespace, name = _meta(obj)
    meta = obj["metadata"]
    spec = obj.get("spec") or _EMPTY
    status = obj.get("status") or _EMPTY
    ports = [
        ContainerPort(p.get("name"), int(p["containerPort"]), p.get("protocol") or "TCP")
        for c in spec.get("containers") or () for p in c.get("ports") or ()
    ]
    ready = False
    for cond in status.get("conditions") or ():
        if cond.get("type") == "Ready":
            ready = cond.get("status") == "True"
            break
    node = spec.get("nodeName")
    return Pod(
        namespace,
        name,
        _intern(node) if node else None,
        address(status.get("podIP")),
        bool(spec.get("hostNetwork")),
        _intern(status.get("phase") or "Unknown"),
        ready,
        meta.get("deletionTimestamp") is not None,
        intern.labels(meta.get("labels")),
        intern.ports(tuple(ports)),
    )


def _target_port(value: Any, port: int) -> int | str:
    if value is None or value == "":
        return port  # the API server defaults targetPort to port
    if isinstance(value, int):
        return value
    text = str(value)
    return int(text) if text.isdigit() else text


def _lb_ingress(status: Mapping[str, Any]) -> tuple[LoadBalancerIngress, ...]:
    lb = (status.get("loadBalancer") or {}).get("ingress") or ()
    return tuple(
        LoadBalancerIngress(address(i.get("ip")), i.get("hostname") or None, i.get("ipMode"))
        for i in lb
    )


def parse_service(obj: Mapping[str, Any], intern: Interner) -> Service:
    namespace, name = _meta(obj)
    meta = obj["metadata"]
    spec = obj.get("spec") or {}
    svc_type = spec.get("type") or "ClusterIP"
    ports = tuple(
        ServicePort(
            p.get("name") or None,
            p.get("protocol") or "TCP",
            int(p["port"]),
            _target_port(p.get("targetPort"), int(p["port"])),
            p.get("nodePort") or None,
            p.get("appProtocol"),
        )
        for p in spec.get("ports") or ()
    )
    raw_ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    headless = "None" in raw_ips
    cluster_ips = tuple(ip for ip in (address(i) for i in raw_ips if i != "None") if ip)
    selector = spec.get("selector")
    external_policy = spec.get("externalTrafficPolicy") or "Cluster"
    return Service(
        namespace=namespace,
        name=name,
        type=_intern(svc_type),
        cluster_ips=cluster_ips,
        headless=headless,
        external_ips=tuple(ip for ip in map(address, spec.get("externalIPs") or ()) if ip),
        selector=intern.labels(selector) if selector else None,
        ports=intern.ports(ports),
        external_traffic_policy="Local" if external_policy == "Local" else "Cluster",
        internal_traffic_policy=_intern(spec.get("internalTrafficPolicy") or "Cluster"),
        health_check_node_port=spec.get("healthCheckNodePort") or None,
        load_balancer_ingress=_lb_ingress(obj.get("status") or {}),
        load_balancer_class=spec.get("loadBalancerClass"),
        allocate_lb_node_ports=spec.get("allocateLoadBalancerNodePorts", True) is not False,
        external_name=spec.get("externalName"),
        session_affinity=_intern(spec.get("sessionAffinity") or "None"),
        traffic_distribution=spec.get("trafficDistribution"),
        publish_not_ready=bool(spec.get("publishNotReadyAddresses")),
        labels=intern.labels(meta.get("labels")),
        annotations=_annotations(meta, SERVICE_ANNOTATION_PREFIXES),
    )


#: Service annotations that can change how traffic enters (cloud load balancers, MetalLB,
#: topology); the rest (Helm, tooling) is dropped: 10,000 services each carry some.
SERVICE_ANNOTATION_PREFIXES = (
    "service.beta.kubernetes.io/", "service.kubernetes.io/", "cloud.google.com/",
    "metallb.universe.tf/", "metallb.io/", "networking.gke.io/",
)
#: Node labels kpath shows or routes by; a node's other labels (hostname, instance type,
#: images) make every node's label map unique and are not needed.
NODE_LABEL_PREFIXES = ("topology.kubernetes.io/", "node-role.kubernetes.io/",
                       "node.kubernetes.io/exclude-from-external-load-balancers")


def _routing_labels(raw: Any) -> Any:
    if not isinstance(raw, dict):
        return raw  # intern.labels reports the bad type
    return {k: v for k, v in raw.items() if k.startswith(NODE_LABEL_PREFIXES)}


def _annotations(meta: Mapping[str, Any],
                 prefixes: tuple[str, ...] | None = None) -> Mapping[str, str]:
    """Annotations minus kubectl's copy of the whole manifest (kilobytes), and when
    ``prefixes`` are given, only those that start with one of them."""
    raw = meta.get("annotations")
    if not raw:
        return _EMPTY
    if prefixes is not None:
        return {k: v for k, v in raw.items() if k.startswith(prefixes)} or _EMPTY
    return {k: v for k, v in raw.items() if k != LAST_APPLIED}


def _target(ref: Any, default_ns: str) -> tuple[str | None, ObjectKey | None]:
    if not isinstance(ref, dict) or not ref.get("name"):
        return None, None
    kind = ref.get("kind")
    return (_intern(kind) if kind else None,
            ObjectKey(_intern(ref.get("namespace") or default_ns), ref["name"]))


def _endpoint(intern: Interner, addr: str | None, ready: bool, serving: bool,
              terminating: bool, node: str | None, zone: str | None, hint_zones: tuple[str, ...],
              hint_nodes: tuple[str, ...], ref: Any, namespace: str) -> Endpoint:
    kind, target = _target(ref, namespace) if ref else (None, None)
    if kind == "Pod" and target is not None:
        target = intern.pod_key(target)
        pod = intern.pods.get(target)
        if pod is not None and pod.ip == addr:
            addr = pod.ip  # the same text: keep one copy
    return Endpoint(addr, ready, serving, terminating, _intern(node) if node else None,
                    _intern(zone) if zone else None, hint_zones, hint_nodes, kind, target)


def parse_endpointslice(obj: Mapping[str, Any], intern: Interner) -> EndpointSlice:
    namespace, name = _meta(obj)
    labels = obj["metadata"].get("labels") or _EMPTY
    endpoints = []
    append = endpoints.append
    for ep in obj.get("endpoints") or ():
        cond = ep.get("conditions") or _EMPTY
        # kube-proxy's reading (endpointslicecache.go): a nil ready or serving means true,
        # a nil terminating means false.
        ready = cond.get("ready") is not False
        addresses = ep.get("addresses")
        if not addresses:
            continue  # kube-proxy ignores an endpoint without addresses
        hints = ep.get("hints")
        append(_endpoint(
            intern, address(addresses[0]), ready, cond.get("serving") is not False,
            bool(cond.get("terminating")), ep.get("nodeName"), ep.get("zone"),
            tuple(z["name"] for z in hints.get("forZones") or ()) if hints else (),
            tuple(n["name"] for n in hints.get("forNodes") or ()) if hints else (),
            ep.get("targetRef"), namespace,
        ))
    ports = tuple(
        EndpointPort(p.get("name") or None, p.get("port"), p.get("protocol") or "TCP",
                     p.get("appProtocol"))
        for p in obj.get("ports") or ()
    )
    return EndpointSlice(
        namespace, name, labels.get(SERVICE_NAME_LABEL), obj.get("addressType") or "IPv4",
        intern.ports(ports), tuple(endpoints), "EndpointSlice",
    )


def parse_endpoints(obj: Mapping[str, Any], intern: Interner) -> list[EndpointSlice]:
    """Legacy Endpoints: one slice per subset. notReadyAddresses are never used for traffic."""
    namespace, name = _meta(obj)
    slices = []
    for i, subset in enumerate(obj.get("subsets") or ()):
        endpoints = []
        for ready, key in ((True, "addresses"), (False, "notReadyAddresses")):
            for a in subset.get(key) or ():
                endpoints.append(_endpoint(intern, address(a.get("ip")), ready, ready, False,
                                           a.get("nodeName"), None, (), (), a.get("targetRef"),
                                           namespace))
        ports = tuple(
            EndpointPort(p.get("name") or None, p.get("port"), p.get("protocol") or "TCP",
                         p.get("appProtocol"))
            for p in subset.get("ports") or ()
        )
        slices.append(
            EndpointSlice(namespace, f"{name}/{i}", name, "IPv4", intern.ports(ports),
                          tuple(endpoints), "Endpoints")
        )
    return slices


def _backend(raw: Any) -> IngressBackend | None:
    if not isinstance(raw, dict):
        return None
    service = raw.get("service")
    if isinstance(service, dict):
        port = service.get("port") or {}
        return IngressBackend(service.get("name"), port.get("number"), port.get("name"), None)
    if "serviceName" in raw:  # networking.k8s.io/v1beta1 and extensions/v1beta1
        port = raw.get("servicePort")
        number = port if isinstance(port, int) else None
        name = None if number is not None else (str(port) if port is not None else None)
        return IngressBackend(raw["serviceName"], number, name, None)
    resource = raw.get("resource")
    if isinstance(resource, dict):
        return IngressBackend(None, None, None, f"{resource.get('kind')}/{resource.get('name')}")
    return None


def parse_ingress(obj: Mapping[str, Any], intern: Interner) -> Ingress:
    namespace, name = _meta(obj)
    meta = obj["metadata"]
    spec = obj.get("spec") or {}
    annotations = _annotations(meta)
    class_name = spec.get("ingressClassName")
    from_annotation = False
    if not class_name and annotations.get(INGRESS_CLASS_ANNOTATION):
        class_name, from_annotation = annotations[INGRESS_CLASS_ANNOTATION], True
    rules = []
    for rule in spec.get("rules") or ():
        paths = []
        for p in (rule.get("http") or {}).get("paths") or ():
            backend = _backend(p.get("backend"))
            if backend is not None:
                paths.append(
                    IngressPath(p.get("path") or "/", p.get("pathType") or "ImplementationSpecific",
                                backend)
                )
        rules.append(IngressRule(rule.get("host") or None, tuple(paths)))
    tls_hosts = tuple(h for t in spec.get("tls") or () for h in t.get("hosts") or ())
    return Ingress(
        namespace, name, class_name, from_annotation,
        _backend(spec.get("defaultBackend") or spec.get("backend")),
        tuple(rules), tls_hosts, _lb_ingress(obj.get("status") or {}), annotations,
    )


def parse_ingressclass(obj: Mapping[str, Any], intern: Interner) -> IngressClass:
    meta = obj.get("metadata") or {}
    if not meta.get("name"):
        raise TypeError("metadata.name is missing")
    annotations = meta.get("annotations") or _EMPTY
    return IngressClass(
        meta["name"],
        (obj.get("spec") or {}).get("controller") or "",
        annotations.get(DEFAULT_CLASS_ANNOTATION) == "true",
    )


PARSERS: dict[str, Callable[[Mapping[str, Any], Interner], Any]] = {
    "Node": parse_node,
    "Pod": parse_pod,
    "Service": parse_service,
    "EndpointSlice": parse_endpointslice,
    "Endpoints": parse_endpoints,
    "Ingress": parse_ingress,
    "IngressClass": parse_ingressclass,
}


def parse_error(kind: str, index: int, obj: Any, exc: Exception) -> InputError:
    """One line naming the object that could not be parsed and why."""
    name = None
    if isinstance(obj, dict) and isinstance(obj.get("metadata"), dict) and obj["metadata"].get(
        "name"
    ):
        meta = obj["metadata"]
        name = f"{meta.get('namespace') or ''}/{meta['name']}".lstrip("/")
    where = f"{kind} {name!r}" if name else f"{kind} #{index + 1}"
    reason = f"{type(exc).__name__}: {exc}" if not isinstance(exc, TypeError) else str(exc)
    return InputError(f"{where}: cannot read it ({reason})")
