"""Ingress rules as ways in: hosts, paths, TLS, backends, and the controller behind them.

The cluster: three nodes, a backend Service ``shop/web`` (ports http:80 and admin:9000,
NodePort) with two pods, and, where a case needs one, an ingress-nginx controller Service
in ``ingress-nginx``. Each case checks what an admin would: the URL the route answers, the
backend Service and port, how the controller was found, and the finding codes naming the
Ingress.
"""

from __future__ import annotations

import pytest

from kpath.routing.analysis import Analysis
from kpath.routing.ingress import hostless_routes, ingress_routes, path_match
from kpath.routing.kubeproxy import Verdict
from kpath.routing.paths import EntryKind, Path
from tests.builders import (
    Obj,
    analysed,
    backend,
    endpoint,
    endpointslice,
    ingress,
    ingress_class,
    key,
    node,
    rule,
    service,
)

KINDS = ("Node", "Pod", "Service", "EndpointSlice", "Ingress", "IngressClass")
NODES = (
    node("n1", "z1", ip="10.0.0.1"),
    node("n2", "z1", ip="10.0.0.2"),
    node("n3", "z2", ip="10.0.0.3"),
)
WEB_PORTS = [
    {"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP", "nodePort": 30080},
    {"name": "admin", "port": 9000, "targetPort": 9000, "protocol": "TCP", "nodePort": 30900},
]
WEB = service("web", "NodePort", ports=WEB_PORTS)
WEB_SLICES = (
    endpointslice(
        "web",
        [endpoint("10.1.0.1", "n1", "a"), endpoint("10.1.0.2", "n2", "b")],
        port=8080,
        port_name="http",
        suffix="h",
    ),
    endpointslice(
        "web",
        [endpoint("10.1.0.1", "n1", "a"), endpoint("10.1.0.2", "n2", "b")],
        port=9000,
        port_name="admin",
        suffix="m",
    ),
)
NGINX_LABELS = {"app.kubernetes.io/name": "ingress-nginx"}
NGINX_LB = service(
    "ingress-nginx-controller",
    "LoadBalancer",
    ns="ingress-nginx",
    lb_ip="192.0.2.50",
    labels=NGINX_LABELS,
    selector={"app.kubernetes.io/name": "ingress-nginx"},
)
NGINX_NP = service(
    "ingress-nginx-nodeport",
    "NodePort",
    ns="ingress-nginx",
    labels=NGINX_LABELS,
    selector={"app.kubernetes.io/name": "ingress-nginx"},
)
NGINX_CLASS = ingress_class("nginx", "k8s.io/ingress-nginx")


def run(*objects: Obj) -> Analysis:
    return analysed(*NODES, WEB, *WEB_SLICES, *objects, kinds=KINDS)


def ingress_paths(a: Analysis) -> list[Path]:
    return [p for p in a.paths if p.entry.kind == EntryKind.INGRESS]


def codes(a: Analysis) -> list[str]:
    return sorted(f.code for f in a.findings if f.ingress is not None)


# ---------------------------------------------------------------- rules


def test_hosts_paths_path_types_default_backend_and_tls() -> None:
    ing = ingress(
        "shop",
        class_name="nginx",
        lb_ip="192.0.2.50",
        tls_hosts=["shop.example.test"],
        default_backend=backend("web", 80),
        rules=[
            rule(
                "shop.example.test",
                ("/", "Prefix", backend("web", "http")),
                ("/admin", "Exact", backend("web", 9000)),
            ),
            rule(None, ("/healthz", "ImplementationSpecific", backend("web", 80))),
        ],
    )
    a = run(NGINX_LB, NGINX_CLASS, ing)
    got = [
        (
            p.entry.label(),
            p.entry.port,
            p.entry.ingress.path_type,  # type: ignore[union-attr]
            p.service,
            p.port.name if p.port else None,
            p.entry.addresses,
        )
        for p in ingress_paths(a)
    ]
    # Each row names its Ingress: several may claim one host.
    assert got == [
        (
            "https://shop.example.test/ (ingress shop/shop)",
            443,
            "Prefix",
            key("web"),
            "http",
            ("192.0.2.50",),
        ),
        (
            "https://shop.example.test/admin (ingress shop/shop)",
            443,
            "Exact",
            key("web"),
            "admin",
            ("192.0.2.50",),
        ),
        (
            "http://*/healthz (ingress shop/shop)",
            80,
            "ImplementationSpecific",
            key("web"),
            "http",
            ("192.0.2.50",),
        ),
        (
            "http://* (ingress shop/shop, default backend)",
            80,
            None,
            key("web"),
            "http",
            ("192.0.2.50",),
        ),
    ]
    assert codes(a) == []


