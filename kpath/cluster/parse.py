"""API dicts → slim records; the one place where the types of the fields kpath reads are checked.

Defaults are the ones the API server fills in, so a hand-written manifest and a live object
parse the same way. Labels and port lists repeat across the pods of one workload, so
identical ones are shared (interned) to keep a large snapshot small.

Types follow what the API server itself accepts (its JSON decoding into Go structs), so
that routing only ever sees well-typed records:

- ``null`` (or a missing key) is the field's absence, everywhere, as Go's decoder reads it;
  a ``null`` label or annotation value is an empty string.
- A value of the wrong type (a list where a string belongs, ``host: [null]``, a mapping for
  a name, a boolean for a port, a string for a boolean) is an `InputError`: the API server
  would have refused the object, so no real cluster holds it and guessing what was meant
  would give wrong paths. Port numbers must also be in range (1-65535; node ports 0-65535,
  0 meaning none), as the API server validates them. The message is one line naming the
  source (file), the object (``Kind namespace/name``) and the field path, e.g.
  ``dump.json: Ingress shop/web: spec.rules[0].host is a list, not a string``.
- Fields kpath does not read are not looked at, whatever they hold; unknown enum values
  (a ``type`` kpath does not know) are kept as text and routed as the API's default would be.

Parsers raise `BadField`; `snapshot.build_snapshot` turns it into the `InputError` with the
object's source, kind and name (`field_error`). The typed readers live in `fields.py`,
shared with the Gateway API parsers (`parse_gateway.py`) and the NetworkPolicy ones
(`parse_netpol.py`); `parser_of` finds any kind's parser.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kpath.cluster.fields import (
    _BOOLISH,
    _EMPTY,
    _STRISH,
    BadField,
    _bool,
    _intern,
    _labels,
    _map,
    _maps,
    _meta,
    _port,
    _str,
    _strs,
)
from kpath.cluster.gatewaykinds import GATEWAY_KINDS
from kpath.cluster.parse_netpol import NETPOL_PARSERS
from kpath.cluster.policykinds import OTHER_POLICY_CLUSTER_SCOPED
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
    Namespace,
    Node,
    NodeAddress,
    ObjectKey,
    Pod,
    Service,
    ServicePort,
)
from kpath.errors import InputError
from kpath.safetext import clean_message

ZONE_LABEL = "topology.kubernetes.io/zone"
#: The label the API server puts on every Namespace (immutable, since Kubernetes 1.22).
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
REDACTED = "***HIDDEN***"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


class Interner:
    """Shares equal label maps and port tuples between records (one per snapshot build)."""

    def __init__(self) -> None:
        self._labels: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
        self._ports: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        #: The pods index, once built: endpoints that point at a pod share its key and its
        #: address string instead of holding equal copies (a pod's worth of bytes each).
        self.pods: Mapping[ObjectKey, Any] = {}
        self._pod_keys: dict[ObjectKey, ObjectKey] = {}
        #: kind -> records a source already parsed as it read, in its order (a live read
        #: parses its biggest kinds page by page): `build_snapshot` takes them as they are.
        self.parsed: dict[str, list[Any]] = {}

    def index_pods(self, pods: Mapping[ObjectKey, Any]) -> None:
        self.pods = pods
        self._pod_keys = {k: k for k in pods}

    def pod_key(self, key: ObjectKey) -> ObjectKey:
        return self._pod_keys.get(key, key)

    def labels(self, raw: Mapping[str, str]) -> Mapping[str, str]:
        """The shared copy of a label map already checked by `_labels`."""
        if not raw:
            return _EMPTY
        key = tuple(raw.items())
        shared = self._labels.get(key)
        if shared is None:
            shared = {_intern(k): _intern(v) for k, v in raw.items()}
            self._labels[key] = shared
        return shared

    def ports(self, ports: tuple[Any, ...]) -> tuple[Any, ...]:
        return self._ports.setdefault(ports, ports)


def address(value: Any, *where: str | int) -> str | None:
    """An address, or None when it is missing or redacted by a support-bundle tool."""
    text = _str(value, *where)
    if not text or text == REDACTED:
        return None
    return text


def _conditions(status: Mapping[str, Any]) -> bool | None:
    """The Ready condition: True, False, or None when there is none."""
    conditions = status.get("conditions")
    if not conditions:
        return None
    for i, cond in enumerate(_maps(conditions, "status", "conditions")):
        kind = cond.get("type")
        if kind == "Ready":
            ready = cond.get("status")
            if type(ready) is not str:
                _str(ready, "status", "conditions", i, "status")
            return ready == "True"
        if type(kind) not in _STRISH:
            _str(kind, "status", "conditions", i, "type")
    return None


def parse_node(obj: Mapping[str, Any], intern: Interner) -> Node:
    meta, _, name = _meta(obj, namespaced=False)
    spec = _map(obj.get("spec"), "spec")
    status = _map(obj.get("status"), "status")
    labels = intern.labels(_routing_labels(_labels(meta.get("labels"), "metadata", "labels")))
    ready = _conditions(status)
    addresses = tuple(
        NodeAddress(
            _str(a.get("type"), "status", "addresses", i, "type") or "",
            address(a.get("address"), "status", "addresses", i, "address"),
        )
        for i, a in enumerate(_maps(status.get("addresses"), "status", "addresses"))
    )
    # Only the GA label: kube-proxy's topology hints and the EndpointSlice controller's
    # endpoint zones read topology.kubernetes.io/zone and ignore the deprecated beta label.
    zone = labels.get(ZONE_LABEL)
    unschedulable = _bool(spec.get("unschedulable"), "spec", "unschedulable")
    return Node(_intern(name), addresses, zone, ready, bool(unschedulable), labels)


def _container_ports(spec: Mapping[str, Any]) -> list[ContainerPort]:
    ports = []
    for c_i, c in enumerate(_maps(spec.get("containers"), "spec", "containers")):
        listed = c.get("ports")
        if not listed:
            continue
        if type(listed) is not list:
            listed = _maps(listed, "spec", "containers", c_i, "ports")
        for p_i, p in enumerate(listed):
            if type(p) is not dict:
                p = _map(p, "spec", "containers", c_i, "ports", p_i)
            number, name, protocol = p.get("containerPort"), p.get("name"), p.get("protocol")
            if (
                type(number) is not int
                or not 0 < number <= 65535
                or type(name) not in _STRISH
                or type(protocol) not in _STRISH
            ):
                where = ("spec", "containers", c_i, "ports", p_i)
                if _port(number, *where, "containerPort") is None:
                    raise BadField((*where, "containerPort"), None, "")
                _str(name, *where, "name")
                _str(protocol, *where, "protocol")
            ports.append(ContainerPort(name, number, protocol or "TCP"))
    return ports


def parse_pod(obj: Mapping[str, Any], intern: Interner) -> Pod:
    meta, namespace, name = _meta(obj)
    spec, status = obj.get("spec"), obj.get("status")
    if type(spec) is not dict:
        spec = _map(spec, "spec")
    if type(status) is not dict:
        status = _map(status, "status")
    ports = _container_ports(spec) if spec.get("containers") else ()
    ready = _conditions(status)
    node, host_network = spec.get("nodeName"), spec.get("hostNetwork")
    ip, phase = status.get("podIP"), status.get("phase")
    deleted = meta.get("deletionTimestamp")
    if (
        type(node) not in _STRISH
        or type(ip) not in _STRISH
        or type(phase) not in _STRISH
        or type(deleted) not in _STRISH
        or type(host_network) not in _BOOLISH
    ):
        _str(node, "spec", "nodeName")
        _bool(host_network, "spec", "hostNetwork")
        _str(ip, "status", "podIP")
        _str(phase, "status", "phase")
        _str(deleted, "metadata", "deletionTimestamp")
    return Pod(
        namespace,
        name,
        _intern(node) if node else None,
        ip if ip and ip != REDACTED else None,
        bool(host_network),
        _intern(phase or "Unknown"),
        bool(ready),
        deleted is not None,
        intern.labels(_labels(meta.get("labels"), "metadata", "labels")),
        intern.ports(tuple(ports)),
    )


def _target_port(value: Any, port: int, *where: str | int) -> int | str:
    """IntOrString: a number, or a container port's name; 0 and "" default to the port."""
    if value is None:
        return port  # the API server defaults targetPort to port
    if type(value) is str:
        if value.isdigit() and len(value) <= 5:
            return int(value) or port
        return value or port
    if type(value) is int and value == 0:
        return port
    if type(value) is not int:
        raise BadField(where, value, "a port number or name")
    number = _port(value, *where)
    assert number is not None
    return number


