"""Route attachment: which route serves on which listener, and why the others do not.

For each route and each of its ``parentRefs``: the parent (a Gateway's own listeners, or a
ListenerSet's), narrowed by ``sectionName`` and ``port``; then each listener's
``allowedRoutes`` (namespaces Same/All/Selector, kinds defaulting per protocol); then the
hostname intersection. A parentRef that attaches nowhere keeps the reason the spec's status
would give: NoMatchingParent (no such parent or listener), NotAllowedByListeners,
NoMatchingListenerHostname, UnsupportedValue (a parent kind no Gateway implements).
Computed from spec only; comparing with status is another module's job.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import NamedTuple

from kpath.cluster.gatewayapi import Gateway, ListenerSet, ParentRef, Route
from kpath.cluster.gatewaykinds import GROUP, GatewayObjects
from kpath.cluster.labels import selects
from kpath.cluster.records import Namespace, ObjectKey
from kpath.cluster.snapshot import Snapshot
from kpath.routing.gateway.hostnames import hosts_intersect, intersect
from kpath.routing.gateway.index import HostIndex, route_entries
from kpath.routing.gateway.listeners import (
    PROTOCOL_KINDS,
    BoundListener,
    ListenerRef,
    gateway_listeners,
    namespace_labels,
)
from kpath.routing.gateway.match import route_key
from kpath.routing.gateway.unread import gateway_unread, outside_read

NOT_ALLOWED = "NotAllowedByListeners"
NO_HOSTNAME = "NoMatchingListenerHostname"
NO_PARENT = "NoMatchingParent"
UNSUPPORTED = "UnsupportedValue"
#: Not a reason the spec names: the parent lives in a namespace that was not (or could not
#: be) read, so whether it exists is unknown (`unread`).
UNREAD = "ParentOutsideRead"
#: Not a reason the spec names: an HTTPRoute and a GRPCRoute on one listener whose hostnames
#: intersect; the spec accepts only the older (then namespace/name first) and names no reason.
CONFLICTED = "HTTPRouteGRPCRouteConflict"

#: Route kinds that carry hostnames (and so must intersect a listener's).
HOSTNAME_KINDS = frozenset({"HTTPRoute", "GRPCRoute", "TLSRoute"})


class Attachment(NamedTuple):
    route: Route
    listener: ListenerRef
    parent: int  # index into route.parents
    hostnames: tuple[str, ...]  # listener and route hostnames intersected; () = every host


class Rejection(NamedTuple):
    route: Route
    parent: int  # index into route.parents
    ref: ParentRef
    reason: str  # the spec's Accepted=False reason
    message: str


class ListenerRoutes(NamedTuple):
    """One listener of one Gateway, with the routes attached to it."""

    gateway: Gateway
    bound: BoundListener
    kinds: tuple[str, ...]  # the route kinds it accepts
    invalid_kinds: tuple[str, ...]  # allowedRoutes.kinds it cannot carry (InvalidRouteKinds)
    routes: tuple[Attachment, ...]
    http: HostIndex  # HTTPRoute entries
    grpc: HostIndex  # GRPCRoute entries
    simple: HostIndex  # TLSRoute by SNI; TCPRoute and UDPRoute under None

    @property
    def ref(self) -> ListenerRef:
        return self.bound.ref


class GatewayTable(NamedTuple):
    listeners: tuple[ListenerRoutes, ...]  # every listener of every Gateway, in order
    by_gateway: Mapping[ObjectKey, tuple[ListenerRoutes, ...]]
    rejected: tuple[Rejection, ...]

    def listener(self, ref: ListenerRef) -> ListenerRoutes | None:
        for lr in self.by_gateway.get(ref.gateway, ()):
            if lr.ref == ref:
                return lr
        return None

    def rules(self) -> Iterator[tuple[ListenerRoutes, Attachment, int]]:
        """Every (listener, attached route, rule index): the Gateway ways in."""
        for lr in self.listeners:
            for a in lr.routes:
                for i in range(len(a.route.rules)):
                    yield lr, a, i

    def attachments(self, route: Route) -> list[Attachment]:
        return [
            a
            for lr in self.listeners
            for a in lr.routes
            if a.route.key == route.key and a.route.kind == route.kind
        ]


def gateway_objects(snapshot: Snapshot) -> GatewayObjects:
    return snapshot.gateways


def snapshot_namespaces(snapshot: Snapshot) -> Mapping[str, Namespace]:
    return snapshot.namespaces


def listener_kinds(bound: BoundListener) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(kinds accepted, kinds asked for but not carried by this protocol)."""
    lst = bound.listener
    allowed = PROTOCOL_KINDS.get(lst.protocol, ())
    if lst.protocol == "HTTPS" and lst.tls_mode == "Passthrough":
        allowed = ()  # HTTPS only terminates; passthrough is a TLS listener's
    asked = lst.allowed_routes.kinds
    if not asked:
        return allowed, ()
    ok: list[str] = []
    bad: list[str] = []
    for rgk in asked:
        (ok if rgk.group == GROUP and rgk.kind in allowed else bad).append(rgk.kind)
    return tuple(dict.fromkeys(ok)), tuple(bad)


