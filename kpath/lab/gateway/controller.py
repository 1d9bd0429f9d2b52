"""The lab's gateway controller, the part that decides: from raw Gateway API objects (as the lab
store holds them) to the status a real controller writes, and the attachment table that
`kpath.lab.gateway.decide.decide` routes requests with.

Pure: no sockets, no store. Written from the Gateway API types (apis/v1/*.go) and conformance
tests, independently of kpath's own routing code (the lab must not import kpath.routing), so a
probe through the lab checks kpath's reading of the spec against a second one.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from kpath.lab.gateway.listeners import (
    gateway_status,
    listener_set_parent,
    listener_set_status,
    listeners_of,
)
from kpath.lab.gateway.match import DEFAULT_MATCH, intersect, path_of
from kpath.lab.gateway.state import (
    GROUP,
    HOSTNAME_PROTOCOLS,
    ROUTE_KINDS,
    Attachment,
    ControllerState,
    Key,
    Listener,
    age_key,
    condition,
    granted,
    key_of,
    meta,
    namespace_allowed,
    spec_of,
)

__all__ = ["ControllerState", "reconcile"]


# ---------------------------------------------------------------- reconcile
def reconcile(
    objects: Mapping[str, Sequence[Mapping[str, Any]]],
    addresses: Mapping[Key, Sequence[str]],
    controllers: Collection[str] | None = None,
) -> ControllerState:
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
            state.statuses[("GatewayClass", "", name)] = {
                "conditions": [condition(gc, "Accepted", True, "Accepted")]
            }

    gateways = {
        key_of(gw): gw
        for gw in objects.get("Gateway") or []
        if spec_of(gw).get("gatewayClassName") in ours
    }
    listener_sets = sorted(objects.get("ListenerSet") or [], key=age_key)
    listener_status: dict[tuple[tuple[str, str, str], str], dict[str, Any]] = {}
    for gw_key, gw in gateways.items():
        state.listeners[gw_key] = listeners_of(state, gw, listener_sets, ns_labels, listener_status)

    counts: dict[tuple[tuple[str, str, str], str], int] = {}
    listener_set_parents = {
        key_of(ls): parent
        for ls in listener_sets
        if (parent := listener_set_parent(ls)) in gateways
    }
    for kind in ROUTE_KINDS:
        for route in sorted(objects.get(kind) or [], key=age_key):
            _attach_route(state, kind, route, gateways, listener_set_parents, ns_labels, counts)

    for gw_key, gw in gateways.items():
        state.statuses[("Gateway", *gw_key)] = gateway_status(
            state, gw, addresses.get(gw_key) or (), listener_status, counts
        )
    for ls in listener_sets:
        listener_set_status(state, ls, gateways, ns_labels, listener_status, counts)
    return state


# ---------------------------------------------------------------- routes
def _attach_route(
    state: ControllerState,
    kind: str,
    route: Mapping[str, Any],
    gateways: Mapping[Key, Mapping[str, Any]],
    listener_set_parents: Mapping[Key, Key],
    ns_labels: Mapping[str, Mapping[str, str]],
    counts: dict[tuple[tuple[str, str, str], str], int],
) -> None:
    route_ns, route_name = key_of(route)
    spec = spec_of(route)
    refs_ok, refs_reason, refs_message = backend_refs_status(state, kind, route)
    invalid = rules_problem(route) if kind == "HTTPRoute" else None
    parents: list[dict[str, Any]] = []
    done: set[tuple[tuple[str, str, str], str]] = set()  # a listener counts a route once
    for ref in spec.get("parentRefs") or []:
        if (ref.get("group") or GROUP) != GROUP:
            continue
        pkind = str(ref.get("kind") or "Gateway")
        pns = str(ref.get("namespace") or route_ns)
        pname = str(ref.get("name") or "")
        if pkind == "Gateway":
            gw_key: Key | None = (pns, pname) if (pns, pname) in gateways else None
        elif pkind == "ListenerSet":
            # The ListenerSet's own parent, whether or not that Gateway took it in (a route
            # on a ListenerSet the Gateway refused matches no listener: NoMatchingParent).
            gw_key = listener_set_parents.get((pns, pname))
        else:
            gw_key = None
        if gw_key is None:
            continue  # not a parent of this controller: another one (or none) writes it
        reason, taken = _attachment(state, kind, route, ref, pkind, pns, pname, gw_key, ns_labels)
        message = reason
        if invalid and reason == "Accepted":
            (reason, message), taken = invalid, []
        for listener, hosts in taken:
            where = (listener.owner, listener.name)
            if where in done:
                continue
            done.add(where)
            state.attached.setdefault(where, []).append(Attachment(kind, route, hosts))
            counts[where] = counts.get(where, 0) + 1
        controller = state.class_controllers.get(
            str(spec_of(gateways[gw_key]).get("gatewayClassName")), ""
        )
        parents.append(
            {
                "parentRef": dict(ref),
                "controllerName": controller,
                "conditions": [
                    condition(route, "Accepted", reason == "Accepted", reason, message),
                    condition(route, "ResolvedRefs", refs_ok, refs_reason, refs_message),
                ],
            }
        )
    if parents:
        state.statuses[(kind, route_ns, route_name)] = {"parents": parents}


def _attachment(
    state: ControllerState,
    kind: str,
    route: Mapping[str, Any],
    ref: Mapping[str, Any],
    pkind: str,
    pns: str,
    pname: str,
    gw_key: Key,
    ns_labels: Mapping[str, Mapping[str, str]],
) -> tuple[str, list[tuple[Listener, list[str] | None]]]:
    """Which listeners of the parent take this parentRef: the Accepted reason and the list."""
    route_ns = key_of(route)[0]
    section = ref.get("sectionName")
    port = ref.get("port")
    candidates = [
        li
        for li in state.listeners[gw_key]
        if (pkind == "Gateway" and li.owner[0] == "Gateway")
        or (pkind == "ListenerSet" and li.owner == ("ListenerSet", pns, pname))
    ]
    candidates = [
        li
        for li in candidates
        if (section is None or li.name == section) and (port is None or li.port == int(port))
    ]
    if not candidates:
        return "NoMatchingParent", []
    allowed = [
        li
        for li in candidates
        if li.serving
        and kind in li.kinds
        and namespace_allowed(
            (li.allowed.get("namespaces") or {}), li.owner[1], route_ns, ns_labels, default="Same"
        )
    ]
    if not allowed:
        return "NotAllowedByListeners", []
    route_hosts = [str(h) for h in spec_of(route).get("hostnames") or []]
    taken: list[tuple[Listener, list[str] | None]] = []
    for li in allowed:
        if li.protocol in HOSTNAME_PROTOCOLS and kind in ("HTTPRoute", "GRPCRoute", "TLSRoute"):
            hosts = intersect(li.hostname, route_hosts)
            if hosts == []:
                continue
        else:
            hosts = None
        taken.append((li, hosts))
    if not taken:
        return "NoMatchingListenerHostname", []
    return "Accepted", taken


def rules_problem(route: Mapping[str, Any]) -> tuple[str, str] | None:
    """(reason, message) when an HTTPRoute's rules cannot be programmed as written: the spec
    rejects RequestRedirect with URLRewrite in one rule, and ReplacePrefixMatch on a rule
    whose matches are not all PathPrefix."""
    for i, rule in enumerate(spec_of(route).get("rules") or []):
        filters = rule.get("filters") or []
        types = {f.get("type") for f in filters}
        if {"RequestRedirect", "URLRewrite"} <= types:
            return "IncompatibleFilters", f"rule {i}: RequestRedirect and URLRewrite together"
        for flt in filters:
            path = (flt.get("requestRedirect") or flt.get("urlRewrite") or {}).get("path") or {}
            matches = rule.get("matches") or [DEFAULT_MATCH]
            if path.get("type") == "ReplacePrefixMatch" and any(
                path_of(m)[0] != "PathPrefix" for m in matches
            ):
                return "UnsupportedValue", f"rule {i}: ReplacePrefixMatch needs PathPrefix matches"
    return None


def backend_refs_status(
    state: ControllerState, kind: str, route: Mapping[str, Any]
) -> tuple[bool, str, str]:
    """ResolvedRefs for a route: the first backendRef that does not resolve, by rule order."""
    for rule in spec_of(route).get("rules") or []:
        for ref in rule.get("backendRefs") or []:
            problem = backend_problem(state, kind, route, ref)
            if problem:
                return False, problem[0], problem[1]
    return True, "ResolvedRefs", "ResolvedRefs"


def backend_problem(
    state: ControllerState, kind: str, route: Mapping[str, Any], ref: Mapping[str, Any]
) -> tuple[str, str] | None:
    """(reason, message) when a backendRef cannot be used, None when it can."""
    route_ns = key_of(route)[0]
    group, bkind = str(ref.get("group") or ""), str(ref.get("kind") or "Service")
    name = str(ref.get("name") or "")
    ns = str(ref.get("namespace") or route_ns)
    if group != "" or bkind != "Service":
        return "InvalidKind", f"backendRef {group or 'core'}/{bkind} is not a Service"
    if ns != route_ns and not granted(
        state.grants,
        from_kind=kind,
        from_ns=route_ns,
        to_group="",
        to_kind="Service",
        to_ns=ns,
        to_name=name,
    ):
        return (
            "RefNotPermitted",
            f"no ReferenceGrant in {ns} lets {kind}s in {route_ns} refer to Service {name}",
        )
    svc = state.services.get((ns, name))
    if svc is None:
        return "BackendNotFound", f"Service {ns}/{name} does not exist"
    port = ref.get("port")
    ports = [p.get("port") for p in spec_of(svc).get("ports") or []]
    if port is None or int(port) not in ports:
        return "BackendNotFound", f"Service {ns}/{name} has no port {port}"
    return None