def _lb_ingress(status: Mapping[str, Any]) -> tuple[LoadBalancerIngress, ...]:
    lb = _map(status.get("loadBalancer"), "status", "loadBalancer")
    where = ("status", "loadBalancer", "ingress")
    return tuple(
        LoadBalancerIngress(
            address(i.get("ip"), *where, n, "ip"),
            _str(i.get("hostname"), *where, n, "hostname") or None,
            _str(i.get("ipMode"), *where, n, "ipMode"),
        )
        for n, i in enumerate(_maps(lb.get("ingress"), *where))
    )


def _service_port(p: Mapping[str, Any], i: int) -> ServicePort:
    where = ("spec", "ports", i)
    port = _port(p.get("port"), *where, "port")
    if port is None:
        raise BadField((*where, "port"), None, "")
    return ServicePort(
        _str(p.get("name"), *where, "name") or None,
        _str(p.get("protocol"), *where, "protocol") or "TCP",
        port,
        _target_port(p.get("targetPort"), port, *where, "targetPort"),
        _port(p.get("nodePort"), *where, "nodePort", low=0) or None,
        _str(p.get("appProtocol"), *where, "appProtocol"),
    )


def parse_service(obj: Mapping[str, Any], intern: Interner) -> Service:
    meta, namespace, name = _meta(obj)
    spec = _map(obj.get("spec"), "spec")
    svc_type = _str(spec.get("type"), "spec", "type") or "ClusterIP"
    ports = tuple(
        _service_port(p, i) for i, p in enumerate(_maps(spec.get("ports"), "spec", "ports"))
    )
    raw_ips = _strs(spec.get("clusterIPs"), "spec", "clusterIPs")
    if not raw_ips:
        one = _str(spec.get("clusterIP"), "spec", "clusterIP")
        raw_ips = (one,) if one else ()
    headless = "None" in raw_ips
    cluster_ips = tuple(ip for ip in (address(i) for i in raw_ips if i != "None") if ip)
    selector = _labels(spec.get("selector"), "spec", "selector")
    external_policy = _str(spec.get("externalTrafficPolicy"), "spec", "externalTrafficPolicy")
    internal_policy = _str(spec.get("internalTrafficPolicy"), "spec", "internalTrafficPolicy")
    allocate = _bool(
        spec.get("allocateLoadBalancerNodePorts"), "spec", "allocateLoadBalancerNodePorts"
    )
    affinity = _str(spec.get("sessionAffinity"), "spec", "sessionAffinity")
    timeout = _affinity_timeout(spec) if affinity == "ClientIP" else None
    return Service(
        namespace=namespace,
        name=name,
        type=_intern(svc_type),
        cluster_ips=cluster_ips,
        headless=headless,
        external_ips=tuple(
            ip for ip in map(address, _strs(spec.get("externalIPs"), "spec", "externalIPs")) if ip
        ),
        selector=intern.labels(selector) if selector else None,
        ports=intern.ports(ports),
        external_traffic_policy="Local" if external_policy == "Local" else "Cluster",
        internal_traffic_policy=_intern(internal_policy or "Cluster"),
        health_check_node_port=_port(
            spec.get("healthCheckNodePort"), "spec", "healthCheckNodePort", low=0
        )
        or None,
        load_balancer_ingress=_lb_ingress(_map(obj.get("status"), "status")),
        load_balancer_class=_str(spec.get("loadBalancerClass"), "spec", "loadBalancerClass"),
        allocate_lb_node_ports=allocate is not False,
        external_name=_str(spec.get("externalName"), "spec", "externalName"),
        session_affinity=_intern(affinity or "None"),
        session_affinity_timeout=timeout,
        traffic_distribution=_str(spec.get("trafficDistribution"), "spec", "trafficDistribution"),
        publish_not_ready=bool(
            _bool(spec.get("publishNotReadyAddresses"), "spec", "publishNotReadyAddresses")
        ),
        labels=intern.labels(_labels(meta.get("labels"), "metadata", "labels")),
        annotations=_annotations(meta, SERVICE_ANNOTATION_PREFIXES),
    )


