"""Every way into every Service: entry points and the hops behind them.

A `Path` is one entry (a load-balancer address, the NodePort on every node, an externalIP,
the ClusterIP, an Ingress rule) for one service port, with what happens behind it: either
the node groups where kube-proxy decides (`groups`), or a direct choice of pods when the
traffic skips the node hop (pod-target load balancers, IP-mode ingress controllers, ingress
controllers inside the cluster, headless services).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

from kpath.cluster.records import ObjectKey, Service, ServicePort
from kpath.cluster.snapshot import Snapshot
from kpath.routing.ingress import ControllerRef, IngressRoute, ingress_routes
from kpath.routing.kubeproxy import (
    Choice,
    Target,
    Verdict,
    cluster_choice,
    has_ready,
    unknown_choice,
)
from kpath.routing.nodegroups import NodeGroup, node_groups
from kpath.routing.targets import endpoints_unknown, service_targets

if TYPE_CHECKING:  # onpaths imports this module; the records: see below
    from kpath.cluster.gatewayapi import BackendRef, RequestRedirect, RouteMatch, RouteRule
    from kpath.cluster.gatewayapi import Route as GwRoute
    from kpath.routing.gateway import backends as gw_backends
    from kpath.routing.gateway.attach import GatewayTable
    from kpath.routing.gateway.infra import InfraRef
    from kpath.routing.policy.onpaths import PathPolicy

# The Gateway API machinery (kpath.routing.gateway) is imported by the functions that
# route Gateways, and its records (kpath.cluster.gatewayapi) with the snapshot's Gateways:
# a cluster without Gateways never loads either (a sixth of a short run).


class EntryKind(StrEnum):
    LOAD_BALANCER = "loadbalancer"
    NODE_PORT = "nodeport"
    EXTERNAL_IP = "externalip"
    CLUSTER_IP = "clusterip"
    HEADLESS = "headless"
    INGRESS = "ingress"
    GATEWAY = "gateway"
    EXTERNAL_NAME = "externalname"


#: Entries reachable from outside the cluster; the rest are internal.
EXTERNAL_KINDS = frozenset(
    {
        EntryKind.LOAD_BALANCER,
        EntryKind.NODE_PORT,
        EntryKind.EXTERNAL_IP,
        EntryKind.INGRESS,
        EntryKind.GATEWAY,
    }
)


class GatewayHop(NamedTuple):
    """A Gateway way in: one listener, one attached route rule, one backend of that rule.

    The gateway's proxies send straight to the backend's pod IPs, so the path's node hop
    (kube-proxy's policies) belongs to the gateway's own Service (`infra`), not to this one.
    """

    gateway: ObjectKey
    listener: str
    protocol: str  # the listener's: HTTP, HTTPS, TLS, TCP, UDP
    hostnames: tuple[str, ...]  # the listener's and the route's, intersected; () = any host
    addresses: tuple[str, ...]  # the Gateway's status.addresses
    port: int  # the listener's port
    route_kind: str  # HTTPRoute, GRPCRoute, TLSRoute, TCPRoute, UDPRoute
    route: ObjectKey
    rule: int  # index into the route's spec.rules
    matches: tuple[RouteMatch, ...]  # the rule's matches (empty: everything)
    backend: BackendRef | None  # None: the rule sends nowhere (a redirect, or no backends)
    share: float  # this backend's share of the rule's traffic, 0..1
    problem: str | None  # why this backend answers 500 (RefNotPermitted, ...), else None
    infra: ObjectKey | None  # the gateway's own Service, when found
    infra_note: str  # how it was found, or why not

    def label(self) -> str:
        """``scheme://host:port/path`` as a client would ask it (the first hostname, and how
        many more), then the route and rule: ``grpc://`` for a GRPCRoute, as `kpath request`
        spells a gRPC call."""
        scheme = {"HTTPS": "https", "TLS": "tls", "TCP": "tcp", "UDP": "udp"}.get(
            self.protocol, "http"
        )
        if self.route_kind == "GRPCRoute" and scheme == "http":
            scheme = "grpc"
        host = self.hostnames[0] if self.hostnames else "*"
        more = f" (+{len(self.hostnames) - 1} hosts)" if len(self.hostnames) > 1 else ""
        return (
            f"{scheme}://{host}:{self.port}{self.match_label()}{more} {self.route_kind} "
            f"{self.route} rule {self.rule}"
        )

    def match_label(self) -> str:
        """The rule's first match in short (``/coffee``, ``/tea (exact)``, ``GET /x [h=v]``), and
        how many more; empty for a rule that matches everything or has no matches."""
        if not self.matches:
            return ""
        first = match_label(self.matches[0])
        more = f" +{len(self.matches) - 1}" if len(self.matches) > 1 else ""
        return (first if first.startswith("/") else f" {first}") + more


def match_label(m: RouteMatch) -> str:
    """One HTTPRoute or GRPCRoute match in short: method, path (``(exact)`` after an Exact
    one, ``~`` before a regular expression), gRPC ``/service/method``, headers in brackets,
    query after ``?``."""
    parts: list[str] = []
    if m.method:
        parts.append(m.method)
    if m.path is not None:
        if m.path.type == "Exact":
            parts.append(f"{m.path.value} (exact)")
        else:
            parts.append(("~" if m.path.type == "RegularExpression" else "") + m.path.value)
    if m.grpc_service or m.grpc_method:
        mark = "~" if m.grpc_type == "RegularExpression" else ""
        parts.append(f"{mark}/{m.grpc_service or '*'}/{m.grpc_method or '*'}")
    if m.query_params:
        parts.append("?" + "&".join(f"{q.name}={q.value}" for q in m.query_params))
    if m.headers:
        parts.append("[" + ", ".join(f"{h.name}={h.value}" for h in m.headers) + "]")
    return " ".join(parts)


class Entry(NamedTuple):
    kind: EntryKind
    addresses: tuple[str, ...]  # where a client connects; node addresses are in the groups
    port: int | None  # the port a client connects to
    pending: bool = False  # a LoadBalancer still waiting for an address
    ingress: IngressRoute | None = None
    gateway: GatewayHop | None = None

    def label(self) -> str:
        port = f":{self.port}" if self.port is not None else ""
        if self.kind == EntryKind.INGRESS and self.ingress is not None:
            # Several Ingresses may claim one host: the row names the one it comes from.
            return self.ingress.entry_label()
        if self.kind == EntryKind.GATEWAY and self.gateway is not None:
            return self.gateway.label()
        if self.kind == EntryKind.NODE_PORT:
            return f"NodePort{port}"
        if self.pending:
            return f"<pending>{port}"
        return ", ".join(f"{a}{port}" for a in self.addresses) or f"?{port}"


class Path(NamedTuple):
    service: ObjectKey
    port: ServicePort | None  # None: an Ingress names a port the service does not have
    entry: Entry
    policy: str | None  # the traffic policy that applied at the node hop
    groups: tuple[NodeGroup, ...]  # where kube-proxy decides; empty when pods are reached directly
    direct: Choice | None  # the pods reached without a node hop
    via: str  # "nodes", "pods" (straight to pod IPs), "controller" (an ingress controller),
    # "gateway" (a Gateway's proxies, straight to the backend's pods)
    #: The Gateways whose infrastructure this path's Service is (its pods are their proxies).
    gateways: tuple[ObjectKey, ...] = ()
    #: NetworkPolicy verdicts per hop into pods (None: the input carries no policies).
    netpol: PathPolicy | None = None

    @property
    def external(self) -> bool:
        return self.entry.kind in EXTERNAL_KINDS

    def verdicts(self) -> set[Verdict]:
        if self.direct is not None:
            return {self.direct.verdict}
        return {g.choice.verdict for g in self.groups}


class PortRoutes(NamedTuple):
    """One service port: its endpoints and the node groups for both traffic policies."""

    port: ServicePort
    targets: tuple[Target, ...]
    external: tuple[NodeGroup, ...] | None  # None: no external way in
    internal: tuple[NodeGroup, ...]
    unknown: str | None = None  # why the endpoints cannot be known (no prediction), if so

    def direct(self) -> Choice:
        """Traffic sent straight to this port's pods."""
        return unknown_choice(self.unknown) if self.unknown else pods_direct(self.targets)


