"""The probe plan: which hops of which paths are tried, how, and what the prediction says."""

from __future__ import annotations

import pytest

from kpath.cluster.records import ServicePort
from kpath.probe.plan import (
    Expect,
    HopKind,
    PlanOptions,
    ProbeTarget,
    ingress_host,
    ingress_request_path,
    plan_probes,
    port_scheme,
)
from kpath.routing.analysis import Analysis
from tests.builders import (
    analysed,
    backend,
    endpoint,
    endpointslice,
    ingress,
    ingress_class,
    key,
    node,
    node_ip,
    pod,
    rule,
    service,
)

NODES = (node("n1", "z1"), node("n2", "z1"), node("n4", "z1"), node("n3", "z2"))
PODS = (pod("a", "n1", "10.1.0.1"), pod("b", "n1", "10.1.0.2"))
SLICE = endpointslice("web", [endpoint("10.1.0.1", "n1", "a"), endpoint("10.1.0.2", "n1", "b")])


def _port(
    name: str | None = None, port: int = 1234, app: str | None = None, target: int | str = 1234
) -> ServicePort:
    return ServicePort(name, "TCP", port, target, None, app)


@pytest.mark.parametrize(
    ("port", "force", "scheme"),
    [
        (_port(app="https"), False, "https"),
        (_port("http", app="kubernetes.io/h2c"), False, "http"),
        (_port("https-api"), False, "https"),
        (_port("web"), False, "http"),
        (_port("metrics-http"), False, "http"),
        (_port(target="http"), False, "http"),
        (_port(port=443), False, "https"),
        (_port(port=8080), False, "http"),
        (_port("tcp-redis", 6379), False, "tcp"),
        (_port("tcp-redis", 6379), True, "http"),
        (_port("grpc", 9000), False, "tcp"),
        (None, False, "tcp"),
        # appProtocol first: it beats the name and the number.
        (_port("http", 80, app="mysql"), False, "tcp"),
        (_port("tcp", 443, app="kubernetes.io/wss"), False, "https"),
        (_port(port=80, app="kubernetes.io/ws"), False, "http"),
        (_port(port=8080, app="example.com/postgres"), False, "tcp"),
        # Then the name, as Istio's <protocol>[-<suffix>] convention reads it.
        (_port("tcp", 80), False, "tcp"),
        (_port("tcp-foo", 8080), False, "tcp"),
        (_port("udp", 80), False, "tcp"),
        (_port("tls", 443), False, "tcp"),
        (_port("redis", 80), False, "tcp"),
        (_port("http-metrics", 9100), False, "http"),
        (_port("http2", 1234), False, "http"),
        (_port("h2c", 1234), False, "http"),
        (_port("grpc-web", 1234), False, "http"),
        (_port("https", 8080), False, "https"),
        (_port("HTTPS-admin", 1234), False, "https"),
        # A name that says nothing known: the number decides.
        (_port("metrics", 8080), False, "http"),
        (_port("metrics", 9443), False, "https"),
        (_port("metrics", 9100), False, "tcp"),
        (_port("metrics", 9100), True, "http"),
        # --http never turns a port known to be HTTPS into plain HTTP.
        (_port("https", 1234), True, "https"),
    ],
)
def test_port_scheme(port: ServicePort | None, force: bool, scheme: str) -> None:
    assert port_scheme(port, force) == scheme


@pytest.mark.parametrize(
    ("path", "kind", "want"),
    [
        (None, None, "/"),
        ("/api", "Prefix", "/api"),
        ("/exact", "Exact", "/exact"),
        ("/static/*", "ImplementationSpecific", "/static/"),
        ("/v1(/|$)(.*)", "ImplementationSpecific", "/v1"),
        ("*", "ImplementationSpecific", "/"),
    ],
)
def test_ingress_request_path(path: str | None, kind: str | None, want: str) -> None:
    assert ingress_request_path(path, kind) == want


def test_a_wildcard_host_gets_a_label_the_rule_matches() -> None:
    assert ingress_host("*.example.com") == "kpath-probe.example.com"
    assert ingress_host("shop.example.com") == "shop.example.com"
    assert ingress_host(None) is None


def _local_lb() -> Analysis:
    svc = service("web", "LoadBalancer", etp="Local", lb_ip="192.0.2.10", healthCheckNodePort=32000)
    return analysed(*NODES, *PODS, svc, SLICE)


