"""`answers`: every Gateway listener and Ingress controller that takes a request, or `--via`'s.

The Gateway engine's own rules are tested under tests/routing/gateway/; here, that
`kpath request` asks it, puts Gateways before Ingress controllers, and picks by --via, on
the real-world manifests and on a cluster that exposes one host both ways.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kpath.cluster.dump import load_dump
from kpath.cluster.raw import RawCluster
from kpath.cluster.snapshot import Snapshot, build_snapshot
from kpath.errors import InputError
from kpath.routing.answers import answers, prune_for_request, request_findings
from kpath.routing.requests import Outcome
from kpath.routing.urls import parse_url
from tests import builders as b

MANIFESTS = Path(__file__).resolve().parents[3] / "shared/realworld/manifests"
GW = "gateway.networking.k8s.io/v1"


def manifest(name: str) -> Snapshot:
    path = MANIFESTS / name
    if not path.exists():
        pytest.skip("the real-world manifests are not on this machine")
    return build_snapshot(load_dump([path]))


def test_traffic_split_shares():
    snap = manifest("nginx-gateway-fabric-traffic-splitting.yaml")
    (a,) = answers(snap, parse_url("http://cafe.example.com/coffee"))
    assert (a.entry.kind, str(a.entry.name), a.entry.listener, a.entry.class_name) == (
        "gateway",
        "default/gateway",
        "http",
        "nginx",
    )
    assert a.outcome == Outcome.FORWARD
    assert {str(s.name): s.share for s in a.backends} == {
        "default/coffee-v1": 0.8,
        "default/coffee-v2": 0.2,
    }


def test_http_to_https_redirect_and_via_the_gateway():
    snap = manifest("nginx-gateway-fabric-https-termination.yaml")
    (a,) = answers(snap, parse_url("http://cafe.example.com/coffee?x=1"))
    assert (a.outcome, a.http_status) == (Outcome.REDIRECT, 302)
    assert a.redirect == "https://cafe.example.com/coffee?x=1"
    (tea,) = answers(snap, parse_url("https://cafe.example.com/tea"), "default/gateway")
    assert tea.route is not None and str(tea.route.name) == "default/tea"
    with pytest.raises(InputError, match=r"Gateways: default/gateway;"):
        answers(snap, parse_url("https://cafe.example.com/tea"), "default/nope")


def test_tls_tcp_and_grpc_schemes_reach_their_routes():
    tls = manifest("gateway-api-tls-routing.yaml")
    (foo,) = answers(tls, parse_url("tls://foo.example.com:443"))
    assert foo.route is not None and foo.route.kind == "TLSRoute"
    assert str(foo.route.name) == "default/foo-route"
    tcp = manifest("envoy-gateway-tcp-routing.yaml")
    (conn,) = answers(tcp, parse_url("tcp://10.0.0.1:8089"))
    assert conn.route is not None and (conn.route.kind, str(conn.route.name)) == (
        "TCPRoute",
        "default/tcp-app-2",
    )
    grpc = manifest("envoy-gateway-grpc-routing.yaml")
    (call,) = answers(grpc, parse_url("grpc://grpc-example.com/yages.Echo/Ping"))
    assert call.route is not None and call.route.kind == "GRPCRoute"
    # a host the GRPCRoute does not name: the listener (any host) takes it, no route: 404
    request = parse_url("grpc://other.example/yages.Echo/Ping")
    found = answers(grpc, request)
    assert [(a.outcome, a.http_status) for a in found] == [(Outcome.NOT_FOUND, 404)]
    assert list(request_findings(grpc, request, found)) == []
    # a port no listener has: nothing takes it, and the document says so (KP450)
    request = parse_url("grpc://grpc-example.com:9999/yages.Echo/Ping")
    assert answers(grpc, request) == []
    assert [f.code for f in request_findings(grpc, request, [])] == ["KP450"]


def both_ways(tmp_path: Path) -> Snapshot:
    """shop.example.com through an Ingress (ingress-nginx) and through a Gateway."""
    objects = [
        b.ingress_class("nginx", "k8s.io/ingress-nginx"),
        b.service(
            "ingress-nginx-controller",
            "LoadBalancer",
            ns="ingress-nginx",
            selector={"app.kubernetes.io/name": "ingress-nginx"},
            labels={"app.kubernetes.io/name": "ingress-nginx"},
            lb_ip="203.0.113.7",
        ),
        b.service("web", ports=[{"name": "http", "port": 80, "targetPort": 8080}]),
        b.service("web-v2", ports=[{"name": "http", "port": 80, "targetPort": 8080}]),
        b.ingress(
            "web",
            [b.rule("shop.example.com", ("/", "Prefix", b.backend("web", 80)))],
            class_name="nginx",
        ),
        {
            "apiVersion": GW,
            "kind": "GatewayClass",
            "metadata": {"name": "eg"},
            "spec": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"},
        },
        {
            "apiVersion": GW,
            "kind": "Gateway",
            "metadata": {"name": "eg", "namespace": "shop"},
            "spec": {
                "gatewayClassName": "eg",
                "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}],
            },
            "status": {"addresses": [{"type": "IPAddress", "value": "203.0.113.9"}]},
        },
        {
            "apiVersion": GW,
            "kind": "HTTPRoute",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {
                "parentRefs": [{"name": "eg"}],
                "hostnames": ["shop.example.com"],
                "rules": [{"backendRefs": [{"name": "web-v2", "port": 80}]}],
            },
        },
    ]
    api = {"Ingress": "networking.k8s.io/v1", "IngressClass": "networking.k8s.io/v1"}
    items = [
        {"apiVersion": api.get(o["kind"], "v1"), **o} if "apiVersion" not in o else o
        for o in objects
    ]
    path = tmp_path / "both.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    return build_snapshot(load_dump([path]))


def test_gateways_first_then_ingress_controllers_and_via_picks_one(tmp_path):
    snap = both_ways(tmp_path)
    request = parse_url("http://shop.example.com/")
    found = answers(snap, request)
    assert [(a.entry.kind, str(a.entry.name), a.entry.address) for a in found] == [
        ("gateway", "shop/eg", "203.0.113.9"),
        ("ingress", "ingress-nginx/ingress-nginx-controller", "203.0.113.7"),
    ]
    assert [str(a.backends[0].name) for a in found] == ["shop/web-v2", "shop/web"]
    (gw,) = answers(snap, request, "shop/eg")
    assert gw.entry.kind == "gateway"
    (ing,) = answers(snap, request, "ingress-nginx/ingress-nginx-controller")
    assert ing.entry.kind == "ingress"
    with pytest.raises(InputError) as err:
        answers(snap, request, "shop/web")
    message = str(err.value)
    assert "a Service, but no Ingress" in message and "Gateways: shop/eg" in message
    assert "ingress-nginx/ingress-nginx-controller" in message


def _raw(*objects: dict) -> RawCluster:
    raw = RawCluster(origin="test")
    for o in objects:
        raw.add(o["kind"], o)
    return raw


def _web_cluster(*extra: dict) -> list[dict]:
    return [
        b.ingress_class("nginx", "k8s.io/ingress-nginx", default=True),
        b.node("n1"),
        b.pod("web-1", "n1", "10.64.0.1", ports=[{"name": "http", "containerPort": 8080}]),
        b.pod("web-2", "n1", "10.64.0.2", ports=[{"name": "http", "containerPort": 8080}]),
        b.service("web", ports=[{"name": "http", "port": 80, "targetPort": "http"}]),
        b.ingress("web", [b.rule("shop.example.com", ("/", "Prefix", b.backend("web", 80)))]),
        *extra,
    ]


def test_pruning_pods_changes_no_answer_when_slices_are_there():
    objects = _web_cluster(
        b.endpointslice("web", [b.endpoint("10.64.0.1", "n1", "web-1")], port_name="http")
    )
    request = parse_url("http://shop.example.com/")
    whole = answers(build_snapshot(_raw(*objects)), request)
    pruned_raw = _raw(*objects)
    prune_for_request(pruned_raw)
    assert "Pod" not in pruned_raw.objects
    assert answers(build_snapshot(pruned_raw), request) == whole
    assert whole[0].backends[0].endpoints == 1


def test_pods_stay_when_endpoints_are_derived_from_them():
    raw = _raw(*_web_cluster())  # no EndpointSlices or Endpoints: pods give the endpoints
    prune_for_request(raw)
    (a,) = answers(build_snapshot(raw), parse_url("http://shop.example.com/"))
    assert (a.backends[0].verdict, a.backends[0].endpoints) == ("forward", 2)
