"""The probe plan along Gateway paths: which request tests which rule, and what it predicts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kpath.cluster.gatewayapi import Gateway, ReferenceGrant, Route
from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import Snapshot
from kpath.probe.expect import Expect
from kpath.probe.gatewayplan import NO_ROUTE_PATH, same_location
from kpath.probe.plan import HopKind, PlanOptions, ProbePlan, ProbeTarget, plan_probes
from kpath.routing.analysis import analyse
from kpath.routing.paths import EntryKind, Path
from tests import builders as b
from tests.routing.gateway import builders as g

NS = g.INFRA


def backend_service(
    name: str, pods: int = 2, ns: str = NS, port: int = 8080
) -> list[dict[str, Any]]:
    """A Service with ``pods`` ready endpoints, each naming its pod ``<name>-<i>``."""
    base = 10 + len(name)
    eps = [b.endpoint(f"10.1.{base}.{i + 1}", "n1", f"{name}-{i}", ns=ns) for i in range(pods)]
    return [
        b.service(name, ns=ns, ports=[{"port": port, "targetPort": 3000, "protocol": "TCP"}]),
        b.endpointslice(name, eps, ns=ns, port=3000),
    ]


def snap(
    gateways: Sequence[Gateway],
    routes: Sequence[Route],
    *objects: dict[str, Any],
    grants: Sequence[ReferenceGrant] = (),
) -> Snapshot:
    return g.snapshot(gateways, routes, grants, objects=[b.node("n1"), *objects], infra=False)


def planned(s: Snapshot, only: Sequence[int] | None = None) -> tuple[ProbePlan, list[Path]]:
    """The plan of the Gateway ways in routing finds (``only``: a selection of them)."""
    paths = [p for p in analyse(s).paths if p.entry.kind == EntryKind.GATEWAY]
    chosen = paths if only is None else [paths[i] for i in only]
    return plan_probes(s, chosen, PlanOptions(), context=paths), chosen


def entries(plan: ProbePlan) -> list[ProbeTarget]:
    return [t for t in plan.targets if t.hop == HopKind.ENTRY]


def rule_target(plan: ProbePlan, path_index: int) -> ProbeTarget:
    """The rule's own probe at the entry of one path (not the listener's 404)."""
    return next(
        t
        for t in entries(plan)
        if t.path != NO_ROUTE_PATH and any(r.path == path_index for r in t.refs)
    )


GW = g.gateway("same-namespace", g.listener("http", 80, "HTTP"))  # routes attach by default


def test_each_rule_gets_the_request_its_first_match_takes() -> None:
    route = g.route(
        "shop",
        g.rule(
            g.backend("cart"),
            matches=[
                g.match(
                    g.path("/cart", "Exact"),
                    headers={"x-env": "canary"},
                    query={"v": "2"},
                    method="HEAD",
                )
            ],
        ),
        g.rule(g.backend("web"), matches=[g.match("/static")]),
        hostnames=["shop.example"],
    )
    s = snap([GW], [route], *backend_service("cart"), *backend_service("web"))
    plan, _ = planned(s)
    cart, web = rule_target(plan, 0), rule_target(plan, 1)
    assert (cart.scheme, cart.host, cart.port, cart.path, cart.method) == (
        "http",
        "192.0.2.10",
        80,
        "/cart?v=2",
        "HEAD",
    )
    assert cart.host_header == "shop.example" and cart.sni is None
    assert cart.headers == (("x-env", "canary"),)
    assert cart.expect == {Expect.ANSWER}
    assert cart.expected_pods == {f"{NS}/cart-0", f"{NS}/cart-1"}
    assert cart.gateway and cart.via_controller
    assert (web.path, web.method, web.headers) == ("/static", "GET", ())
    assert web.expected_pods == {f"{NS}/web-0", f"{NS}/web-1"}
    # Then the backends' pods, as for any Service: one probe each.
    pods = {t.pod for t in plan.targets if t.hop == HopKind.POD}
    assert pods == {ObjectKey(NS, f"{n}-{i}") for n in ("cart", "web") for i in (0, 1)}


def test_a_weighted_rule_is_one_probe_expecting_every_backend() -> None:
    route = g.route(
        "split",
        g.rule(g.backend("v1", weight=80), g.backend("v2", weight=20)),
        hostnames=["shop.example"],
    )
    s = snap([GW], [route], *backend_service("v1"), *backend_service("v2"))
    plan, paths = planned(s)
    assert len(paths) == 2
    rule = [t for t in entries(plan) if t.path != NO_ROUTE_PATH]
    assert len(rule) == 1  # one probe per rule, not per backend
    assert {r.path for r in rule[0].refs} == {0, 1}
    assert rule[0].expected_pods == {f"{NS}/v{v}-{i}" for v in (1, 2) for i in (0, 1)}
    assert rule[0].repeat == 3  # samples: fresh connections spread over the backends


def test_a_selection_of_one_backend_still_expects_the_rule_s_others() -> None:
    route = g.route("split", g.rule(g.backend("v1"), g.backend("v2")), hostnames=["a.example"])
    s = snap([GW], [route], *backend_service("v1"), *backend_service("v2"))
    plan, _ = planned(s, [0])
    assert rule_target(plan, 0).expected_pods == {f"{NS}/v{v}-{i}" for v in (1, 2) for i in (0, 1)}


def test_each_listener_is_sent_a_path_no_rule_matches_to_see_its_404() -> None:
    route = g.route(
        "shop", g.rule(g.backend("web"), matches=[g.match("/shop")]), hostnames=["shop.example"]
    )
    s = snap([GW], [route], *backend_service("web"))
    plan, _ = planned(s)
    nf = [t for t in entries(plan) if t.path == NO_ROUTE_PATH]
    assert len(nf) == 1
    assert nf[0].expect == {Expect.NOT_FOUND} and nf[0].statuses == {404}
    assert nf[0].host_header == "shop.example" and nf[0].expected_pods == frozenset()


def test_no_404_probe_where_a_catch_all_takes_every_path() -> None:
    route = g.route("all", g.rule(g.backend("web")), hostnames=["shop.example"])
    s = snap([GW], [route], *backend_service("web"))
    plan, _ = planned(s)
    assert not [t for t in entries(plan) if t.path == NO_ROUTE_PATH]
    assert any("no 404 to see" in n.reason for n in plan.not_probed)


def test_a_rule_whose_request_another_rule_wins_is_not_probed_for_it() -> None:
    # Exact /x beats PathPrefix /x for the request /x, whatever the route order.
    exact = g.route(
        "exact",
        g.rule(g.backend("a"), matches=[g.match(g.path("/x", "Exact"))]),
        hostnames=["h.example"],
        creation="2026-02-01T00:00:00Z",
    )
    prefix = g.route(
        "prefix", g.rule(g.backend("b"), matches=[g.match("/x")]), hostnames=["h.example"]
    )
    s = snap([GW], [exact, prefix], *backend_service("a"), *backend_service("b"))
    plan, paths = planned(s)
    assert [p.entry.gateway.route.name for p in paths if p.entry.gateway] == ["exact", "prefix"]
    assert rule_target(plan, 0).expected_pods == {f"{NS}/a-0", f"{NS}/a-1"}
    assert not [
        t for t in entries(plan) if t.path != NO_ROUTE_PATH and any(r.path == 1 for r in t.refs)
    ]
    reasons = [n.reason for n in plan.not_probed if n.path == 1]
    assert any(f"taken first by HTTPRoute {NS}/exact rule 0" in r for r in reasons)


def of_route(plan: ProbePlan, paths: Sequence[Path], name: str) -> ProbeTarget:
    """The rule probe at the entry of the first way in of route ``name``."""
    i = next(
        n for n, p in enumerate(paths) if p.entry.gateway and p.entry.gateway.route.name == name
    )
    return rule_target(plan, i)


def test_backend_errors_are_predicted_by_status() -> None:
    route = g.route(
        "r",
        g.rule(g.backend("gone"), matches=[g.match("/r0")]),
        g.rule(g.backend("empty"), matches=[g.match("/r1")]),
        g.rule(g.backend("ok"), g.backend("ok", ns="other"), matches=[g.match("/r2")]),
        g.rule(matches=[g.match("/none")]),
        hostnames=["h.example"],
    )
    s = snap(
        [GW],
        [route],
        *backend_service("empty", pods=0),
        *backend_service("ok"),
        *backend_service("ok", ns="other"),
    )
    plan, _ = planned(s)
    by_path = {t.path: t for t in entries(plan)}
    invalid = by_path["/r0"]  # BackendNotFound
    assert invalid.expect == {Expect.BACKEND_ERROR} and invalid.statuses == {500}
    empty = by_path["/r1"]  # no ready endpoint
    assert empty.expect == {Expect.BACKEND_ERROR} and empty.statuses == {503}
    half = by_path["/r2"]  # half to a backend in another namespace without a ReferenceGrant
    assert half.expect == {Expect.ANSWER, Expect.BACKEND_ERROR} and half.statuses == {500}
    assert half.expected_pods == {f"{NS}/ok-0", f"{NS}/ok-1"}
    none = by_path["/none"]  # no backendRefs at all
    assert none.expect == {Expect.BACKEND_ERROR} and none.statuses == {500}


def test_a_reference_grant_makes_the_other_namespace_s_pods_expected() -> None:
    route = g.route("r", g.rule(g.backend("ok", ns="other")), hostnames=["h.example"])
    grant = g.grant("other", [("HTTPRoute", NS)], [("Service", None)])
    s = snap([GW], [route], *backend_service("ok", ns="other"), grants=[grant])
    plan, paths = planned(s)
    t = of_route(plan, paths, "r")
    assert t.expect == {Expect.ANSWER} and t.expected_pods == {"other/ok-0", "other/ok-1"}


def test_a_redirect_predicts_its_status_and_location() -> None:
    route = g.route(
        "r",
        g.rule(
            matches=[g.match("/old")],
            filters=[g.redirect(scheme="https", prefix="/new", status=301)],
        ),
        hostnames=["h.example"],
    )
    s = snap([GW], [route])
    plan, paths = planned(s)
    t = rule_target(plan, 0)
    assert t.expect == {Expect.REDIRECT} and t.statuses == {301}
    assert t.location == "https://h.example/new"
    # The path says the same, as a verdict of its own (never a refusal to contradict).
    (p,) = [q for q in paths if q.entry.kind == EntryKind.GATEWAY]
    assert p.direct is not None and p.direct.verdict == "redirect"
    assert p.direct.rule.endswith(f"301 → {t.location}")


def test_https_sends_sni_tls_passthrough_a_client_hello_and_tcp_a_connect() -> None:
    gw = g.gateway(
        "gw",
        g.listener("https", 443, "HTTPS", hostname="*.example"),
        g.listener("tls", 8443, "TLS", tls_mode="Passthrough"),
        g.listener("tcp", 9000, "TCP"),
        g.listener("udp", 5353, "UDP"),
    )
    parents = [g.parent("gw", NS)]
    https = g.route("web", g.rule(g.backend("web")), hostnames=["shop.example"], parents=parents)
    tls = g.route(
        "tls", g.rule(g.backend("web")), kind="TLSRoute", hostnames=["db.example"], parents=parents
    )
    tcp = g.route("tcp", g.rule(g.backend("db", port=5432)), kind="TCPRoute", parents=parents)
    udp = g.route("udp", g.rule(g.backend("web")), kind="UDPRoute", parents=parents)
    s = snap(
        [gw], [https, tls, tcp, udp], *backend_service("web"), *backend_service("db", port=5432)
    )
    plan, paths = planned(s)
    h, t, c = (of_route(plan, paths, n) for n in ("web", "tls", "tcp"))
    assert (h.scheme, h.port, h.host_header, h.sni) == (
        "https",
        443,
        "shop.example",
        "shop.example",
    )
    assert (t.scheme, t.port, t.sni, t.host_header) == ("tls", 8443, "db.example", None)
    assert t.url == "tls://192.0.2.10:8443"
    assert t.expected_pods == {f"{NS}/web-0", f"{NS}/web-1"}
    assert (c.scheme, c.port) == ("tcp", 9000)  # a database behind: a connect
    udp_i = next(
        n for n, p in enumerate(paths) if p.entry.gateway and p.entry.gateway.route.name == "udp"
    )
    assert not [x for x in entries(plan) if any(r.path == udp_i for r in x.refs)]
    assert any(n.path == udp_i and "UDP" in n.reason for n in plan.not_probed)
    # The HTTPS listener's 404 goes to a name its wildcard accepts.
    nf = next(x for x in entries(plan) if x.path == NO_ROUTE_PATH)
    assert nf.sni == nf.host_header == "kpath-probe.example"


def test_the_gateway_s_own_service_may_be_answered_by_its_host_less_backends() -> None:
    infra_key = ObjectKey(NS, "gw-infra")
    proxies = [b.pod("proxy-0", "n1", "10.9.0.1", {"app": "gw"}, ns=NS)]
    infra_objs = [
        b.service(
            "gw-infra",
            "LoadBalancer",
            ns=NS,
            selector={"app": "gw"},
            lb_ip="192.0.2.10",
            ports=[{"port": 80, "targetPort": 10080, "nodePort": 30080, "protocol": "TCP"}],
            labels={"gateway.networking.k8s.io/gateway-name": "gw"},
        ),
        b.endpointslice(
            "gw-infra", [b.endpoint("10.9.0.1", "n1", "proxy-0", ns=NS)], ns=NS, port=10080
        ),
    ]
    gw = g.gateway("gw", g.listener("http", 80, "HTTP"))
    route = g.route("any", g.rule(g.backend("web")), parents=[g.parent("gw", NS)])
    s = snap([gw], [route], *backend_service("web"), *proxies, *infra_objs)
    paths = analyse(s).paths
    gw_paths = [p for p in paths if p.entry.kind == EntryKind.GATEWAY]
    assert gw_paths and all(
        p.entry.gateway and p.entry.gateway.infra == infra_key for p in gw_paths
    )
    infra_paths = [p for p in paths if p.service == infra_key]
    plan = plan_probes(s, [*infra_paths, *gw_paths], PlanOptions(), context=paths)
    lb = next(t for t in plan.targets if t.hop == HopKind.ENTRY and not t.gateway)
    assert lb.proxied_pods == {f"{NS}/web-0", f"{NS}/web-1"}
    assert lb.expected_pods == {f"{NS}/proxy-0"}
    rule = next(t for t in plan.targets if t.gateway and t.hop == HopKind.ENTRY)
    assert rule.gateway_pods == {f"{NS}/proxy-0"}  # its own 404/500 name these


def test_locations_compare_by_scheme_host_port_and_path() -> None:
    assert same_location("https://h.example/new", "https://H.example:443/new?y=1", "http", None)
    assert same_location("http://h.example:8080/x", "/x", "http", "h.example:8080") is False
    assert same_location("http://h.example/x", "/x", "http", "h.example")
    assert not same_location("https://h.example/new", "http://h.example/new", "http", None)


def test_an_http_backend_behind_a_tcp_listener_is_sent_a_get_through_it() -> None:
    gw = g.gateway("gw", g.listener("tcp", 9000, "TCP"))
    tcp = g.route("tcp", g.rule(g.backend("web")), kind="TCPRoute", parents=[g.parent("gw", NS)])
    s = snap([gw], [tcp], *backend_service("web"))
    plan, paths = planned(s)
    t = of_route(plan, paths, "tcp")
    assert (t.scheme, t.port, t.path) == ("http", 9000, "/")
    assert t.expected_pods == {f"{NS}/web-0", f"{NS}/web-1"}


def test_a_rule_for_a_method_that_may_change_something_is_not_probed() -> None:
    route = g.route(
        "r",
        g.rule(g.backend("web"), matches=[g.match("/order", method="POST")]),
        g.rule(
            g.backend("web"), matches=[g.match("/evil", headers={"x-a": "1\r\nX-Injected: yes"})]
        ),
        hostnames=["h.example"],
    )
    s = snap([GW], [route], *backend_service("web"))
    plan, _ = planned(s)
    sent = {t.path for t in entries(plan)}
    assert "/order" not in sent and "/evil" not in sent
    reasons = " ".join(n.reason for n in plan.not_probed)
    assert "matches POST only: a probe sends only GET, HEAD, OPTIONS" in reasons
    assert "control characters" in reasons


def test_a_grpc_method_is_reached_by_a_get_on_its_path() -> None:
    route = g.route(
        "grpc",
        g.rule(g.backend("web"), matches=[g.grpc_match("shop.Cart", "Empty")]),
        kind="GRPCRoute",
        hostnames=["grpc.example"],
    )
    s = snap([GW], [route], *backend_service("web"))
    plan, paths = planned(s)
    t = of_route(plan, paths, "grpc")
    assert (t.method, t.path, t.host_header) == ("GET", "/shop.Cart/Empty", "grpc.example")
    assert ("content-type", "application/grpc") in t.headers
    assert t.expected_pods == {f"{NS}/web-0", f"{NS}/web-1"}
