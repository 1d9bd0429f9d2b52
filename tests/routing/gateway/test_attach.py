"""Route attachment: parentRefs, allowedRoutes, hostname intersection, and the reason each
rejected attachment keeps. Each test names the conformance test it mirrors."""

from __future__ import annotations

from kpath.routing.gateway.attach import (
    NO_HOSTNAME,
    NO_PARENT,
    NOT_ALLOWED,
    UNSUPPORTED,
    GatewayTable,
    attach,
)
from kpath.routing.gateway.listeners import ListenerRef
from tests.routing.gateway.builders import (
    APP,
    INFRA,
    WEB,
    gateway,
    key,
    listener,
    listener_set,
    namespace,
    parent,
    route,
    selector,
    snapshot,
)


def attached(table: GatewayTable, gw: str, lst: str = "http", ns: str = INFRA) -> list[str]:
    lr = table.listener(ListenerRef(key(gw, ns), None, lst))
    assert lr is not None
    return sorted(a.route.name for a in lr.routes)


def reasons(table: GatewayTable) -> dict[str, str]:
    return {r.route.name: r.reason for r in table.rejected}


def test_attached_routes_counted_per_listener() -> None:
    # GatewayWithAttachedRoutes: Selector on kubernetes.io/metadata.name, kinds [HTTPRoute]
    sel = selector({"kubernetes.io/metadata.name": INFRA})
    gw1 = gateway(
        "gateway-with-one-attached-route", listener(from_="Selector", sel=sel, kinds=["HTTPRoute"])
    )
    gw2 = gateway(
        "gateway-with-two-attached-routes",
        listener(hostname="foo.example.com", from_="Selector", sel=sel, kinds=["HTTPRoute"]),
    )
    routes = [
        route("http-route-1", gw="gateway-with-one-attached-route"),
        route("http-route-2", gw="gateway-with-two-attached-routes"),
        route("http-route-3", gw="gateway-with-two-attached-routes"),
        route(
            "http-route-not-accepted",
            gw="gateway-with-two-attached-routes",
            hostnames=["not-accepted.test.com"],
        ),
    ]
    table = attach(snapshot([gw1, gw2], routes))
    assert attached(table, "gateway-with-one-attached-route") == ["http-route-1"]
    assert attached(table, "gateway-with-two-attached-routes") == ["http-route-2", "http-route-3"]
    assert reasons(table) == {"http-route-not-accepted": NO_HOSTNAME}


def test_hostname_intersection_kept_per_listener() -> None:
    # HTTPRouteHostnameIntersection: the hostnames each route serves on each listener
    gw = gateway(
        "httproute-hostname-intersection",
        listener("listener-1", hostname="very.specific.com"),
        listener("listener-2", hostname="*.wildcard.io"),
        listener("listener-3", hostname="*.anotherwildcard.io"),
    )
    p = [parent("httproute-hostname-intersection", INFRA)]
    routes = [
        route(
            "specific-host-matches-listener-specific-host",
            parents=p,
            hostnames=["non.matching.com", "*.nonmatchingwildcard.io", "very.specific.com"],
        ),
        route(
            "specific-host-matches-listener-wildcard-host",
            parents=p,
            hostnames=[
                "non.matching.com",
                "wildcard.io",
                "foo.wildcard.io",
                "bar.wildcard.io",
                "foo.bar.wildcard.io",
            ],
        ),
        route(
            "wildcard-host-matches-listener-specific-host",
            parents=p,
            hostnames=["non.matching.com", "*.specific.com"],
        ),
        route(
            "wildcard-host-matches-listener-wildcard-host",
            parents=p,
            hostnames=["*.anotherwildcard.io"],
        ),
        route(
            "no-intersecting-hosts", parents=p, hostnames=["specific.but.wrong.com", "wildcard.io"]
        ),
    ]
    table = attach(snapshot([gw], routes))
    hosts = {
        (a.listener.name, a.route.name): a.hostnames for lr in table.listeners for a in lr.routes
    }
    assert hosts == {
        ("listener-1", "specific-host-matches-listener-specific-host"): ("very.specific.com",),
        ("listener-1", "wildcard-host-matches-listener-specific-host"): ("very.specific.com",),
        ("listener-2", "specific-host-matches-listener-wildcard-host"): (
            "foo.wildcard.io",
            "bar.wildcard.io",
            "foo.bar.wildcard.io",
        ),
        ("listener-3", "wildcard-host-matches-listener-wildcard-host"): ("*.anotherwildcard.io",),
    }
    assert reasons(table) == {"no-intersecting-hosts": NO_HOSTNAME}


