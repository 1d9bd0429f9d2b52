"""Every way into a Service: which entries exist, where they lead, which policy applies.

Each case builds one Service with two pods on a three-node cluster and checks the
entries kpath lists for it (kind, client addresses and port, pending), the policy at the
node hop, whether traffic goes through nodes or straight to pods, and the endpoints.
"""

from __future__ import annotations

from typing import Any

import pytest

from kpath.routing.analysis import Analysis
from kpath.routing.kubeproxy import Verdict
from kpath.routing.paths import EntryKind, Path
from tests.builders import (
    Obj,
    analysed,
    endpoint,
    endpointslice,
    group_of,
    key,
    node,
    service,
)

NODES = (node("n1", "z1"), node("n2", "z1"), node("n3", "z2"))
SLICE = endpointslice("web", [endpoint("10.1.0.1", "n1", "a"), endpoint("10.1.0.2", "n2", "b")])
NO_NODEPORT = [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]


def paths_of(svc: Obj, *extra: Obj) -> tuple[Analysis, list[Path]]:
    a = analysed(*NODES, svc, SLICE, *extra)
    return a, [p for p in a.paths if p.service == key("web")]


def entries(paths: list[Path]) -> list[tuple[Any, ...]]:
    return [(p.entry.kind, p.entry.addresses, p.entry.port, p.policy, p.via) for p in paths]


CASES = [
    pytest.param(
        service("web", "LoadBalancer", lb_ip="192.0.2.10"),
        [
            (EntryKind.LOAD_BALANCER, ("192.0.2.10",), 80, "Cluster", "nodes"),
            (EntryKind.NODE_PORT, (), 30080, "Cluster", "nodes"),
            (EntryKind.CLUSTER_IP, ("10.96.0.10",), 80, "Cluster", "nodes"),
        ],
        id="loadbalancer-ip",
    ),
    pytest.param(
        service("web", "LoadBalancer", lb_hostname="lb.example.test", etp="Local"),
        [
            (EntryKind.LOAD_BALANCER, ("lb.example.test",), 80, "Local", "nodes"),
            (EntryKind.NODE_PORT, (), 30080, "Local", "nodes"),
            (EntryKind.CLUSTER_IP, ("10.96.0.10",), 80, "Cluster", "nodes"),
        ],
        id="loadbalancer-hostname-local",
    ),
    pytest.param(
        service("web", "NodePort", itp="Local"),
        [
            (EntryKind.NODE_PORT, (), 30080, "Cluster", "nodes"),
            (EntryKind.CLUSTER_IP, ("10.96.0.10",), 80, "Local", "nodes"),
        ],
        id="nodeport",
    ),
    pytest.param(
        service("web", externalIPs=["198.51.100.7"], etp="Local"),
        [
            (EntryKind.EXTERNAL_IP, ("198.51.100.7",), 80, "Local", "nodes"),
            (EntryKind.CLUSTER_IP, ("10.96.0.10",), 80, "Cluster", "nodes"),
        ],
        id="externalips",
    ),
    pytest.param(
        service("web"),
        [
            (EntryKind.CLUSTER_IP, ("10.96.0.10",), 80, "Cluster", "nodes"),
        ],
        id="clusterip-only",
    ),
    pytest.param(
        service("web", clusterIP="None"),
        [
            (EntryKind.HEADLESS, (), 80, None, "pods"),
        ],
        id="headless",
    ),
    pytest.param(
        service(
            "web",
            "LoadBalancer",
            lb_ip="192.0.2.10",
            ports=NO_NODEPORT,
            allocateLoadBalancerNodePorts=False,
            loadBalancerClass="example.test/pod-lb",
        ),
        [
            (EntryKind.LOAD_BALANCER, ("192.0.2.10",), 80, None, "pods"),
            (EntryKind.CLUSTER_IP, ("10.96.0.10",), 80, "Cluster", "nodes"),
        ],
        id="pod-target-loadbalancer",
    ),
    pytest.param(
        service("web", "LoadBalancer", lb_ip="192.0.2.10", loadBalancerClass="example.test/lb"),
        [
            (EntryKind.LOAD_BALANCER, ("192.0.2.10",), 80, "Cluster", "nodes"),
            (EntryKind.NODE_PORT, (), 30080, "Cluster", "nodes"),
            (EntryKind.CLUSTER_IP, ("10.96.0.10",), 80, "Cluster", "nodes"),
        ],
        id="class-but-nodeports-allocated",
    ),
]


