"""The lab gateway beyond plain HTTP: gRPC, HTTPS, TLS by SNI, TCP and UDP by listener, and
ListenerSets, as the conformance tests (grpcroute-*, tlsroute-*, tcproute-*, udproute-*,
listenerset-*) state them."""

from __future__ import annotations

import pytest

try:
    from tests.lab.gateway.world import INFRA, answer, ask, cond, world
except ImportError:
    from gatewayworld import INFRA, answer, ask, cond, world  # type: ignore[no-redef]

GRPC = {"content-type": "application/grpc"}
SVC = "gateway_api_conformance.echo_basic.grpcecho.GrpcEcho"


def grpc_route(rules: str) -> str:
    return (
        f"kind: GRPCRoute\nmetadata: {{name: g, namespace: {INFRA}}}\n"
        f"spec: {{parentRefs: [{{name: same-namespace}}], rules: {rules}}}\n"
    )


def g(n: int) -> str:
    return f"[{{name: grpc-infra-backend-v{n}, port: 8080}}]"


EXACT_METHOD = grpc_route(f"""[
  {{matches: [{{method: {{service: {SVC}, method: Echo}}}}], backendRefs: {g(1)}}},
  {{matches: [{{method: {{service: {SVC}, method: EchoTwo}}}}], backendRefs: {g(2)}}}]""")


@pytest.mark.parametrize(
    ("method", "want"),
    [("Echo", "grpc-infra-backend-v1"), ("EchoTwo", "grpc-infra-backend-v2"), ("EchoThree", 404)],
)
def test_grpcroute_exact_method_matching(method: str, want: str | int) -> None:
    got = ask(world(EXACT_METHOD), f"/{SVC}/{method}", method="POST", headers=GRPC)
    assert answer(got) == want


def h(*pairs: tuple[str, str]) -> str:
    return "[" + ", ".join(f"{{name: {n}, value: {v}}}" for n, v in pairs) + "]"


HEADERS = grpc_route(f"""[
  {{matches: [{{headers: {h(("version", "one"))}}}], backendRefs: {g(1)}}},
  {{matches: [{{headers: {h(("version", "two"))}}}], backendRefs: {g(2)}}},
  {{matches: [{{headers: {h(("version", "two"), ("color", "orange"))}}}], backendRefs: {g(1)}}},
  {{matches: [{{headers: {h(("color", "blue"))}}}, {{headers: {h(("color", "green"))}}}],
   backendRefs: {g(1)}}},
  {{matches: [{{headers: {h(("color", "red"))}}}, {{headers: {h(("color", "yellow"))}}}],
   backendRefs: {g(2)}}}]""")


@pytest.mark.parametrize(
    ("headers", "want"),
    [
        ({"version": "one"}, 1),
        ({"version": "two"}, 2),
        ({"version": "two", "color": "orange"}, 1),
        ({"version": "two", "color": "blue"}, 2),
        ({"color": "blue"}, 1),
        ({"color": "green"}, 1),
        ({"color": "red"}, 2),
        ({"color": "yellow"}, 2),
        ({"color": "purple"}, 404),
    ],
)
def test_grpcroute_header_matching(headers: dict[str, str], want: int) -> None:
    got = ask(world(HEADERS), f"/{SVC}/Echo", method="POST", headers={**GRPC, **headers})
    assert answer(got) == (f"grpc-infra-backend-v{want}" if want < 10 else want)


def test_a_plain_http_request_does_not_take_grpc_routes() -> None:
    assert answer(ask(world(EXACT_METHOD), f"/{SVC}/Echo", method="POST")) == 404


def tls_gateway(name: str, hostname: str | None, mode: str = "Passthrough", port: int = 443) -> str:
    host = f', hostname: "{hostname}"' if hostname else ""
    tls = (
        "{mode: Passthrough}"
        if mode == "Passthrough"
        else "{mode: Terminate, certificateRefs: [{name: cert}]}"
    )
    return (
        f"kind: Gateway\nmetadata: {{name: {name}, namespace: {INFRA}}}\n"
        f"spec: {{gatewayClassName: lab, listeners: [{{name: tls, protocol: TLS, "
        f"port: {port}{host}, allowedRoutes: {{kinds: [{{kind: TLSRoute}}]}}, "
        f"tls: {tls}}}]}}\n"
    )


def tls_route(name: str, gw: str, hosts: list[str], backend: str, port: int = 443) -> str:
    listed = ", ".join(f'"{x}"' for x in hosts)
    return (
        f"kind: TLSRoute\nmetadata: {{name: {name}, namespace: {INFRA}}}\n"
        f"spec: {{parentRefs: [{{name: {gw}, namespace: {INFRA}}}], hostnames: [{listed}],"
        f" rules: [{{backendRefs: [{{name: {backend}, port: {port}}}]}}]}}\n"
    )


