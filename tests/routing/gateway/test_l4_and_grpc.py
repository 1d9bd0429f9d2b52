"""GRPCRoute (service/method and header matches), TLSRoute by SNI, TCPRoute and UDPRoute by
listener, as the grpcroute-*, tlsroute-*, tcproute-* and udproute-* conformance tests ask."""

from __future__ import annotations

import pytest

from kpath.routing.gateway.attach import CONFLICTED, NO_HOSTNAME, attach
from kpath.routing.gateway.resolve import gateway_answers
from kpath.routing.requests import Outcome
from tests.routing.gateway.builders import (
    backend,
    gateway,
    grpc_match,
    listener,
    outcome,
    parent,
    request,
    route,
    rule,
    service,
    snapshot,
)

G1, G2, G3 = "grpc-infra-backend-v1", "grpc-infra-backend-v2", "grpc-infra-backend-v3"
GRPC_BACKENDS = [o for n in (G1, G2, G3) for o in service(n)]
ECHO = "gateway_api_conformance.echo_basic.grpcecho.GrpcEcho"
SAME = gateway("same-namespace")


def grpc(
    host: str = "x",
    method: str = "Echo",
    service_: str = ECHO,
    headers: dict[str, str] | None = None,
):  # type: ignore[no-untyped-def]
    return request(
        host,
        f"/{service_}/{method}",
        scheme="grpc",
        method="POST",
        headers=tuple((headers or {}).items()),
    )


EXACT_METHOD = snapshot(
    [SAME],
    [
        route(
            "exact-matching",
            rule(backend(G1), matches=[grpc_match(ECHO, "Echo")]),
            rule(backend(G2), matches=[grpc_match(ECHO, "EchoTwo")]),
            kind="GRPCRoute",
        )
    ],
    objects=GRPC_BACKENDS,
)


@pytest.mark.parametrize(("method", "want"), [("Echo", G1), ("EchoTwo", G2), ("EchoThree", "404")])
def test_grpc_exact_method_matching(method: str, want: str) -> None:
    # GRPCRouteExactMethodMatching (Unimplemented there: the gateway's 404)
    assert outcome(EXACT_METHOD, grpc(method=method)) == want


def test_grpc_service_or_method_may_be_omitted_and_regex() -> None:
    # GRPCMethodMatch: an omitted service matches any service, an omitted method any method;
    # RegularExpression matches the whole name
    snap = snapshot(
        [SAME],
        [
            route(
                "r",
                rule(backend(G1), matches=[grpc_match(None, "Echo")]),
                rule(backend(G2), matches=[grpc_match(ECHO, None)]),
                rule(backend(G3), matches=[grpc_match(r"other\..*", "Ec.o", "RegularExpression")]),
                kind="GRPCRoute",
            )
        ],
        objects=GRPC_BACKENDS,
    )
    # the match with the most characters of service wins first: ECHO over any service
    assert outcome(snap, grpc(method="Echo")) == G2
    assert outcome(snap, grpc(method="Echo", service_="pkg.Other")) == G1
    assert outcome(snap, grpc(method="Ecko", service_="other.Svc")) == G3
    assert outcome(snap, grpc(method="Eckoo", service_="other.Svc")) == "404"


GRPC_HEADERS = snapshot(
    [SAME],
    [
        route(
            "grpc-header-matching",
            rule(backend(G1), matches=[grpc_match(headers={"version": "one"})]),
            rule(backend(G2), matches=[grpc_match(headers={"version": "two"})]),
            rule(backend(G1), matches=[grpc_match(headers={"version": "two", "color": "orange"})]),
            rule(
                backend(G1),
                matches=[
                    grpc_match(headers={"color": "blue"}),
                    grpc_match(headers={"color": "green"}),
                ],
            ),
            rule(
                backend(G2),
                matches=[
                    grpc_match(headers={"color": "red"}),
                    grpc_match(headers={"color": "yellow"}),
                ],
            ),
            kind="GRPCRoute",
        )
    ],
    objects=GRPC_BACKENDS,
)