#: Service annotations that can change how traffic enters (cloud load balancers, MetalLB,
#: topology); the rest (Helm, tooling) is dropped: 10,000 services each carry some.
SERVICE_ANNOTATION_PREFIXES = (
    "service.beta.kubernetes.io/",
    "service.kubernetes.io/",
    "cloud.google.com/",
    "metallb.universe.tf/",
    "metallb.io/",
    "networking.gke.io/",
)
#: Node labels kpath shows or routes by; a node's other labels (hostname, instance type,
#: images) make every node's label map unique and are not needed.
NODE_LABEL_PREFIXES = (
    "topology.kubernetes.io/",
    "node-role.kubernetes.io/",
    "node.kubernetes.io/exclude-from-external-load-balancers",
)


#: The API server's default for sessionAffinityConfig.clientIP.timeoutSeconds (3 hours).
DEFAULT_AFFINITY_TIMEOUT = 10800


def _affinity_timeout(spec: Mapping[str, Any]) -> int:
    """ClientIP affinity's timeout in seconds (1-86400, as the API validates it)."""
    where = ("spec", "sessionAffinityConfig", "clientIP", "timeoutSeconds")
    client_ip = _map(_map(spec.get(where[1]), *where[:2]).get(where[2]), *where[:3])
    value = client_ip.get(where[3])
    if value is None:
        return DEFAULT_AFFINITY_TIMEOUT
    if type(value) is int and 1 <= value <= 86400:
        return value
    raise BadField(where, value, "a number of seconds (1-86400)")