INTERSECTION = "---\n".join(
    [
        tls_gateway("x-1", "abc.example.com"),
        tls_gateway("x-2", "*.example.com"),
        tls_gateway("x-3", "*.com"),
        tls_gateway("x-4", None),
        tls_route(
            "tlsroute-more-specific-wc-hostname-x-1", "x-1", ["*.example.com"], "tls-backend"
        ),
        tls_route("tlsroute-exact-hostname-x-2", "x-2", ["abc.example.com"], "tls-backend"),
        tls_route("tlsroute-less-specific-wc-hostname-x-2", "x-2", ["*.com"], "tls-backend-2"),
        tls_route("tlsroute-exact-hostname-x-3", "x-3", ["abc.example.com"], "tls-backend"),
        tls_route(
            "tlsroute-more-specific-wc-hostname-x-3", "x-3", ["*.example.com"], "tls-backend-2"
        ),
        tls_route("tlsroute-exact-hostname-x-4", "x-4", ["abc.example.com"], "tls-backend"),
        tls_route("tlsroute-less-specific-wc-hostname-x-4", "x-4", ["*.com"], "tls-backend-2"),
    ]
)


@pytest.mark.parametrize(
    ("gateway", "sni", "want"),
    [
        ("x-1", "abc.example.com", "tls-backend"),
        ("x-2", "abc.example.com", "tls-backend"),
        ("x-2", "other.example.com", "tls-backend-2"),
        ("x-3", "abc.example.com", "tls-backend"),
        ("x-3", "other.example.com", "tls-backend-2"),
        ("x-4", "abc.example.com", "tls-backend"),
        ("x-4", "other.example.com", "tls-backend-2"),
        ("x-1", "other.example.com", "refused"),
        ("x-2", "example.org", "refused"),
    ],
)
def test_tlsroute_hostname_intersection(gateway: str, sni: str, want: str) -> None:
    got = ask(world(INTERSECTION), gateway=gateway, host=sni, port=443, protocol="tls")
    assert answer(got) == want
    if got.kind == "forward":
        assert got.passthrough and got.host is None
        assert got.backends[0].targets[0][1] == 8443  # the Service's targetPort


def test_tls_listeners_on_one_port_mix_passthrough_and_terminate() -> None:
    gw = f"""kind: Gateway
metadata: {{name: mixed, namespace: {INFRA}}}
spec:
  gatewayClassName: lab
  listeners:
  - {{name: tls-terminate, port: 8883, protocol: TLS, hostname: tls.example.com,
     tls: {{mode: Terminate, certificateRefs: [{{name: cert}}]}}}}
  - {{name: tls-passthrough, port: 8883, protocol: TLS, hostname: abc.example.com,
     tls: {{mode: Passthrough}}}}
"""
    state = world(
        gw,
        tls_route("pass", "mixed", ["abc.example.com"], "tls-backend"),
        tls_route("term", "mixed", ["tls.example.com"], "tls-backend-2", 8080),
    )
    listeners = state.status("Gateway", INFRA, "mixed")["listeners"]
    assert [(x["name"], x["attachedRoutes"], cond(x, "Accepted")[0]) for x in listeners] == [
        ("tls-terminate", 1, "True"),
        ("tls-passthrough", 1, "True"),
    ]
    passed = ask(state, gateway="mixed", host="abc.example.com", port=8883, protocol="tls")
    ended = ask(state, gateway="mixed", host="tls.example.com", port=8883, protocol="tls")
    assert passed.kind == ended.kind == "forward"
    assert (passed.passthrough, ended.passthrough) == (True, False)
    assert (answer(passed), answer(ended)) == ("tls-backend", "tls-backend-2")


def test_https_listeners_pick_the_most_specific_hostname() -> None:
    gw = f"""kind: Gateway
metadata: {{name: https, namespace: {INFRA}}}
spec:
  gatewayClassName: lab
  listeners:
  - {{name: any, port: 443, protocol: HTTPS, tls: {{certificateRefs: [{{name: c}}]}}}}
  - {{name: wild, port: 443, protocol: HTTPS, hostname: "*.wildcard.org",
     tls: {{certificateRefs: [{{name: c}}]}}}}
  - {{name: exact, port: 443, protocol: HTTPS, hostname: "fourth-example.wildcard.org",
     tls: {{certificateRefs: [{{name: c}}]}}}}
"""
    routes = "---\n".join(
        f"kind: HTTPRoute\nmetadata: {{name: r-{s}, namespace: {INFRA}}}\nspec: {{parentRefs: "
        f"[{{name: https, sectionName: {s}}}], rules: [{{backendRefs: [{{name: infra-backend-v{n},"
        f" port: 8080}}]}}]}}\n"
        for s, n in (("any", 1), ("wild", 2), ("exact", 3))
    )
    state = world(gw, routes)
    for host, want in (
        ("example.org", 1),
        ("third.wildcard.org", 2),
        ("fourth-example.wildcard.org", 3),
    ):
        got = ask(state, gateway="https", host=host, port=443, protocol="https")
        assert answer(got) == f"infra-backend-v{want}", host


