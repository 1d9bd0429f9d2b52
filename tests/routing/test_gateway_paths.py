"""Gateway ways in: one path per listener, attached route, rule and backend, on the real-world
manifests (through the dump reader) and on small clusters with pods and a gateway Service."""

from __future__ import annotations

from pathlib import Path as FsPath

import pytest

from kpath.cluster.dump import load_dump
from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import build_snapshot
from kpath.routing.analysis import Analysis, analyse
from kpath.routing.kubeproxy import Verdict
from kpath.routing.paths import (
    NO_BACKEND_SERVICE,
    REDIRECT_SERVICE,
    EntryKind,
    Path,
    names_no_service,
)
from tests import builders as b

MANIFESTS = FsPath(__file__).resolve().parents[3] / "shared" / "realworld" / "manifests"
needs_realworld = pytest.mark.skipif(
    not MANIFESTS.is_dir(), reason=f"real-world manifests not found at {MANIFESTS}"
)
GROUP = "gateway.networking.k8s.io"


def from_manifest(
    name: str, tmp_path: FsPath | None = None, drop_kind: str | None = None
) -> Analysis:
    path = MANIFESTS / name
    if drop_kind is not None:
        assert tmp_path is not None
        docs = path.read_text().split("\n---\n")
        kept = [d for d in docs if f"\nkind: {drop_kind}\n" not in f"\n{d}\n"]
        assert len(kept) < len(docs)
        path = tmp_path / name
        path.write_text("\n---\n".join(kept))
    return analyse(build_snapshot(load_dump([path])))


def gateway_paths(a: Analysis) -> list[Path]:
    return [p for p in a.paths if p.entry.kind == EntryKind.GATEWAY]


def codes(a: Analysis) -> list[str]:
    return sorted(f.code for f in a.findings)


@needs_realworld
def test_cafe_prefix_and_exact_paths_on_a_wildcard_listener():
    a = from_manifest("nginx-gateway-fabric-cafe.yaml")
    paths = {str(p.service): p for p in gateway_paths(a)}
    assert sorted(paths) == ["default/coffee", "default/tea"]
    tea = paths["default/tea"].entry.gateway
    assert tea is not None
    assert tea.gateway == ObjectKey("default", "gateway") and tea.listener == "http"
    assert tea.hostnames == ("cafe.example.com",)  # the route's, inside *.example.com
    assert [(m.path.type, m.path.value) for m in tea.matches if m.path] == [("Exact", "/tea")]
    assert tea.route_kind == "HTTPRoute" and tea.route == ObjectKey("default", "tea")
    assert tea.share == 1.0 and tea.problem is None
    p = paths["default/tea"]
    assert p.via == "gateway" and p.groups == () and p.policy is None
    assert p.port is not None and p.port.port == 80
    assert p.direct is not None and p.direct.verdict == Verdict.UNKNOWN  # manifests: no pods
    assert p.entry.label().startswith("http://cafe.example.com:80/tea (exact) HTTPRoute")


@needs_realworld
def test_cross_namespace_backends_with_and_without_their_reference_grant(tmp_path):
    a = from_manifest("nginx-gateway-fabric-cross-namespace.yaml")
    assert sorted(str(p.service) for p in gateway_paths(a)) == ["cafe/coffee", "cafe/tea"]
    assert all(p.entry.gateway.problem is None for p in gateway_paths(a))
    assert not {"KP430"} & set(codes(a))
    bare = from_manifest(
        "nginx-gateway-fabric-cross-namespace.yaml", tmp_path, drop_kind="ReferenceGrant"
    )
    for p in gateway_paths(bare):
        assert p.direct is not None and p.direct.verdict == Verdict.REJECT
        assert p.entry.gateway.problem.startswith("RefNotPermitted")
        assert "the gateway answers 500" in p.direct.rule
    found = [f for f in bare.findings if f.code == "KP430"]
    assert sorted(f.route for f in found) == ["HTTPRoute default/coffee", "HTTPRoute default/tea"]
    assert all("no ReferenceGrant in namespace cafe" in f.message for f in found)


@needs_realworld
def test_traffic_split_shares():
    a = from_manifest("nginx-gateway-fabric-traffic-splitting.yaml")
    shares = {str(p.service): p.entry.gateway.share for p in gateway_paths(a)}
    assert shares == {"default/coffee-v1": 0.8, "default/coffee-v2": 0.2}


