"""HTTPRoute matching and precedence, request by request as the conformance tests ask.

Each test names the conformance test (conformance/tests/<name>.go) whose manifest it
rebuilds and whose requests and expected backends or status codes it checks."""

from __future__ import annotations

import pytest

from kpath.routing.gateway.attach import attach
from tests.routing.gateway.builders import (
    INFRA,
    backend,
    gateway,
    listener,
    match,
    outcome,
    parent,
    path,
    request,
    route,
    rule,
    snapshot,
)

V1, V2, V3 = "infra-backend-v1", "infra-backend-v2", "infra-backend-v3"
SAME = gateway("same-namespace")


def one_route(*rules, **kw):  # type: ignore[no-untyped-def]
    return snapshot([SAME], [route("r", *rules, **kw)])


def test_simple_same_namespace() -> None:
    # HTTPRouteSimpleSameNamespace
    assert outcome(one_route(rule(backend(V1))), request("example.com", "/")) == V1


MATCHING = one_route(
    rule(backend(V1), matches=[match("/"), match(headers={"version": "one"})]),
    rule(backend(V2), matches=[match("/v2"), match(headers={"version": "two"})]),
)


@pytest.mark.parametrize(
    ("path_", "headers", "want"),
    [
        ("/", {}, V1),
        ("/example", {}, V1),
        ("/", {"Version": "one"}, V1),
        ("/v2", {}, V2),
        ("/v2/example", {}, V2),
        ("/", {"Version": "two"}, V2),
        ("/v2/", {}, V2),
        ("/v2example", {}, V1),
        ("/foo/v2/example", {}, V1),
    ],
)
def test_matching(path_: str, headers: dict[str, str], want: str) -> None:
    # HTTPRouteMatching: prefixes on segment boundaries, header matches beat none
    assert outcome(MATCHING, request("x", path_, headers=tuple(headers.items()))) == want


EXACT = one_route(
    rule(backend(V1), matches=[match(path("/one", "Exact"))]),
    rule(backend(V2), matches=[match(path("/two", "Exact"))]),
)


@pytest.mark.parametrize(
    ("path_", "want"),
    [
        ("/one", V1),
        ("/two", V2),
        ("/", "404"),
        ("/one/example", "404"),
        ("/two/", "404"),
        ("/Two", "404"),
    ],
)
def test_exact_path_matching(path_: str, want: str) -> None:
    # HTTPRouteExactPathMatching
    assert outcome(EXACT, request("x", path_)) == want


ORDER = one_route(
    rule(backend(V1), matches=[match(path("/match", "Exact"))]),
    rule(backend(V2), matches=[match(path("/match/exact", "Exact"))]),
    rule(backend(V3), matches=[match(path("/match/exact/one", "Exact"))]),
    rule(backend(V3), matches=[match("/match/")]),
    rule(backend(V1), matches=[match("/match/prefix/")]),
    rule(backend(V2), matches=[match("/match/prefix/one")]),
)


@pytest.mark.parametrize(
    ("path_", "want"),
    [
        ("/match/exact/one", V3),
        ("/match/exact", V2),
        ("/match", V1),
        ("/match/prefix/one/any", V2),
        ("/match/prefix/any", V1),
        ("/match/any", V3),
    ],
)
def test_path_match_order(path_: str, want: str) -> None:
    # HTTPRoutePathMatchOrder: Exact before prefixes, then the longest prefix
    assert outcome(ORDER, request("x", path_)) == want


HEADERS = one_route(
    rule(backend(V1), matches=[match(headers={"version": "one"})]),
    rule(backend(V2), matches=[match(headers={"version": "two"})]),
    rule(backend(V1), matches=[match(headers={"version": "two", "color": "orange"})]),
    rule(
        backend(V1), matches=[match(headers={"color": "blue"}), match(headers={"color": "green"})]
    ),
    rule(
        backend(V2), matches=[match(headers={"color": "red"}), match(headers={"color": "yellow"})]
    ),
)