def _unknown_groups(groups: tuple[NodeGroup, ...], why: str) -> tuple[NodeGroup, ...]:
    choice = unknown_choice(why)
    return tuple(g._replace(choice=choice, local=0, per_node=0) for g in groups)


def port_routes(snapshot: Snapshot, svc: Service) -> list[PortRoutes]:
    slices = snapshot.service_slices(svc.key)
    out = []
    for port in svc.ports:
        targets = service_targets(snapshot, slices, port)
        external = (
            node_groups(snapshot, targets, svc.external_traffic_policy) if svc.is_external else None
        )
        if svc.internal_traffic_policy == svc.external_traffic_policy and external is not None:
            internal = external  # same policy, same choice (saves the work twice)
        else:
            internal = node_groups(snapshot, targets, svc.internal_traffic_policy)
        unknown = None if targets else endpoints_unknown(snapshot, svc.selector)
        if unknown:
            # Nothing in the input says there are none: "reject" would be a guess.
            external = _unknown_groups(external, unknown) if external is not None else None
            internal = _unknown_groups(internal, unknown)
        out.append(PortRoutes(port, targets, external, internal, unknown))
    return out


def pods_direct(targets: tuple[Target, ...]) -> Choice:
    """Traffic sent straight to pod IPs (no kube-proxy): any usable endpoint."""
    choice = cluster_choice(
        tuple(t._replace(hint_zones=(), hint_nodes=()) for t in targets), None, None
    )
    return choice._replace(rule=choice.rule.replace("Cluster policy", "straight to pods"))


