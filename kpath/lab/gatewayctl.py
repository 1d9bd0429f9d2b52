"""The lab's gateway controller, the part that decides: from raw Gateway API objects (as the lab
store holds them) to the status a real controller writes, and the attachment table that
`kpath.lab.gatewaydecide.decide` routes requests with.

Pure: no sockets, no store. Written from the Gateway API types (apis/v1/*.go) and conformance
tests, independently of kpath's own routing code (the lab must not import kpath.routing), so a
probe through the lab checks kpath's reading of the spec against a second one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kpath.lab.gatewaymatch import intersect

GROUP = "gateway.networking.k8s.io"
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")
#: Route kinds each listener protocol takes when `allowedRoutes.kinds` is not given.
PROTOCOL_KINDS: Mapping[str, tuple[str, ...]] = {
    "HTTP": ("HTTPRoute", "GRPCRoute"),
    "HTTPS": ("HTTPRoute", "GRPCRoute"),
    "TLS": ("TLSRoute", "TCPRoute"),
    "TCP": ("TCPRoute",),
    "UDP": ("UDPRoute",),
}
_HOSTNAME_PROTOCOLS = ("HTTP", "HTTPS", "TLS")
# Listeners on one port must agree on the transport and how they read it: HTTPS and TLS share a
# port (both are told apart by SNI); HTTP, TCP and UDP each own theirs (UDP next to TCP is fine).
_PORT_FAMILY = {"HTTP": "http", "HTTPS": "tls", "TLS": "tls", "TCP": "tcp", "UDP": "udp"}

Key = tuple[str, str]  # (namespace, name)


@dataclass(frozen=True)
class Listener:
    """One listener of a Gateway, its own or merged in from an attached ListenerSet."""

    gateway: Key
    owner: tuple[str, str, str]  # (kind, namespace, name): the Gateway or the ListenerSet
    name: str
    port: int
    protocol: str
    hostname: str | None
    tls_mode: str | None
    kinds: tuple[str, ...]
    allowed: Mapping[str, Any]
    serving: bool  # accepted and not conflicted: it takes routes and traffic


@dataclass(frozen=True)
class Attachment:
    """A route attached to a listener, with the hostnames it answers there."""

    kind: str
    route: Mapping[str, Any]
    hosts: list[str] | None  # None: every host the listener takes


@dataclass
class ControllerState:
    """What the controller decided: status stanzas plus what the data plane routes with."""

    statuses: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    listeners: dict[Key, list[Listener]] = field(default_factory=dict)
    attached: dict[tuple[tuple[str, str, str], str], list[Attachment]] = field(
        default_factory=dict)
    services: dict[Key, Mapping[str, Any]] = field(default_factory=dict)
    slices: dict[Key, list[Mapping[str, Any]]] = field(default_factory=dict)
    grants: list[Mapping[str, Any]] = field(default_factory=list)
    class_controllers: dict[str, str] = field(default_factory=dict)  # class -> controllerName

    def status(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        """The `status` a controller writes for this object; None when it writes none (not
        one of its classes, a parent it does not own, or an object it does not know)."""
        return self.statuses.get((kind, namespace or "", name))

    def routes_on(self, listener: Listener) -> list[Attachment]:
        return self.attached.get((listener.owner, listener.name), [])


# ---------------------------------------------------------------- small readers
def meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def key_of(obj: Mapping[str, Any]) -> Key:
    m = meta(obj)
    return str(m.get("namespace") or "default"), str(m.get("name") or "")


def spec_of(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("spec") or {}


def generation(obj: Mapping[str, Any]) -> int:
    return int(meta(obj).get("generation") or 1)


def age_key(obj: Mapping[str, Any]) -> tuple[str, str, str]:
    """Oldest first, then namespace/name: the spec's tie-breaker between objects."""
    ns, name = key_of(obj)
    return str(meta(obj).get("creationTimestamp") or ""), ns, name