def test_section_name_and_port_must_name_a_listener() -> None:
    # HTTPRouteInvalidParentRefNotMatchingSectionName, ...NotMatchingListenerPort,
    # ...SectionNameNotMatchingPort: each is Accepted=False NoMatchingParent
    gw = gateway("gw", listener("http", 80, from_="All", kinds=["HTTPRoute"]))
    routes = [
        route("bad-section", parents=[parent("gw", INFRA, section="unknown")]),
        route("bad-port", parents=[parent("gw", INFRA, port=81)]),
        route("section-port-mismatch", parents=[parent("gw", INFRA, section="http", port=81)]),
        route("good", parents=[parent("gw", INFRA, section="http", port=80)]),
    ]
    table = attach(snapshot([gw], routes))
    assert attached(table, "gw") == ["good"]
    assert reasons(table) == {
        "bad-section": NO_PARENT,
        "bad-port": NO_PARENT,
        "section-port-mismatch": NO_PARENT,
    }


def test_route_kind_not_allowed_by_listener() -> None:
    # HTTPRouteDisallowedKind: a TLS-only listener refuses an HTTPRoute
    gw = gateway(
        "tlsroutes-only", listener("tls", 443, "TLS", kinds=["TLSRoute"], tls_mode="Passthrough")
    )
    table = attach(snapshot([gw], [route("disallowed-kind", gw="tlsroutes-only")]))
    assert reasons(table) == {"disallowed-kind": NOT_ALLOWED}


def test_cross_namespace_parent_needs_allowed_routes() -> None:
    # HTTPRouteInvalidCrossNamespaceParentRef: a route in the web namespace on a
    # Same-namespace listener is NotAllowedByListeners
    gw = gateway("same-namespace")
    r = route(
        "invalid-cross-namespace-parent-ref", ns=WEB, parents=[parent("same-namespace", INFRA)]
    )
    table = attach(snapshot([gw], [r]))
    assert reasons(table) == {"invalid-cross-namespace-parent-ref": NOT_ALLOWED}
    assert attached(table, "same-namespace") == []


def test_namespace_selector_with_match_expressions() -> None:
    # HTTPRouteCrossNamespace's Selector listeners, with matchExpressions as well as labels
    sel = selector(
        exprs=[("gateway-conformance", "In", ["web-backend"]), ("forbidden", "DoesNotExist", [])]
    )
    gw = gateway("backend-namespaces", listener(from_="Selector", sel=sel))
    nss = [
        namespace(WEB, **{"gateway-conformance": "web-backend"}),
        namespace(APP, **{"gateway-conformance": "web-backend", "forbidden": "yes"}),
    ]
    routes = [
        route("web", ns=WEB, parents=[parent("backend-namespaces", INFRA)]),
        route("app", ns=APP, parents=[parent("backend-namespaces", INFRA)]),
        route("infra", parents=[parent("backend-namespaces", INFRA)]),
    ]
    table = attach(snapshot([gw], routes, namespaces=nss))
    assert attached(table, "backend-namespaces") == ["web"]
    assert reasons(table) == {"app": NOT_ALLOWED, "infra": NOT_ALLOWED}


def test_kinds_default_per_protocol() -> None:
    # GatewayInvalidRouteKind and the protocol defaults: HTTP takes HTTP/GRPC routes,
    # TCP only TCPRoutes; an allowedRoutes kind the protocol cannot carry is invalid
    gw = gateway(
        "gw",
        listener("http", 80),
        listener("tcp", 9000, "TCP"),
        listener("bad", 81, kinds=["TCPRoute"]),
    )
    table = attach(snapshot([gw], []))
    kinds = {lr.ref.name: (lr.kinds, lr.invalid_kinds) for lr in table.listeners}
    assert kinds == {
        "http": (("HTTPRoute", "GRPCRoute"), ()),
        "tcp": (("TCPRoute",), ()),
        "bad": ((), ("TCPRoute",)),
    }
    routes = [
        route("h", parents=[parent("gw", INFRA, section="tcp")]),
        route("t", kind="TCPRoute", parents=[parent("gw", INFRA)]),
    ]
    table = attach(snapshot([gw], routes))
    assert attached(table, "gw", "tcp") == ["t"]
    assert reasons(table) == {"h": NOT_ALLOWED}