@needs_realworld
def test_redirect_rule_gets_a_path_that_says_so():
    a = from_manifest("nginx-gateway-fabric-https-termination.yaml")
    redirect = [p for p in gateway_paths(a) if p.entry.gateway.route.name == "cafe-tls-redirect"]
    (p,) = redirect
    assert p.entry.gateway.listener == "http" and p.entry.gateway.backend is None
    # The gateway answers by design: a verdict of its own, with the Location it answers.
    assert p.direct is not None and p.direct.verdict == Verdict.REDIRECT
    assert p.direct.rule == "RequestRedirect: the gateway answers 302 → https://cafe.example.com/"
    assert p.service == ObjectKey("default", REDIRECT_SERVICE) and names_no_service(p.service)
    assert p.service not in a.snapshot.services
    # Nothing about it is a problem: no finding names its route.
    assert not [
        f for f in a.findings if f.route is not None and "cafe-tls-redirect" in str(f.route)
    ]
    https = {
        p.entry.gateway.listener
        for p in gateway_paths(a)
        if p.entry.gateway.route.name in ("coffee", "tea")
    }
    assert https == {"https"}


@needs_realworld
def test_every_gateway_manifest_makes_gateway_paths():
    for name in (
        "envoy-gateway-quickstart.yaml",
        "envoy-gateway-http-routing.yaml",
        "envoy-gateway-tcp-routing.yaml",
        "envoy-gateway-grpc-routing.yaml",
        "istio-bookinfo-gateway-api.yaml",
        "istio-helloworld-gateway-api.yaml",
        "gateway-api-tls-routing.yaml",
        "cilium-basic-http.yaml",
    ):
        a = from_manifest(name)
        assert gateway_paths(a), name


# ------------------------------------------------------------ a cluster with pods and a proxy


def gateway(
    name: str = "eg",
    ns: str = "default",
    class_name: str = "eg",
    address: str | None = "203.0.113.10",
) -> b.Obj:
    status = {"addresses": [{"type": "IPAddress", "value": address}]} if address else {}
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "Gateway",
        "metadata": {"name": name, "namespace": ns, "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {
            "gatewayClassName": class_name,
            "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}],
        },
        "status": status,
    }


def httproute(
    name: str,
    rules: list[b.Obj],
    ns: str = "default",
    hostnames: list[str] | None = None,
    gw: str = "eg",
) -> b.Obj:
    spec: b.Obj = {"parentRefs": [{"name": gw}], "rules": rules}
    if hostnames:
        spec["hostnames"] = hostnames
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": ns, "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": spec,
    }


EG_LABELS = {
    "app.kubernetes.io/name": "envoy",
    "app.kubernetes.io/component": "proxy",
    "app.kubernetes.io/managed-by": "envoy-gateway",
    "gateway.envoyproxy.io/owning-gateway-name": "eg",
    "gateway.envoyproxy.io/owning-gateway-namespace": "default",
}


def cluster(*extra: b.Obj) -> Analysis:
    """Envoy Gateway's default: a Local-policy LoadBalancer in envoy-gateway-system, its one
    proxy pod on n1 (n2 runs none), and a backend `web` with pods on n1 and n2."""
    return analyse(b.snapshot(*_cluster_objects(), *extra))


def _cluster_objects() -> list[b.Obj]:
    return [
        b.node("n1"),
        b.node("n2"),
        {
            "apiVersion": f"{GROUP}/v1",
            "kind": "GatewayClass",
            "metadata": {"name": "eg"},
            "spec": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"},
        },
        gateway(),
        b.service(
            "envoy-default-eg-e41e7b31",
            "LoadBalancer",
            ns="envoy-gateway-system",
            selector=EG_LABELS,
            labels=EG_LABELS,
            etp="Local",
            lb_ip="203.0.113.10",
            ports=[{"port": 80, "targetPort": 10080, "nodePort": 31080, "protocol": "TCP"}],
        ),
        b.pod("envoy-1", "n1", "10.1.1.1", labels=EG_LABELS, ns="envoy-gateway-system"),
        b.endpointslice(
            "envoy-default-eg-e41e7b31",
            [b.endpoint("10.1.1.1", "n1", "envoy-1", ns="envoy-gateway-system")],
            ns="envoy-gateway-system",
            port=10080,
        ),
        b.service("web", ns="default"),
        b.pod("web-1", "n1", "10.1.0.1", ns="default"),
        b.pod("web-2", "n2", "10.1.0.2", ns="default"),
        b.endpointslice(
            "web",
            [
                b.endpoint("10.1.0.1", "n1", "web-1", ns="default"),
                b.endpoint("10.1.0.2", "n2", "web-2", ns="default"),
            ],
            ns="default",
        ),
    ]


