"""Gateway API dicts → records: the CRD defaults, null as absence, wrong types as one line,
and every real-world Gateway API manifest read into the snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kpath.cluster.dump import load_dump
from kpath.cluster.gatewayapi import (
    BackendRef,
    HeaderMatch,
    ParentRef,
    PathMatch,
    PathModifier,
    RequestRedirect,
)
from kpath.cluster.gatewaykinds import GROUP
from kpath.cluster.parse import NAMESPACE_NAME_LABEL, Interner, parser_of
from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import build_snapshot
from kpath.errors import InputError
from tests.builders import snapshot

Obj = dict[str, Any]
V1 = f"{GROUP}/v1"
MANIFESTS = Path(__file__).resolve().parents[3] / "shared" / "realworld" / "manifests"
needs_realworld = pytest.mark.skipif(
    not MANIFESTS.is_dir(), reason=f"real-world manifests not found at {MANIFESTS}"
)


def obj(kind: str, name: str = "x", namespace: str | None = "shop", **spec: Any) -> Obj:
    meta: Obj = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    return {"apiVersion": V1, "kind": kind, "metadata": meta, "spec": spec}


def parse(o: Obj) -> Any:
    return parser_of(o["kind"])(o, Interner())


def gateway(*listeners: Obj, **spec: Any) -> Obj:
    return obj("Gateway", "gw", gatewayClassName="eg", listeners=list(listeners), **spec)


def route(kind: str, *rules: Obj, **spec: Any) -> Obj:
    return obj(kind, "r", parentRefs=[{"name": "gw"}], rules=list(rules), **spec)


# ---------------------------------------------------------------- defaults


def test_listener_defaults() -> None:
    g = parse(
        gateway(
            {"name": "http", "port": 80, "protocol": "HTTP"},
            {
                "name": "tls",
                "port": 443,
                "protocol": "HTTPS",
                "tls": {"certificateRefs": [{"name": "cert"}]},
            },
        )
    )
    http, tls = g.listeners
    assert http.allowed_routes.namespaces_from == "Same"
    assert http.allowed_routes.kinds == () and http.allowed_routes.selector is None
    assert (http.hostname, http.tls_mode) == (None, None)
    assert tls.tls_mode == "Terminate"  # given tls without a mode
    ref = tls.certificate_refs[0]
    assert (ref.group, ref.kind, ref.namespace, ref.name) == ("", "Secret", None, "cert")
    assert g.allowed_listeners_from is None  # no ListenerSet may attach


def test_allowed_routes_selector_and_kinds() -> None:
    g = parse(
        gateway(
            {
                "name": "l",
                "port": 80,
                "protocol": "HTTP",
                "allowedRoutes": {
                    "namespaces": {
                        "from": "Selector",
                        "selector": {
                            "matchLabels": {"shared": "true"},
                            "matchExpressions": [
                                {"key": "env", "operator": "In", "values": ["a", "b"]}
                            ],
                        },
                    },
                    "kinds": [{"kind": "HTTPRoute"}, {"group": "example.com", "kind": "X"}],
                },
            }
        )
    )
    allowed = g.listeners[0].allowed_routes
    assert allowed.namespaces_from == "Selector"
    assert allowed.selector.match_labels == (("shared", "true"),)
    assert allowed.selector.match_expressions[0] == ("env", "In", ("a", "b"))
    assert [(k.group, k.kind) for k in allowed.kinds] == [
        (GROUP, "HTTPRoute"),
        ("example.com", "X"),
    ]


def test_gateway_status_and_addresses() -> None:
    raw = gateway({"name": "l", "port": 80, "protocol": "HTTP"}, addresses=[{"value": "192.0.2.9"}])
    raw["metadata"]["creationTimestamp"] = "2026-01-02T03:04:05Z"
    raw["metadata"]["generation"] = 3
    raw["status"] = {
        "addresses": [{"type": "Hostname", "value": "lb.example.test"}],
        "conditions": [
            {
                "type": "Programmed",
                "status": "True",
                "reason": "Programmed",
                "observedGeneration": 3,
            }
        ],
        "listeners": [
            {
                "name": "l",
                "attachedRoutes": 2,
                "supportedKinds": [{"kind": "HTTPRoute"}],
                "conditions": [],
            }
        ],
    }
    g = parse(raw)
    assert g.spec_addresses[0] == ("IPAddress", "192.0.2.9")
    assert g.addresses[0] == ("Hostname", "lb.example.test")
    assert g.conditions[0] == ("Programmed", "True", "Programmed", "", 3)
    assert g.listener_status[0].attached_routes == 2
    assert g.listener_status[0].supported_kinds[0].group == GROUP
    assert (g.creation, g.generation, g.key) == ("2026-01-02T03:04:05Z", 3, ObjectKey("shop", "gw"))


def test_allowed_listeners() -> None:
    listener = {"name": "l", "port": 80, "protocol": "HTTP"}
    assert parse(gateway(listener, allowedListeners={})).allowed_listeners_from is None
    g = parse(gateway(listener, allowedListeners={"namespaces": {"from": "All"}}))
    assert g.allowed_listeners_from == "All"


def test_http_route_defaults() -> None:
    r = parse(
        route(
            "HTTPRoute",
            {"backendRefs": [{"name": "web", "port": 80}]},
            {
                "matches": [
                    {
                        "headers": [{"name": "env", "value": "canary"}],
                        "queryParams": [{"name": "q", "value": "1"}],
                    },
                    {"path": {"value": "/api"}},
                ],
                "backendRefs": [{"name": "api", "port": 8080, "weight": 0}],
            },
        )
    )
    assert r.parents == (ParentRef(GROUP, "Gateway", None, "gw", None, None),)
    assert r.hostnames == ()
    first, second = r.rules
    # No matches: the CRD's one match of PathPrefix "/".
    assert [m.path for m in first.matches] == [PathMatch("PathPrefix", "/")]
    assert first.backends == (BackendRef("", "Service", None, "web", 80, 1),)
    header, path = second.matches
    assert header.path == PathMatch("PathPrefix", "/")
    assert header.headers == (HeaderMatch("Exact", "env", "canary"),)
    assert header.query_params == (HeaderMatch("Exact", "q", "1"),)
    assert path.path == PathMatch("PathPrefix", "/api")
    assert second.backends[0].weight == 0  # an explicit 0 stays 0


def test_redirect_and_rewrite_filters() -> None:
    r = parse(
        route(
            "HTTPRoute",
            {
                "filters": [
                    {
                        "type": "RequestRedirect",
                        "requestRedirect": {"scheme": "https", "port": 443},
                    },
                    {
                        "type": "URLRewrite",
                        "urlRewrite": {
                            "hostname": "b.example",
                            "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/v2"},
                        },
                    },
                    {"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": []}},
                ]
            },
        )
    )
    redirect, rewrite, other = r.rules[0].filters
    assert redirect.redirect == RequestRedirect("https", None, 443, None, 302)
    assert rewrite.rewrite.hostname == "b.example"
    assert rewrite.rewrite.path == PathModifier("ReplacePrefixMatch", "/v2")
    assert (other.type, other.redirect, other.rewrite) == ("RequestHeaderModifier", None, None)


def test_grpc_route_matches() -> None:
    r = parse(
        route(
            "GRPCRoute",
            {"matches": [{"method": {"service": "pkg.Svc"}}]},
            {},
            hostnames=["grpc.example.com"],
        )
    )
    m = r.rules[0].matches[0]
    assert (m.path, m.grpc_type, m.grpc_service, m.grpc_method) == (None, "Exact", "pkg.Svc", None)
    assert r.rules[1].matches == ()  # GRPCRoute: no default match, empty matches everything
    assert r.hostnames == ("grpc.example.com",)


@pytest.mark.parametrize("kind", ["TLSRoute", "TCPRoute", "UDPRoute"])
def test_l4_routes(kind: str) -> None:
    r = parse(route(kind, {"backendRefs": [{"name": "b", "port": 443}]}, hostnames=["a.example"]))
    assert r.kind == kind
    assert r.rules[0].matches == () and r.rules[0].filters == ()
    assert r.hostnames == (("a.example",) if kind == "TLSRoute" else ())


def test_route_status_parent() -> None:
    raw = route("HTTPRoute")
    raw["status"] = {
        "parents": [
            {
                "parentRef": {"name": "gw", "sectionName": "http"},
                "controllerName": "c",
                "conditions": [
                    {"type": "Accepted", "status": "False", "reason": "NotAllowedByListeners"}
                ],
            }
        ]
    }
    status = parse(raw).status[0]
    assert status.parent.section_name == "http" and status.parent.kind == "Gateway"
    assert status.conditions[0].reason == "NotAllowedByListeners"


def test_listenerset_gatewayclass_grant_policy_namespace() -> None:
    ls = parse(
        obj(
            "ListenerSet",
            parentRef={"name": "gw"},
            listeners=[{"name": "l", "port": 8080, "protocol": "HTTP"}],
        )
    )
    assert ls.parent == ParentRef(GROUP, "Gateway", None, "gw", None, None)
    gc = parse(obj("GatewayClass", "eg", None, controllerName="example.com/c"))
    assert (gc.name, gc.controller) == ("eg", "example.com/c")
    grant = parse(
        obj(
            "ReferenceGrant",
            **{
                "from": [{"group": GROUP, "kind": "HTTPRoute", "namespace": "a"}],
                "to": [{"group": "", "kind": "Service"}],
            },
        )
    )
    assert grant.from_[0] == (GROUP, "HTTPRoute", "a")
    assert grant.to[0] == ("", "Service", None)
    policy = parse(
        obj(
            "BackendTLSPolicy",
            targetRefs=[{"group": "", "kind": "Service", "name": "web"}],
            validation={"hostname": "web.example"},
        )
    )
    assert (policy.targets[0].name, policy.hostname) == ("web", "web.example")
    old = parse(
        {
            **obj(
                "BackendTLSPolicy",
                targetRef={"kind": "Service", "name": "web"},
                tls={"hostname": "old.example"},
            ),
            "apiVersion": f"{GROUP}/v1alpha2",
        }
    )
    assert (old.targets[0].name, old.hostname) == ("web", "old.example")
    ns = parse(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "shop", "labels": {"team": "a"}},
        }
    )
    assert dict(ns.labels) == {"team": "a", NAMESPACE_NAME_LABEL: "shop"}


def test_nulls_are_absent() -> None:
    r = parse(
        route(
            "HTTPRoute",
            {
                "matches": None,
                "filters": None,
                "backendRefs": [{"name": "web", "port": 80, "weight": None, "namespace": None}],
            },
            hostnames=None,
        )
    )
    assert r.rules[0].backends[0].weight == 1
    assert r.rules[0].matches[0].path == PathMatch("PathPrefix", "/")
    g = parse(
        gateway(
            {
                "name": "l",
                "port": 80,
                "protocol": "HTTP",
                "hostname": None,
                "allowedRoutes": None,
                "tls": None,
            }
        )
    )
    assert g.listeners[0].tls_mode is None
    assert g.listeners[0].allowed_routes.namespaces_from == "Same"


# ---------------------------------------------------------------- wrong types


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        pytest.param(
            gateway({"name": "l", "port": "80", "protocol": "HTTP"}),
            ["Gateway shop/gw", "spec.listeners[0].port is a string, not a port number"],
            id="listener-port-string",
        ),
        pytest.param(
            gateway({"name": "l", "protocol": "HTTP"}),
            ["spec.listeners[0].port is missing"],
            id="listener-port-missing",
        ),
        pytest.param(
            gateway(
                {
                    "name": "l",
                    "port": 80,
                    "protocol": "HTTP",
                    "allowedRoutes": {"namespaces": {"from": ["All"]}},
                }
            ),
            ["spec.listeners[0].allowedRoutes.namespaces.from is a list, not a string"],
            id="allowed-from-list",
        ),
        pytest.param(
            route("HTTPRoute", {"backendRefs": [{"name": "w", "weight": "1"}]}),
            ["HTTPRoute shop/r", "spec.rules[0].backendRefs[0].weight is a string"],
            id="weight-string",
        ),
        pytest.param(
            route("HTTPRoute", {"backendRefs": [{"port": 80}]}),
            ["spec.rules[0].backendRefs[0].name is missing"],
            id="backend-no-name",
        ),
        pytest.param(
            route("HTTPRoute", hostnames="a.example"),
            ["spec.hostnames is a string, not a list"],
            id="hostnames-string",
        ),
        pytest.param(
            route("HTTPRoute", {"matches": [{"path": {"type": True}}]}),
            ["spec.rules[0].matches[0].path.type is a boolean, not a string"],
            id="path-type-bool",
        ),
        pytest.param(
            route(
                "HTTPRoute",
                {
                    "filters": [
                        {"type": "RequestRedirect", "requestRedirect": {"statusCode": "301"}}
                    ]
                },
            ),
            ["spec.rules[0].filters[0].requestRedirect.statusCode is a string"],
            id="status-code-string",
        ),
        pytest.param(
            {**route("HTTPRoute"), "spec": {"parentRefs": [{"name": "gw", "port": 0}]}},
            ["spec.parentRefs[0].port is a number, not a port number"],
            id="parent-port-zero",
        ),
        pytest.param(
            obj("GatewayClass", "eg", None, controllerName={"a": 1}),
            ["GatewayClass eg", "spec.controllerName is a mapping, not a string"],
            id="controller-mapping",
        ),
        pytest.param(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": "shop", "labels": {"a": 1}},
            },
            ["Namespace shop", "metadata.labels.a is a number, not a string"],
            id="namespace-label-number",
        ),
        pytest.param(
            obj("ListenerSet", listeners=[]),
            ["ListenerSet shop/x", "spec.parentRef is missing"],
            id="listenerset-parent",
        ),
    ],
)
def test_wrong_types_are_one_line(raw: Obj, words: list[str]) -> None:
    with pytest.raises(InputError) as err:
        snapshot(raw)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("test: ")
    for w in words:
        assert w in msg, msg


# ---------------------------------------------------------------- real-world manifests

GATEWAY_MANIFESTS = {
    # file: (Gateways, routes by kind, ReferenceGrants, Namespaces)
    "envoy-gateway-quickstart.yaml": (1, {"HTTPRoute": 1}, 0, 0),
    "envoy-gateway-http-routing.yaml": (1, {"HTTPRoute": 3}, 0, 0),
    "envoy-gateway-tcp-routing.yaml": (1, {"TCPRoute": 2}, 0, 0),
    "envoy-gateway-grpc-routing.yaml": (1, {"GRPCRoute": 1}, 0, 0),
    "nginx-gateway-fabric-cafe.yaml": (1, {"HTTPRoute": 2}, 0, 0),
    "nginx-gateway-fabric-cross-namespace.yaml": (1, {"HTTPRoute": 2}, 1, 1),
    "nginx-gateway-fabric-traffic-splitting.yaml": (1, {"HTTPRoute": 1}, 0, 0),
    "nginx-gateway-fabric-https-termination.yaml": (1, {"HTTPRoute": 3}, 1, 1),
    "istio-bookinfo-gateway-api.yaml": (1, {"HTTPRoute": 1}, 0, 0),
    "istio-helloworld-gateway-api.yaml": (1, {"HTTPRoute": 1}, 0, 0),  # 2 with one name
    "gateway-api-cross-namespace-routing.yaml": (1, {"HTTPRoute": 3}, 0, 4),
    "gateway-api-tls-routing.yaml": (1, {"TLSRoute": 2}, 0, 0),
    "cilium-basic-http.yaml": (1, {"HTTPRoute": 1}, 0, 0),
}


@needs_realworld
@pytest.mark.parametrize("name", sorted(GATEWAY_MANIFESTS))
def test_realworld_manifest(name: str) -> None:
    gateways, routes, grants, namespaces = GATEWAY_MANIFESTS[name]
    snap = build_snapshot(load_dump([MANIFESTS / name]))
    g = snap.gateways
    assert len(g.gateways) == gateways
    found: dict[str, int] = {}
    for r in g.routes:
        found[r.kind] = found.get(r.kind, 0) + 1
    assert found == routes
    assert (len(g.grants), len(snap.namespaces)) == (grants, namespaces)
    assert set(g.versions.values()) == {V1}


@needs_realworld
def test_realworld_details() -> None:
    def load(name: str) -> Any:
        return build_snapshot(load_dump([MANIFESTS / name]))

    # Cross-namespace: the Selector listener and the labelled namespaces.
    snap = load("gateway-api-cross-namespace-routing.yaml")
    (gw,) = snap.gateways.gateways.values()
    assert gw.listeners[0].allowed_routes.selector.match_labels == (
        ("shared-gateway-access", "true"),
    )
    assert snap.namespaces["site-ns"].labels["shared-gateway-access"] == "true"
    assert "shared-gateway-access" not in snap.namespaces["no-external-access"].labels
    login = [
        r
        for r in snap.gateways.routes
        if any(m.path.value == "/login" for rule in r.rules for m in rule.matches)
    ]
    assert [b.weight for b in login[0].rules[0].backends] == [90, 10]
    # TLS: passthrough and terminate listeners by section name.
    (tls_gw,) = load("gateway-api-tls-routing.yaml").gateways.gateways.values()
    assert [(lis.port, lis.tls_mode) for lis in tls_gw.listeners] == [
        (443, "Passthrough"),
        (8443, "Terminate"),
    ]
    # HTTPS termination: a redirect-only rule and a cross-namespace Secret ref.
    https = load("nginx-gateway-fabric-https-termination.yaml").gateways
    redirects = [
        f.redirect for r in https.routes for rule in r.rules for f in rule.filters if f.redirect
    ]
    assert redirects == [RequestRedirect("https", None, 443, None, 302)]
    (https_gw,) = https.gateways.values()
    refs = [ref for lis in https_gw.listeners for ref in lis.certificate_refs]
    assert [(ref.namespace, ref.name) for ref in refs] == [("certificate", "cafe-secret")]
    # Cilium: header + query + method ANDed in one match.
    (cilium,) = load("cilium-basic-http.yaml").gateways.routes
    match = cilium.rules[1].matches[0]
    assert (match.headers[0].name, match.query_params[0].name, match.method) == (
        "magic",
        "great",
        "GET",
    )


@needs_realworld
def test_helloworld_duplicate_route_last_wins() -> None:
    raw = load_dump([MANIFESTS / "istio-helloworld-gateway-api.yaml"])
    (r,) = build_snapshot(raw).gateways.routes
    assert [(b.name, b.weight) for b in r.rules[0].backends] == [
        ("helloworld-v1", 90),
        ("helloworld-v2", 10),
    ]
    assert any("more than once" in w and "HTTPRoute helloworld" in w for w in raw.warnings)