def condition(obj: Mapping[str, Any], ctype: str, ok: bool, reason: str,
              message: str = "") -> dict[str, Any]:
    return {"type": ctype, "status": "True" if ok else "False", "reason": reason,
            "message": message or reason, "observedGeneration": generation(obj),
            # Stable across reconciles: the lab re-runs the controller on every change.
            "lastTransitionTime": str(meta(obj).get("creationTimestamp")
                                      or "1970-01-01T00:00:00Z")}


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A metav1.LabelSelector (matchLabels AND matchExpressions); empty selects everything."""
    if selector is None:
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(str(k)) != str(v):
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op = str(expr.get("key")), str(expr.get("operator"))
        values = [str(v) for v in expr.get("values") or []]
        have = labels.get(key)
        if op == "In" and have not in values:
            return False
        if op == "NotIn" and have in values:
            return False
        if op == "Exists" and have is None:
            return False
        if op == "DoesNotExist" and have is not None:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return False
    return True


def granted(grants: Sequence[Mapping[str, Any]], *, from_kind: str, from_ns: str,
            to_group: str, to_kind: str, to_ns: str, to_name: str,
            from_group: str = GROUP) -> bool:
    """A ReferenceGrant in the target namespace lets this kind in `from_ns` refer there."""
    for grant in grants:
        if key_of(grant)[0] != to_ns:
            continue
        spec = spec_of(grant)
        takes_from = any(str(f.get("group") or "") == from_group and f.get("kind") == from_kind
                         and f.get("namespace") == from_ns for f in spec.get("from") or [])
        takes_to = any(str(t.get("group") or "") == to_group and t.get("kind") == to_kind
                       and (not t.get("name") or t.get("name") == to_name)
                       for t in spec.get("to") or [])
        if takes_from and takes_to:
            return True
    return False


# ---------------------------------------------------------------- reconcile
def reconcile(objects: Mapping[str, Sequence[Mapping[str, Any]]],
              addresses: Mapping[Key, Sequence[str]],
              controllers: Collection[str] | None = None) -> ControllerState:
    """Run the controller once over every object: None for `controllers` claims every class."""
    state = ControllerState()
    state.grants = list(objects.get("ReferenceGrant") or [])
    for svc in objects.get("Service") or []:
        state.services[key_of(svc)] = svc
    for sl in objects.get("EndpointSlice") or []:
        owner = (meta(sl).get("labels") or {}).get("kubernetes.io/service-name")
        if owner:
            state.slices.setdefault((key_of(sl)[0], str(owner)), []).append(sl)
    ns_labels: dict[str, dict[str, str]] = {}
    for ns in objects.get("Namespace") or []:
        name = str(meta(ns).get("name") or "")
        ns_labels[name] = {str(k): str(v) for k, v in (meta(ns).get("labels") or {}).items()}

    ours: set[str] = set()
    for gc in objects.get("GatewayClass") or []:
        name = str(meta(gc).get("name") or "")
        if controllers is None or spec_of(gc).get("controllerName") in controllers:
            ours.add(name)
            state.class_controllers[name] = str(spec_of(gc).get("controllerName") or "")
            state.statuses[("GatewayClass", "", name)] = {"conditions": [
                condition(gc, "Accepted", True, "Accepted")]}

    gateways = {key_of(gw): gw for gw in objects.get("Gateway") or []
                if spec_of(gw).get("gatewayClassName") in ours}
    listener_sets = sorted(objects.get("ListenerSet") or [], key=age_key)
    listener_status: dict[tuple[tuple[str, str, str], str], dict[str, Any]] = {}
    for gw_key, gw in gateways.items():
        state.listeners[gw_key] = _listeners(state, gw, listener_sets, ns_labels,
                                             listener_status)

    counts: dict[tuple[tuple[str, str, str], str], int] = {}
    for kind in ROUTE_KINDS:
        for route in sorted(objects.get(kind) or [], key=age_key):
            _attach_route(state, kind, route, gateways, ns_labels, counts)

    for gw_key, gw in gateways.items():
        state.statuses[("Gateway", *gw_key)] = _gateway_status(
            state, gw, addresses.get(gw_key) or (), listener_status, counts)
    for ls in listener_sets:
        _listener_set_status(state, ls, gateways, ns_labels, listener_status, counts)
    return state


def _listener_set_status(state: ControllerState, ls: Mapping[str, Any],
                         gateways: Mapping[Key, Mapping[str, Any]],
                         ns_labels: Mapping[str, Mapping[str, str]],
                         listener_status: Mapping[tuple[tuple[str, str, str], str],
                                                  dict[str, Any]],
                         counts: Mapping[tuple[tuple[str, str, str], str], int]) -> None:
    """Written for a ListenerSet whose parent is one of this controller's Gateways."""
    parent = spec_of(ls).get("parentRef") or {}
    ls_ns, ls_name = key_of(ls)
    gw = gateways.get((str(parent.get("namespace") or ls_ns), str(parent.get("name") or "")))
    if gw is None or (parent.get("kind") or "Gateway") != "Gateway":
        return
    owner = ("ListenerSet", ls_ns, ls_name)
    if not _listener_set_allowed(gw, ls, ns_labels):
        state.statuses[owner] = {"conditions": [
            condition(ls, "Accepted", False, "NotAllowed"),
            condition(ls, "Programmed", False, "NotAllowed")]}
        return
    entries = [dict(st, attachedRoutes=counts.get((o, n), 0))
               for (o, n), st in listener_status.items() if o == owner]
    valid = any(li.serving for li in state.listeners.get(key_of(gw), []) if li.owner == owner)
    state.statuses[owner] = {
        "conditions": [
            condition(ls, "Accepted", valid, "Accepted" if valid else "ListenersNotValid"),
            condition(ls, "Programmed", valid, "Programmed" if valid else "ListenersNotValid")],
        "listeners": entries}