def test_gateway_sends_straight_to_backend_pods_and_its_service_keeps_its_black_hole():
    a = cluster(httproute("web", [{"backendRefs": [{"name": "web", "port": 80}]}]))
    (p,) = gateway_paths(a)
    hop = p.entry.gateway
    assert hop.infra == ObjectKey("envoy-gateway-system", "envoy-default-eg-e41e7b31")
    assert "owning-gateway-name" in hop.infra_note
    assert hop.addresses == ("203.0.113.10",) and p.entry.addresses == ("203.0.113.10",)
    # kube-proxy's policies do not apply on the gateway -> backend hop: both pods, no groups.
    assert p.groups == () and p.direct is not None and p.direct.verdict == Verdict.FORWARD
    assert sorted(str(t.pod) for t in p.direct.targets) == ["default/web-1", "default/web-2"]
    # The gateway's own Service: marked, with its Local-policy drop on n2.
    infra = [q for q in a.paths if q.service == hop.infra and q.entry.kind == EntryKind.NODE_PORT]
    assert infra and all(q.gateways == (ObjectKey("default", "eg"),) for q in infra)
    drops = [f for f in a.findings if f.code == "KP101" and f.service == hop.infra]
    assert drops and drops[0].nodes == ("n2",)
    assert not {"KP414", "KP415"} & set(codes(a))


def test_zero_weight_is_no_path_and_a_rule_without_backends_is_a_500_path():
    a = cluster(
        httproute(
            "split",
            [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/a"}}],
                    "backendRefs": [
                        {"name": "web", "port": 80, "weight": 3},
                        {"name": "missing", "port": 80, "weight": 1},
                        {"name": "web", "port": 80, "weight": 0},
                    ],
                },
                {"matches": [{"path": {"type": "PathPrefix", "value": "/b"}}]},
            ],
        )
    )
    by_rule: dict[int, list[Path]] = {}
    for p in gateway_paths(a):
        by_rule.setdefault(p.entry.gateway.rule, []).append(p)
    assert sorted((str(p.service), p.entry.gateway.share) for p in by_rule[0]) == [
        ("default/missing", 0.25),
        ("default/web", 0.75),
    ]
    missing = next(p for p in by_rule[0] if p.service.name == "missing")
    assert missing.direct.verdict == Verdict.REJECT and missing.port is None
    assert missing.entry.gateway.problem == (
        "BackendNotFound: Service default/missing does not exist"
    )
    (nowhere,) = by_rule[1]
    assert nowhere.direct.verdict == Verdict.REJECT and nowhere.entry.gateway.backend is None
    assert nowhere.service == ObjectKey("default", NO_BACKEND_SERVICE)  # not "default/?"
    assert "no backendRefs" in nowhere.direct.rule
    assert {"KP431", "KP434"} <= set(codes(a))


def test_unattached_route_has_no_path_and_a_finding():
    a = cluster(
        httproute(
            "other-ns", [{"backendRefs": [{"name": "web", "port": 80}]}], ns="team-b", gw="eg"
        ),
        {
            "kind": "HTTPRoute",
            "apiVersion": f"{GROUP}/v1",
            "metadata": {"name": "typo", "namespace": "default"},
            "spec": {
                "parentRefs": [{"name": "nope"}],
                "rules": [{"backendRefs": [{"name": "web", "port": 80}]}],
            },
        },
    )
    assert gateway_paths(a) == []
    by_code = {f.code: f for f in a.findings}
    assert "(NoMatchingParent: Gateway default/nope does not exist)" in by_code["KP416"].message
    assert by_code["KP416"].route == "HTTPRoute default/typo"
    # parentRef without namespace: the route's own, team-b, where no Gateway eg exists
    assert any(f.route == "HTTPRoute team-b/other-ns" for f in a.findings if f.code == "KP416")


def test_no_gateway_api_no_gateway_paths_or_findings():
    a = analyse(
        b.snapshot(
            b.node("n1"),
            b.service("web"),
            b.pod("web-1", "n1", "10.1.0.1"),
            b.endpointslice("web", [b.endpoint("10.1.0.1", "n1", "web-1")]),
        )
    )
    assert gateway_paths(a) == [] and a.gateways is None
    assert not [f for f in a.findings if f.code.startswith("KP4")]