@pytest.mark.parametrize(
    ("headers", "want"),
    [
        ({"Version": "one"}, V1),
        ({"Version": "two"}, V2),
        ({"Version": "two", "Color": "orange"}, V1),
        ({"Version": "two", "Color": "blue"}, V2),
        ({"Color": "orange"}, "404"),
        ({"Some-Other-Header": "one"}, "404"),
        ({"Color": "blue"}, V1),
        ({"Color": "green"}, V1),
        ({"Color": "red"}, V2),
        ({"Color": "yellow"}, V2),
        ({"Color": "purple"}, "404"),
    ],
)
def test_header_matching(headers: dict[str, str], want: str) -> None:
    # HTTPRouteHeaderMatching: names case-insensitive, more header matches first
    assert outcome(HEADERS, request("x", "/", headers=tuple(headers.items()))) == want


def test_header_regular_expression() -> None:
    # HTTPRouteHeaderMatching's RegularExpression variant (Extended): a full match
    snap = one_route(rule(backend(V1), matches=[match(regex_headers={"version": "v[0-9]+"})]))
    assert outcome(snap, request("x", headers=(("Version", "v12"),))) == V1
    assert outcome(snap, request("x", headers=(("Version", "v12x"),))) == "404"


QUERY = one_route(
    rule(backend(V1), matches=[match(query={"animal": "whale"})]),
    rule(backend(V2), matches=[match(query={"animal": "dolphin"})]),
    rule(
        backend(V3),
        matches=[
            match(query={"animal": "dolphin", "color": "blue"}),
            match(query={"ANIMAL": "Whale"}),
        ],
    ),
    rule(backend(V1), matches=[match("/path1", query={"animal": "whale"})]),
    rule(backend(V2), matches=[match(headers={"version": "one"}, query={"animal": "whale"})]),
    rule(
        backend(V3),
        matches=[match("/path2", headers={"version": "two"}, query={"animal": "whale"})],
    ),
    rule(
        backend(V1),
        matches=[
            match("/path3", query={"animal": "shark"}),
            match("/path4", headers={"version": "three"}, query={"animal": "kraken"}),
        ],
    ),
    rule(backend(V1), matches=[match("/path5")]),
    rule(backend(V2), matches=[match(query={"animal": "hydra"})]),
    rule(backend(V3), matches=[match(headers={"version": "four"})]),
)


def _q(s: str) -> tuple[tuple[str, str], ...]:
    return tuple(tuple(p.split("=", 1)) for p in s.split("&") if p)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("path_", "query", "headers", "want"),
    [
        ("/", "animal=whale", {}, V1),
        ("/", "animal=dolphin", {}, V2),
        ("/", "animal=dolphin&color=blue", {}, V3),
        ("/", "ANIMAL=Whale", {}, V3),
        ("/", "animal=whale&otherparam=irrelevant", {}, V1),
        ("/", "animal=dolphin&color=yellow", {}, V2),
        ("/", "color=blue", {}, "404"),
        ("/", "animal=dog", {}, "404"),
        ("/", "animal=whaledolphin", {}, "404"),
        ("/", "", {}, "404"),
        ("/path1", "animal=whale", {}, V1),
        ("/", "animal=whale", {"version": "one"}, V2),
        ("/path2", "animal=whale", {"version": "two"}, V3),
        ("/path3", "animal=shark", {}, V1),
        ("/path4", "animal=kraken", {"version": "three"}, V1),
        ("/", "animal=shark", {}, "404"),
        ("/path4", "animal=kraken", {}, "404"),
        ("/path5", "animal=hydra", {}, V1),
        ("/", "animal=hydra", {"version": "four"}, V3),
    ],
)
def test_query_param_matching(path_: str, query: str, headers: dict[str, str], want: str) -> None:
    # HTTPRouteQueryParamMatching: case-sensitive; a longer prefix beats query matches,
    # headers beat query matches
    req = request("x", path_, query=_q(query), headers=tuple(headers.items()))
    assert outcome(QUERY, req) == want


METHOD = one_route(
    rule(backend(V1), matches=[match(method="POST")]),
    rule(backend(V2), matches=[match(method="GET")]),
    rule(backend(V1), matches=[match("/path1", method="GET")]),
    rule(backend(V2), matches=[match(headers={"version": "one"}, method="PUT")]),
    rule(backend(V3), matches=[match("/path2", headers={"version": "two"}, method="POST")]),
    rule(
        backend(V1),
        matches=[
            match("/path3", method="PATCH"),
            match("/path4", headers={"version": "three"}, method="DELETE"),
        ],
    ),
    rule(backend(V1), matches=[match("/path5")]),
    rule(backend(V2), matches=[match(method="PATCH")]),
    rule(backend(V3), matches=[match(headers={"version": "four"})]),
)


