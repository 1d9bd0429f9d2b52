"""Slim, immutable records of the cluster objects kpath routes with.

Each record keeps only the fields routing and display need. They are NamedTuples because
a snapshot of a large cluster holds hundreds of thousands of them: tuples are small and
cheap to build, and immutable. Parsing from API dicts lives in `parse.py`.

Addresses that a dump redacted (``***HIDDEN***``) are carried as ``None``: unknown.
"""

# No `from __future__ import annotations` here: typing.NamedTuple compiles each annotation
# it is given as a string into a ForwardRef, which made importing these classes cost twice
# what it does with the annotations evaluated (every name is defined above its use).

from collections.abc import Mapping
from typing import NamedTuple

Labels = Mapping[str, str]


class ObjectKey(NamedTuple):
    """Namespace and name of a namespaced object."""

    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


class NodeAddress(NamedTuple):
    type: str  # InternalIP, ExternalIP, Hostname, InternalDNS, ExternalDNS
    address: str | None


class Node(NamedTuple):
    name: str
    addresses: tuple[NodeAddress, ...]
    zone: str | None
    ready: bool | None  # None: the node reports no Ready condition
    unschedulable: bool
    labels: Labels

    def address_of(self, *types: str) -> str | None:
        """The first known address of the given types, in the order asked."""
        for wanted in types:
            for a in self.addresses:
                if a.type == wanted and a.address:
                    return a.address
        return None

    @property
    def ip(self) -> str | None:
        return self.address_of("InternalIP", "ExternalIP")


class ContainerPort(NamedTuple):
    name: str | None
    port: int
    protocol: str


class Pod(NamedTuple):
    namespace: str
    name: str
    node: str | None
    ip: str | None
    host_network: bool
    phase: str
    ready: bool
    terminating: bool  # metadata.deletionTimestamp is set
    labels: Labels
    ports: tuple[ContainerPort, ...]

    @property
    def key(self) -> ObjectKey:
        return ObjectKey(self.namespace, self.name)


class ServicePort(NamedTuple):
    name: str | None
    protocol: str
    port: int
    target_port: int | str  # a number, or the name of a container port
    node_port: int | None
    app_protocol: str | None

    def label(self) -> str:
        """How kubectl prints a port: ``80/TCP``, with the name when it has one."""
        text = f"{self.port}/{self.protocol}"
        return f"{self.name}:{text}" if self.name else text


class LoadBalancerIngress(NamedTuple):
    ip: str | None
    hostname: str | None
    ip_mode: str | None  # "VIP" (default) or "Proxy"

    @property
    def address(self) -> str | None:
        return self.ip or self.hostname


class Service(NamedTuple):
    namespace: str
    name: str
    type: str  # ClusterIP, NodePort, LoadBalancer, ExternalName
    cluster_ips: tuple[str, ...]  # "None" for headless services is kept as ()
    headless: bool
    external_ips: tuple[str, ...]
    selector: Labels | None  # None: endpoints are managed by hand
    ports: tuple[ServicePort, ...]
    external_traffic_policy: str  # Cluster or Local
    internal_traffic_policy: str  # Cluster or Local
    health_check_node_port: int | None
    load_balancer_ingress: tuple[LoadBalancerIngress, ...]
    load_balancer_class: str | None
    allocate_lb_node_ports: bool
    external_name: str | None
    session_affinity: str
    traffic_distribution: str | None
    publish_not_ready: bool
    labels: Labels
    annotations: Labels
    #: sessionAffinityConfig.clientIP.timeoutSeconds under ClientIP affinity (the API's
    #: default 10800 when unset), else None.
    session_affinity_timeout: int | None = None

    @property
    def key(self) -> ObjectKey:
        return ObjectKey(self.namespace, self.name)

    @property
    def is_external(self) -> bool:
        """Traffic can enter from outside the cluster (externalTrafficPolicy applies)."""
        return self.type in ("NodePort", "LoadBalancer") or bool(self.external_ips)


class EndpointPort(NamedTuple):
    name: str | None
    port: int | None
    protocol: str
    app_protocol: str | None


class Endpoint(NamedTuple):
    """One endpoint. Only its first address is kept: it is the only one kube-proxy programs
    (endpointslicecache.go), and a large cluster holds one of these per pod."""

    address: str | None  # None when a dump redacted it
    ready: bool
    serving: bool
    terminating: bool
    node: str | None
    zone: str | None
    hint_zones: tuple[str, ...]
    hint_nodes: tuple[str, ...]
    target_kind: str | None  # Pod, Node, ...
    target: ObjectKey | None


class EndpointSlice(NamedTuple):
    """An EndpointSlice, or a legacy Endpoints object carried in the same shape.

    ``origin`` says which: ``EndpointSlice``, ``Endpoints`` (legacy: no zones, no hints,
    notReadyAddresses are neither ready nor serving), or ``Pods`` (derived by kpath from
    the selector because the dump carried neither).
    """

    namespace: str
    name: str
    service: str | None  # the kubernetes.io/service-name label
    address_type: str
    ports: tuple[EndpointPort, ...]
    endpoints: tuple[Endpoint, ...]
    origin: str


class IngressBackend(NamedTuple):
    service: str | None
    port_number: int | None
    port_name: str | None
    resource: str | None  # "Kind/name" for a non-Service backend

    def label(self) -> str:
        if self.service is None:
            return f"resource {self.resource}"
        port = self.port_number if self.port_number is not None else self.port_name
        return f"{self.service}:{port}"


class IngressPath(NamedTuple):
    path: str
    path_type: str  # Exact, Prefix, ImplementationSpecific
    backend: IngressBackend


class IngressRule(NamedTuple):
    host: str | None  # None: every host
    paths: tuple[IngressPath, ...]


class Ingress(NamedTuple):
    namespace: str
    name: str
    class_name: str | None  # spec.ingressClassName, or the legacy annotation
    class_from_annotation: bool
    default_backend: IngressBackend | None
    rules: tuple[IngressRule, ...]
    tls_hosts: tuple[str, ...]
    load_balancer_ingress: tuple[LoadBalancerIngress, ...]
    annotations: Labels
    creation: str = ""  # metadata.creationTimestamp (RFC 3339); "" when the input has none

    @property
    def key(self) -> ObjectKey:
        return ObjectKey(self.namespace, self.name)


class IngressClass(NamedTuple):
    name: str
    controller: str
    is_default: bool


class Namespace(NamedTuple):
    name: str
    labels: Labels  # includes kubernetes.io/metadata.name, as the API server sets it


class SelectorRequirement(NamedTuple):
    key: str
    operator: str  # In, NotIn, Exists, DoesNotExist
    values: tuple[str, ...]


class LabelSelector(NamedTuple):
    """A metav1.LabelSelector (NetworkPolicies, Gateway allowedRoutes). An empty one
    selects everything."""

    match_labels: tuple[tuple[str, str], ...]
    match_expressions: tuple[SelectorRequirement, ...]
