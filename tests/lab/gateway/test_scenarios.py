"""The Gateway API scenarios, end to end: the lab's controller accepts every route of each
real-world manifest (and only the planted faults of gateway-shop fail), and real requests
through each Gateway's address on loopback reach the backends the manifests' own guides say."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import httpx
import pytest

from kpath.lab.gateway.decide import LabRequest, decide
from kpath.lab.runner import LabThread
from kpath.lab.scenario import builtin_names

try:
    from tests.lab.fixtures_dataplane import MiniStore
except ImportError:
    from fixtures_dataplane import MiniStore  # type: ignore[no-redef]

pytestmark = pytest.mark.lab

ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")
#: The real-world Gateway API scenarios (SOURCES.md section A2) and kpath's own.
GATEWAY_SCENARIOS = [
    "envoy-gateway-quickstart",
    "envoy-gateway-http-routing",
    "envoy-gateway-tcp-routing",
    "envoy-gateway-grpc-routing",
    "nginx-gateway-fabric-cafe",
    "nginx-gateway-fabric-cross-namespace",
    "nginx-gateway-fabric-traffic-splitting",
    "nginx-gateway-fabric-https-termination",
    "istio-bookinfo-gateway-api",
    "istio-helloworld-gateway-api",
    "gateway-api-cross-namespace-routing",
    "gateway-api-tls-routing",
    "cilium-basic-http",
    "gateway-shop",
]
#: (kind, namespace, name) -> the ResolvedRefs reason a planted fault gives.
PLANTED = {("HTTPRoute", "shop", "payments"): "RefNotPermitted"}

#: scenario -> (gateway, scheme, port, host, path, headers, want): want is the Deployment
#: whose pod answers, a status code, or (status, Location).
Case = tuple[str, str, int, str, str, dict[str, str], Any]
CASES: dict[str, list[Case]] = {
    "envoy-gateway-quickstart": [
        ("default/eg", "http", 80, "www.example.com", "/", {}, "backend"),
        ("default/eg", "http", 80, "example.com", "/", {}, 404),
    ],
    "envoy-gateway-http-routing": [
        ("default/example-gateway", "http", 80, "example.com", "/any", {}, "example-backend"),
        ("default/example-gateway", "http", 80, "foo.example.com", "/login", {}, "foo-backend"),
        ("default/example-gateway", "http", 80, "foo.example.com", "/", {}, 404),
        (
            "default/example-gateway",
            "http",
            80,
            "bar.example.com",
            "/",
            {"env": "canary"},
            "bar-canary-backend",
        ),
        ("default/example-gateway", "http", 80, "bar.example.com", "/", {}, "bar-backend"),
    ],
    "envoy-gateway-tcp-routing": [
        ("default/tcp-gateway", "tcp", 8088, "any", "/", {}, "backend-1"),
        ("default/tcp-gateway", "tcp", 8089, "any", "/", {}, "backend-2"),
    ],
    "nginx-gateway-fabric-cafe": [
        ("default/gateway", "http", 80, "cafe.example.com", "/coffee", {}, "coffee"),
        ("default/gateway", "http", 80, "cafe.example.com", "/coffee/beans", {}, "coffee"),
        ("default/gateway", "http", 80, "cafe.example.com", "/tea", {}, "tea"),
        ("default/gateway", "http", 80, "cafe.example.com", "/tea/", {}, 404),
        ("default/gateway", "http", 80, "tea.example.com", "/tea", {}, 404),
    ],
    "nginx-gateway-fabric-cross-namespace": [
        ("default/gateway", "http", 80, "cafe.example.com", "/coffee", {}, "coffee"),
        ("default/gateway", "http", 80, "cafe.example.com", "/tea", {}, "tea"),
    ],
    "nginx-gateway-fabric-https-termination": [
        (
            "default/gateway",
            "http",
            80,
            "cafe.example.com",
            "/coffee",
            {},
            (302, "https://cafe.example.com/coffee"),
        ),
        ("default/gateway", "https", 443, "cafe.example.com", "/coffee", {}, "coffee"),
        ("default/gateway", "https", 443, "cafe.example.com", "/tea", {}, "tea"),
        ("default/gateway", "https", 443, "cafe.example.com", "/", {}, 404),
    ],
    "istio-bookinfo-gateway-api": [
        ("default/bookinfo-gateway", "http", 80, "bookinfo", "/productpage", {}, "productpage-v1"),
        (
            "default/bookinfo-gateway",
            "http",
            80,
            "bookinfo",
            "/static/app.css",
            {},
            "productpage-v1",
        ),
        (
            "default/bookinfo-gateway",
            "http",
            80,
            "bookinfo",
            "/api/v1/products/0",
            {},
            "productpage-v1",
        ),
        ("default/bookinfo-gateway", "http", 80, "bookinfo", "/login/again", {}, 404),
        ("default/bookinfo-gateway", "http", 80, "bookinfo", "/", {}, 404),
    ],
    "istio-helloworld-gateway-api": [
        ("default/helloworld-gateway", "http", 80, "hello", "/hello/", {}, 404),
    ],
    "gateway-api-cross-namespace-routing": [
        ("infra-ns/shared-gateway", "https", 443, "foo.example.com", "/", {}, "home"),
        ("infra-ns/shared-gateway", "https", 443, "foo.example.com", "/store/cart", {}, "store"),
    ],
    "gateway-api-tls-routing": [
        ("default/example-gateway", "tls", 443, "foo.example.com", "/", {}, "foo-svc"),
        ("default/example-gateway", "tls", 8443, "bar.example.com", "/", {}, "bar-svc"),
    ],
    "cilium-basic-http": [
        ("default/my-gateway", "http", 80, "bookinfo", "/details/0", {}, "details-v1"),
        (
            "default/my-gateway",
            "http",
            80,
            "bookinfo",
            "/?great=example",
            {"magic": "foo"},
            "productpage-v1",
        ),
        ("default/my-gateway", "http", 80, "bookinfo", "/?great=example", {}, 404),
        ("default/my-gateway", "http", 80, "bookinfo", "/", {}, 404),
    ],
    "gateway-shop": [
        ("shop/shop-gateway", "http", 80, "shop.example.com", "/", {}, "web"),
        (
            "shop/shop-gateway",
            "http",
            80,
            "shop.example.com",
            "/api/cart",
            {"x-canary": "always"},
            "cart-canary",
        ),
        ("shop/shop-gateway", "http", 80, "shop.example.com", "/api/search/q", {}, "search"),
        (
            "shop/shop-gateway",
            "http",
            80,
            "shop.example.com",
            "/old-shop/x",
            {},
            (301, "http://shop.example.com/x"),
        ),
        (
            "shop/shop-gateway",
            "http",
            80,
            "shop.example.com",
            "/api/pay",
            {},
            (302, "https://shop.example.com/api/pay"),
        ),
        ("shop/shop-gateway", "https", 443, "shop.example.com", "/api/pay", {}, 500),
        ("shop/shop-gateway", "https", 443, "shop.example.com", "/", {}, "web"),
        ("shop/shop-gateway", "http", 80, "other.example.com", "/", {}, 404),
    ],
}


def _need_low_ports() -> None:
    if os.geteuid() != 0:
        pytest.skip("Gateway listeners on ports below 1024 need root")


def test_every_gateway_scenario_is_built_in() -> None:
    assert set(GATEWAY_SCENARIOS) <= set(builtin_names())
    assert set(CASES) <= set(GATEWAY_SCENARIOS)


async def _list(lab: LabThread, kind: str) -> list[dict[str, Any]]:
    return lab.lab.store.list(kind)


def _conds(status: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in status.get("conditions") or []}


@pytest.mark.parametrize("name", GATEWAY_SCENARIOS)
def test_the_controller_accepts_every_route_but_the_planted_faults(name: str) -> None:
    with LabThread(name, serve_api=False, store=MiniStore()) as lab:
        gateways = lab.call(_list(lab, "Gateway"))
        assert gateways
        for gw in gateways:
            status = gw["status"]
            assert _conds(status)["Programmed"] == ("True", "Programmed"), gw["metadata"]
            assert status["addresses"] and status["addresses"][0]["value"].startswith("127.")
            for listener in status["listeners"]:
                assert _conds(listener)["Programmed"][0] == "True", listener
                assert listener["attachedRoutes"] >= 1, (gw["metadata"]["name"], listener)
        routes = 0
        for kind in ROUTE_KINDS:
            for route in lab.call(_list(lab, kind)):
                meta = route["metadata"]
                planted = PLANTED.get((kind, meta.get("namespace", "default"), meta["name"]))
                for parent in route["status"]["parents"]:
                    conds = _conds(parent)
                    assert conds["Accepted"] == ("True", "Accepted"), (kind, meta["name"])
                    want = ("False", planted) if planted else ("True", "ResolvedRefs")
                    assert conds["ResolvedRefs"] == want, (kind, meta["name"])
                routes += 1
        assert routes >= 1


def _ask(
    lab: LabThread,
    gateway: str,
    scheme: str,
    port: int,
    host: str,
    path: str,
    headers: dict[str, str],
) -> httpx.Response:
    ns, name = gateway.split("/")
    address = lab.lab.scheduler.gateway_address((ns, name))
    assert address is not None, gateway
    tls = scheme in ("https", "tls")
    url = f"{'https' if tls else 'http'}://{address}:{port}{path}"
    extensions = {"sni_hostname": host} if tls else {}
    with httpx.Client(verify=False, timeout=2) as client:  # the lab's own certificates
        return client.get(url, headers={"Host": host, **headers}, extensions=extensions)


@pytest.mark.parametrize("name", sorted(CASES))
def test_requests_through_the_gateway_reach_what_the_guides_say(name: str) -> None:
    _need_low_ports()
    with LabThread(name, serve_api=False, store=MiniStore()) as lab:
        for gateway, scheme, port, host, path, headers, want in CASES[name]:
            reply = _ask(lab, gateway, scheme, port, host, path, headers)
            where = (scheme, port, host, path, headers)
            if isinstance(want, str):
                assert reply.status_code == 200, (where, reply.text)
                assert reply.json()["pod"].startswith(want + "-"), (where, reply.text)
            elif isinstance(want, tuple):
                assert (reply.status_code, reply.headers.get("location")) == want, where
            else:
                assert reply.status_code == want, (where, reply.text)


@pytest.mark.parametrize(
    ("name", "gateway", "host", "path", "want"),
    [
        (
            "nginx-gateway-fabric-traffic-splitting",
            "default/gateway",
            "cafe.example.com",
            "/coffee",
            {"coffee-v1": 8, "coffee-v2": 2},
        ),
        # The second HTTPRoute named helloworld replaced the first: 90/10 over the versions.
        (
            "istio-helloworld-gateway-api",
            "default/helloworld-gateway",
            "hello",
            "/hello",
            {"helloworld-v1": 9, "helloworld-v2": 1},
        ),
        (
            "gateway-api-cross-namespace-routing",
            "infra-ns/shared-gateway",
            "foo.example.com",
            "/login",
            {"login-v1": 9, "login-v2": 1},
        ),
    ],
)
def test_weighted_backends_share_requests_by_weight(
    name: str, gateway: str, host: str, path: str, want: dict[str, int]
) -> None:
    _need_low_ports()
    scheme, port = ("https", 443) if name.startswith("gateway-api") else ("http", 80)
    with LabThread(name, serve_api=False, store=MiniStore()) as lab:
        seen: Counter[str] = Counter()
        for _ in range(sum(want.values())):
            reply = _ask(lab, gateway, scheme, port, host, path, {})
            assert reply.status_code == 200, reply.text
            seen[reply.json()["pod"].rsplit("-", 2)[0]] += 1
        assert dict(seen) == want


def test_the_rewritten_search_path_reaches_the_backend() -> None:
    _need_low_ports()
    with LabThread("gateway-shop", serve_api=False, store=MiniStore()) as lab:
        reply = _ask(lab, "shop/shop-gateway", "http", 80, "shop.example.com", "/search/q", {})
        assert reply.json()["path"] == "/api/search/q"


def test_grpc_calls_on_the_envoy_gateway_reach_yages() -> None:
    """Decided by the lab's controller (its proxies speak HTTP/1.1, not h2c)."""
    with LabThread("envoy-gateway-grpc-routing", serve_api=False, store=MiniStore()) as lab:
        state = lab.lab.scheduler.controller_state
        call = LabRequest(
            "http",
            "grpc-example.com",
            "/yages.Echo/Ping",
            method="POST",
            headers=(("content-type", "application/grpc"),),
        )
        got = decide(state, ("default", "example-gateway"), 80, call)
        assert got.kind == "forward" and [b.name for b in got.backends] == ["yages"]
        assert got.backends[0].targets and got.backends[0].targets[0][1] == 9000
        other = LabRequest(
            "http",
            "other.example.com",
            "/yages.Echo/Ping",
            method="POST",
            headers=(("content-type", "application/grpc"),),
        )
        assert decide(state, ("default", "example-gateway"), 80, other).kind == "respond"