@pytest.mark.parametrize(("svc", "expected"), CASES)
def test_entries(svc: Obj, expected: list[tuple[Any, ...]]) -> None:
    _, paths = paths_of(svc)
    assert entries(paths) == expected


def test_external_entries_share_the_external_groups() -> None:
    _, paths = paths_of(service("web", "LoadBalancer", lb_ip="192.0.2.10", etp="Local"))
    lb, np_, cip = paths
    assert lb.external and np_.external and not cip.external
    assert lb.groups is np_.groups
    assert group_of(lb.groups, "n3").choice.verdict == Verdict.DROP
    assert group_of(cip.groups, "n3").choice.verdict == Verdict.FORWARD


def test_pending_loadbalancer_is_kp106() -> None:
    a, paths = paths_of(service("web", "LoadBalancer"))
    lb = paths[0]
    assert (lb.entry.kind, lb.entry.pending, lb.entry.addresses) == (
        EntryKind.LOAD_BALANCER,
        True,
        (),
    )
    assert lb.entry.label() == "<pending>:80"
    kp106 = [f for f in a.findings if f.code == "KP106"]
    assert [(f.service, "shop/web" in f.message, "pending" in f.message) for f in kp106] == [
        (key("web"), True, True)
    ]


def test_assigned_loadbalancer_is_not_kp106() -> None:
    a, _ = paths_of(service("web", "LoadBalancer", lb_ip="192.0.2.10"))
    assert "KP106" not in {f.code for f in a.findings}


def test_headless_goes_straight_to_the_pods() -> None:
    _, (p,) = paths_of(service("web", clusterIP="None"))
    assert p.groups == () and p.direct is not None
    assert sorted((t.endpoint, str(t.pod)) for t in p.direct.targets) == [
        ("10.1.0.1:8080", "shop/a"),
        ("10.1.0.2:8080", "shop/b"),
    ]
    assert p.verdicts() == {Verdict.FORWARD}


def test_pod_target_loadbalancer_has_no_node_hop() -> None:
    _, paths = paths_of(
        service(
            "web",
            "LoadBalancer",
            lb_ip="192.0.2.10",
            ports=NO_NODEPORT,
            allocateLoadBalancerNodePorts=False,
            loadBalancerClass="example.test/pod-lb",
        )
    )
    lb = paths[0]
    assert lb.groups == () and lb.direct is not None
    assert sorted(t.endpoint for t in lb.direct.targets) == ["10.1.0.1:8080", "10.1.0.2:8080"]
    assert "straight to pods" in lb.direct.rule


def test_externalname_is_dns_only() -> None:
    a = analysed(
        *NODES,
        service(
            "web",
            "ExternalName",
            externalName="db.example.test",
            selector={},
            ports=[{"port": 5432, "protocol": "TCP"}],
        ),
    )
    (p,) = [p for p in a.paths if p.service == key("web")]
    assert (p.entry.kind, p.entry.addresses, p.entry.port, p.via, p.port) == (
        EntryKind.EXTERNAL_NAME,
        ("db.example.test",),
        None,
        "dns",
        None,
    )
    assert p.groups == () and p.direct is None
    assert all(r.targets == () and r.external is None for r in a.routes[key("web")])
    assert [f for f in a.findings if f.service == key("web")] == []


def test_internal_local_policy_drops_at_nodes_without_a_local_endpoint_kp108() -> None:
    a, paths = paths_of(service("web", itp="Local"))
    (cip,) = paths
    assert group_of(cip.groups, "n1").choice.verdict == Verdict.FORWARD
    assert group_of(cip.groups, "n3").choice.verdict == Verdict.DROP
    kp108 = [f for f in a.findings if f.code == "KP108"]
    assert len(kp108) == 1
    assert kp108[0].nodes == ("n3",)
    assert "shop/web" in kp108[0].message and "n3" in kp108[0].message


def test_external_local_policy_black_hole_kp101() -> None:
    a, _ = paths_of(service("web", "NodePort", etp="Local"))
    (f,) = [f for f in a.findings if f.code == "KP101"]
    assert (f.nodes, f.severity.value) == (("n3",), "error")
    assert "1 of 3 nodes" in f.message and "shop/web" in f.message


def test_local_black_hole_behind_a_load_balancer_is_a_warning() -> None:
    a, _ = paths_of(service("web", "LoadBalancer", lb_ip="192.0.2.10", etp="Local"))
    (f,) = [f for f in a.findings if f.code == "KP101"]
    assert f.severity.value == "warning" and "health check" in f.message


