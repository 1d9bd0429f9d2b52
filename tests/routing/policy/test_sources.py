"""The source address each hop's pods see, per path kind (sources.py)."""

from __future__ import annotations

from kpath.cluster.netpol import IPBlock, NetworkPolicy, PolicyPeer, PolicyRule
from kpath.cluster.records import LabelSelector, ObjectKey
from kpath.routing.analysis import analyse
from kpath.routing.paths import EntryKind, Path
from kpath.routing.policy.sources import (
    Signatures,
    default_client,
    hop_source,
    node_classes,
    node_source,
    policy_nets,
    proxy_pods,
)
from tests import builders as b
from tests.routing.policy.pathcluster import KINDS, NODE_IPS, allow_office, analysed, base, web
from tests.routing.test_gateway_paths import _cluster_objects, httproute

EMPTY = NetworkPolicy("shop", "x", LabelSelector((), ()), ("Ingress",), (), ())


def with_blocks(*cidrs: str) -> NetworkPolicy:
    rule = PolicyRule(tuple(PolicyPeer(None, None, IPBlock(c, ())) for c in cidrs), ())
    return EMPTY._replace(ingress=(rule,))


def first(a, kind: EntryKind) -> Path:
    return next(p for p in a.paths if p.entry.kind == kind)


def test_default_client_is_the_first_documentation_address_no_ipblock_names():
    assert default_client([]).address == "203.0.113.1"
    assert default_client([with_blocks("203.0.113.0/25")]).address == "203.0.113.128"
    # Host bits kept, as older API servers stored it: still the whole /24.
    client = default_client([with_blocks("203.0.113.9/24")])
    assert client.address == "198.51.100.1" and "198.51.100.0/24" in client.note
    assert default_client([with_blocks("0.0.0.0/0")]).note.startswith("every documentation")


def test_client_given_with_the_flag_wins_and_says_so():
    c = default_client([with_blocks("203.0.113.0/24")], "198.51.100.77")
    assert c.address == "198.51.100.77" and "--client" in c.note


def test_policy_nets_counts_excepts_and_skips_unparseable_cidrs():
    rule = PolicyRule(
        (
            PolicyPeer(None, None, IPBlock("10.0.0.0/8", ("10.1.0.0/16",))),
            PolicyPeer(None, None, IPBlock("not-a-cidr", ())),
        ),
        (),
    )
    assert [str(n) for n in policy_nets([EMPTY._replace(ingress=(rule,))])] == [
        "10.0.0.0/8",
        "10.1.0.0/16",
    ]


def test_local_policy_keeps_the_client_address():
    a = analysed(*base(), web(etp="Local"), allow_office())
    src = first(a, EntryKind.LOAD_BALANCER).netpol.source
    assert src.kind == "client" and [s.address for s in src.sources] == [a.client.address]
    assert "Local" in src.note


def test_cluster_policy_judges_each_entry_node_by_its_internal_ip():
    a = analysed(*base(), web(), allow_office())
    p = first(a, EntryKind.NODE_PORT)
    assert p.netpol.source.kind == "node"
    plain = next(g for g in p.groups if set(g.nodes) == {"n3", "n4"})
    sigs = Signatures(a.snapshot, policy_nets(a.snapshot.network_policies))
    classes = node_classes(a.snapshot, plain, sigs)
    # n3 sits inside the office CIDR, n4 does not: one group, two classes.
    assert sorted(c.nodes for c in classes) == [("n3",), ("n4",)]
    assert {s.address for c in classes for s in c.sources} == {NODE_IPS["n3"], NODE_IPS["n4"]}


def test_nodes_in_no_ipblock_share_one_class():
    a = analysed(*base(), web(), allow_office())
    p = first(a, EntryKind.NODE_PORT)
    special = next(g for g in p.groups if set(g.nodes) == {"n1", "n2"})
    sigs = Signatures(a.snapshot, policy_nets(a.snapshot.network_policies))
    (cls,) = node_classes(a.snapshot, special, sigs)
    assert cls.nodes == ("n1", "n2") and [s.node for s in cls.sources] == ["n1", "n2"]