@pytest.mark.parametrize(
    ("method", "path_", "headers", "want"),
    [
        ("POST", "/", {}, V1),
        ("GET", "/", {}, V2),
        ("HEAD", "/", {}, "404"),
        ("GET", "/path1", {}, V1),
        ("PUT", "/", {"version": "one"}, V2),
        ("POST", "/path2", {"version": "two"}, V3),
        ("PATCH", "/path3", {}, V1),
        ("DELETE", "/path4", {"version": "three"}, V1),
        ("PUT", "/", {}, "404"),
        ("DELETE", "/path4", {}, "404"),
        ("PATCH", "/path5", {}, V1),
        ("PATCH", "/", {"version": "four"}, V2),
    ],
)
def test_method_matching(method: str, path_: str, headers: dict[str, str], want: str) -> None:
    # HTTPRouteMethodMatching: a longer prefix beats a method, a method beats headers
    req = request("x", path_, method=method, headers=tuple(headers.items()))
    assert outcome(METHOD, req) == want


ACROSS = snapshot(
    [SAME],
    [
        route(
            "matching-part1",
            rule(backend(V1), matches=[match("/"), match(headers={"version": "one"})]),
            hostnames=["example.com", "example.net"],
        ),
        route(
            "matching-part2",
            rule(backend(V2), matches=[match("/v2"), match(headers={"version": "two"})]),
            hostnames=["example.com"],
        ),
    ],
)


@pytest.mark.parametrize(
    ("host", "path_", "headers", "want"),
    [
        ("example.com", "/", {}, V1),
        ("example.com", "/example", {}, V1),
        ("example.net", "/example", {}, V1),
        ("example.com", "/example", {"Version": "one"}, V1),
        ("example.com", "/v2", {}, V2),
        ("example.net", "/v2", {}, V1),
        ("example.com", "/v2/example", {}, V2),
        ("example.com", "/", {"Version": "two"}, V2),
    ],
)
def test_matching_across_routes(host: str, path_: str, headers: dict[str, str], want: str) -> None:
    # HTTPRouteMatchingAcrossRoutes
    assert outcome(ACROSS, request(host, path_, headers=tuple(headers.items()))) == want


def test_ties_go_to_the_oldest_route_then_namespace_name() -> None:
    # HTTPRouteRule docs: equal matches across routes -> oldest creationTimestamp, then
    # "{namespace}/{name}" alphabetically; within a route, the first rule
    older = route("b-older", rule(backend(V1)), creation="2026-01-01T00:00:00Z")
    newer = route("a-newer", rule(backend(V2)), creation="2026-02-01T00:00:00Z")
    assert outcome(snapshot([SAME], [newer, older]), request("x")) == V1
    same_a = route("a", rule(backend(V2)))
    same_b = route("b", rule(backend(V1)))
    assert outcome(snapshot([SAME], [same_b, same_a]), request("x")) == V2
    two_rules = route("r", rule(backend(V3)), rule(backend(V1)))
    assert outcome(snapshot([SAME], [two_rules]), request("x")) == V3


LISTENER_HOSTS = snapshot(
    [
        gateway(
            "httproute-listener-hostname-matching",
            listener("listener-1", hostname="bar.com"),
            listener("listener-2", hostname="foo.bar.com"),
            listener("listener-3", hostname="*.bar.com"),
            listener("listener-4", hostname="*.foo.com"),
        )
    ],
    [
        route(
            "backend-v1",
            rule(backend(V1)),
            parents=[parent("httproute-listener-hostname-matching", section="listener-1")],
        ),
        route(
            "backend-v2",
            rule(backend(V2)),
            parents=[parent("httproute-listener-hostname-matching", section="listener-2")],
        ),
        route(
            "backend-v3",
            rule(backend(V3)),
            parents=[
                parent("httproute-listener-hostname-matching", section="listener-3"),
                parent("httproute-listener-hostname-matching", section="listener-4"),
            ],
        ),
    ],
)