def test_entry_labels() -> None:
    _, paths = paths_of(service("web", "LoadBalancer", lb_ip="192.0.2.10"))
    assert [p.entry.label() for p in paths] == ["192.0.2.10:80", "NodePort:30080", "10.96.0.10:80"]


# --------------------------------------------------------------------------- unknown endpoints
KUBERNETES = service(
    "kubernetes",
    ns="default",
    selector={},
    ports=[{"name": "https", "port": 443, "targetPort": 6443, "protocol": "TCP"}],
)


def test_a_selectorless_service_without_endpoints_in_the_input_is_unknown_not_reject() -> None:
    # Pods only: kpath derives endpoints from selectors, but default/kubernetes has none.
    a = analysed(*NODES, KUBERNETES, kinds=("Node", "Pod", "Service"))
    (p,) = [p for p in a.paths if p.service == key("kubernetes", "default")]
    assert p.verdicts() == {Verdict.UNKNOWN}
    assert "endpoints unknown" in p.groups[0].choice.rule
    codes = {
        (f.code, f.severity.value) for f in a.findings if f.service == key("kubernetes", "default")
    }
    assert codes == {("KP304", "info")}


def test_a_selectorless_service_with_endpoint_kinds_seen_and_none_is_still_reject() -> None:
    a = analysed(*NODES, KUBERNETES)  # EndpointSlices were listed: none names it
    (p,) = [p for p in a.paths if p.service == key("kubernetes", "default")]
    assert p.verdicts() == {Verdict.REJECT}
    assert any(f.code == "KP102" for f in a.findings)


def test_no_endpoint_data_at_all_makes_every_verdict_unknown() -> None:
    svc = service("web", "LoadBalancer", lb_ip="192.0.2.10")
    a = analysed(*NODES, svc, kinds=("Node", "Service"))
    assert {v for p in a.paths for v in p.verdicts()} == {Verdict.UNKNOWN}
    headless = analysed(*NODES, service("h", clusterIP="None"), kinds=("Node", "Service"))
    (hp,) = headless.paths
    assert hp.direct is not None and hp.direct.verdict == Verdict.UNKNOWN


def test_route_says_unknown_for_unknown_endpoints() -> None:
    from kpath.routing.route import route, route_json

    a = analysed(*NODES, KUBERNETES, kinds=("Node", "Pod", "Service"))
    doc = route_json(route(a.snapshot, "default/kubernetes", "n1"))
    assert doc["internal"]["verdict"] == "unknown"
    assert doc["external"] is None


# --------------------------------------------------------------------------- LB rows
def test_lb_rows_of_nodes_the_health_check_takes_out_are_skipped_not_dropped() -> None:
    from kpath.routing.paths import skipped_by_load_balancer

    svc = service("web", "LoadBalancer", etp="Local", lb_ip="192.0.2.10")
    rolling = endpointslice(
        "web",
        [
            endpoint("10.1.0.1", "n1", "a"),
            endpoint("10.1.0.2", "n2", "b", ready=False, serving=True, terminating=True),
        ],
    )
    a = analysed(*NODES, svc, rolling)
    lb = next(p for p in a.paths if p.entry.kind == EntryKind.LOAD_BALANCER)
    np_ = next(p for p in a.paths if p.entry.kind == EntryKind.NODE_PORT)
    skipped = {n for g in lb.groups if skipped_by_load_balancer(lb, g) for n in g.nodes}
    # n3 drops (no local pod), n2 only has a terminating one: both fail the health check.
    assert skipped == {"n2", "n3"}
    assert group_of(lb.groups, "n2").choice.verdict == Verdict.FORWARD  # the fallback
    assert group_of(lb.groups, "n3").choice.verdict == Verdict.DROP
    # NodePort rows keep kube-proxy's own verdicts.
    assert not any(skipped_by_load_balancer(np_, g) for g in np_.groups)


def test_lb_rows_are_not_skipped_when_no_node_passes() -> None:
    from kpath.routing.paths import skipped_by_load_balancer

    svc = service("web", "LoadBalancer", etp="Local", lb_ip="192.0.2.10")
    draining = endpointslice(
        "web", [endpoint("10.1.0.1", "n1", "a", ready=False, serving=True, terminating=True)]
    )
    a = analysed(*NODES, svc, draining)
    lb = next(p for p in a.paths if p.entry.kind == EntryKind.LOAD_BALANCER)
    assert not any(skipped_by_load_balancer(lb, g) for g in lb.groups)
