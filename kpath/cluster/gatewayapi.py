"""Slim records of Gateway API objects (gateway.networking.k8s.io).

The same NamedTuple style as `records.py`: only what routing, findings and display read.
Defaults are the ones the API server's CRD schema fills in (a port's ``weight`` is 1, a
path match is ``PathPrefix /``, ``allowedRoutes.namespaces.from`` is ``Same``), so a
hand-written manifest and a live object parse alike. Parsing lives in `parse_gateway.py`;
the group and kind names, and `GatewayObjects` (a snapshot's Gateway API records), in
`gatewaykinds.py`, so that a cluster without Gateways never defines these records.
Namespaces and label selectors are core records (`records.py`).

Routes of every kind (HTTPRoute, GRPCRoute, TLSRoute, TCPRoute, UDPRoute) share one record,
`Route`; fields a kind does not have are empty.
"""

# Annotations evaluated, not strings: see records.py (typing.NamedTuple compiles each
# string annotation).

from typing import NamedTuple

from kpath.cluster.records import Labels, LabelSelector, ObjectKey


class Condition(NamedTuple):
    type: str  # Accepted, Programmed, ResolvedRefs, ...
    status: str  # "True", "False", "Unknown"
    reason: str
    message: str
    observed_generation: int | None


class RouteGroupKind(NamedTuple):
    group: str  # "gateway.networking.k8s.io" unless the manifest says otherwise
    kind: str


class AllowedRoutes(NamedTuple):
    namespaces_from: str  # Same (default), All, Selector, None
    selector: LabelSelector | None  # for Selector
    kinds: tuple[RouteGroupKind, ...]  # empty: the kinds the listener's protocol allows


class SecretRef(NamedTuple):
    group: str
    kind: str  # Secret
    namespace: str | None  # None: the listener's own namespace
    name: str


class Listener(NamedTuple):
    name: str
    hostname: str | None  # None: every host; may be a wildcard "*.example.com"
    port: int
    protocol: str  # HTTP, HTTPS, TLS, TCP, UDP (or an implementation's own)
    tls_mode: str | None  # Terminate (default for HTTPS/TLS) or Passthrough; None without tls
    certificate_refs: tuple[SecretRef, ...]
    allowed_routes: AllowedRoutes


class ListenerStatus(NamedTuple):
    name: str
    attached_routes: int | None
    supported_kinds: tuple[RouteGroupKind, ...]
    conditions: tuple[Condition, ...]


class GatewayAddress(NamedTuple):
    type: str  # IPAddress (default), Hostname, or an implementation's own
    value: str


class GatewayClass(NamedTuple):
    name: str
    controller: str  # spec.controllerName
    conditions: tuple[Condition, ...]


class Gateway(NamedTuple):
    namespace: str
    name: str
    class_name: str
    listeners: tuple[Listener, ...]
    spec_addresses: tuple[GatewayAddress, ...]  # what was asked for
    addresses: tuple[GatewayAddress, ...]  # status.addresses: what the implementation gave
    conditions: tuple[Condition, ...]
    listener_status: tuple[ListenerStatus, ...]
    #: spec.allowedListeners.namespaces.from (None: no ListenerSet may attach) and selector
    allowed_listeners_from: str | None
    allowed_listeners_selector: LabelSelector | None
    infrastructure_labels: Labels  # spec.infrastructure.labels, copied onto its Service
    labels: Labels
    annotations: Labels
    creation: str  # metadata.creationTimestamp (RFC 3339; "" when absent)
    generation: int | None

    @property
    def key(self) -> ObjectKey:
        return ObjectKey(self.namespace, self.name)


class ParentRef(NamedTuple):
    group: str  # gateway.networking.k8s.io
    kind: str  # Gateway (default) or ListenerSet
    namespace: str | None  # None: the route's own namespace
    name: str
    section_name: str | None
    port: int | None