def _listener_set_allowed(gw: Mapping[str, Any], ls: Mapping[str, Any],
                          ns_labels: Mapping[str, Mapping[str, str]]) -> bool:
    parent = spec_of(ls).get("parentRef") or {}
    gw_ns, gw_name = key_of(gw)
    ls_ns = key_of(ls)[0]
    if (parent.get("kind") or "Gateway") != "Gateway" or parent.get("name") != gw_name or \
            (parent.get("namespace") or ls_ns) != gw_ns:
        return False
    allowed = (spec_of(gw).get("allowedListeners") or {}).get("namespaces") or {}
    return _namespace_allowed(allowed, gw_ns, ls_ns, ns_labels, default="None")


def _namespace_allowed(spec: Mapping[str, Any], own_ns: str, other_ns: str,
                       ns_labels: Mapping[str, Mapping[str, str]], default: str) -> bool:
    origin = spec.get("from") or default
    if origin == "All":
        return True
    if origin == "Same":
        return own_ns == other_ns
    if origin == "Selector":
        labels = {"kubernetes.io/metadata.name": other_ns, **ns_labels.get(other_ns, {})}
        return selector_matches(spec.get("selector") or {}, labels)
    return False


def _listeners(state: ControllerState, gw: Mapping[str, Any],
               listener_sets: Sequence[Mapping[str, Any]],
               ns_labels: Mapping[str, Mapping[str, str]],
               out_status: dict[tuple[tuple[str, str, str], str], dict[str, Any]]
               ) -> list[Listener]:
    """The Gateway's listeners then its ListenerSets' (oldest first), each judged: protocol,
    route kinds, certificate refs, and conflicts with an earlier listener on the same port."""
    gw_key = key_of(gw)
    sources: list[tuple[tuple[str, str, str], Mapping[str, Any], Mapping[str, Any]]] = [
        (("Gateway", *gw_key), gw, raw) for raw in spec_of(gw).get("listeners") or []]
    for ls in listener_sets:
        if _listener_set_allowed(gw, ls, ns_labels):
            sources += [(("ListenerSet", *key_of(ls)), ls, raw)
                        for raw in spec_of(ls).get("listeners") or []]
    result: list[Listener] = []
    taken: dict[int, tuple[str, set[str | None]]] = {}  # port -> family, hostnames by protocol
    seen: set[tuple[int, str, str | None]] = set()
    for owner, obj, raw in sources:
        protocol = str(raw.get("protocol") or "")
        port = int(raw.get("port") or 0)
        hostname = raw.get("hostname") or None
        tls = raw.get("tls") or {}
        mode = str(tls.get("mode") or "Terminate") if protocol in ("HTTPS", "TLS") else None
        conds: list[dict[str, Any]] = []
        supported = PROTOCOL_KINDS.get(protocol)
        accepted = supported is not None
        if protocol == "TLS" and mode == "Passthrough":
            supported = ("TLSRoute",)
        asked = [k for k in (raw.get("allowedRoutes") or {}).get("kinds") or []]
        kinds = tuple(supported or ())
        kinds_ok = True
        if asked:
            wanted = [str(k.get("kind")) for k in asked if (k.get("group") or GROUP) == GROUP]
            kinds_ok = len(wanted) == len(asked) and all(k in kinds for k in wanted)
            kinds = tuple(k for k in kinds if k in wanted)
        refs_reason = "ResolvedRefs" if kinds_ok else "InvalidRouteKinds"
        if kinds_ok and mode == "Terminate":
            refs_reason = _certificate_refs(state, obj, tls)
        family = _PORT_FAMILY.get(protocol, "?")
        conflict = ""
        if accepted:
            if port in taken and taken[port][0] != family:
                conflict = "ProtocolConflict"
            elif (port, protocol, hostname) in seen:
                conflict = "HostnameConflict"
            else:
                taken.setdefault(port, (family, set()))
                seen.add((port, protocol, hostname))
        serving = accepted and not conflict and refs_reason == "ResolvedRefs"
        # A conflicted listener is not accepted and says why on all three conditions, as the
        # conformance suite expects (listenerset-protocol-conflict).
        accepted_reason = conflict or ("Accepted" if accepted else "UnsupportedProtocol")
        conds.append(condition(obj, "Accepted", accepted and not conflict, accepted_reason))
        conds.append(condition(obj, "Conflicted", bool(conflict), conflict or "NoConflicts"))
        conds.append(condition(obj, "ResolvedRefs", refs_reason == "ResolvedRefs", refs_reason))
        conds.append(condition(obj, "Programmed", serving, "Programmed" if serving else
                               conflict or "Invalid"))
        name = str(raw.get("name") or "")
        out_status[(owner, name)] = {
            "name": name,
            "supportedKinds": [{"group": GROUP, "kind": k} for k in kinds],
            "conditions": conds,
        }
        result.append(Listener(gw_key, owner, name, port, protocol,
                               str(hostname).lower() if hostname else None, mode, kinds,
                               raw.get("allowedRoutes") or {}, serving))
    return result


