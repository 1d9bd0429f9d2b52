"""Gateway API records for unit tests, built directly (the same slim records the parser
yields), and a snapshot carrying them alongside Services and EndpointSlices.

The conformance suite's objects live in ``gateway-conformance-infra`` and its backends are
``infra-backend-v1..v3`` on port 8080; the builders default to the same, so a test reads
like the conformance manifest it mirrors.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kpath.cluster.gatewayapi import (
    AllowedRoutes,
    BackendRef,
    Gateway,
    GatewayAddress,
    GrantFrom,
    GrantTo,
    HeaderMatch,
    Listener,
    ListenerSet,
    ParentRef,
    PathMatch,
    PathModifier,
    ReferenceGrant,
    RequestRedirect,
    Route,
    RouteFilter,
    RouteGroupKind,
    RouteMatch,
    RouteRule,
    URLRewrite,
)
from kpath.cluster.gatewaykinds import GROUP, GatewayObjects
from kpath.cluster.records import LabelSelector, Namespace, ObjectKey, SelectorRequirement
from kpath.cluster.snapshot import Snapshot
from kpath.routing.requests import Request
from tests import builders as b

INFRA = "gateway-conformance-infra"
WEB = "gateway-conformance-web-backend"
APP = "gateway-conformance-app-backend"
T0 = "2026-01-01T00:00:00Z"


def selector(
    labels: Mapping[str, str] | None = None, exprs: Sequence[tuple[str, str, Sequence[str]]] = ()
) -> LabelSelector:
    return LabelSelector(
        tuple((labels or {}).items()),
        tuple(SelectorRequirement(k, op, tuple(v)) for k, op, v in exprs),
    )


def listener(
    name: str = "http",
    port: int = 80,
    protocol: str = "HTTP",
    hostname: str | None = None,
    from_: str = "Same",
    sel: LabelSelector | None = None,
    kinds: Sequence[str] = (),
    tls_mode: str | None = None,
) -> Listener:
    if tls_mode is None and protocol in ("HTTPS", "TLS"):
        tls_mode = "Terminate"
    return Listener(
        name,
        hostname,
        port,
        protocol,
        tls_mode,
        (),
        AllowedRoutes(from_, sel, tuple(RouteGroupKind(GROUP, k) for k in kinds)),
    )


def gateway(
    name: str,
    *listeners: Listener,
    ns: str = INFRA,
    address: str | None = "192.0.2.10",
    allowed_listeners: str | None = None,
    listeners_selector: LabelSelector | None = None,
    creation: str = T0,
) -> Gateway:
    addrs = (GatewayAddress("IPAddress", address),) if address else ()
    return Gateway(
        ns,
        name,
        "kpath",
        tuple(listeners) or (listener(),),
        (),
        addrs,
        (),
        (),
        allowed_listeners,
        listeners_selector,
        {},
        {},
        {},
        creation,
        1,
    )


def parent(
    name: str,
    ns: str | None = None,
    section: str | None = None,
    port: int | None = None,
    kind: str = "Gateway",
    group: str = GROUP,
) -> ParentRef:
    return ParentRef(group, kind, ns, name, section, port)


def listener_set(
    name: str,
    gw: str,
    *listeners: Listener,
    ns: str = INFRA,
    gw_ns: str | None = None,
    creation: str = T0,
) -> ListenerSet:
    return ListenerSet(ns, name, parent(gw, gw_ns), tuple(listeners), (), (), creation)


def path(value: str = "/", type_: str = "PathPrefix") -> PathMatch:
    return PathMatch(type_, value)


def match(
    path_: PathMatch | str | None = None,
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, str] | None = None,
    method: str | None = None,
    regex_headers: Mapping[str, str] | None = None,
) -> RouteMatch:
    p = PathMatch("PathPrefix", path_) if isinstance(path_, str) else path_
    hs = tuple(HeaderMatch("Exact", k, v) for k, v in (headers or {}).items())
    hs += tuple(HeaderMatch("RegularExpression", k, v) for k, v in (regex_headers or {}).items())
    qs = tuple(HeaderMatch("Exact", k, v) for k, v in (query or {}).items())
    return RouteMatch(p or PathMatch("PathPrefix", "/"), hs, qs, method, None, None, None)


def grpc_match(
    service: str | None = None,
    method: str | None = None,
    type_: str = "Exact",
    headers: Mapping[str, str] | None = None,
) -> RouteMatch:
    hs = tuple(HeaderMatch("Exact", k, v) for k, v in (headers or {}).items())
    return RouteMatch(None, hs, (), None, type_, service, method)


def backend(
    name: str,
    port: int | None = 8080,
    weight: int = 1,
    ns: str | None = None,
    kind: str = "Service",
    group: str = "",
) -> BackendRef:
    return BackendRef(group, kind, ns, name, port, weight)


def redirect(
    scheme: str | None = None,
    hostname: str | None = None,
    port: int | None = None,
    full: str | None = None,
    prefix: str | None = None,
    status: int = 302,
) -> RouteFilter:
    return RouteFilter(
        "RequestRedirect",
        RequestRedirect(scheme, hostname, port, _modifier(full, prefix), status),
        None,
    )


def rewrite(
    hostname: str | None = None, full: str | None = None, prefix: str | None = None
) -> RouteFilter:
    return RouteFilter("URLRewrite", None, URLRewrite(hostname, _modifier(full, prefix)))


def _modifier(full: str | None, prefix: str | None) -> PathModifier | None:
    if full is not None:
        return PathModifier("ReplaceFullPath", full)
    if prefix is not None:
        return PathModifier("ReplacePrefixMatch", prefix)
    return None


def rule(
    *backends: BackendRef,
    matches: Sequence[RouteMatch] = (),
    filters: Sequence[RouteFilter] = (),
    name: str | None = None,
) -> RouteRule:
    return RouteRule(name, tuple(matches), tuple(filters), tuple(backends))


def route(
    name: str,
    *rules: RouteRule,
    kind: str = "HTTPRoute",
    ns: str = INFRA,
    parents: Sequence[ParentRef] | None = None,
    hostnames: Sequence[str] = (),
    creation: str = T0,
    gw: str = "same-namespace",
) -> Route:
    return Route(
        kind,
        ns,
        name,
        tuple(parents) if parents is not None else (parent(gw, INFRA),),
        tuple(hostnames),
        tuple(rules) or (rule(backend("infra-backend-v1")),),
        (),
        creation,
        1,
    )


def grant(
    ns: str,
    from_: Iterable[tuple[str, str]],
    to: Iterable[tuple[str, str | None]],
    name: str = "grant",
) -> ReferenceGrant:
    """A ReferenceGrant in ``ns``: ``from_`` (kind, namespace) pairs, ``to`` (kind, name)."""
    return ReferenceGrant(
        ns,
        name,
        tuple(GrantFrom(GROUP, k, n) for k, n in from_),
        tuple(GrantTo("" if k in ("Service", "Secret") else GROUP, k, n) for k, n in to),
    )


def namespace(name: str, **labels: str) -> Namespace:
    return Namespace(name, {"kubernetes.io/metadata.name": name, **labels})


def service(
    name: str,
    ns: str = INFRA,
    port: int = 8080,
    ready: int = 1,
    not_ready: int = 0,
    protocol: str = "TCP",
) -> list[dict[str, Any]]:
    """A Service and its EndpointSlice: ``ready`` ready endpoints, ``not_ready`` others."""
    ports = [{"port": port, "targetPort": 3000, "protocol": protocol}]
    eps = [b.endpoint(f"10.1.{len(name) % 200}.{i + 1}", "n1", ns=ns) for i in range(ready)]
    eps += [
        b.endpoint(f"10.2.{len(name) % 200}.{i + 1}", "n1", ready=False, ns=ns)
        for i in range(not_ready)
    ]
    return [
        b.service(name, ns=ns, ports=ports),
        b.endpointslice(name, eps, ns=ns, ports=[{"name": "", "port": 3000, "protocol": protocol}]),
    ]


#: The conformance suite's backends, each with one ready endpoint.
INFRA_BACKENDS = [
    o for n in ("infra-backend-v1", "infra-backend-v2", "infra-backend-v3") for o in service(n)
]


def snapshot(
    gateways: Sequence[Gateway] = (),
    routes: Sequence[Route] = (),
    grants: Sequence[ReferenceGrant] = (),
    sets: Sequence[ListenerSet] = (),
    namespaces: Sequence[Namespace] = (),
    objects: Sequence[dict[str, Any]] = (),
    infra: bool = True,
) -> Snapshot:
    base = b.snapshot(*(INFRA_BACKENDS if infra else []), *objects)
    gws = GatewayObjects(
        {}, {g.key: g for g in gateways}, tuple(sets), tuple(routes), tuple(grants), (), {}
    )
    nss = {n.name: n for n in namespaces}
    for ns in (INFRA, WEB, APP):
        nss.setdefault(ns, namespace(ns))
    return dataclasses.replace(base, gateways=gws, namespaces=nss)


def request(
    url_host: str,
    path_: str = "/",
    scheme: str = "http",
    port: int | None = None,
    method: str = "GET",
    headers: Sequence[tuple[str, str]] = (),
    query: Sequence[tuple[str, str]] = (),
) -> Request:
    default = {"http": 80, "grpc": 80, "https": 443, "tls": 443}.get(scheme, 0)
    return Request(
        scheme, url_host.lower(), port or default, path_, tuple(query), method, tuple(headers)
    )


def key(name: str, ns: str = INFRA) -> ObjectKey:
    return ObjectKey(ns, name)


def outcome(
    snap: Snapshot, req: Request, gw: str | None = None, table: object | None = None
) -> str:
    """What one Gateway answers, as a conformance test states it: the backend's name when it
    forwards to one, ``404``/``500``/``3xx`` when the gateway answers itself, or
    ``no-listener``."""
    from kpath.routing.gateway.resolve import gateway_answers

    via = key(gw) if gw is not None else None
    answers = gateway_answers(snap, req, via=via, table=table)  # type: ignore[arg-type]
    assert len(answers) == 1, answers
    a = answers[0]
    if a.outcome == "forward":
        names = sorted({f"{s.name.name}" for s in a.backends})
        return ",".join(names)
    if a.outcome == "no-listener":
        return "no-listener"
    return str(a.http_status) if a.http_status is not None else str(a.outcome)