@pytest.mark.parametrize(
    ("headers", "want"),
    [
        ({"version": "one"}, G1),
        ({"version": "two"}, G2),
        ({"version": "two", "color": "orange"}, G1),
        ({"version": "two", "color": "blue"}, G2),
        ({"color": "orange"}, "404"),
        ({"some-other-header": "one"}, "404"),
        ({"color": "blue"}, G1),
        ({"color": "green"}, G1),
        ({"color": "red"}, G2),
        ({"color": "yellow"}, G2),
        ({"color": "purple"}, "404"),
    ],
)
def test_grpc_header_matching(headers: dict[str, str], want: str) -> None:
    # GRPCRouteHeaderMatching
    assert outcome(GRPC_HEADERS, grpc(headers=headers)) == want


def test_grpc_listener_hostname_matching() -> None:
    # GRPCRouteListenerHostnameMatching
    gw = gateway(
        "grpcroute-listener-hostname-matching",
        listener("listener-1", hostname="bar.com"),
        listener("listener-2", hostname="foo.bar.com"),
        listener("listener-3", hostname="*.bar.com"),
        listener("listener-4", hostname="*.foo.com"),
    )
    p = "grpcroute-listener-hostname-matching"
    routes = [
        route(
            "backend-v1",
            rule(backend(G1)),
            kind="GRPCRoute",
            parents=[parent(p, section="listener-1")],
        ),
        route(
            "backend-v2",
            rule(backend(G2)),
            kind="GRPCRoute",
            parents=[parent(p, section="listener-2")],
        ),
        route(
            "backend-v3",
            rule(backend(G3)),
            kind="GRPCRoute",
            parents=[parent(p, section="listener-3"), parent(p, section="listener-4")],
        ),
    ]
    snap = snapshot([gw], routes, objects=GRPC_BACKENDS)
    got = {
        h: outcome(snap, grpc(h), p)
        for h in (
            "bar.com",
            "foo.bar.com",
            "baz.bar.com",
            "boo.bar.com",
            "multiple.prefixes.bar.com",
            "multiple.prefixes.foo.com",
            "foo.com",
            "no.matching.host",
        )
    }
    assert got == {
        "bar.com": G1,
        "foo.bar.com": G2,
        "baz.bar.com": G3,
        "boo.bar.com": G3,
        "multiple.prefixes.bar.com": G3,
        "multiple.prefixes.foo.com": G3,
        "foo.com": "no-listener",
        "no.matching.host": "no-listener",
    }


def test_grpc_call_to_a_host_only_an_httproute_serves() -> None:
    # A gRPC call is an HTTP/2 POST: where no GRPCRoute serves the host, HTTPRoutes see it
    snap = snapshot(
        [SAME],
        [
            route(
                "grpc",
                rule(backend(G1), matches=[grpc_match(ECHO, "Echo")]),
                kind="GRPCRoute",
                hostnames=["grpc.example.com"],
            ),
            route("http", rule(backend(G2)), hostnames=["web.example.com"]),
        ],
        objects=GRPC_BACKENDS,
    )
    assert outcome(snap, grpc("grpc.example.com")) == G1
    assert outcome(snap, grpc("grpc.example.com", method="Other")) == "404"
    assert outcome(snap, grpc("web.example.com")) == G2


def test_httproute_and_grpcroute_with_intersecting_hostnames() -> None:
    # GRPCRouteSpec.Hostnames: an HTTPRoute and a GRPCRoute on one listener whose hostnames
    # intersect: only the oldest (then namespace/name first) is accepted
    older = route(
        "older-http",
        rule(backend(G2)),
        hostnames=["*.example.com"],
        creation="2026-01-01T00:00:00Z",
    )
    newer = route(
        "newer-grpc",
        rule(backend(G1)),
        kind="GRPCRoute",
        hostnames=["api.example.com"],
        creation="2026-01-02T00:00:00Z",
    )
    apart = route(
        "apart-grpc",
        rule(backend(G3)),
        kind="GRPCRoute",
        hostnames=["api.example.org"],
        creation="2026-01-02T00:00:00Z",
    )
    snap = snapshot([SAME], [newer, older, apart], objects=GRPC_BACKENDS)
    table = attach(snap)
    assert [(r.route.name, r.reason) for r in table.rejected] == [("newer-grpc", CONFLICTED)]
    assert sorted(a.route.name for a in table.listeners[0].routes) == ["apart-grpc", "older-http"]
    assert outcome(snap, grpc("api.example.com")) == G2
    assert outcome(snap, grpc("api.example.org")) == G3