def _routing_labels(raw: Mapping[str, str]) -> Mapping[str, str]:
    return {k: v for k, v in raw.items() if k.startswith(NODE_LABEL_PREFIXES)}


def _annotations(
    meta: Mapping[str, Any], prefixes: tuple[str, ...] | None = None
) -> Mapping[str, str]:
    """Annotations minus kubectl's copy of the whole manifest (kilobytes), and when
    ``prefixes`` are given, only those that start with one of them."""
    raw = _labels(meta.get("annotations"), "metadata", "annotations")
    if not raw:
        return _EMPTY
    if prefixes is not None:
        return {k: v for k, v in raw.items() if k.startswith(prefixes)} or _EMPTY
    return {k: v for k, v in raw.items() if k != LAST_APPLIED}


def _target(ref: Any, default_ns: str, *where: str | int) -> tuple[str | None, ObjectKey | None]:
    if type(ref) is not dict:
        ref = _map(ref, *where)
    name, kind, namespace = ref.get("name"), ref.get("kind"), ref.get("namespace")
    if type(name) not in _STRISH or type(kind) not in _STRISH or type(namespace) not in _STRISH:
        _str(name, *where, "name")
        _str(kind, *where, "kind")
        _str(namespace, *where, "namespace")
    if not name:
        return None, None
    return (_intern(kind) if kind else None, ObjectKey(_intern(namespace or default_ns), name))