def targets_pods(svc: Service) -> bool:
    """A LoadBalancer that sends to pod IPs itself, with no NodePort hop."""
    return (
        svc.type == "LoadBalancer"
        and svc.load_balancer_class is not None
        and not svc.allocate_lb_node_ports
    )


def service_paths(snapshot: Snapshot, svc: Service, routes: list[PortRoutes]) -> Iterator[Path]:
    key = svc.key
    if svc.type == "ExternalName":
        entry = Entry(EntryKind.EXTERNAL_NAME, (svc.external_name or "",), None)
        yield Path(key, None, entry, None, (), None, "dns")
        return
    for r in routes:
        port, ext = r.port, r.external
        etp = svc.external_traffic_policy
        if svc.type == "LoadBalancer":
            lbs = svc.load_balancer_ingress
            addrs = tuple(a for a in (i.address for i in lbs) if a)
            entry = Entry(EntryKind.LOAD_BALANCER, addrs, port.port, pending=not lbs)
            if targets_pods(svc):
                yield Path(key, port, entry, None, (), r.direct(), "pods")
            else:
                assert ext is not None
                yield Path(key, port, entry, etp, ext, None, "nodes")
        if port.node_port and ext is not None:
            yield Path(
                key, port, Entry(EntryKind.NODE_PORT, (), port.node_port), etp, ext, None, "nodes"
            )
        if svc.external_ips and ext is not None:
            yield Path(
                key,
                port,
                Entry(EntryKind.EXTERNAL_IP, svc.external_ips, port.port),
                etp,
                ext,
                None,
                "nodes",
            )
        if svc.headless:
            yield Path(
                key, port, Entry(EntryKind.HEADLESS, (), port.port), None, (), r.direct(), "pods"
            )
        else:
            yield Path(
                key,
                port,
                Entry(EntryKind.CLUSTER_IP, svc.cluster_ips, port.port),
                svc.internal_traffic_policy,
                r.internal,
                None,
                "nodes",
            )


def ingress_paths(snapshot: Snapshot, routes: dict[ObjectKey, list[PortRoutes]]) -> Iterator[Path]:
    for route in ingress_routes(snapshot):
        yield ingress_path(snapshot, route, routes)