def test_grpc_weight() -> None:
    # GRPCRouteWeight: 70/30/0
    snap = snapshot(
        [SAME],
        [
            route(
                "weighted",
                rule(backend(G1, weight=70), backend(G2, weight=30), backend(G3, weight=0)),
                kind="GRPCRoute",
            )
        ],
        objects=GRPC_BACKENDS,
    )
    (a,) = gateway_answers(snap, grpc())
    assert [(b.name.name, b.share) for b in a.backends] == [(G1, 0.7), (G2, 0.3)]


TLS_BACKENDS = service("tls-backend", port=443) + service("tls-backend-2", port=443)


def _tls_gw(name: str, hostname: str | None):  # type: ignore[no-untyped-def]
    return gateway(
        name,
        listener("tls", 443, "TLS", hostname=hostname, kinds=["TLSRoute"], tls_mode="Passthrough"),
    )


def _tls_route(name: str, gw: str, host: str, be: str):  # type: ignore[no-untyped-def]
    return route(
        name, rule(backend(be, port=443)), kind="TLSRoute", hostnames=[host], parents=[parent(gw)]
    )


@pytest.mark.parametrize(
    ("gw_host", "routes", "want"),
    [
        (
            "abc.example.com",
            [("*.example.com", "tls-backend")],
            {"abc.example.com": "tls-backend", "non.matching.com": "no-listener"},
        ),
        (
            "*.example.com",
            [("abc.example.com", "tls-backend"), ("*.com", "tls-backend-2")],
            {
                "abc.example.com": "tls-backend",
                "other.example.com": "tls-backend-2",
                "non.matching.com": "no-listener",
            },
        ),
        (
            "*.com",
            [("abc.example.com", "tls-backend"), ("*.example.com", "tls-backend-2")],
            {
                "abc.example.com": "tls-backend",
                "other.example.com": "tls-backend-2",
                "non.matching.com": "not-found",
            },
        ),
        (
            None,
            [("abc.example.com", "tls-backend"), ("*.com", "tls-backend-2")],
            {
                "abc.example.com": "tls-backend",
                "other.example.com": "tls-backend-2",
                "non.matching.org": "not-found",
            },
        ),
    ],
)
def test_tlsroute_hostname_intersection(
    gw_host: str | None, routes: list[tuple[str, str]], want: dict[str, str]
) -> None:
    # TLSRouteHostnameIntersection: the most specific intersected hostname picks the route;
    # an SNI no route serves is refused (no HTTP status: the connection is closed)
    snap = snapshot(
        [_tls_gw("gw", gw_host)],
        [_tls_route(f"r{i}", "gw", h, be) for i, (h, be) in enumerate(routes)],
        objects=TLS_BACKENDS,
    )
    got = {sni: outcome(snap, request(sni, scheme="tls"), "gw") for sni in want}
    assert got == want


def test_tlsroute_no_matching_listener_hostname() -> None:
    # TLSRouteInvalidNoMatchingListenerHostname
    gws = [
        _tls_gw("gateway-tls-exact-hostname", "www.example.com"),
        _tls_gw("gateway-tls-wildcard-hostname", "*.example.com"),
    ]
    routes = [
        route(
            "tlsroute-hostname-mismatch-1",
            rule(backend("tls-backend", port=443)),
            kind="TLSRoute",
            hostnames=["www.nomatch.com", "*.nomatch.com"],
            parents=[parent("gateway-tls-exact-hostname")],
        ),
        route(
            "tlsroute-hostname-mismatch-2",
            rule(backend("tls-backend", port=443)),
            kind="TLSRoute",
            hostnames=["www.different.com", "*.different.com"],
            parents=[parent("gateway-tls-wildcard-hostname")],
        ),
    ]
    table = attach(snapshot(gws, routes, objects=TLS_BACKENDS))
    assert sorted((r.route.name, r.reason) for r in table.rejected) == [
        ("tlsroute-hostname-mismatch-1", NO_HOSTNAME),
        ("tlsroute-hostname-mismatch-2", NO_HOSTNAME),
    ]


def test_https_request_passes_through_a_tls_listener() -> None:
    # TLSRouteSimpleSameNamespace: an https client reaches the backend by SNI
    snap = snapshot(
        [_tls_gw("gateway-tlsroute", None)],
        [
            _tls_route(
                "gateway-conformance-tls", "gateway-tlsroute", "abc.example.com", "tls-backend"
            )
        ],
        objects=TLS_BACKENDS,
    )
    (a,) = gateway_answers(snap, request("abc.example.com", scheme="https"))
    assert (a.outcome, a.route is not None and a.route.kind) == (Outcome.FORWARD, "TLSRoute")
    assert [(b.name.name, b.port) for b in a.backends] == [("tls-backend", 443)]