TCP = f"""kind: Gateway
metadata: {{name: tcp-multi-listener-gateway, namespace: {INFRA}}}
spec:
  gatewayClassName: lab
  listeners:
  - {{name: one, protocol: TCP, port: 9300, allowedRoutes: {{kinds: [{{kind: TCPRoute}}]}}}}
  - {{name: two, protocol: TCP, port: 9301, allowedRoutes: {{kinds: [{{kind: TCPRoute}}]}}}}
  - {{name: three, protocol: TCP, port: 9302, allowedRoutes: {{kinds: [{{kind: TCPRoute}}]}}}}
  - {{name: dns, protocol: UDP, port: 5353}}
""" + "".join(
    f"---\nkind: {kind}\nmetadata: {{name: {name}, namespace: {INFRA}}}\n"
    f"spec: {{parentRefs: [{{name: tcp-multi-listener-gateway, {ref}}}], rules: [{{backendRefs: "
    f"[{{name: infra-backend-v{n}, port: 8080}}]}}]}}\n"
    for kind, name, ref, n in (
        ("TCPRoute", "tcp-route-by-port", "port: 9300", 1),
        ("TCPRoute", "tcp-route-by-section", "sectionName: two", 2),
        ("TCPRoute", "tcp-route-by-section-and-port", "sectionName: three, port: 9302", 3),
        ("UDPRoute", "udp", "sectionName: dns", 2),
        ("TCPRoute", "tcp-wrong-port", "sectionName: three, port: 9300", 1),
    )
)


@pytest.mark.parametrize(
    ("port", "protocol", "want"),
    [
        (9300, "tcp", 1),
        (9301, "tcp", 2),
        (9302, "tcp", 3),
        (5353, "udp", 2),
        (5353, "tcp", None),
        (9300, "udp", None),
    ],
)
def test_tcp_and_udp_routes_take_their_listener(port: int, protocol: str, want: int | None) -> None:
    got = ask(world(TCP), gateway="tcp-multi-listener-gateway", port=port, protocol=protocol)
    assert answer(got) == (f"infra-backend-v{want}" if want else "refused")


def test_tcp_route_status_by_port_and_section() -> None:
    state = world(TCP)
    for name, reason in (
        ("tcp-route-by-port", "Accepted"),
        ("tcp-route-by-section", "Accepted"),
        ("tcp-route-by-section-and-port", "Accepted"),
        ("tcp-wrong-port", "NoMatchingParent"),
    ):
        (p,) = state.status("TCPRoute", INFRA, name)["parents"]
        assert cond(p, "Accepted")[1] == reason, name
    listeners = state.status("Gateway", INFRA, "tcp-multi-listener-gateway")["listeners"]
    assert [x["attachedRoutes"] for x in listeners] == [1, 1, 1, 1]
    assert [k["kind"] for k in listeners[0]["supportedKinds"]] == ["TCPRoute"]


def test_an_httproute_is_not_allowed_on_a_tcp_listener() -> None:
    route = (
        f"kind: HTTPRoute\nmetadata: {{name: h, namespace: {INFRA}}}\nspec: {{parentRefs: "
        "[{name: tcp-multi-listener-gateway, sectionName: one}], rules: []}\n"
    )
    (p,) = world(TCP, route).status("HTTPRoute", INFRA, "h")["parents"]
    assert cond(p, "Accepted") == ("False", "NotAllowedByListeners")