def test_local_policy_plans_node_hops_and_health_checks_with_their_predictions() -> None:
    a = _local_lb()
    plan = plan_probes(a.snapshot, a.paths, PlanOptions())
    nodes = {t.node: t for t in plan.targets if t.hop == HopKind.NODE}
    health = {t.node: t for t in plan.targets if t.hop == HopKind.HEALTH}
    # n1 hosts both pods; n2 and n4 route alike (same zone, no local endpoint): one sample.
    assert set(nodes) == {"n1", "n2", "n3"}
    assert nodes["n1"].expect == {Expect.ANSWER}
    assert nodes["n1"].expected_pods == {"shop/a", "shop/b"}
    assert nodes["n2"].expect == {Expect.SILENT}
    assert (nodes["n1"].host, nodes["n1"].port) == (node_ip("n1"), 30080)
    assert health["n1"].expect == {Expect.HEALTHY}
    assert health["n2"].expect == {Expect.UNHEALTHY}
    assert (health["n2"].port, health["n2"].path) == (32000, "/healthz")


def test_the_load_balancer_and_its_nodeport_share_node_probes() -> None:
    a = _local_lb()
    plan = plan_probes(a.snapshot, a.paths, PlanOptions())
    n1 = next(t for t in plan.targets if t.hop == HopKind.NODE and t.node == "n1")
    kinds = {plan.paths[r.path].entry.kind.value for r in n1.refs}
    assert kinds == {"loadbalancer", "nodeport"}
    entry = next(t for t in plan.targets if t.hop == HopKind.ENTRY and t.host == "192.0.2.10")
    # Behind a Local load balancer only nodes passing the health check get traffic.
    assert entry.expect == {Expect.ANSWER}
    assert entry.repeat == 2  # one fresh connection per pod that may answer


def test_all_nodes_probes_every_member() -> None:
    a = _local_lb()
    plan = plan_probes(a.snapshot, a.paths, PlanOptions(all_nodes=True))
    assert {t.node for t in plan.targets if t.hop == HopKind.NODE} == {"n1", "n2", "n3", "n4"}


def test_pods_are_probed_at_their_ip_and_port_once() -> None:
    a = _local_lb()
    plan = plan_probes(a.snapshot, a.paths, PlanOptions())
    pods = [t for t in plan.targets if t.hop == HopKind.POD]
    assert sorted((t.host, t.port, str(t.pod)) for t in pods) == [
        ("10.1.0.1", 8080, "shop/a"),
        ("10.1.0.2", 8080, "shop/b"),
    ]
    assert plan.pod_nodes == {"shop/a": "n1", "shop/b": "n1"}


def test_clusterip_entries_are_internal() -> None:
    a = _local_lb()
    plan = plan_probes(a.snapshot, a.paths, PlanOptions())
    cip = next(t for t in plan.targets if t.host == "10.96.0.10")
    assert cip.internal and cip.hop == HopKind.ENTRY


def test_udp_externalname_and_pending_are_listed_as_not_probed() -> None:
    udp = service(
        "dns",
        "NodePort",
        selector={"app": "web"},
        ports=[{"port": 53, "targetPort": 53, "protocol": "UDP", "nodePort": 30053}],
    )
    alias = service("alias", "ExternalName", externalName="db.example.com")
    pending = service("web", "LoadBalancer")
    a = analysed(*NODES, *PODS, udp, alias, pending, SLICE)
    plan = plan_probes(a.snapshot, a.paths, PlanOptions())
    reasons = {(str(plan.paths[n.path].service), n.reason.split(":")[0]) for n in plan.not_probed}
    assert ("shop/dns", "UDP") in reasons
    assert ("shop/alias", "ExternalName") in reasons
    assert ("shop/web", "the LoadBalancer has no address yet (<pending>)") in reasons
    assert not [t for t in plan.targets if t.port in (53, 30053)]
    # The pending load balancer's NodePorts are still probed.
    assert any(t.hop == HopKind.NODE and t.port == 30080 for t in plan.targets)