async def _pods(lab: LabThread) -> list[dict[str, Any]]:
    return lab.lab.store.list("Pod")


def test_gateway_shop_plants_a_local_policy_gateway_with_proxies_on_one_node() -> None:
    with LabThread("gateway-shop", serve_api=False, store=MiniStore()) as lab:
        infra = lab.lab.scheduler.gateway_infra[("shop", "shop-gateway")]
        svc = next(
            s
            for s in lab.call(_list(lab, "Service"))
            if (s["metadata"]["namespace"], s["metadata"]["name"]) == infra.service
        )
        assert svc["spec"]["type"] == "LoadBalancer"
        assert svc["spec"]["externalTrafficPolicy"] == "Local"
        proxies = {
            p["spec"]["nodeName"]
            for p in lab.call(_pods(lab))
            if p["metadata"]["name"].startswith(infra.workload[1] + "-")
        }
        assert proxies == {"node-a"}
        assert {n.name for n in lab.lab.scenario.nodes} - proxies == {"node-b", "node-c"}
        # The same Services are also behind the Ingress.
        ingress = lab.call(_list(lab, "Ingress"))[0]
        backends = {
            p["backend"]["service"]["name"]
            for r in ingress["spec"]["rules"]
            for p in r["http"]["paths"]
        }
        assert backends == {"storefront", "cart", "search"}
