"""Small constructors of Gateway API records for unit tests (the fields that matter)."""

from __future__ import annotations

from kpath.cluster.gatewayapi import (
    AllowedRoutes,
    BackendRef,
    Condition,
    Gateway,
    GatewayAddress,
    GatewayClass,
    Listener,
    ListenerStatus,
    ParentRef,
    PathMatch,
    RequestRedirect,
    Route,
    RouteFilter,
    RouteMatch,
    RouteParentStatus,
    RouteRule,
)
from kpath.cluster.gatewaykinds import GatewayObjects

GROUP = "gateway.networking.k8s.io"


def cond(
    type_: str, status: str, reason: str = "", message: str = "", gen: int | None = None
) -> Condition:
    return Condition(type_, status, reason, message, gen)


def listener(
    name: str = "http",
    port: int = 80,
    protocol: str = "HTTP",
    hostname: str | None = None,
    from_: str = "Same",
) -> Listener:
    return Listener(name, hostname, port, protocol, None, (), AllowedRoutes(from_, None, ()))


def gateway(
    name: str = "gw",
    ns: str = "default",
    class_name: str = "eg",
    listeners: tuple[Listener, ...] | None = None,
    addresses: tuple[str, ...] = (),
    conditions: tuple[Condition, ...] = (),
    listener_status: tuple[ListenerStatus, ...] = (),
    generation: int = 1,
) -> Gateway:
    return Gateway(
        ns,
        name,
        class_name,
        listeners or (listener(),),
        (),
        tuple(GatewayAddress("IPAddress", a) for a in addresses),
        conditions,
        listener_status,
        None,
        None,
        {},
        {},
        {},
        "2026-01-01T00:00:00Z",
        generation,
    )


def gw_class(
    name: str = "eg",
    controller: str = "gateway.envoyproxy.io/gatewayclass-controller",
    conditions: tuple[Condition, ...] = (),
) -> GatewayClass:
    return GatewayClass(name, controller, conditions)


def parent(
    name: str = "gw", ns: str | None = None, section: str | None = None, port: int | None = None
) -> ParentRef:
    return ParentRef(GROUP, "Gateway", ns, name, section, port)


def backend(
    name: str,
    port: int | None = 80,
    weight: int = 1,
    ns: str | None = None,
    kind: str = "Service",
    group: str = "",
) -> BackendRef:
    return BackendRef(group, kind, ns, name, port, weight)


def prefix(value: str = "/", type_: str = "PathPrefix") -> RouteMatch:
    return RouteMatch(PathMatch(type_, value), (), (), None, None, None, None)


def rule(
    *backends: BackendRef,
    matches: tuple[RouteMatch, ...] = (),
    redirect: RequestRedirect | None = None,
    name: str | None = None,
) -> RouteRule:
    filters = (RouteFilter("RequestRedirect", redirect, None),) if redirect else ()
    return RouteRule(name, matches, filters, backends)


def route(
    name: str,
    *rules: RouteRule,
    ns: str = "default",
    parents: tuple[ParentRef, ...] | None = None,
    hostnames: tuple[str, ...] = (),
    kind: str = "HTTPRoute",
    status: tuple[RouteParentStatus, ...] = (),
    generation: int = 1,
    creation: str = "2026-01-01T00:00:00Z",
) -> Route:
    return Route(
        kind,
        ns,
        name,
        parents if parents is not None else (parent(),),
        hostnames,
        rules,
        status,
        creation,
        generation,
    )


def parent_status(
    p: ParentRef, *conditions: Condition, controller: str = "example.com/ctl"
) -> RouteParentStatus:
    return RouteParentStatus(p, controller, conditions)


def objects(*items: object) -> GatewayObjects:
    classes = {i.name: i for i in items if isinstance(i, GatewayClass)}
    gws = {i.key: i for i in items if isinstance(i, Gateway)}
    routes = tuple(i for i in items if isinstance(i, Route))
    return GatewayObjects(classes, gws, (), routes, (), (), {})
