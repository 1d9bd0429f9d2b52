"""`path_summary`: one line per path saying where it fails and what to know."""

from __future__ import annotations

from kpath.routing.analysis import Analysis
from kpath.routing.paths import EntryKind, Path
from kpath.routing.summary import cross_share, node_names, path_summary
from tests import builders as b
from tests.routing.policy import pathcluster as pc
from tests.tui import data


def path_of(a: Analysis, service: str, kind: EntryKind) -> Path:
    ns, _, name = service.partition("/")
    return next(
        p
        for p in a.paths
        if (p.service.namespace, p.service.name) == (ns, name) and p.entry.kind == kind
    )


def test_a_local_load_balancer_names_where_it_drops_and_what_the_health_check_skips() -> None:
    a = data.shop()
    lb = path_summary(a, path_of(a, "shop/web", EntryKind.LOAD_BALANCER))
    assert lb == ("drops at node-b, node-c (no local pod) · LB health check skips node-b, node-c")
    # The NodePort of the same service: no load balancer to skip anything.
    assert (
        path_summary(a, path_of(a, "shop/web", EntryKind.NODE_PORT))
        == "drops at node-b, node-c (no local pod)"
    )


def test_all_is_well_says_so_and_gives_the_cross_node_share() -> None:
    a = data.shop()
    # api's two pods on node-b and node-c: from each of 3 nodes, 1/2, 1/2 and 1 cross.
    assert (
        path_summary(a, path_of(a, "shop/api", EntryKind.NODE_PORT))
        == "forwards at every node · 67% crosses nodes"
    )
    assert path_summary(a, path_of(a, "shop/api", EntryKind.INGRESS)) == "forwards to 2 pods"


def test_a_pod_on_every_node_forwards_locally_with_no_cross_node_part() -> None:
    a = b.analysed(
        b.node("n1"),
        b.node("n2"),
        b.service("web", "NodePort", etp="Local"),
        b.endpointslice(
            "web", [b.endpoint("10.1.0.1", "n1", "w1"), b.endpoint("10.1.0.2", "n2", "w2")]
        ),
    )
    assert path_summary(a, path_of(a, "shop/web", EntryKind.NODE_PORT)) == "forwards at every node"


def test_no_endpoints_rejects() -> None:
    a = data.shop()
    assert (
        path_summary(a, path_of(a, "shop/broken", EntryKind.NODE_PORT)) == "rejects: no endpoints"
    )
    not_ready = b.analysed(
        b.node("n1"),
        b.service("web", "NodePort"),
        b.endpointslice("web", [b.endpoint("10.1.0.1", "n1", "w1", ready=False)]),
    )
    assert (
        path_summary(not_ready, path_of(not_ready, "shop/web", EntryKind.NODE_PORT))
        == "rejects: no ready endpoint"
    )


def test_session_affinity_is_named() -> None:
    a = b.analysed(
        b.node("n1"),
        b.node("n2"),
        b.service("web", "NodePort", sessionAffinity="ClientIP"),
        b.endpointslice("web", [b.endpoint("10.1.0.1", "n1", "w1")]),
    )
    line = path_summary(a, path_of(a, "shop/web", EntryKind.NODE_PORT))
    assert line.startswith("forwards at every node · 50% crosses nodes · ")
    assert line.endswith(
        "ClientIP affinity: each client stays on one pod for 3h after its last connection"
    )  # the default timeout, 10800 s


def test_a_network_policy_that_blocks_every_endpoint_is_named() -> None:
    deny = pc.netpol("deny-all", select={"app": "web"}, ingress=[])
    a = pc.analysed(*pc.base(), pc.web(), deny)
    line = path_summary(a, path_of(a, "shop/web", EntryKind.LOAD_BALANCER))
    assert "blocked by NetworkPolicy shop/deny-all" in line
    # Cluster policy: the node SNATs, so only n3 (in the office range) passes as a source.
    office = pc.analysed(*pc.base(), pc.web(), pc.allow_office(), client="198.51.100.9")
    line = path_summary(office, path_of(office, "shop/web", EntryKind.LOAD_BALANCER))
    assert "partly blocked by NetworkPolicy shop/allow-office at " in line
    assert line.count("NetworkPolicy") == 1
    free = pc.analysed(*pc.base(), pc.web())
    assert "blocked" not in path_summary(free, path_of(free, "shop/web", EntryKind.LOAD_BALANCER))


def test_node_names_are_cut_after_three() -> None:
    a = b.analysed(
        *(b.node(f"n{i}", "z1") for i in range(6)),
        b.service("web", "NodePort", etp="Local"),
        b.endpointslice("web", [b.endpoint("10.1.0.1", "n0", "w1")]),
    )
    p = path_of(a, "shop/web", EntryKind.NODE_PORT)
    drops = [g for g in p.groups if g.choice.verdict == "drop"]
    assert node_names(drops) == "n1, n2, n3 and 2 more"
    assert path_summary(a, p) == "drops at n1, n2, n3 and 2 more (no local pod)"
    assert cross_share(p.groups) == 0.0  # the one forwarding node keeps its traffic
