"""The listeners of a Gateway: its own and those its ListenerSets add, and which one a
request reaches (listener selection and isolation). Pure functions.

ListenerSets (GEP-1713) attach only where the Gateway's ``allowedListeners`` permits;
their listeners follow the Gateway's own, oldest ListenerSet first, then by namespace/name.
Of two listeners on one port with the same hostname, the first keeps it and the later one
is conflicted (it carries no traffic).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from kpath.cluster.gatewayapi import Gateway, Listener, ListenerSet
from kpath.cluster.gatewaykinds import GROUP, GatewayObjects
from kpath.cluster.labels import selects
from kpath.cluster.records import Namespace, ObjectKey
from kpath.routing.gateway.hostnames import host_matches, specificity


class ListenerRef(NamedTuple):
    """One listener: of the Gateway itself (``listener_set`` None) or of a ListenerSet."""

    gateway: ObjectKey
    listener_set: ObjectKey | None
    name: str

    def label(self) -> str:
        if self.listener_set is None:
            return self.name
        return f"{self.listener_set}/{self.name}"


class BoundListener(NamedTuple):
    ref: ListenerRef
    listener: Listener
    namespace: str  # of the object that declares it: allowedRoutes "Same" means this one
    conflict: str | None  # why it carries no traffic, else None

    @property
    def conflict_reason(self) -> str | None:
        """HostnameConflict or ProtocolConflict (the Conflicted condition's reason)."""
        return self.conflict.split(":", 1)[0] if self.conflict else None


#: Route kinds each protocol carries when allowedRoutes.kinds is empty (and may carry at all).
PROTOCOL_KINDS: dict[str, tuple[str, ...]] = {
    "HTTP": ("HTTPRoute", "GRPCRoute"),
    "HTTPS": ("HTTPRoute", "GRPCRoute"),
    "TLS": ("TLSRoute",),
    "TCP": ("TCPRoute",),
    "UDP": ("UDPRoute",),
}

#: Which listener protocols a request's scheme can arrive on. A TCP listener takes any TCP
#: connection on its port; an https request on a TLS listener is passed through by SNI.
SCHEME_PROTOCOLS: dict[str, tuple[str, ...]] = {
    "http": ("HTTP", "TCP"),
    "grpc": ("HTTP", "TCP"),
    "https": ("HTTPS", "TLS", "TCP"),
    "tls": ("TLS", "TCP"),
    "tcp": ("TCP",),
    "udp": ("UDP",),
}


def namespace_labels(namespaces: Mapping[str, Namespace], name: str) -> Mapping[str, str]:
    ns = namespaces.get(name)
    # The API server labels every namespace with its name, even when the input lacks it.
    return ns.labels if ns is not None else {"kubernetes.io/metadata.name": name}


def listener_set_allowed(gw: Gateway, ls: ListenerSet, namespaces: Mapping[str, Namespace]) -> bool:
    frm = gw.allowed_listeners_from
    if frm is None or frm == "None":
        return False
    if frm == "Same":
        return ls.namespace == gw.namespace
    if frm == "All":
        return True
    if frm == "Selector":
        return selects(gw.allowed_listeners_selector, namespace_labels(namespaces, ls.namespace))
    return False


def _parent_of(ls: ListenerSet) -> ObjectKey | None:
    p = ls.parent
    if p.group != GROUP or p.kind != "Gateway":
        return None
    return ObjectKey(p.namespace or ls.namespace, p.name)


def attached_listener_sets(
    gw: Gateway, sets: Iterable[ListenerSet], namespaces: Mapping[str, Namespace]
) -> list[ListenerSet]:
    """The ListenerSets that add listeners to ``gw``, in the spec's precedence."""
    mine = [
        ls for ls in sets if _parent_of(ls) == gw.key and listener_set_allowed(gw, ls, namespaces)
    ]
    return sorted(mine, key=lambda ls: (ls.creation or "~", ls.namespace, ls.name))


def gateway_listeners(
    gw: Gateway, objects: GatewayObjects, namespaces: Mapping[str, Namespace]
) -> list[BoundListener]:
    """Every listener of a Gateway in precedence order, conflicts marked."""
    out: list[BoundListener] = []
    for lst in gw.listeners:
        out.append(BoundListener(ListenerRef(gw.key, None, lst.name), lst, gw.namespace, None))
    for ls in attached_listener_sets(gw, objects.listener_sets, namespaces):
        for lst in ls.listeners:
            out.append(
                BoundListener(ListenerRef(gw.key, ls.key, lst.name), lst, ls.namespace, None)
            )
    return _mark_conflicts(out)


def _mark_conflicts(bound: list[BoundListener]) -> list[BoundListener]:
    seen: dict[tuple[int, str | None], BoundListener] = {}
    protocols: dict[int, str] = {}
    out = []
    for b in bound:
        lst = b.listener
        host = lst.hostname.lower() if lst.hostname else None
        first = seen.get((lst.port, host))
        proto = protocols.get(lst.port)
        conflict = None
        if proto is not None and _proto_family(proto) != _proto_family(lst.protocol):
            conflict = f"ProtocolConflict: port {lst.port} already serves {proto}"
        elif first is not None:
            conflict = (
                f"HostnameConflict: port {lst.port} hostname {host or '*'} is already "
                f"listener {first.ref.label()}'s"
            )
        else:
            seen[(lst.port, host)] = b
            protocols.setdefault(lst.port, lst.protocol)
        out.append(b._replace(conflict=conflict))
    return out


def _proto_family(protocol: str) -> str:
    # HTTP, HTTPS, TLS and TCP are all TCP ports, but one port serves one kind of traffic
    # (HTTPS and TLS may share a port: both read the SNI).
    return {"HTTPS": "TLS"}.get(protocol, protocol)


def select_listener(
    bound: Sequence[BoundListener], scheme: str, port: int, host: str
) -> BoundListener | None:
    """The one listener a request reaches: port and protocol fit, hostname matches, and of
    those the most specific hostname (listener isolation: the others never see it)."""
    protocols = SCHEME_PROTOCOLS.get(scheme, ())
    best: BoundListener | None = None
    best_key = (-1, -1)
    for b in bound:
        lst = b.listener
        if b.conflict or lst.port != port or lst.protocol not in protocols:
            continue
        hostname = lst.hostname if lst.protocol in ("HTTP", "HTTPS", "TLS") else None
        if not host_matches(hostname, host):
            continue
        key = specificity(hostname)
        if key > best_key:
            best, best_key = b, key
    return best