def ingress_path(
    snapshot: Snapshot, route: IngressRoute, routes: Mapping[ObjectKey, list[PortRoutes]]
) -> Path:
    """The path of one Ingress rule: through its controller to the backend's port."""
    entry = Entry(EntryKind.INGRESS, route.addresses, route.port, ingress=route)
    backend = route.backend_service
    port_routes_ = routes.get(backend) if backend is not None else None
    match = None
    if port_routes_ is not None and route.backend_port is not None:
        match = next((r for r in port_routes_ if r.port == route.backend_port), None)
    key = backend or ObjectKey(route.ingress.namespace, "?")
    if match is None:
        reason = route.problem or "backend not found"
        return Path(
            key,
            route.backend_port,
            entry,
            None,
            (),
            Choice(Verdict.REJECT, (), reason),
            "controller",
        )
    ctrl: ControllerRef = route.controller
    # Instance mode sends to the backend's NodePort; externalIPs alone give none.
    if ctrl.mode == "nodes" and match.port.node_port and match.external is not None:
        svc = snapshot.services[key]
        return Path(
            key, match.port, entry, svc.external_traffic_policy, match.external, None, "nodes"
        )
    if ctrl.mode == "nodes":
        # Instance mode needs a NodePort; a ClusterIP backend cannot be reached this way.
        return Path(
            key,
            match.port,
            entry,
            None,
            (),
            Choice(
                Verdict.REJECT,
                (),
                "instance-mode load balancer, but the backend Service has no NodePort",
            ),
            "nodes",
        )
    return Path(
        key,
        match.port,
        entry,
        None,
        (),
        match.direct(),
        "pods" if ctrl.kind == "external" else "controller",
    )


#: The `Path.service` of a Gateway rule that sends to no Service: its own answer (a redirect)
#: or a 500 (no backendRefs). Parentheses cannot be in a Service's name, so these never
#: stand for (or group with) a real one; the route is in the path's entry.
REDIRECT_SERVICE = "(redirect)"
NO_BACKEND_SERVICE = "(no backend)"
NO_SERVICE_NAMES = frozenset({REDIRECT_SERVICE, NO_BACKEND_SERVICE})


def names_no_service(key: ObjectKey) -> bool:
    """A path key that is a Gateway rule's placeholder, not a Service."""
    return key.name in NO_SERVICE_NAMES


def redirect_location(r: RequestRedirect, hop: GatewayHop) -> str:
    """The Location the rule answers, for the path's own request (its first hostname, or
    ``*`` for any; its first match's path, or ``/``)."""
    scheme = "https" if hop.protocol == "HTTPS" else "http"
    host = hop.hostnames[0] if hop.hostnames else "*"
    m = hop.matches[0].path if hop.matches else None
    literal_path = m is not None and m.type in ("PathPrefix", "Exact")
    path = m.value if m is not None and literal_path else "/"
    prefix = m.value if m is not None and m.type == "PathPrefix" else None
    from kpath.routing.gateway import filters as gw_filters

    return gw_filters.redirect_location(r, scheme, host, hop.port, path, "", prefix)


def _redirect_text(r: RequestRedirect, hop: GatewayHop) -> str:
    return f"RequestRedirect: the gateway answers {r.status_code} → {redirect_location(r, hop)}"


def gateway_paths(
    snapshot: Snapshot,
    table: GatewayTable,
    infra: Mapping[ObjectKey, InfraRef],
    resolved: gw_backends.ResolvedRules | None = None,
) -> Iterator[Path]:
    """One path per (listener, attached route, rule, backendRef with non-zero weight). The
    gateway sends straight to the backend's pods; a rule that redirects, or a backend it
    cannot send to, is a path whose direct choice is a refusal saying why."""
    from kpath.routing.gateway import backends as gw_backends

    resolved = {} if resolved is None else resolved
    for lr in table.listeners:
        if lr.bound.conflict:
            continue  # a conflicted listener carries no traffic (a finding says so)
        gw, lst = lr.gateway, lr.bound.listener
        ref = infra.get(gw.key)
        addresses = tuple(a.value for a in gw.addresses)
        for att in lr.routes:
            route = att.route
            for ri, rule in enumerate(route.rules):
                hop = GatewayHop(
                    gw.key,
                    lr.ref.label(),
                    lst.protocol,
                    att.hostnames,
                    addresses,
                    lst.port,
                    route.kind,
                    route.key,
                    ri,
                    rule.matches,
                    None,
                    0.0,
                    None,
                    ref.service if ref else None,
                    ref.note if ref else "",
                )
                backends = gw_backends.rule_backends_once(snapshot, resolved, route, ri)
                yield from _rule_paths(route, rule, hop, backends, snapshot)