def test_wildcard_tls_host_covers_a_rule_host_one_label_deep() -> None:
    ing = ingress(
        "shop",
        class_name="nginx",
        tls_hosts=["*.example.test"],
        rules=[
            rule("shop.example.test", ("/", "Prefix", backend("web", 80))),
            rule("a.b.example.test", ("/", "Prefix", backend("web", 80))),
            rule("example.test", ("/", "Prefix", backend("web", 80))),
        ],
    )
    a = run(NGINX_LB, NGINX_CLASS, ing)
    assert [p.entry.ingress.label() for p in ingress_paths(a)] == [  # type: ignore[union-attr]
        "https://shop.example.test/",
        "http://a.b.example.test/",
        "http://example.test/",
    ]


def test_legacy_v1beta1_backend_fields() -> None:
    ing = ingress("old", class_name="nginx")
    ing["spec"]["rules"] = [
        {
            "host": "old.example.test",
            "http": {
                "paths": [{"path": "/", "backend": {"serviceName": "web", "servicePort": "admin"}}]
            },
        }
    ]
    (p,) = ingress_paths(run(NGINX_LB, NGINX_CLASS, ing))
    assert (p.port.name if p.port else None, p.entry.ingress.path_type) == (  # type: ignore[union-attr]
        "admin",
        "ImplementationSpecific",
    )


# ---------------------------------------------------------------- backends


@pytest.mark.parametrize(
    ("bk", "code", "words"),
    [
        pytest.param(
            backend("missing", 80),
            "KP201",
            ["shop/missing", "does not exist"],
            id="missing-service",
        ),
        pytest.param(
            backend("web", 8443),
            "KP202",
            ["shop/web", "8443", "http:80/TCP"],
            id="missing-port-number",
        ),
        pytest.param(backend("web", "grpc"), "KP202", ["shop/web", "grpc"], id="missing-port-name"),
        pytest.param(
            {"resource": {"apiGroup": "k8s.example.test", "kind": "Bucket", "name": "assets"}},
            "KP205",
            ["Bucket/assets"],
            id="resource-backend",
        ),
    ],
)
def test_backend_problems(bk: Obj, code: str, words: list[str]) -> None:
    ing = ingress(
        "shop", class_name="nginx", rules=[rule("shop.example.test", ("/", "Prefix", bk))]
    )
    a = run(NGINX_LB, NGINX_CLASS, ing)
    (p,) = ingress_paths(a)
    assert p.direct is not None and p.direct.verdict == Verdict.REJECT
    (f,) = [f for f in a.findings if f.ingress is not None]
    assert f.code == code and f.ingress == key("shop")
    assert "Ingress shop/shop" in f.message and "shop.example.test" in f.message
    for w in words:
        assert w in f.message


def test_backend_by_name_and_number_reach_the_backend_pods() -> None:
    ing = ingress(
        "shop",
        class_name="nginx",
        rules=[
            rule(
                "shop.example.test",
                ("/", "Prefix", backend("web", "admin")),
                ("/x", "Prefix", backend("web", 80)),
            )
        ],
    )
    a = run(NGINX_LB, NGINX_CLASS, ing)
    by_name, by_number = ingress_paths(a)
    assert by_name.direct is not None and by_number.direct is not None
    assert sorted(t.endpoint for t in by_name.direct.targets) == ["10.1.0.1:9000", "10.1.0.2:9000"]
    assert sorted(t.endpoint for t in by_number.direct.targets) == [
        "10.1.0.1:8080",
        "10.1.0.2:8080",
    ]
    assert by_name.via == "controller" and by_name.groups == ()


# ---------------------------------------------------------------- classes and controllers


def controller_of(a: Analysis) -> tuple[str, str | None, str | None, str]:
    p = ingress_paths(a)[0]
    c = p.entry.ingress.controller  # type: ignore[union-attr]
    return c.kind, c.class_name, str(c.service) if c.service else None, c.mode