TCP_BACKENDS = [
    o for n in ("tcp-backend-v1", "tcp-backend-v2", "tcp-backend-v3") for o in service(n, port=3000)
]


def test_tcproute_weighted_routing() -> None:
    # TCPRouteWeightedRouting: 70/30/0 by listener
    gw = gateway("tcp-weighted-gateway", listener("tcp", 9000, "TCP"))
    r = route(
        "tcp-weighted-route",
        rule(
            backend("tcp-backend-v1", 3000, 70),
            backend("tcp-backend-v2", 3000, 30),
            backend("tcp-backend-v3", 3000, 0),
        ),
        kind="TCPRoute",
        parents=[parent("tcp-weighted-gateway", section="tcp")],
    )
    snap = snapshot([gw], [r], objects=TCP_BACKENDS)
    (a,) = gateway_answers(snap, request("anything", scheme="tcp", port=9000))
    assert [(b.name.name, b.share) for b in a.backends] == [
        ("tcp-backend-v1", 0.7),
        ("tcp-backend-v2", 0.3),
    ]


@pytest.mark.parametrize("kind", ["TCPRoute", "UDPRoute"])
def test_oldest_of_several_l4_routes_serves(kind: str) -> None:
    # TCPRouteMultipleRoutesAttachment, UDPRouteMultipleRoutesAttachment: both accepted,
    # both counted, only the oldest carries traffic
    protocol = kind[:3]
    gw = gateway("gw", listener("l4", 5300, protocol))
    older = route(
        "attach-older",
        rule(backend("tcp-backend-v1", 3000)),
        kind=kind,
        gw="gw",
        creation="2026-01-01T00:00:00Z",
    )
    newer = route(
        "attach-newer",
        rule(backend("tcp-backend-v2", 3000)),
        kind=kind,
        gw="gw",
        creation="2026-01-01T00:00:01Z",
    )
    objs = [
        o
        for n in ("tcp-backend-v1", "tcp-backend-v2")
        for o in service(n, port=3000, protocol=protocol)
    ]
    snap = snapshot([gw], [newer, older], objects=objs)
    table = attach(snap)
    assert len(table.listeners[0].routes) == 2 and not table.rejected
    (a,) = gateway_answers(snap, request("x", scheme=protocol.lower(), port=5300), table=table)
    assert a.route is not None and a.route.name.name == "attach-older"
    assert [(b.name.name, b.verdict) for b in a.backends] == [("tcp-backend-v1", "forward")]


def test_udp_route_needs_a_udp_service_port() -> None:
    # A UDPRoute's backend port must be a UDP port of the Service (BackendNotFound if not)
    gw = gateway("gw", listener("udp", 5300, "UDP"))
    r = route("r", rule(backend("tcp-backend-v1", 3000)), kind="UDPRoute", gw="gw")
    (a,) = gateway_answers(
        snapshot([gw], [r], objects=TCP_BACKENDS), request("x", scheme="udp", port=5300)
    )
    assert (a.outcome, a.http_status) == (Outcome.BACKEND_ERROR, None)
    assert [f.code for f in a.findings] == ["KP431"]


def test_tcp_listener_refuses_other_route_kinds() -> None:
    # TCPRouteInvalidNonTCPListener: a TCPRoute on an HTTP listener is NotAllowedByListeners
    r = route("r", rule(backend("tcp-backend-v1", 3000)), kind="TCPRoute")
    table = attach(snapshot([SAME], [r], objects=TCP_BACKENDS))
    assert [x.reason for x in table.rejected] == ["NotAllowedByListeners"]


def test_unimplemented_grpc_method_says_so() -> None:
    # GRPCRouteExactMethodMatching's EchoThree: a 404 (Unimplemented) with KP436's reason
    (a,) = gateway_answers(EXACT_METHOD, grpc(method="EchoThree"))
    assert a.http_status == 404 and [f.code for f in a.findings] == ["KP436"]
    assert "no GRPCRoute match takes that service and method" in a.findings[0].message
