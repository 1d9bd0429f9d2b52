"""Where one request goes through each Gateway: `gateway_answers` (pure).

Per Gateway, the one listener that takes the request (port, protocol, hostname; the most
specific hostname wins and the others never see it), then the first entry of that
listener's table, in precedence order, whose match holds. A gRPC call tries GRPCRoutes,
then HTTPRoutes (it is an HTTP/2 POST as well; attachment already keeps only one of an
HTTPRoute and a GRPCRoute whose hostnames intersect). TLSRoutes are chosen by SNI, the most
specific hostname first, then the oldest route; TCPRoutes and UDPRoutes by listener, and
of several on one listener the oldest serves (the others are accepted but carry nothing,
as tcproute-multiple-routes-attachment checks).
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlencode

from kpath.cluster.gatewayapi import Gateway, Route
from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import Snapshot
from kpath.routing.gateway.attach import GatewayTable, ListenerRoutes, attach
from kpath.routing.gateway.backends import ResolvedBackend, rule_backends
from kpath.routing.gateway.filters import redirect_location, rewritten, rule_filters
from kpath.routing.gateway.findings import not_found_finding, rule_findings
from kpath.routing.gateway.index import HostIndex, request_guards
from kpath.routing.gateway.listeners import select_listener
from kpath.routing.gateway.match import MatchEntry, grpc_match, grpc_parts, http_match
from kpath.routing.requests import (
    Answer,
    BackendShare,
    EntryRef,
    Outcome,
    Request,
    Rewrite,
    RouteRef,
)


def gateway_answers(
    snapshot: Snapshot,
    request: Request,
    via: ObjectKey | None = None,
    table: GatewayTable | None = None,
) -> list[Answer]:
    """One Answer per Gateway whose listener takes the request (or, with ``via``, the
    answer of that Gateway alone: ``no-listener`` when none of its listeners takes it).
    ``via`` naming no Gateway gives no answer (it may be an Ingress controller)."""
    table = table if table is not None else attach(snapshot)
    keys = [via] if via is not None else list(table.by_gateway)
    out: list[Answer] = []
    for key in keys:
        listeners = table.by_gateway.get(key)
        if listeners is None:
            continue
        lr = _listener(listeners, request)
        if lr is None:
            if via is not None:
                gw = snapshot.gateways.gateways.get(key)
                entry = EntryRef(
                    "gateway", key, None, _address(gw), request.port, gw.class_name if gw else None
                )
                out.append(Answer(entry, None, Outcome.NO_LISTENER, None, None, None, (), ()))
            continue
        out.append(listener_answer(snapshot, lr, request))
    return out


def _listener(listeners: tuple[ListenerRoutes, ...], request: Request) -> ListenerRoutes | None:
    chosen = select_listener(
        [lr.bound for lr in listeners], request.scheme, request.port, request.host
    )
    if chosen is None:
        return None
    return next(lr for lr in listeners if lr.bound is chosen)


def _address(gw: Gateway | None) -> str | None:
    if gw is None or not gw.addresses:
        return None
    return gw.addresses[0].value


class Found(NamedTuple):
    entry: MatchEntry
    host: str | None  # the route hostname it matched under (None: a route for every host)


def find_entry(lr: ListenerRoutes, request: Request) -> MatchEntry | None:
    """The entry that serves the request on this listener, None when no rule matches."""
    found = find_match(lr, request)
    return found.entry if found else None


def find_match(lr: ListenerRoutes, request: Request) -> Found | None:
    """`find_entry`, with the hostname it matched under."""
    proto = lr.bound.listener.protocol
    if proto in ("HTTP", "HTTPS"):
        if request.scheme == "grpc":
            parts = grpc_parts(request.path)
            if parts is not None:
                found = _first_grpc(lr.grpc, request, *parts)
                if found is not None:
                    return found
        return _first_http(lr.http, request)
    # TLS by SNI (most specific hostname first); TCP and UDP: every host, oldest route first
    for h in lr.simple.host_keys(request.host):
        es = lr.simple.buckets[h]
        if es:
            return Found(es[0], h)
    return None


def _first_http(index: HostIndex, request: Request) -> Found | None:
    path, method, headers, query = request.path, request.method, request.headers, request.query
    guards = request_guards(method, headers, query)
    for h in index.host_keys(request.host):
        for e in index.paths[h].candidates(path, guards):
            if http_match(e.spec, path, method, headers, query):
                return Found(e, h)
    return None


def _first_grpc(index: HostIndex, request: Request, service: str, method: str) -> Found | None:
    for h in index.host_keys(request.host):
        for e in index.buckets[h]:
            if grpc_match(e.spec, service, method, request.headers):
                return Found(e, h)
    return None


def _shares(backends: tuple[ResolvedBackend, ...]) -> tuple[BackendShare, ...]:
    return tuple(
        BackendShare(b.service, b.ref.port, b.weight, b.share, b.verdict, b.endpoints)
        for b in backends
        if b.weight > 0
    )


def listener_answer(snapshot: Snapshot, lr: ListenerRoutes, request: Request) -> Answer:
    """What one listener does with a request it takes: redirect, forward (with the rewrite
    and every weighted backend's share and verdict), 500 when no valid backend is left, or
    404 (TLS/TCP: the connection is closed) when no rule matches, with why."""
    lst = lr.bound.listener
    gw = lr.gateway
    entry = EntryRef("gateway", gw.key, lr.ref.label(), _address(gw), lst.port, gw.class_name)
    found = find_match(lr, request)
    if found is None:
        http = lst.protocol in ("HTTP", "HTTPS")
        why = (not_found_finding(lr, request),) if http else ()
        return Answer(entry, None, Outcome.NOT_FOUND, 404 if http else None, None, None, (), why)
    e = found.entry
    route: Route = e.route
    path_match = e.spec.path if route.kind == "HTTPRoute" else None
    ref = RouteRef(
        route.kind,
        route.key,
        e.rule,
        found.host,
        path_match.value if path_match else None,
        path_match.type if path_match else None,
    )
    rule = route.rules[e.rule]
    filters = rule_filters(rule.filters)
    prefix = e.spec.path.value if e.spec.path and e.spec.path.type == "PathPrefix" else None
    query = urlencode(request.query)
    if filters.redirect is not None and route.kind == "HTTPRoute":
        scheme = "https" if request.scheme == "https" else "http"
        location = redirect_location(
            filters.redirect, scheme, request.host, lst.port, request.path, query, prefix
        )
        return Answer(
            entry, ref, Outcome.REDIRECT, filters.redirect.status_code, location, None, (), ()
        )
    backends = rule_backends(snapshot, route, e.rule)
    findings = tuple(rule_findings(route, e.rule, backends, gw.key))
    rewrite = None
    if filters.rewrite is not None and route.kind == "HTTPRoute":
        host, path = rewritten(filters.rewrite, request.host, request.path, prefix)
        rewrite = Rewrite(host, path + (f"?{query}" if query else ""))
    shares = _shares(backends)
    if not any(b.problem is None for b in backends if b.weight > 0):
        # No backendRefs, all invalid, or all weight 0: the gateway answers 500 itself.
        status = 500 if lst.protocol in ("HTTP", "HTTPS") else None
        return Answer(entry, ref, Outcome.BACKEND_ERROR, status, None, rewrite, shares, findings)
    return Answer(entry, ref, Outcome.FORWARD, None, None, rewrite, shares, findings)