def test_controller_found_by_published_load_balancer_address() -> None:
    # No labels tie this Service to a known controller: only the address does.
    ctrl = service("edge", "LoadBalancer", ns="edge", lb_ip="192.0.2.77", selector={"x": "y"})
    ing = ingress(
        "shop",
        class_name="custom",
        lb_ip="192.0.2.77",
        rules=[rule("a.test", ("/", "Prefix", backend("web", 80)))],
    )
    a = run(ctrl, NGINX_LB, ingress_class("custom", "example.test/custom"), ing)
    assert controller_of(a) == ("service", "custom", "edge/edge", "controller")
    assert codes(a) == []


def test_controller_found_by_node_address_prefers_the_nodeport_service() -> None:
    ing = ingress(
        "shop",
        class_name="nginx",
        lb_ip="10.0.0.2",
        rules=[rule("a.test", ("/", "Prefix", backend("web", 80)))],
    )
    a = run(NGINX_LB, NGINX_NP, NGINX_CLASS, ing)
    assert controller_of(a)[2] == "ingress-nginx/ingress-nginx-nodeport"
    unpublished = ingress(
        "shop", class_name="nginx", rules=[rule("a.test", ("/", "Prefix", backend("web", 80)))]
    )
    a = run(NGINX_NP, NGINX_LB, NGINX_CLASS, unpublished)
    assert controller_of(a)[2] == "ingress-nginx/ingress-nginx-controller"


def test_controller_found_by_well_known_labels() -> None:
    ing = ingress(
        "shop", class_name="nginx", rules=[rule("a.test", ("/", "Prefix", backend("web", 80)))]
    )
    webhook = service("ingress-nginx-controller-admission", ns="ingress-nginx", labels=NGINX_LABELS)
    a = run(webhook, NGINX_LB, NGINX_CLASS, ing)
    assert controller_of(a) == (
        "service",
        "nginx",
        "ingress-nginx/ingress-nginx-controller",
        "controller",
    )


def test_default_ingress_class_used_when_the_ingress_names_none() -> None:
    ing = ingress("shop", rules=[rule("a.test", ("/", "Prefix", backend("web", 80)))])
    a = run(
        NGINX_LB,
        ingress_class("nginx", "k8s.io/ingress-nginx", default=True),
        ingress_class("other", "example.test/other"),
        ing,
    )
    assert controller_of(a)[:2] == ("service", "nginx")
    assert codes(a) == []


def test_legacy_class_annotation() -> None:
    ing = ingress(
        "shop",
        annotations={"kubernetes.io/ingress.class": "nginx"},
        rules=[rule("a.test", ("/", "Prefix", backend("web", 80)))],
    )
    a = run(NGINX_LB, ing)  # no IngressClass objects at all: the annotation alone
    assert controller_of(a) == (
        "service",
        "nginx",
        "ingress-nginx/ingress-nginx-controller",
        "controller",
    )
    assert codes(a) == []


def test_missing_ingress_class_is_kp203() -> None:
    ing = ingress(
        "shop",
        class_name="nginx-internal",
        rules=[rule("a.test", ("/", "Prefix", backend("web", 80)))],
    )
    a = run(NGINX_LB, NGINX_CLASS, ing)
    (f,) = [f for f in a.findings if f.code == "KP203"]
    assert "shop/shop" in f.message and "'nginx-internal'" in f.message


def test_no_controller_found_is_kp204() -> None:
    ing = ingress(
        "shop", class_name="nginx", rules=[rule("a.test", ("/", "Prefix", backend("web", 80)))]
    )
    a = run(NGINX_CLASS, ing)
    assert codes(a) == ["KP204"]
    (f,) = [f for f in a.findings if f.code == "KP204"]
    assert "shop/shop" in f.message and "k8s.io/ingress-nginx" in f.message
    assert controller_of(a)[0] == "unknown"


# ---------------------------------------------------------------- controllers outside

ALB = ingress_class("alb", "ingress.k8s.aws/alb")


def test_aws_alb_ip_targets_go_straight_to_pods() -> None:
    ing = ingress(
        "shop",
        class_name="alb",
        annotations={"alb.ingress.kubernetes.io/target-type": "ip"},
        rules=[rule("a.test", ("/", "Prefix", backend("web", 80)))],
    )
    a = run(ALB, ing)
    (p,) = ingress_paths(a)
    assert controller_of(a) == ("external", "alb", None, "pods")
    assert p.via == "pods" and p.groups == () and p.direct is not None
    assert sorted(t.endpoint for t in p.direct.targets) == ["10.1.0.1:8080", "10.1.0.2:8080"]
    assert codes(a) == []