def test_missing_gateway_and_foreign_parent_kind() -> None:
    routes = [
        route("orphan", parents=[parent("nowhere", INFRA)]),
        route("svc-parent", parents=[parent("x", INFRA, kind="Service", group="")]),
    ]
    table = attach(snapshot([gateway("same-namespace")], routes))
    assert reasons(table) == {"orphan": NO_PARENT, "svc-parent": UNSUPPORTED}


def test_listener_set_attaches_only_where_allowed() -> None:
    # ListenerSetDefaultNotAllowed, ListenerSetAllowedNamespaceSame/Selector: a Gateway
    # without allowedListeners takes no ListenerSet
    ls = [
        listener_set("ls-same", "gw-same", listener("extra", 8080)),
        listener_set("ls-other", "gw-same", listener("extra", 8081), ns=WEB, gw_ns=INFRA),
        listener_set("ls-denied", "gw-none", listener("extra", 8080)),
    ]
    gws = [gateway("gw-same", allowed_listeners="Same"), gateway("gw-none")]
    table = attach(snapshot(gws, [], sets=ls))
    names = {
        str(lr.ref.gateway): [lr.ref.label() for lr in table.by_gateway[lr.ref.gateway]]
        for lr in table.listeners
    }
    assert names == {
        f"{INFRA}/gw-same": ["http", f"{INFRA}/ls-same/extra"],
        f"{INFRA}/gw-none": ["http"],
    }


def test_gateway_parent_does_not_reach_listener_set_listeners() -> None:
    # GEP-1713 "Gateway Parents and sectionName": a route on the Gateway attaches to its
    # own listeners only; one on the ListenerSet to the set's listeners
    ls = listener_set("ls", "gw", listener("extra", 8080))
    gw = gateway("gw", allowed_listeners="Same")
    routes = [
        route("on-gw", gw="gw"),
        route("on-gw-extra", parents=[parent("gw", INFRA, section="extra")]),
        route("on-set", parents=[parent("ls", INFRA, kind="ListenerSet")]),
    ]
    table = attach(snapshot([gw], routes, sets=[ls]))
    lr = table.listener(ListenerRef(key("gw"), key("ls"), "extra"))
    assert lr is not None and [a.route.name for a in lr.routes] == ["on-set"]
    assert attached(table, "gw") == ["on-gw"]
    assert reasons(table) == {"on-gw-extra": NO_PARENT}


def test_listener_set_conflict_keeps_the_gateway_listener() -> None:
    # ListenerSetHostnameConflict: the parent Gateway's listener wins, the set's conflicts
    ls = listener_set("ls", "gw", listener("dup", 80))
    gw = gateway("gw", allowed_listeners="Same")
    table = attach(snapshot([gw], [], sets=[ls]))
    conflicts = {lr.ref.label(): lr.bound.conflict_reason for lr in table.listeners}
    assert conflicts == {"http": None, f"{INFRA}/ls/dup": "HostnameConflict"}


def test_protocol_conflict_on_one_port() -> None:
    # Listener conflicts (gateway_types.go): HTTP and TCP on one port; HTTPS and TLS share
    gw = gateway(
        "gw",
        listener("http", 80),
        listener("tcp", 80, "TCP"),
        listener("https", 443, "HTTPS"),
        listener("tls", 443, "TLS", hostname="t.io"),
    )
    table = attach(snapshot([gw], []))
    assert {lr.ref.name: lr.bound.conflict_reason for lr in table.listeners} == {
        "http": None,
        "tcp": "ProtocolConflict",
        "https": None,
        "tls": None,
    }


def test_table_rules_walks_every_attached_rule() -> None:
    from tests.routing.gateway.builders import backend, rule

    routes = [route("two", rule(backend("a")), rule(backend("b"))), route("one")]
    table = attach(snapshot([gateway("same-namespace")], routes))
    assert sorted((a.route.name, i) for _, a, i in table.rules()) == [
        ("one", 0),
        ("two", 0),
        ("two", 1),
    ]


def test_every_gateway_is_in_the_table_even_without_listeners() -> None:
    from kpath.routing.gateway.resolve import gateway_answers
    from tests.routing.gateway.builders import request

    gw = gateway("empty")._replace(listeners=())
    snap = snapshot([gw], [])
    table = attach(snap)
    assert table.by_gateway == {key("empty"): ()}
    (a,) = gateway_answers(snap, request("x"), via=key("empty"), table=table)
    assert (a.outcome, a.entry.address, a.entry.class_name) == (
        "no-listener",
        "192.0.2.10",
        "kpath",
    )