@pytest.mark.parametrize(
    ("host", "want"),
    [
        ("bar.com", V1),
        ("foo.bar.com", V2),
        ("baz.bar.com", V3),
        ("boo.bar.com", V3),
        ("multiple.prefixes.bar.com", V3),
        ("multiple.prefixes.foo.com", V3),
        ("foo.com", "no-listener"),
        ("no.matching.host", "no-listener"),
    ],
)
def test_listener_hostname_matching(host: str, want: str) -> None:
    # HTTPRouteListenerHostnameMatching (404 there: no listener takes the host, so the
    # Gateway answers nothing of a route; kpath says no-listener)
    assert outcome(LISTENER_HOSTS, request(host), "httproute-listener-hostname-matching") == want


PORTS = snapshot(
    [
        gateway(
            "httproute-listener-port-matching",
            listener("listener-1", 80, hostname="foo.com"),
            listener("listener-2", 8080, hostname="foo.com"),
            listener("listener-3", 8080, hostname="bar.com"),
            listener("listener-4", 8090, hostname="foo.com"),
            listener("listener-5", 8090, hostname="bar.com"),
        )
    ],
    [
        route(
            "backend-v1",
            rule(backend(V1)),
            parents=[parent("httproute-listener-port-matching", port=80)],
        ),
        route(
            "backend-v2",
            rule(backend(V2)),
            parents=[parent("httproute-listener-port-matching", port=8080)],
        ),
        route(
            "backend-v3",
            rule(backend(V3)),
            parents=[parent("httproute-listener-port-matching", port=8090, section="listener-4")],
        ),
    ],
)


@pytest.mark.parametrize(
    ("host", "port", "want"),
    [
        ("foo.com", 80, V1),
        ("foo.com", 8080, V2),
        ("bar.com", 8080, V2),
        ("foo.com", 8090, V3),
        ("bar.com", 8090, "404"),
    ],
)
def test_listener_port_matching(host: str, port: int, want: str) -> None:
    # HTTPRouteListenerPortMatching
    assert outcome(PORTS, request(host, port=port), "httproute-listener-port-matching") == want


ISOLATION = snapshot(
    [
        gateway(
            "http-listener-isolation",
            listener("empty-hostname", from_="All"),
            listener("wildcard-example-com", hostname="*.example.com", from_="All"),
            listener("wildcard-foo-example-com", hostname="*.foo.example.com", from_="All"),
            listener("abc-foo-example-com", hostname="abc.foo.example.com", from_="All"),
        )
    ],
    [
        route(
            f"attaches-to-{s}",
            rule(backend(V1), matches=[match(f"/{s}")]),
            parents=[parent("http-listener-isolation", section=s)],
        )
        for s in (
            "empty-hostname",
            "wildcard-example-com",
            "wildcard-foo-example-com",
            "abc-foo-example-com",
        )
    ],
)


@pytest.mark.parametrize(
    "host", ["bar.com", "bar.example.com", "bar.foo.example.com", "abc.foo.example.com"]
)
@pytest.mark.parametrize(
    "path_",
    [
        "/empty-hostname",
        "/wildcard-example-com",
        "/wildcard-foo-example-com",
        "/abc-foo-example-com",
    ],
)
def test_http_listener_isolation(host: str, path_: str) -> None:
    # GatewayHTTPListenerIsolation: only the most specific listener sees the request
    served = {
        "bar.com": "/empty-hostname",
        "bar.example.com": "/wildcard-example-com",
        "bar.foo.example.com": "/wildcard-foo-example-com",
        "abc.foo.example.com": "/abc-foo-example-com",
    }[host]
    want = V1 if path_ == served else "404"
    assert outcome(ISOLATION, request(host, path_), "http-listener-isolation") == want