def _endpoint(
    intern: Interner,
    addr: str | None,
    ready: bool,
    serving: bool,
    terminating: bool,
    node: str | None,
    zone: str | None,
    hint_zones: tuple[str, ...],
    hint_nodes: tuple[str, ...],
    ref: Any,
    namespace: str,
    *where: str | int,
) -> Endpoint:
    kind, target = _target(ref, namespace, *where, "targetRef") if ref else (None, None)
    if kind == "Pod" and target is not None:
        target = intern.pod_key(target)
        pod = intern.pods.get(target)
        if pod is not None and pod.ip == addr:
            addr = pod.ip  # the same text: keep one copy
    return Endpoint(
        addr,
        ready,
        serving,
        terminating,
        _intern(node) if node else None,
        _intern(zone) if zone else None,
        hint_zones,
        hint_nodes,
        kind,
        target,
    )


def _hint_names(hints: Mapping[str, Any], key: str, *where: str | int) -> tuple[str, ...]:
    names = []
    for i, h in enumerate(_maps(hints.get(key), *where, key)):
        name = _str(h.get("name"), *where, key, i, "name")
        if name:
            names.append(name)
    return tuple(names)


def _endpoint_ports(raw: Any, *where: str | int) -> tuple[EndpointPort, ...]:
    return tuple(
        EndpointPort(
            _str(p.get("name"), *where, i, "name") or None,
            _port(p.get("port"), *where, i, "port", low=0),
            _str(p.get("protocol"), *where, i, "protocol") or "TCP",
            _str(p.get("appProtocol"), *where, i, "appProtocol"),
        )
        for i, p in enumerate(_maps(raw, *where))
    )


def parse_endpointslice(obj: Mapping[str, Any], intern: Interner) -> EndpointSlice:
    meta, namespace, name = _meta(obj)
    labels = _labels(meta.get("labels"), "metadata", "labels")
    endpoints: list[Endpoint] = []
    append = endpoints.append
    for i, ep in enumerate(_maps(obj.get("endpoints"), "endpoints")):
        cond = ep.get("conditions")
        if type(cond) is not dict:
            cond = _map(cond, "endpoints", i, "conditions")
        # kube-proxy's reading (endpointslicecache.go): a nil ready or serving means true,
        # a nil terminating means false.
        ready, serving = cond.get("ready"), cond.get("serving")
        terminating = cond.get("terminating")
        node, zone, hints = ep.get("nodeName"), ep.get("zone"), ep.get("hints")
        if (
            type(ready) not in _BOOLISH
            or type(serving) not in _BOOLISH
            or type(terminating) not in _BOOLISH
            or type(node) not in _STRISH
            or type(zone) not in _STRISH
        ):
            for key, value in (
                ("ready", ready),
                ("serving", serving),
                ("terminating", terminating),
            ):
                _bool(value, "endpoints", i, "conditions", key)
            _str(node, "endpoints", i, "nodeName")
            _str(zone, "endpoints", i, "zone")
        if hints is not None:
            hints = _map(hints, "endpoints", i, "hints")
        addresses = _strs(ep.get("addresses"), "endpoints", i, "addresses")
        if not addresses:
            continue  # kube-proxy ignores an endpoint without addresses
        append(
            _endpoint(
                intern,
                address(addresses[0]),
                ready is not False,
                serving is not False,
                bool(terminating),
                node,
                zone,
                _hint_names(hints, "forZones", "endpoints", i, "hints") if hints else (),
                _hint_names(hints, "forNodes", "endpoints", i, "hints") if hints else (),
                ep.get("targetRef"),
                namespace,
                "endpoints",
                i,
            )
        )
    ports = _endpoint_ports(obj.get("ports"), "ports")
    address_type = _str(obj.get("addressType"), "addressType")
    return EndpointSlice(
        namespace,
        name,
        labels.get(SERVICE_NAME_LABEL) or None,
        address_type or "IPv4",
        intern.ports(ports),
        tuple(endpoints),
        "EndpointSlice",
    )