def _rule_paths(
    route: GwRoute,
    rule: RouteRule,
    hop: GatewayHop,
    resolved: tuple[gw_backends.ResolvedBackend, ...],
    snapshot: Snapshot,
) -> Iterator[Path]:
    redirect = next(
        (
            f.redirect
            for f in rule.filters
            if f.type == "RequestRedirect" and f.redirect is not None
        ),
        None,
    )
    if redirect is not None:
        # The gateway answers by design: a verdict of its own, never a failure.
        entry = Entry(EntryKind.GATEWAY, hop.addresses, hop.port, gateway=hop)
        yield Path(
            ObjectKey(route.namespace, REDIRECT_SERVICE),
            None,
            entry,
            None,
            (),
            Choice(Verdict.REDIRECT, (), _redirect_text(redirect, hop)),
            "gateway",
        )
        return
    backends = [b for b in resolved if b.weight > 0]
    if not backends:
        why = "every backendRef has weight 0" if rule.backends else "no backendRefs"
        answer = f"NoBackend: {why}: the gateway answers 500"
        entry = Entry(
            EntryKind.GATEWAY, hop.addresses, hop.port, gateway=hop._replace(problem=answer)
        )
        yield Path(
            ObjectKey(route.namespace, NO_BACKEND_SERVICE),
            None,
            entry,
            None,
            (),
            Choice(Verdict.REJECT, (), answer),
            "gateway",
        )
        return
    for rb in backends:
        problem = f"{rb.problem}: {rb.detail}" if rb.problem is not None else None
        h = hop._replace(backend=rb.ref, share=rb.share, problem=problem)
        entry = Entry(EntryKind.GATEWAY, hop.addresses, hop.port, gateway=h)
        svc = snapshot.services.get(rb.service)
        port = next((p for p in svc.ports if p.port == rb.ref.port), None) if svc else None
        if problem is not None or rb.choice is None:
            yield Path(
                rb.service,
                port if problem is None else None,
                entry,
                None,
                (),
                Choice(Verdict.REJECT, (), f"{problem or rb.detail} (the gateway answers 500)"),
                "gateway",
            )
            continue
        # Straight to the backend's pod IPs: no kube-proxy, so no policy and no node hop.
        yield Path(rb.service, port, entry, None, (), rb.choice, "gateway")


def gateway_infra(snapshot: Snapshot) -> dict[ObjectKey, InfraRef]:
    """Every Gateway's infrastructure Service (or why none was recognised)."""
    objects = snapshot.gateways
    from kpath.routing.gateway.infra import find_infra, infra_index

    index = infra_index(snapshot.services)
    return {
        key: find_infra(gw, objects.classes.get(gw.class_name), index)
        for key, gw in objects.gateways.items()
    }


def skipped_by_load_balancer(p: Path, g: NodeGroup) -> bool:
    """A Local-policy load balancer never sends to these nodes: with no *ready* local
    endpoint their healthCheckNodePort answers 503 and the health check takes them out.
    (Said only while some node passes: when every node fails, load balancers differ.)
    Their NodePort rows keep kube-proxy's own verdict (drop, or the terminating fallback)."""
    if p.entry.kind != EntryKind.LOAD_BALANCER or p.policy != "Local" or p.direct is not None:
        return False
    return not has_ready(g.choice) and any(has_ready(o.choice) for o in p.groups)