INTERSECTION = snapshot(
    [
        gateway(
            "httproute-hostname-intersection",
            listener("listener-1", hostname="very.specific.com"),
            listener("listener-2", hostname="*.wildcard.io"),
            listener("listener-3", hostname="*.anotherwildcard.io"),
        )
    ],
    [
        route(
            name,
            rule(backend(b), matches=[match(p)]),
            hostnames=hosts,
            parents=[parent("httproute-hostname-intersection", INFRA)],
        )
        for name, b, p, hosts in [
            (
                "specific-host-matches-listener-specific-host",
                V1,
                "/s1",
                ["non.matching.com", "*.nonmatchingwildcard.io", "very.specific.com"],
            ),
            (
                "specific-host-matches-listener-wildcard-host",
                V2,
                "/s2",
                [
                    "non.matching.com",
                    "wildcard.io",
                    "foo.wildcard.io",
                    "bar.wildcard.io",
                    "foo.bar.wildcard.io",
                ],
            ),
            (
                "wildcard-host-matches-listener-specific-host",
                V3,
                "/s3",
                ["non.matching.com", "*.specific.com"],
            ),
            ("wildcard-host-matches-listener-wildcard-host", V1, "/s4", ["*.anotherwildcard.io"]),
            ("no-intersecting-hosts", V2, "/s5", ["specific.but.wrong.com", "wildcard.io"]),
        ]
    ],
)


@pytest.mark.parametrize(
    ("host", "path_", "want"),
    [
        ("very.specific.com", "/s1", V1),
        ("non.matching.com", "/s1", "no-listener"),
        ("foo.nonmatchingwildcard.io", "/s1", "no-listener"),
        ("foo.wildcard.io", "/s1", "404"),
        ("very.specific.com", "/non-matching-prefix", "404"),
        ("foo.wildcard.io", "/s2", V2),
        ("bar.wildcard.io", "/s2", V2),
        ("foo.bar.wildcard.io", "/s2", V2),
        ("wildcard.io", "/s2", "no-listener"),
        ("very.specific.com", "/s2", "404"),
        ("foo.wildcard.io", "/non-matching-prefix", "404"),
        ("very.specific.com", "/s3", V3),
        ("foo.specific.com", "/s3", "no-listener"),
        ("foo.wildcard.io", "/s3", "404"),
        ("foo.anotherwildcard.io", "/s4", V1),
        ("bar.anotherwildcard.io", "/s4", V1),
        ("foo.bar.anotherwildcard.io", "/s4", V1),
        ("anotherwildcard.io", "/s4", "no-listener"),
        ("foo.wildcard.io", "/s4", "404"),
        ("very.specific.com", "/s4", "404"),
        ("foo.anotherwildcard.io", "/non-matching-prefix", "404"),
        # the route that intersects no listener serves nowhere
        ("foo.wildcard.io", "/s5", "404"),
    ],
)
def test_hostname_intersection(host: str, path_: str, want: str) -> None:
    # HTTPRouteHostnameIntersection (its 404s for hosts no listener takes are no-listener)
    got = outcome(INTERSECTION, request(host, path_), "httproute-hostname-intersection")
    assert got == want


def test_hostname_intersection_on_a_listener_for_every_host() -> None:
    # HTTPRouteHostnameIntersection, "-all": a listener without hostname serves exactly
    # the route's hostnames
    snap = snapshot(
        [gateway("all")],
        [
            route(
                "r",
                rule(backend(V2)),
                gw="all",
                hostnames=["first.com", "sub.first.com", "second.com", "sub.second.com"],
            )
        ],
    )
    assert outcome(snap, request("sub.first.com"), "all") == V2
    assert outcome(snap, request("other.first.com"), "all") == "404"


def test_more_specific_route_hostname_first_then_falls_through() -> None:
    # HTTPRouteSpec.Hostnames: rules of the route with the longest matching exact, then
    # wildcard, hostname take precedence over match precedence
    exact = route("exact", rule(backend(V1), matches=[match("/")]), hostnames=["a.example.com"])
    wild = route(
        "wild", rule(backend(V2), matches=[match("/long/prefix")]), hostnames=["*.example.com"]
    )
    snap = snapshot([SAME], [wild, exact])
    assert outcome(snap, request("a.example.com", "/long/prefix")) == V1
    assert outcome(snap, request("b.example.com", "/long/prefix")) == V2
    exact_narrow = route(
        "exact", rule(backend(V1), matches=[match("/only")]), hostnames=["a.example.com"]
    )
    snap = snapshot([SAME], [wild, exact_narrow])
    assert outcome(snap, request("a.example.com", "/long/prefix")) == V2


def test_multiple_gateways() -> None:
    # HTTPRouteMultipleGateways: one route, two Gateways, the same answer through each
    gws = [gateway("gateway-1"), gateway("gateway-2", address="192.0.2.11")]
    r = route("r", rule(backend(V1)), parents=[parent("gateway-1"), parent("gateway-2")])
    snap = snapshot(gws, [r])
    assert outcome(snap, request("x"), "gateway-1") == V1
    assert outcome(snap, request("x"), "gateway-2") == V1