@needs_realworld
def test_namespace_selection_shows_a_gateway_way_in_by_its_gateway_and_route_too():
    from kpath.routing.scope import ViewScope

    a = from_manifest("nginx-gateway-fabric-cross-namespace.yaml")
    for ns, want in (("cafe", 2), ("default", 2), ("elsewhere", 0)):
        scope = ViewScope.of(ns)
        assert len([p for p in scope.paths(a) if p.entry.gateway]) == want, ns
    # Gateway findings follow the Gateway's or the route's namespace.
    assert [f.code for f in ViewScope.of("elsewhere").findings(a) if f.gateway] == []
    assert "KP415" in [f.code for f in ViewScope.of("default").findings(a)]


def test_conflicted_listener_carries_no_path_and_is_a_finding():
    gw = gateway()
    gw["spec"]["listeners"].append({"name": "again", "port": 80, "protocol": "HTTP"})
    gw["status"]["listeners"] = [
        {
            "name": "again",
            "attachedRoutes": 0,
            "supportedKinds": [],
            "conditions": [
                {
                    "type": "Conflicted",
                    "status": "True",
                    "reason": "HostnameConflict",
                    "message": "",
                    "lastTransitionTime": "2026-01-01T00:00:00Z",
                }
            ],
        }
    ]
    a = cluster(httproute("web", [{"backendRefs": [{"name": "web", "port": 80}]}]))
    b_ = analyse(
        b.snapshot(
            *[o for o in _cluster_objects() if o.get("kind") != "Gateway"],
            gw,
            httproute("web", [{"backendRefs": [{"name": "web", "port": 80}]}]),
        )
    )
    assert {p.entry.gateway.listener for p in gateway_paths(a)} == {"http"}
    assert {p.entry.gateway.listener for p in gateway_paths(b_)} == {"http"}
    conflicts = [f.message for f in b_.findings if f.code == "KP424"]
    assert conflicts == [
        "Gateway default/eg listeners again: HostnameConflict (port 80 hostname "
        "* is already listener http's)"
    ]
    assert "KP428" not in codes(b_)  # the controller's status agrees


@needs_realworld
def test_https_listener_certificate_across_namespaces_needs_its_grant(tmp_path):
    ok = from_manifest("nginx-gateway-fabric-https-termination.yaml")
    assert "KP425" not in codes(ok)
    bare = from_manifest(
        "nginx-gateway-fabric-https-termination.yaml", tmp_path, drop_kind="ReferenceGrant"
    )
    (msg,) = [f.message for f in bare.findings if f.code == "KP425"]
    assert msg.startswith(
        "Gateway default/gateway listener https: RefNotPermitted "
        "(certificateRefs Secret certificate/cafe-secret"
    )


def test_listener_kinds_its_protocol_cannot_carry():
    gw = gateway()
    gw["spec"]["listeners"][0]["allowedRoutes"] = {"kinds": [{"kind": "TCPRoute"}]}
    a = analyse(b.snapshot(*[o for o in _cluster_objects() if o.get("kind") != "Gateway"], gw))
    (msg,) = [f.message for f in a.findings if f.code == "KP425"]
    assert "InvalidRouteKinds (allowedRoutes.kinds TCPRoute cannot be carried by a HTTP" in msg


def _redirect_rule(redirect: b.Obj, path: str = "/old") -> b.Obj:
    return httproute(
        "moved",
        [
            {
                "matches": [{"path": {"type": "PathPrefix", "value": path}}],
                "filters": [{"type": "RequestRedirect", "requestRedirect": redirect}],
            }
        ],
        hostnames=["shop.example.com"],
    )


@pytest.mark.parametrize(
    ("redirect", "location"),
    [
        ({"scheme": "https"}, "https://shop.example.com/old"),
        ({"scheme": "https", "port": 8443, "statusCode": 301}, "https://shop.example.com:8443/old"),
        (
            {
                "hostname": "new.example.com",
                "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/new"},
            },
            "http://new.example.com/new",
        ),
    ],
)
def test_a_redirect_path_names_the_location_it_answers(redirect: b.Obj, location: str) -> None:
    a = cluster(_redirect_rule(redirect))
    (p,) = [q for q in gateway_paths(a) if q.entry.gateway.route.name == "moved"]
    status = redirect.get("statusCode", 302)
    assert p.direct.verdict == Verdict.REDIRECT
    assert p.direct.rule == f"RequestRedirect: the gateway answers {status} → {location}"