def test_a_load_balancer_straight_to_pods_keeps_the_client_address():
    a = analysed(
        *base(),
        web(loadBalancerClass="example.com/lb", allocateLoadBalancerNodePorts=False),
        allow_office(),
    )
    p = first(a, EntryKind.LOAD_BALANCER)
    assert p.via == "pods" and p.netpol.source.kind == "client"
    assert p.netpol.direct is not None and p.netpol.groups == ()


def test_cluster_ip_paths_are_not_judged():
    a = analysed(*base(), web("ClusterIP"), allow_office())
    p = first(a, EntryKind.CLUSTER_IP)
    assert p.netpol is not None and not p.netpol.evaluated and p.netpol.source.kind == "none"
    assert all(h is None for h in p.netpol.groups)


NGINX = {"app.kubernetes.io/name": "ingress-nginx"}


def ingress_objects(host_network: bool = False) -> list[b.Obj]:
    ctrl = b.pod(
        "ctrl-1",
        "n3",
        NODE_IPS["n3"] if host_network else "10.244.9.9",
        labels=NGINX,
        ns="ingress-nginx",
    )
    if host_network:
        ctrl["spec"]["hostNetwork"] = True
    return [
        b.ingress_class("nginx", "k8s.io/ingress-nginx"),
        b.service(
            "ingress-nginx-controller",
            "LoadBalancer",
            ns="ingress-nginx",
            selector=NGINX,
            labels=NGINX,
            etp="Local",
            lb_ip="192.0.2.80",
        ),
        ctrl,
        b.endpointslice(
            "ingress-nginx-controller",
            [b.endpoint(ctrl["status"]["podIP"], "n3", "ctrl-1", ns="ingress-nginx")],
            ns="ingress-nginx",
        ),
        b.ingress(
            "web",
            [b.rule("shop.example", ("/", "Prefix", b.backend("web", 80)))],
            class_name="nginx",
            lb_ip="192.0.2.80",
        ),
    ]


def test_the_second_hop_of_an_ingress_path_comes_from_the_controller_pods():
    a = analysed(*base(), web("ClusterIP"), *ingress_objects(), allow_office())
    p = first(a, EntryKind.INGRESS)
    src = p.netpol.source
    assert p.via == "controller" and src.kind == "pods"
    assert [(s.kind, s.pod, s.address) for s in src.sources] == [
        ("pod", ObjectKey("ingress-nginx", "ctrl-1"), "10.244.9.9")
    ]


def test_a_host_network_controller_pod_speaks_with_its_node_address():
    a = analysed(*base(), web("ClusterIP"), *ingress_objects(host_network=True), allow_office())
    (s,) = first(a, EntryKind.INGRESS).netpol.source.sources
    assert (s.kind, s.node, s.address) == ("node", "n3", NODE_IPS["n3"])


def test_the_second_hop_of_a_gateway_path_comes_from_the_gateway_proxy_pods():
    snap = b.snapshot(
        *_cluster_objects(),
        httproute("web", [{"backendRefs": [{"name": "web", "port": 80}]}]),
        kinds=KINDS,
    )
    a = analyse(snap)
    p = first(a, EntryKind.GATEWAY)
    targets = {k: tuple(t for r in rs for t in r.targets) for k, rs in a.routes.items()}
    src = hop_source(snap, p, default_client([]), targets)
    assert src.kind == "pods"
    assert [s.pod for s in src.sources] == [ObjectKey("envoy-gateway-system", "envoy-1")]
    assert proxy_pods(snap, None, targets) == ()


def test_node_classes_sources_are_each_nodes_own_and_shared_between_groups():
    a = analysed(*base(), web(), allow_office())
    sigs = Signatures(a.snapshot, policy_nets(a.snapshot.network_policies))
    p = first(a, EntryKind.NODE_PORT)
    for g in (*p.groups, *p.groups):  # the second time from the cache
        for c in node_classes(a.snapshot, g, sigs):
            assert c.sources == tuple(node_source(a.snapshot, n) for n in tuple(c.nodes)[:3])
    names = tuple(a.snapshot.nodes)[:2]
    assert sigs.sources(names) is sigs.sources(tuple(names))