class ListenerSet(NamedTuple):
    namespace: str
    name: str
    parent: ParentRef  # spec.parentRef: the Gateway it adds listeners to
    listeners: tuple[Listener, ...]
    conditions: tuple[Condition, ...]
    listener_status: tuple[ListenerStatus, ...]
    creation: str

    @property
    def key(self) -> ObjectKey:
        return ObjectKey(self.namespace, self.name)


class PathMatch(NamedTuple):
    type: str  # Exact, PathPrefix (default), RegularExpression
    value: str  # default "/"


class HeaderMatch(NamedTuple):
    """An HTTP header or query-parameter match."""

    type: str  # Exact (default) or RegularExpression
    name: str
    value: str


class RouteMatch(NamedTuple):
    """One HTTPRoute or GRPCRoute match: every field given must hold (AND)."""

    path: PathMatch | None  # HTTPRoute; None in a GRPCRoute
    headers: tuple[HeaderMatch, ...]
    query_params: tuple[HeaderMatch, ...]  # HTTPRoute only
    method: str | None  # HTTPRoute: GET, POST, ...
    grpc_type: str | None  # GRPCRoute method match: Exact (default) or RegularExpression
    grpc_service: str | None
    grpc_method: str | None


class PathModifier(NamedTuple):
    type: str  # ReplaceFullPath or ReplacePrefixMatch
    value: str  # replaceFullPath or replacePrefixMatch


class RequestRedirect(NamedTuple):
    scheme: str | None
    hostname: str | None
    port: int | None
    path: PathModifier | None
    status_code: int  # 302 by default


class URLRewrite(NamedTuple):
    hostname: str | None
    path: PathModifier | None


class RouteFilter(NamedTuple):
    """A filter. Only those that change where traffic goes are read in full; the others
    (header modifiers, mirrors, extension refs) are kept by type so they can be named."""

    type: str  # RequestRedirect, URLRewrite, RequestHeaderModifier, RequestMirror, ...
    redirect: RequestRedirect | None
    rewrite: URLRewrite | None


class BackendRef(NamedTuple):
    group: str  # "" for core Services
    kind: str  # Service (default)
    namespace: str | None  # None: the route's own namespace
    name: str
    port: int | None
    weight: int  # 1 by default; 0 sends nothing


class RouteRule(NamedTuple):
    name: str | None  # rules[].name (v1.2+); None when unnamed
    matches: tuple[RouteMatch, ...]  # HTTP/GRPC: empty means one match of everything
    filters: tuple[RouteFilter, ...]
    backends: tuple[BackendRef, ...]


class RouteParentStatus(NamedTuple):
    parent: ParentRef
    controller: str
    conditions: tuple[Condition, ...]


class Route(NamedTuple):
    kind: str  # one of ROUTE_KINDS
    namespace: str
    name: str
    parents: tuple[ParentRef, ...]
    hostnames: tuple[str, ...]  # HTTPRoute, GRPCRoute, TLSRoute; empty: every host
    rules: tuple[RouteRule, ...]
    status: tuple[RouteParentStatus, ...]
    creation: str  # metadata.creationTimestamp (RFC 3339; "" when absent)
    generation: int | None

    @property
    def key(self) -> ObjectKey:
        return ObjectKey(self.namespace, self.name)

    def label(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


class GrantFrom(NamedTuple):
    group: str
    kind: str
    namespace: str


class GrantTo(NamedTuple):
    group: str  # "" for core (Service, Secret)
    kind: str
    name: str | None  # None: every object of that kind in the grant's namespace


class ReferenceGrant(NamedTuple):
    namespace: str  # the namespace it grants access *to*
    name: str
    from_: tuple[GrantFrom, ...]
    to: tuple[GrantTo, ...]


class PolicyTargetRef(NamedTuple):
    group: str
    kind: str
    name: str
    section_name: str | None


class BackendTLSPolicy(NamedTuple):
    namespace: str
    name: str
    targets: tuple[PolicyTargetRef, ...]
    hostname: str | None  # validation.hostname: the SNI and name the gateway checks