def test_ingress_rules_carry_host_path_and_sni() -> None:
    svc = service(
        "web", ports=[{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]
    )
    ctrl = service(
        "ingress-nginx",
        "LoadBalancer",
        ns="ingress-nginx",
        lb_ip="192.0.2.80",
        selector={"app.kubernetes.io/name": "ingress-nginx"},
        labels={"app.kubernetes.io/name": "ingress-nginx"},
    )
    ing = ingress(
        "shop",
        [
            rule("shop.example.com", ("/api", "Prefix", backend("web", 80))),
            rule("*.example.org", ("/", "Prefix", backend("web", 80))),
        ],
        tls_hosts=["shop.example.com"],
        lb_ip="192.0.2.80",
        class_name="nginx",
    )
    named = endpointslice(
        "web", [endpoint("10.1.0.1", "n1", "a"), endpoint("10.1.0.2", "n1", "b")], port_name="http"
    )
    a = analysed(
        *NODES,
        *PODS,
        svc,
        ctrl,
        named,
        ing,
        ingress_class("nginx", "k8s.io/ingress-nginx"),
        kinds=("Node", "Pod", "Service", "EndpointSlice", "Ingress", "IngressClass"),
    )
    plan = plan_probes(a.snapshot, a.paths, PlanOptions())
    entries = {
        t.host_header: t for t in plan.targets if t.hop == HopKind.ENTRY and t.via_controller
    }
    tls = entries["shop.example.com"]
    assert (tls.scheme, tls.host, tls.port, tls.path, tls.sni) == (
        "https",
        "192.0.2.80",
        443,
        "/api",
        "shop.example.com",
    )
    assert tls.expected_pods == {"shop/a", "shop/b"}
    plain = entries["kpath-probe.example.org"]
    assert (plain.scheme, plain.port, plain.sni) == ("http", 80, None)
    assert {str(plan.paths[r.path].service) for r in tls.refs} == {str(key("web"))}


def test_pod_hops_name_the_node_group_they_are_drawn_under() -> None:
    a = _local_lb()
    plan = plan_probes(a.snapshot, a.paths, PlanOptions())
    for t in (t for t in plan.targets if t.hop == HopKind.POD):
        for ref in t.refs:
            p = plan.paths[ref.path]
            choice = p.direct if ref.group is None else p.groups[ref.group].choice
            assert choice is not None and ref.endpoint in {x.endpoint for x in choice.targets}
    # The ClusterIP path (Cluster policy internally) sends every group to both pods: one
    # probe per pod, referenced once under each group.
    cip = next(i for i, p in enumerate(plan.paths) if p.entry.kind.value == "clusterip")
    groups = len(plan.paths[cip].groups)
    assert groups > 1
    for t in (t for t in plan.targets if t.hop == HopKind.POD):
        under = sorted(r.group for r in t.refs if r.path == cip)
        assert under == list(range(groups))


def _rolling_lb() -> Analysis:
    """Local policy mid-rollout: n1's only pod is terminating (still serving), n3's is ready."""
    pods = (pod("a", "n1", "10.1.0.1"), pod("c", "n3", "10.1.0.3"))
    svc = service("web", "LoadBalancer", etp="Local", lb_ip="192.0.2.10", healthCheckNodePort=32000)
    eps = endpointslice(
        "web",
        [
            endpoint("10.1.0.1", "n1", "a", ready=False, serving=True, terminating=True),
            endpoint("10.1.0.3", "n3", "c"),
        ],
    )
    return analysed(*NODES, *pods, svc, eps)


def test_health_checks_count_ready_local_endpoints_as_kube_proxy_does() -> None:
    a = _rolling_lb()
    plan = plan_probes(a.snapshot, a.paths, PlanOptions())
    health = {t.node: t for t in plan.targets if t.hop == HopKind.HEALTH}
    nodes = {t.node: t for t in plan.targets if t.hop == HopKind.NODE}
    # The terminating pod does not count: n1 fails its health check (the LB drains it) ...
    assert health["n1"].expect == {Expect.UNHEALTHY}
    assert health["n3"].expect == {Expect.HEALTHY}
    # ... while its NodePort still forwards to it (serving and terminating fallback).
    assert nodes["n1"].expect == {Expect.ANSWER}
    assert nodes["n1"].expected_pods == {"shop/a"}
    assert nodes["n2"].expect == {Expect.SILENT}
    entry = [t for t in plan.targets if t.hop == HopKind.ENTRY and t.host == "192.0.2.10"]
    assert entry and entry[0].expect == {Expect.ANSWER}


def test_a_load_balancer_whose_every_node_fails_its_health_check_is_not_predicted() -> None:
    pods = (pod("a", "n1", "10.1.0.1"),)
    svc = service("web", "LoadBalancer", etp="Local", lb_ip="192.0.2.10", healthCheckNodePort=32000)
    eps = endpointslice(
        "web", [endpoint("10.1.0.1", "n1", "a", ready=False, serving=True, terminating=True)]
    )
    a = analysed(*NODES, *pods, svc, eps)
    plan = plan_probes(a.snapshot, a.paths, PlanOptions())
    entry = next(t for t in plan.targets if t.hop == HopKind.ENTRY and t.host == "192.0.2.10")
    # Load balancers differ when no node passes: some send anyway, some refuse.
    assert entry.expect == {Expect.ANSWER, Expect.REFUSED}


def test_a_nodeport_on_a_notready_node_gets_no_prediction() -> None:
    nodes = (node("n1", "z1"), node("n2", "z1", ready=False))
    pods = (pod("a", "n1", "10.1.0.1"), pod("b", "n2", "10.1.0.2"))
    eps = endpointslice(
        "web", [endpoint("10.1.0.1", "n1", "a"), endpoint("10.1.0.2", "n2", "b", ready=False)]
    )
    svc = service("web", "LoadBalancer", etp="Local", lb_ip="192.0.2.10", healthCheckNodePort=32000)
    a = analysed(*nodes, *pods, svc, eps)
    plan = plan_probes(a.snapshot, a.paths, PlanOptions())
    by_node = {(t.hop, t.node): t for t in plan.targets if t.node}
    assert by_node[(HopKind.NODE, "n2")].expect == {Expect.UNKNOWN}
    assert by_node[(HopKind.HEALTH, "n2")].expect == {Expect.UNKNOWN}
    assert by_node[(HopKind.NODE, "n1")].expect == {Expect.ANSWER}


def test_an_ingress_backend_without_endpoints_is_predicted_as_the_controllers_error() -> None:
    # The backend has no endpoint anywhere (kube-proxy would reject); the controller answers
    # for it with an HTTP error of its own, which is what the prediction says.
    svc = service(
        "web", ports=[{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]
    )
    ctrl = service(
        "ingress-nginx",
        "LoadBalancer",
        ns="ingress-nginx",
        lb_ip="192.0.2.80",
        selector={"app.kubernetes.io/name": "ingress-nginx"},
        labels={"app.kubernetes.io/name": "ingress-nginx"},
    )
    ing = ingress(
        "shop",
        [rule("shop.example.com", ("/", "Prefix", backend("web", 80)))],
        lb_ip="192.0.2.80",
        class_name="nginx",
    )
    a = analysed(
        *NODES,
        svc,
        ctrl,
        ing,
        endpointslice("web", [], port_name="http"),
        ingress_class("nginx", "k8s.io/ingress-nginx"),
        kinds=("Node", "Pod", "Service", "EndpointSlice", "Ingress", "IngressClass"),
    )
    plan = plan_probes(a.snapshot, a.paths, PlanOptions())
    entries = [t for t in plan.targets if t.hop == HopKind.ENTRY and t.via_controller]
    assert entries
    assert all(t.expect == {Expect.BACKEND_ERROR} for t in entries)


def _controller_lab(*ingresses: dict[str, object]) -> Analysis:
    """An in-cluster controller (LoadBalancer, two pods on n2 and n3) and a backend (web)."""
    web = service(
        "web", ports=[{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]
    )
    web_eps = endpointslice(
        "web", [endpoint("10.1.0.1", "n1", "a"), endpoint("10.1.0.2", "n1", "b")], port_name="http"
    )
    other = service(
        "other",
        selector={"app": "other"},
        ports=[{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}],
    )
    other_eps = endpointslice("other", [endpoint("10.1.0.5", "n3", "o")], port_name="http")
    labels = {"app.kubernetes.io/name": "ingress-nginx"}
    ctrl = service(
        "ingress-nginx",
        "LoadBalancer",
        ns="ingress-nginx",
        lb_ip="192.0.2.80",
        selector=labels,
        labels=labels,
    )
    ctrl_eps = endpointslice(
        "ingress-nginx",
        [
            endpoint("10.2.0.1", "n2", "c1", ns="ingress-nginx"),
            endpoint("10.2.0.2", "n3", "c2", ns="ingress-nginx"),
        ],
        ns="ingress-nginx",
    )
    ctrl_pods = (
        pod("c1", "n2", "10.2.0.1", labels, ns="ingress-nginx"),
        pod("c2", "n3", "10.2.0.2", labels, ns="ingress-nginx"),
    )
    return analysed(
        *NODES,
        *PODS,
        pod("o", "n3", "10.1.0.5", {"app": "other"}),
        *ctrl_pods,
        web,
        web_eps,
        other,
        other_eps,
        ctrl,
        ctrl_eps,
        *ingresses,
        ingress_class("nginx", "k8s.io/ingress-nginx"),
        kinds=("Node", "Pod", "Service", "EndpointSlice", "Ingress", "IngressClass"),
    )


def _controller_targets(a: Analysis) -> dict[HopKind, list[ProbeTarget]]:
    plan = plan_probes(a.snapshot, a.paths, PlanOptions())
    out: dict[HopKind, list[ProbeTarget]] = {}
    for t in plan.targets:
        if {str(plan.paths[r.path].service) for r in t.refs} == {"ingress-nginx/ingress-nginx"}:
            out.setdefault(t.hop, []).append(t)
    return out


CONTROLLER_PODS = {"ingress-nginx/c1", "ingress-nginx/c2"}


def test_a_controller_service_accepts_the_default_backend_as_a_proxied_answer() -> None:
    # Only a defaultBackend (as kuard's Ingress): the controller sends every request whose
    # Host no rule names to web's pods, so they answer a probe of the controller's Service.
    a = _controller_lab(
        ingress("web", default_backend=backend("web", 80), lb_ip="192.0.2.80", class_name="nginx")
    )
    hops = _controller_targets(a)
    assert set(hops) == {HopKind.ENTRY, HopKind.NODE, HopKind.POD}
    for kind in (HopKind.ENTRY, HopKind.NODE):
        for t in hops[kind]:
            # kube-proxy's part stays exact: which controller pods it chooses, and where.
            assert t.proxied_pods == {"shop/a", "shop/b"}
            assert t.expected_pods <= CONTROLLER_PODS and t.expected_pods
            assert not t.via_controller  # the controller's own 404 is an answer here
    entry = next(t for t in hops[HopKind.ENTRY] if t.host == "192.0.2.80")
    assert entry.expected_pods == CONTROLLER_PODS
    # Each controller pod probed at its own IP proxies the same way.
    assert {str(t.pod) for t in hops[HopKind.POD]} == CONTROLLER_PODS
    for t in hops[HopKind.POD]:
        assert t.expected_pods == {str(t.pod)} and t.proxied_pods == {"shop/a", "shop/b"}


def test_without_a_host_less_match_only_the_controller_pods_answer() -> None:
    # Host rules only, and a host-less rule for /api: a bare GET / matches nothing, so the
    # controller answers itself (its default server's 404).
    a = _controller_lab(
        ingress(
            "web",
            [
                rule("shop.example.com", ("/", "Prefix", backend("web", 80))),
                rule(None, ("/api", "Prefix", backend("other", 80))),
            ],
            lb_ip="192.0.2.80",
            class_name="nginx",
        )
    )
    hops = _controller_targets(a)
    assert hops[HopKind.ENTRY] and hops[HopKind.NODE] and hops[HopKind.POD]
    for t in (t for ts in hops.values() for t in ts):
        assert t.proxied_pods == frozenset()
        assert t.expected_pods and t.expected_pods <= CONTROLLER_PODS
    # The backend's own hops (the Ingress rule, web's pods) accept no proxied pods either.
    plan = plan_probes(a.snapshot, a.paths, PlanOptions())
    assert all(not t.proxied_pods for t in plan.targets if t.via_controller)


def test_a_host_less_rule_for_root_beats_the_default_backend() -> None:
    a = _controller_lab(
        ingress(
            "web",
            [rule(None, ("/", "Prefix", backend("other", 80)))],
            default_backend=backend("web", 80),
            lb_ip="192.0.2.80",
            class_name="nginx",
        )
    )
    entry = next(t for t in _controller_targets(a)[HopKind.ENTRY] if t.host == "192.0.2.80")
    assert entry.proxied_pods == {"shop/o"}


def test_an_ingress_of_another_controller_is_not_served_by_this_one() -> None:
    # The alb Ingress's defaultBackend is served by AWS's load balancer outside the cluster;
    # nginx serves only its own Ingress, which has host rules alone.
    a = _controller_lab(
        ingress("web", default_backend=backend("web", 80), class_name="alb"),
        ingress_class("alb", "ingress.k8s.aws/alb"),
        ingress(
            "shop",
            [rule("shop.example.com", ("/", "Prefix", backend("other", 80)))],
            lb_ip="192.0.2.80",
            class_name="nginx",
        ),
    )
    hops = _controller_targets(a)
    assert hops[HopKind.ENTRY]
    assert all(not t.proxied_pods for ts in hops.values() for t in ts)