def namespace_allowed(
    bound: BoundListener, route: Route, namespaces: Mapping[str, Namespace]
) -> bool:
    ar = bound.listener.allowed_routes
    frm = ar.namespaces_from
    if frm == "All":
        return True
    if frm == "Selector":
        return selects(ar.selector, namespace_labels(namespaces, route.namespace))
    if frm == "None":
        return False
    return route.namespace == bound.namespace  # Same, the default


def _parent_listeners(
    route: Route,
    ref: ParentRef,
    by_gw: Mapping[ObjectKey, list[BoundListener]],
    sets: Mapping[ObjectKey, ListenerSet],
    snapshot: Snapshot,
) -> tuple[list[BoundListener] | None, str, str]:
    """The listeners a parentRef names, or None with (reason, message). A parent absent
    from a namespace that was not read is `UNREAD`, not missing."""
    ns = ref.namespace or route.namespace
    if ref.group != GROUP or ref.kind not in ("Gateway", "ListenerSet"):
        return None, UNSUPPORTED, f"parent kind {ref.group}/{ref.kind} is not a Gateway"
    key = ObjectKey(ns, ref.name)
    if ref.kind == "Gateway":
        bound = by_gw.get(key)
        if bound is None:
            why = gateway_unread(snapshot, ns)
            if why is not None:
                return None, UNREAD, f"Gateway {key} is outside what could be read: {why}"
            return None, NO_PARENT, f"Gateway {key} does not exist"
        own = [b for b in bound if b.ref.listener_set is None]
    else:
        own = [b for bound in by_gw.values() for b in bound if b.ref.listener_set == key]
        if not own:
            unread = (
                outside_read(snapshot, ns)
                if key not in sets
                else _set_parent_unread(snapshot, sets[key])
            )
            if unread is not None:  # ListenerSets are read with their namespace only
                return None, UNREAD, f"ListenerSet {key} is outside what was read: {unread}"
            why = "is not attached to any Gateway" if key in sets else "does not exist"
            return None, NO_PARENT, f"ListenerSet {key} {why}"
    picked = [
        b
        for b in own
        if (ref.section_name is None or b.ref.name == ref.section_name)
        and (ref.port is None or b.listener.port == ref.port)
    ]
    if not picked:
        want = " ".join(
            x
            for x in (
                f"sectionName {ref.section_name}" if ref.section_name is not None else "",
                f"port {ref.port}" if ref.port is not None else "",
            )
            if x
        )
        return None, NO_PARENT, f"{ref.kind} {key} has no listener with {want}"
    return picked, "", ""


def _set_parent_unread(snapshot: Snapshot, ls: ListenerSet) -> str | None:
    """Why the Gateway a ListenerSet adds listeners to may exist unseen (None: it does not)."""
    ns = ls.parent.namespace or ls.namespace
    why = gateway_unread(snapshot, ns)
    return (
        None
        if why is None
        else (f"its Gateway {ns}/{ls.parent.name} is outside what could be read: {why}")
    )