LISTENER_SETS = f"""kind: Gateway
metadata: {{name: gw, namespace: {INFRA}}}
spec:
  gatewayClassName: lab
  allowedListeners: {{namespaces: {{from: Same}}}}
  listeners:
  - {{name: gateway-listener-1, port: 80, protocol: HTTP, hostname: gateway-listener-1.com}}
  - {{name: conflicted-later, port: 80, protocol: HTTP, hostname: taken.com}}
---
kind: ListenerSet
metadata: {{name: ls-1, namespace: {INFRA}}}
spec:
  parentRef: {{name: gw}}
  listeners:
  - {{name: ls-1-listener-1, port: 80, protocol: HTTP, hostname: ls-1-listener-1.com}}
  - {{name: clash, port: 80, protocol: TCP}}
  - {{name: same-host, port: 80, protocol: HTTP, hostname: taken.com}}
---
kind: ListenerSet
metadata: {{name: ls-other-ns, namespace: gateway-conformance-web-backend}}
spec:
  parentRef: {{name: gw, namespace: {INFRA}}}
  listeners: [{{name: l, port: 80, protocol: HTTP, hostname: other.com}}]
---
kind: HTTPRoute
metadata: {{name: to-gateway, namespace: {INFRA}}}
spec:
  parentRefs: [{{name: gw}}]
  rules: [{{matches: [{{path: {{type: PathPrefix, value: /gateway-route}}}}],
           backendRefs: [{{name: infra-backend-v2, port: 8080}}]}}]
---
kind: HTTPRoute
metadata: {{name: to-set, namespace: {INFRA}}}
spec:
  parentRefs: [{{kind: ListenerSet, group: gateway.networking.k8s.io, name: ls-1}}]
  rules: [{{matches: [{{path: {{type: PathPrefix, value: /set-route}}}}],
           backendRefs: [{{name: infra-backend-v3, port: 8080}}]}}]
"""


@pytest.mark.parametrize(
    ("host", "path", "want"),
    [
        ("gateway-listener-1.com", "/gateway-route", 2),
        ("ls-1-listener-1.com", "/gateway-route", 404),
        ("ls-1-listener-1.com", "/set-route", 3),
        ("gateway-listener-1.com", "/set-route", 404),
        ("other.com", "/gateway-route", 404),
    ],
)
def test_listener_sets_route_only_their_own_routes(host: str, path: str, want: int) -> None:
    got = ask(world(LISTENER_SETS), path, gateway="gw", host=host)
    assert answer(got) == (f"infra-backend-v{want}" if want < 10 else want)


def test_listener_set_status_conflicts_and_permission() -> None:
    state = world(LISTENER_SETS)
    gw = state.status("Gateway", INFRA, "gw")
    assert [x["attachedRoutes"] for x in gw["listeners"]] == [1, 1]
    assert gw["attachedListenerSets"] == 1
    ls = state.status("ListenerSet", INFRA, "ls-1")
    assert cond(ls, "Accepted") == ("True", "Accepted")
    by_name = {x["name"]: x for x in ls["listeners"]}
    assert by_name["ls-1-listener-1"]["attachedRoutes"] == 1
    assert cond(by_name["clash"], "Conflicted") == ("True", "ProtocolConflict")
    assert cond(by_name["clash"], "Accepted") == ("False", "ProtocolConflict")
    assert cond(by_name["same-host"], "Conflicted") == ("True", "HostnameConflict")
    assert by_name["same-host"]["attachedRoutes"] == 0
    other = state.status("ListenerSet", "gateway-conformance-web-backend", "ls-other-ns")
    assert cond(other, "Accepted") == ("False", "NotAllowed")


def test_a_client_hello_for_an_https_listener_asks_the_data_plane_to_terminate() -> None:
    gw = f"""kind: Gateway
metadata: {{name: shared-443, namespace: {INFRA}}}
spec:
  gatewayClassName: lab
  listeners:
  - {{name: web, port: 443, protocol: HTTPS, hostname: web.example.com,
     tls: {{certificateRefs: [{{name: c}}]}}}}
  - {{name: raw, port: 443, protocol: TLS, hostname: raw.example.com, tls: {{mode: Passthrough}}}}
"""
    state = world(gw, tls_route("raw", "shared-443", ["raw.example.com"], "tls-backend"))
    from kpath.lab.gateway.decide import listener_for

    assert listener_for(state, (INFRA, "shared-443"), 443, "tls", "web.example.com").name == "web"
    hello = ask(state, gateway="shared-443", host="web.example.com", port=443, protocol="tls")
    assert hello.kind == "refuse" and hello.reason == "terminate-first"
    # HTTP inside TLS never lands on the passthrough listener, whatever its Host says.
    assert listener_for(state, (INFRA, "shared-443"), 443, "https", "raw.example.com") is None
    assert (
        answer(ask(state, gateway="shared-443", host="raw.example.com", port=443, protocol="tls"))
        == "tls-backend"
    )


def test_a_route_on_a_refused_listener_set_matches_no_parent() -> None:
    refused = """kind: HTTPRoute
metadata: {name: on-refused, namespace: gateway-conformance-web-backend}
spec:
  parentRefs: [{kind: ListenerSet, name: ls-other-ns}]
  rules: [{backendRefs: [{name: web-backend, port: 8080}]}]
"""
    state = world(LISTENER_SETS, refused)
    (p,) = state.status("HTTPRoute", "gateway-conformance-web-backend", "on-refused")["parents"]
    assert cond(p, "Accepted") == ("False", "NoMatchingParent")