def test_table_is_reused() -> None:
    snap = one_route(rule(backend(V1)))
    table = attach(snap)
    assert outcome(snap, request("x"), table=table) == V1


def test_https_listener() -> None:
    # HTTPRouteHTTPSListener: the base Gateway same-namespace-with-https-listener; a route
    # for example.org on every listener lands on the one without hostname only
    gw = gateway(
        "same-namespace-with-https-listener",
        listener("https", 443, "HTTPS"),
        listener("https-with-hostname", 443, "HTTPS", hostname="second-example.org"),
        listener("https-with-wildcard-hostname", 443, "HTTPS", hostname="*.wildcard.org"),
        listener(
            "https-with-hostname-matching-wildcard",
            443,
            "HTTPS",
            hostname="fourth-example.wildcard.org",
        ),
    )
    routes = [
        route(
            "httproute-https-test",
            rule(backend(V1)),
            hostnames=["example.org"],
            parents=[parent("same-namespace-with-https-listener")],
        ),
        route(
            "httproute-https-test-no-hostname",
            rule(backend(V2)),
            parents=[parent("same-namespace-with-https-listener", section="https-with-hostname")],
        ),
    ]
    snap = snapshot([gw], routes)
    table = attach(snap)
    assert [(a.listener.name, a.route.name) for lr in table.listeners for a in lr.routes] == [
        ("https", "httproute-https-test"),
        ("https-with-hostname", "httproute-https-test-no-hostname"),
    ]
    assert outcome(snap, request("example.org", scheme="https")) == V1
    assert outcome(snap, request("second-example.org", scheme="https")) == V2
    assert (
        outcome(snap, request("example.org", scheme="http"), "same-namespace-with-https-listener")
        == "no-listener"
    )


def test_answer_names_the_matched_hostname_path_and_class() -> None:
    # What `kpath request` shows of the winning rule: the route hostname it matched under,
    # the path match as written, and the Gateway's class
    snap = snapshot(
        [SAME],
        [
            route(
                "wild", rule(backend(V2), matches=[match("/shop/")]), hostnames=["*.example.com"]
            ),
            route(
                "exact",
                rule(backend(V1), matches=[match(path("/cart", "Exact"))]),
                hostnames=["a.example.com"],
            ),
        ],
    )
    from kpath.routing.gateway.resolve import gateway_answers

    (a,) = gateway_answers(snap, request("a.example.com", "/shop/x"))
    assert a.route is not None
    assert (a.route.name.name, a.route.host, a.route.path, a.route.path_type) == (
        "wild",
        "*.example.com",
        "/shop/",
        "PathPrefix",
    )
    (a,) = gateway_answers(snap, request("a.example.com", "/cart"))
    assert a.route is not None and (a.route.host, a.route.path_type) == ("a.example.com", "Exact")
    assert a.entry.class_name == "kpath"


def test_a_404_says_why_no_rule_took_the_request() -> None:
    # kpath request's question: "why does it answer 404?" (KP436)
    from kpath.routing.gateway.resolve import gateway_answers

    snap = snapshot(
        [SAME],
        [
            route(
                "shop",
                rule(
                    backend(V1), matches=[match("/api", headers={"x-env": "canary"}, method="POST")]
                ),
                rule(backend(V2), matches=[match(path("/static", "Exact"))]),
                hostnames=["shop.example.com"],
            )
        ],
    )

    def why(host: str, path_: str) -> str:
        (a,) = gateway_answers(snap, request(host, path_))
        assert (a.outcome, a.http_status) == ("not-found", 404)
        assert [f.code for f in a.findings] == ["KP436"]
        return a.findings[0].message

    assert (
        "closest: HTTPRoute gateway-conformance-infra/shop rule 0, whose path matches "
        "but which wants method POST, header x-env: canary" in why("shop.example.com", "/api/cart")
    )
    assert why("shop.example.com", "/other").endswith(
        "the routes for this host match Exact /static, PathPrefix /api"
    )  # precedence order
    assert why("elsewhere.io", "/api").endswith("no route attached here serves host elsewhere.io")