def parse_endpoints(obj: Mapping[str, Any], intern: Interner) -> list[EndpointSlice]:
    """Legacy Endpoints: one slice per subset. notReadyAddresses are never used for traffic."""
    _, namespace, name = _meta(obj)
    slices = []
    for i, subset in enumerate(_maps(obj.get("subsets"), "subsets")):
        endpoints = []
        for ready, key in ((True, "addresses"), (False, "notReadyAddresses")):
            for n, a in enumerate(_maps(subset.get(key), "subsets", i, key)):
                where = ("subsets", i, key, n)
                endpoints.append(
                    _endpoint(
                        intern,
                        address(a.get("ip"), *where, "ip"),
                        ready,
                        ready,
                        False,
                        _str(a.get("nodeName"), *where, "nodeName"),
                        None,
                        (),
                        (),
                        a.get("targetRef"),
                        namespace,
                        *where,
                    )
                )
        ports = _endpoint_ports(subset.get("ports"), "subsets", i, "ports")
        slices.append(
            EndpointSlice(
                namespace,
                f"{name}/{i}",
                name,
                "IPv4",
                intern.ports(ports),
                tuple(endpoints),
                "Endpoints",
            )
        )
    return slices


def _backend(raw: Any, *where: str | int) -> IngressBackend | None:
    raw = _map(raw, *where)
    if raw.get("service") is not None:
        service = _map(raw["service"], *where, "service")
        port = _map(service.get("port"), *where, "service", "port")
        name = _str(service.get("name"), *where, "service", "name")
        if not name:
            raise BadField((*where, "service", "name"), name, "a Service name")
        return IngressBackend(
            name,
            _port(port.get("number"), *where, "service", "port", "number", low=0) or None,
            _str(port.get("name"), *where, "service", "port", "name"),
            None,
        )
    if "serviceName" in raw:  # networking.k8s.io/v1beta1 and extensions/v1beta1
        service_name = _str(raw.get("serviceName"), *where, "serviceName")
        if not service_name:
            raise BadField((*where, "serviceName"), service_name, "a Service name")
        port = raw.get("servicePort")
        if type(port) is str:
            return IngressBackend(service_name, None, port or None, None)
        return IngressBackend(
            service_name, _port(port, *where, "servicePort", low=0) or None, None, None
        )
    resource = _map(raw.get("resource"), *where, "resource")
    if resource:
        kind = _str(resource.get("kind"), *where, "resource", "kind")
        name = _str(resource.get("name"), *where, "resource", "name")
        return IngressBackend(None, None, None, f"{kind}/{name}")
    return None


def parse_ingress(obj: Mapping[str, Any], intern: Interner) -> Ingress:
    meta, namespace, name = _meta(obj)
    spec = _map(obj.get("spec"), "spec")
    annotations = _annotations(meta)
    class_name = _str(spec.get("ingressClassName"), "spec", "ingressClassName")
    from_annotation = False
    if not class_name and annotations.get(INGRESS_CLASS_ANNOTATION):
        class_name, from_annotation = annotations[INGRESS_CLASS_ANNOTATION], True
    rules = []
    for r_i, rule in enumerate(_maps(spec.get("rules"), "spec", "rules")):
        paths = []
        http = _map(rule.get("http"), "spec", "rules", r_i, "http")
        for p_i, p in enumerate(_maps(http.get("paths"), "spec", "rules", r_i, "http", "paths")):
            where = ("spec", "rules", r_i, "http", "paths", p_i)
            backend = _backend(p.get("backend"), *where, "backend")
            path = _str(p.get("path"), *where, "path")
            path_type = _str(p.get("pathType"), *where, "pathType")
            if backend is not None:
                paths.append(
                    IngressPath(path or "/", path_type or "ImplementationSpecific", backend)
                )
        host = _str(rule.get("host"), "spec", "rules", r_i, "host")
        rules.append(IngressRule(host or None, tuple(paths)))
    tls_hosts = tuple(
        h
        for i, t in enumerate(_maps(spec.get("tls"), "spec", "tls"))
        for h in _strs(t.get("hosts"), "spec", "tls", i, "hosts")
        if h
    )
    # networking.k8s.io/v1 calls it defaultBackend; v1beta1 called it backend.
    key = (
        "defaultBackend"
        if _map(spec.get("defaultBackend"), "spec", "defaultBackend")
        else ("backend")
    )
    default = _backend(spec.get(key), "spec", key)
    return Ingress(
        namespace,
        name,
        class_name or None,
        from_annotation,
        default,
        tuple(rules),
        tls_hosts,
        _lb_ingress(_map(obj.get("status"), "status")),
        annotations,
        # ingress-nginx keeps the oldest Ingress's rule where two claim one path (KP206).
        _str(meta.get("creationTimestamp"), "metadata", "creationTimestamp") or "",
    )