def _certificate_refs(state: ControllerState, obj: Mapping[str, Any],
                      tls: Mapping[str, Any]) -> str:
    refs = tls.get("certificateRefs") or []
    if not refs:
        return "InvalidCertificateRef"
    own_ns = key_of(obj)[0]
    kind = str(obj.get("kind") or "Gateway")
    for ref in refs:
        if (ref.get("group") or "") != "" or (ref.get("kind") or "Secret") != "Secret":
            return "InvalidCertificateRef"
        ns = str(ref.get("namespace") or own_ns)
        if ns != own_ns and not granted(state.grants, from_kind=kind, from_ns=own_ns,
                                        to_group="", to_kind="Secret", to_ns=ns,
                                        to_name=str(ref.get("name") or "")):
            return "RefNotPermitted"
    return "ResolvedRefs"


def _gateway_status(state: ControllerState, gw: Mapping[str, Any], addrs: Sequence[str],
                    listener_status: Mapping[tuple[tuple[str, str, str], str], dict[str, Any]],
                    counts: Mapping[tuple[tuple[str, str, str], str], int]) -> dict[str, Any]:
    gw_owner = ("Gateway", *key_of(gw))
    listeners = [dict(s, attachedRoutes=counts.get((owner, name), 0))
                 for (owner, name), s in listener_status.items() if owner == gw_owner]
    own = [li for li in state.listeners.get(key_of(gw), []) if li.owner == gw_owner]
    valid = any(li.serving for li in own) or not own
    conds = [condition(gw, "Accepted", valid, "Accepted" if valid else "ListenersNotValid")]
    if not addrs:
        conds.append(condition(gw, "Programmed", False, "AddressNotAssigned"))
    else:
        conds.append(condition(gw, "Programmed", valid, "Programmed" if valid else "Invalid"))
    sets = {li.owner for li in state.listeners.get(key_of(gw), [])
            if li.owner[0] == "ListenerSet" and li.serving}
    return {"addresses": [{"type": _address_type(a), "value": a} for a in addrs],
            "conditions": conds, "listeners": listeners, "attachedListenerSets": len(sets)}