def attach(snapshot: Snapshot) -> GatewayTable:
    """Every listener of every Gateway with its attached routes, and every rejected
    attachment with its reason."""
    objects = gateway_objects(snapshot)
    namespaces = snapshot_namespaces(snapshot)
    by_gw: dict[ObjectKey, list[BoundListener]] = {}
    for key in sorted(objects.gateways):
        by_gw[key] = gateway_listeners(objects.gateways[key], objects, namespaces)
    sets = {ls.key: ls for ls in objects.listener_sets}
    kinds = {b.ref: listener_kinds(b) for bound in by_gw.values() for b in bound}
    attached: dict[ListenerRef, dict[tuple[str, ObjectKey], Attachment]] = {
        b.ref: {} for bound in by_gw.values() for b in bound
    }
    rejected: list[Rejection] = []
    for route in objects.routes:
        for pi, ref in enumerate(route.parents):
            picked, reason, message = _parent_listeners(route, ref, by_gw, sets, snapshot)
            if picked is None:
                rejected.append(Rejection(route, pi, ref, reason, message))
                continue
            allowed = [
                b
                for b in picked
                if route.kind in kinds[b.ref][0] and namespace_allowed(b, route, namespaces)
            ]
            if not allowed:
                rejected.append(Rejection(route, pi, ref, NOT_ALLOWED, _not_allowed(route, picked)))
                continue
            landed = 0
            for b in allowed:
                if route.kind in HOSTNAME_KINDS:
                    hosts = intersect(b.listener.hostname, route.hostnames)
                    if hosts is None:
                        continue
                else:
                    hosts = ()
                landed += 1
                attached[b.ref].setdefault(
                    (route.kind, route.key), Attachment(route, b.ref, pi, hosts)
                )
            if not landed:
                names = ", ".join(b.ref.label() for b in allowed)
                rejected.append(
                    Rejection(
                        route,
                        pi,
                        ref,
                        NO_HOSTNAME,
                        f"no hostname of the route intersects listener(s) {names}",
                    )
                )
    lost: list[Attachment] = []
    for by_route in attached.values():
        for a in _http_grpc_conflicts(tuple(by_route.values())):
            del by_route[(a.route.kind, a.route.key)]
            lost.append(a)
    rejected += _lost_parents(lost, attached)
    table: list[ListenerRoutes] = []
    grouped: dict[ObjectKey, list[ListenerRoutes]] = {key: [] for key in by_gw}
    for key, bound in by_gw.items():
        gw = objects.gateways[key]
        for b in bound:
            routes = tuple(attached[b.ref].values())
            lr = _indexed(gw, b, kinds[b.ref], routes)
            table.append(lr)
            grouped.setdefault(key, []).append(lr)
    return GatewayTable(tuple(table), {k: tuple(v) for k, v in grouped.items()}, tuple(rejected))


def _http_grpc_conflicts(routes: tuple[Attachment, ...]) -> list[Attachment]:
    """HTTPRoutes and GRPCRoutes on one listener with intersecting hostnames: the spec keeps
    the oldest (then by namespace/name) of each such pair; these are the others."""
    kinds = {a.route.kind for a in routes}
    if not {"HTTPRoute", "GRPCRoute"} <= kinds:
        return []
    kept: dict[str, list[Attachment]] = {"HTTPRoute": [], "GRPCRoute": []}
    out = []
    for a in sorted(routes, key=lambda a: route_key(a.route)):
        kind = a.route.kind
        if kind not in kept:
            continue
        other = kept["GRPCRoute" if kind == "HTTPRoute" else "HTTPRoute"]
        if any(hosts_intersect(k.hostnames, a.hostnames) for k in other):
            out.append(a)
        else:
            kept[kind].append(a)
    return out


def _lost_parents(
    lost: list[Attachment],
    attached: Mapping[ListenerRef, Mapping[tuple[str, ObjectKey], Attachment]],
) -> list[Rejection]:
    """A parentRef whose every attachment lost such a conflict is not accepted."""
    still = {
        (a.route.kind, a.route.key, a.parent)
        for by_route in attached.values()
        for a in by_route.values()
    }
    out: dict[tuple[str, ObjectKey, int], Rejection] = {}
    for a in lost:
        k = (a.route.kind, a.route.key, a.parent)
        if k in still or k in out:
            continue
        other = "GRPCRoute" if a.route.kind == "HTTPRoute" else "HTTPRoute"
        out[k] = Rejection(
            a.route,
            a.parent,
            a.route.parents[a.parent],
            CONFLICTED,
            f"an older {other} on listener {a.listener.label()} serves the same hostnames",
        )
    return list(out.values())


def _not_allowed(route: Route, picked: list[BoundListener]) -> str:
    names = ", ".join(b.ref.label() for b in picked)
    return f"listener(s) {names} allow no {route.kind} from namespace {route.namespace}"


def _indexed(
    gw: Gateway,
    b: BoundListener,
    kinds: tuple[tuple[str, ...], tuple[str, ...]],
    routes: tuple[Attachment, ...],
) -> ListenerRoutes:
    http, grpc, simple = HostIndex(), HostIndex(), HostIndex()
    for a in routes:
        target = {"HTTPRoute": http, "GRPCRoute": grpc}.get(a.route.kind, simple)
        target.add(a.hostnames, route_entries(a.route))
    http.finish(by_path=True)
    grpc.finish(by_path=False)
    simple.finish(by_path=False)
    return ListenerRoutes(gw, b, kinds[0], kinds[1], routes, http, grpc, simple)