def parse_ingressclass(obj: Mapping[str, Any], intern: Interner) -> IngressClass:
    meta, _, name = _meta(obj, namespaced=False)
    annotations = _labels(meta.get("annotations"), "metadata", "annotations")
    spec = _map(obj.get("spec"), "spec")
    return IngressClass(
        name,
        _str(spec.get("controller"), "spec", "controller") or "",
        annotations.get(DEFAULT_CLASS_ANNOTATION) == "true",
    )


def parse_namespace(obj: Mapping[str, Any], intern: Interner) -> Namespace:
    meta, _, name = _meta(obj, namespaced=False)
    labels = _labels(meta.get("labels"), "metadata", "labels")
    if labels.get(NAMESPACE_NAME_LABEL) != name:  # the API server sets it on every one
        labels = {**labels, NAMESPACE_NAME_LABEL: name}
    return Namespace(_intern(name), intern.labels(labels))


Parser = Callable[[Mapping[str, Any], Interner], Any]

#: Kind -> its parser, but for the Gateway API kinds: `parser_of` has every kind.
_PARSERS: dict[str, Parser] = {
    "Node": parse_node,
    "Pod": parse_pod,
    "Service": parse_service,
    "EndpointSlice": parse_endpointslice,
    "Endpoints": parse_endpoints,
    "Ingress": parse_ingress,
    "IngressClass": parse_ingressclass,
    "Namespace": parse_namespace,
    **NETPOL_PARSERS,  # NetworkPolicy, and the policy kinds only listed (not evaluated)
}


def parser_of(kind: str) -> Parser:
    """The parser of a kind kpath reads (`raw.KINDS`); KeyError for any other kind. The
    Gateway API's are imported when first asked for: a cluster without Gateways never
    defines their records."""
    if kind in GATEWAY_KINDS:
        from kpath.cluster.parse_gateway import GATEWAY_PARSERS

        return GATEWAY_PARSERS[kind]
    return _PARSERS[kind]


#: Kinds without a namespace: named by name alone.
CLUSTER_SCOPED = (
    frozenset({"Node", "IngressClass", "Namespace", "GatewayClass"}) | OTHER_POLICY_CLUSTER_SCOPED
)


def object_name(kind: str, index: int, obj: Any) -> str:
    """``Kind namespace/name`` (``Kind name`` for cluster-scoped kinds, ``Kind #n`` if unnamed)."""
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    name = meta.get("name") if isinstance(meta, dict) else None
    if not isinstance(name, str) or not name:
        return f"{kind} #{index + 1}"
    if kind in CLUSTER_SCOPED:
        return f"{kind} {name}"
    namespace = meta.get("namespace")  # type: ignore[union-attr]
    return f"{kind} {namespace if isinstance(namespace, str) and namespace else 'default'}/{name}"


def field_error(source: str, kind: str, index: int, obj: Any, exc: Exception) -> InputError:
    """One line naming the source, the object and the field that could not be read."""
    where = object_name(kind, index, obj)
    if isinstance(exc, BadField):
        reason = str(exc)
    else:  # a safety net: a parser bug must still be one line, never a traceback
        reason = f"cannot read it ({type(exc).__name__}: {exc})"
    prefix = f"{source}: " if source else ""
    return InputError(clean_message(f"{prefix}{where}: {reason}"))