def _address_type(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return "Hostname"
    return "IPAddress"


# ---------------------------------------------------------------- routes
def _attach_route(state: ControllerState, kind: str, route: Mapping[str, Any],
                  gateways: Mapping[Key, Mapping[str, Any]],
                  ns_labels: Mapping[str, Mapping[str, str]],
                  counts: dict[tuple[tuple[str, str, str], str], int]) -> None:
    route_ns, route_name = key_of(route)
    spec = spec_of(route)
    refs_ok, refs_reason, refs_message = backend_refs_status(state, kind, route)
    parents: list[dict[str, Any]] = []
    for ref in spec.get("parentRefs") or []:
        if (ref.get("group") or GROUP) != GROUP:
            continue
        pkind = str(ref.get("kind") or "Gateway")
        pns = str(ref.get("namespace") or route_ns)
        pname = str(ref.get("name") or "")
        if pkind == "Gateway":
            gw_key: Key | None = (pns, pname) if (pns, pname) in gateways else None
        elif pkind == "ListenerSet":
            gw_key = next((g for g, lis in state.listeners.items()
                           if any(li.owner == ("ListenerSet", pns, pname) for li in lis)), None)
        else:
            gw_key = None
        if gw_key is None:
            continue  # not a parent of this controller: another one (or none) writes it
        reason, taken = _attachment(state, kind, route, ref, pkind, pns, pname, gw_key,
                                    ns_labels)
        for listener, hosts in taken:
            state.attached.setdefault((listener.owner, listener.name), []).append(
                Attachment(kind, route, hosts))
            counts[(listener.owner, listener.name)] = \
                counts.get((listener.owner, listener.name), 0) + 1
        controller = state.class_controllers.get(
            str(spec_of(gateways[gw_key]).get("gatewayClassName")), "")
        parents.append({
            "parentRef": dict(ref),
            "controllerName": controller,
            "conditions": [condition(route, "Accepted", reason == "Accepted", reason),
                           condition(route, "ResolvedRefs", refs_ok, refs_reason,
                                     refs_message)],
        })
    if parents:
        state.statuses[(kind, route_ns, route_name)] = {"parents": parents}


def _attachment(state: ControllerState, kind: str, route: Mapping[str, Any],
                ref: Mapping[str, Any], pkind: str, pns: str, pname: str, gw_key: Key,
                ns_labels: Mapping[str, Mapping[str, str]]
                ) -> tuple[str, list[tuple[Listener, list[str] | None]]]:
    """Which listeners of the parent take this parentRef: the Accepted reason and the list."""
    route_ns = key_of(route)[0]
    section = ref.get("sectionName")
    port = ref.get("port")
    candidates = [li for li in state.listeners[gw_key]
                  if (pkind == "Gateway" and li.owner[0] == "Gateway")
                  or (pkind == "ListenerSet" and li.owner == ("ListenerSet", pns, pname))]
    candidates = [li for li in candidates if (section is None or li.name == section)
                  and (port is None or li.port == int(port))]
    if not candidates:
        return "NoMatchingParent", []
    allowed = [li for li in candidates if li.serving and kind in li.kinds and
               _namespace_allowed((li.allowed.get("namespaces") or {}), li.owner[1], route_ns,
                                  ns_labels, default="Same")]
    if not allowed:
        return "NotAllowedByListeners", []
    route_hosts = [str(h) for h in spec_of(route).get("hostnames") or []]
    taken: list[tuple[Listener, list[str] | None]] = []
    for li in allowed:
        if li.protocol in _HOSTNAME_PROTOCOLS and kind in ("HTTPRoute", "GRPCRoute", "TLSRoute"):
            hosts = intersect(li.hostname, route_hosts)
            if hosts == []:
                continue
        else:
            hosts = None
        taken.append((li, hosts))
    if not taken:
        return "NoMatchingListenerHostname", []
    return "Accepted", taken


def backend_refs_status(state: ControllerState, kind: str,
                        route: Mapping[str, Any]) -> tuple[bool, str, str]:
    """ResolvedRefs for a route: the first backendRef that does not resolve, by rule order."""
    for rule in spec_of(route).get("rules") or []:
        for ref in rule.get("backendRefs") or []:
            problem = backend_problem(state, kind, route, ref)
            if problem:
                return False, problem[0], problem[1]
    return True, "ResolvedRefs", "ResolvedRefs"


def backend_problem(state: ControllerState, kind: str, route: Mapping[str, Any],
                    ref: Mapping[str, Any]) -> tuple[str, str] | None:
    """(reason, message) when a backendRef cannot be used, None when it can."""
    route_ns = key_of(route)[0]
    group, bkind = str(ref.get("group") or ""), str(ref.get("kind") or "Service")
    name = str(ref.get("name") or "")
    ns = str(ref.get("namespace") or route_ns)
    if group != "" or bkind != "Service":
        return "InvalidKind", f"backendRef {group or 'core'}/{bkind} is not a Service"
    if ns != route_ns and not granted(state.grants, from_kind=kind, from_ns=route_ns,
                                      to_group="", to_kind="Service", to_ns=ns, to_name=name):
        return "RefNotPermitted", f"no ReferenceGrant in {ns} lets {kind}s in {route_ns} " \
                                  f"refer to Service {name}"
    svc = state.services.get((ns, name))
    if svc is None:
        return "BackendNotFound", f"Service {ns}/{name} does not exist"
    port = ref.get("port")
    ports = [p.get("port") for p in spec_of(svc).get("ports") or []]
    if port is None or int(port) not in ports:
        return "BackendNotFound", f"Service {ns}/{name} has no port {port}"
    return None