def test_aws_alb_instance_mode_goes_to_the_backend_nodeports() -> None:
    ing = ingress(
        "shop", class_name="alb", rules=[rule("a.test", ("/", "Prefix", backend("web", "admin")))]
    )
    a = run(ALB, ing)
    (p,) = ingress_paths(a)
    assert controller_of(a)[3] == "nodes"
    assert p.via == "nodes" and p.policy == "Cluster" and p.direct is None
    assert p.port is not None and p.port.node_port == 30900
    assert sorted(n for g in p.groups for n in g.nodes) == ["n1", "n2", "n3"]


@pytest.mark.parametrize(
    "backend_svc",
    [
        pytest.param(service("api"), id="clusterip"),
        pytest.param(service("api", externalIPs=["198.51.100.9"]), id="clusterip-with-externalip"),
    ],
)
def test_aws_alb_instance_mode_cannot_reach_a_service_without_nodeport(backend_svc: Obj) -> None:
    ing = ingress(
        "shop", class_name="alb", rules=[rule("a.test", ("/", "Prefix", backend("api", 80)))]
    )
    a = run(ALB, backend_svc, ing)
    (p,) = ingress_paths(a)
    assert p.direct is not None and p.direct.verdict == Verdict.REJECT
    assert "NodePort" in p.direct.rule and p.groups == ()


# ---------------------------------------------------------------- a Host-less request


@pytest.mark.parametrize(
    ("kind", "rule_path", "request_path", "matches"),
    [
        ("Prefix", "/", "/", True),
        ("Prefix", "/api", "/", False),
        ("Prefix", "/api/", "/api", True),  # by path element, a trailing slash ignored
        ("Prefix", "/api", "/apis", False),
        ("Exact", "/", "/", True),
        ("Exact", "/", "/x", False),
        ("ImplementationSpecific", "/.*", "/", True),  # an ingress-nginx regex for everything
        ("ImplementationSpecific", "/*", "/", True),
        ("ImplementationSpecific", "/v1(/|$)(.*)", "/", False),
        (None, None, "/", True),  # a legacy rule without a path
    ],
)
def test_path_match(
    kind: str | None, rule_path: str | None, request_path: str, matches: bool
) -> None:
    assert (path_match(kind, rule_path, request_path) >= 0) is matches


def test_exact_beats_a_prefix_of_the_same_path() -> None:
    assert path_match("Exact", "/", "/") > path_match("Prefix", "/", "/")


def _hostless(*objects: Obj) -> list[str]:
    a = run(NGINX_LB, NGINX_CLASS, *objects)
    routes = list(ingress_routes(a.snapshot))
    return sorted(
        f"{r.ingress.name}:{r.backend.service}" for r in hostless_routes(routes, NGINX_LB_KEY)
    )


NGINX_LB_KEY = key("ingress-nginx-controller", "ingress-nginx")


def test_a_host_less_request_goes_to_a_host_less_rule_else_the_default_backend() -> None:
    other = service("other", ports=[{"port": 80, "targetPort": 80, "protocol": "TCP"}])
    hosts = ingress(
        "hosts",
        [rule("shop.example.test", ("/", "Prefix", backend("web", 80)))],
        class_name="nginx",
        lb_ip="192.0.2.50",
    )
    default = ingress(
        "default", class_name="nginx", lb_ip="192.0.2.50", default_backend=backend("web", 80)
    )
    root = ingress(
        "root",
        [rule(None, ("/", "Prefix", backend("other", 80)))],
        class_name="nginx",
        lb_ip="192.0.2.50",
    )
    api = ingress(
        "api",
        [rule(None, ("/api", "Prefix", backend("other", 80)))],
        class_name="nginx",
        lb_ip="192.0.2.50",
    )
    assert _hostless(hosts) == []  # nothing matches: the controller answers itself
    assert _hostless(hosts, api, default) == ["default:web"]
    assert _hostless(other, default, root) == ["root:other"]
    # Two Ingresses claiming the same thing conflict: either may be the one that answers.
    twin = ingress(
        "twin", class_name="nginx", lb_ip="192.0.2.50", default_backend=backend("other", 80)
    )
    assert _hostless(other, default, twin) == ["default:web", "twin:other"]


def test_a_host_less_request_ignores_ingresses_of_other_controllers() -> None:
    alb = ingress("alb", class_name="alb", default_backend=backend("web", 80))
    assert _hostless(alb, ingress_class("alb", "ingress.k8s.aws/alb")) == []
