"""NetworkPolicy verdicts on every path hop into pods (onpaths.py), through `analyse`."""

from __future__ import annotations

import pytest

from kpath.cluster.records import ObjectKey
from kpath.routing.analysis import analyse
from kpath.routing.paths import EntryKind, Path
from tests import builders as b
from tests.routing.policy.pathcluster import (
    KINDS,
    OFFICE,
    allow_office,
    analysed,
    base,
    from_cidr,
    namespace,
    netpol,
    web,
)
from tests.routing.policy.test_sources import NGINX, ingress_objects
from tests.routing.test_gateway_paths import _cluster_objects, httproute

ALLOW_OFFICE = ObjectKey("shop", "allow-office")


def first(a, kind: EntryKind) -> Path:
    return next(p for p in a.paths if p.entry.kind == kind)


def group(p: Path, *nodes: str):
    gi = next(i for i, g in enumerate(p.groups) if set(g.nodes) == set(nodes))
    return p.groups[gi], p.netpol.groups[gi]


def by_pod(hp) -> dict[str, object]:
    return {t.pod.name: t for t in hp.targets}


def test_no_policies_no_verdicts_and_no_client():
    a = analysed(*base(), web())
    assert a.client is None and all(p.netpol is None for p in a.paths)


def test_cluster_policy_blocks_at_the_nodes_outside_the_cidr_and_not_at_the_pods_own_node():
    a = analysed(*base(), web(), allow_office())
    p = first(a, EntryKind.LOAD_BALANCER)
    _, plain = group(p, "n3", "n4")
    # n3's address is in the office CIDR (allowed); n4's is not (blocked): split by node.
    for t in plain.targets:
        assert (t.sources, t.blocked, t.blocked_nodes) == (2, 1, ("n4",)) and t.partial
        assert t.reach.ingress.policies == (ALLOW_OFFICE,) and not t.reach.allowed
        assert t.source.node == "n4" and t.source.address == "10.0.4.1"
    assert plain.state == "partial" and plain.blocked_by == (ALLOW_OFFICE,)
    _, own = group(p, "n1", "n2")
    pods = by_pod(own)
    # From its own node a pod is always reachable; from the other node, SNATed, it is not.
    assert pods["web-1"].blocked_nodes == ("n2",) and pods["web-2"].blocked_nodes == ("n1",)
    assert all(t.blocked == 1 and t.sources == 2 for t in own.targets)


def test_a_cluster_group_wholly_outside_the_cidr_is_blocked_as_a_hop():
    a = analysed(*base(("n1", "n2", "n4")), web(), allow_office())
    _, plain = group(first(a, EntryKind.NODE_PORT), "n4")
    assert plain.all_blocked and plain.state == "blocked"
    assert plain.summary() == "blocked by policy shop/allow-office"


def test_local_policy_is_judged_from_the_client_and_the_client_flag_changes_it():
    a = analysed(*base(), web(etp="Local"), allow_office())
    _, hp = group(first(a, EntryKind.LOAD_BALANCER), "n1", "n2")
    assert hp.all_blocked and hp.targets[0].reach.source.address == "203.0.113.1"
    a = analysed(*base(), web(etp="Local"), allow_office(), client="198.51.100.9")
    _, hp = group(first(a, EntryKind.LOAD_BALANCER), "n1", "n2")
    assert hp.allowed and hp.targets[0].reach.ingress.allowed_by[0].policy == ALLOW_OFFICE
    assert a.client.address == "198.51.100.9"


def test_a_node_group_without_endpoints_under_local_policy_has_nothing_to_judge():
    a = analysed(*base(), web(etp="Local"), allow_office())
    g, hp = group(first(a, EntryKind.NODE_PORT), "n3", "n4")
    assert g.choice.targets == () and hp.targets == () and hp.allowed and not hp.all_blocked


def test_a_pod_target_load_balancer_is_judged_from_the_client():
    a = analysed(
        *base(),
        web(loadBalancerClass="example.com/lb", allocateLoadBalancerNodePorts=False),
        allow_office(),
    )
    hp = first(a, EntryKind.LOAD_BALANCER).netpol.direct
    assert hp.all_blocked and len(hp.targets) == 2


def test_policies_elsewhere_leave_the_hop_allowed_with_no_call():
    other = netpol("deny-all", ns="other", ingress=[])
    a = analysed(*base(), web(), other, namespace("other"))
    _, hp = group(first(a, EntryKind.NODE_PORT), "n3", "n4")
    assert hp.allowed and all(t.reach is None for t in hp.targets)


def test_the_ingress_second_hop_is_judged_from_the_controller_pod():
    from_nginx = netpol(
        "from-ingress",
        select={"app": "web"},
        ingress=[
            {
                "from": [
                    {
                        "namespaceSelector": {
                            "matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}
                        },
                        "podSelector": {"matchLabels": NGINX},
                    }
                ]
            }
        ],
    )
    a = analysed(*base(), web("ClusterIP"), *ingress_objects(), from_nginx)
    hp = first(a, EntryKind.INGRESS).netpol.direct
    assert hp.allowed and {t.reach.source.pod.name for t in hp.targets} == {"ctrl-1"}
    a = analysed(*base(), web("ClusterIP"), *ingress_objects(), allow_office())
    hp = first(a, EntryKind.INGRESS).netpol.direct
    assert hp.all_blocked and hp.blocked_by == (ALLOW_OFFICE,)


def test_a_host_network_controller_matches_ipblocks_by_its_node_address():
    # The controller's node (n3) is inside the office CIDR: allowed as that address.
    a = analysed(*base(), web("ClusterIP"), *ingress_objects(host_network=True), allow_office())
    assert first(a, EntryKind.INGRESS).netpol.direct.allowed


def test_the_controller_pods_egress_policy_blocks_the_second_hop_too():
    deny_out = netpol("no-egress", ns="ingress-nginx", egress=[], types=["Egress"])
    a = analysed(*base(), web("ClusterIP"), *ingress_objects(), deny_out)
    hp = first(a, EntryKind.INGRESS).netpol.direct
    assert hp.all_blocked and hp.blocked_by == (ObjectKey("ingress-nginx", "no-egress"),)


def test_the_gateway_second_hop_is_judged_from_the_gateway_proxy_pods():
    allow_gw = netpol(
        "from-gateway",
        ns="default",
        ingress=[
            {
                "from": [
                    {
                        "namespaceSelector": {
                            "matchLabels": {"kubernetes.io/metadata.name": "envoy-gateway-system"}
                        }
                    }
                ]
            }
        ],
    )
    objs = [
        *_cluster_objects(),
        namespace("default"),
        namespace("envoy-gateway-system"),
        httproute("web", [{"backendRefs": [{"name": "web", "port": 80}]}]),
    ]
    a = analyse(b.snapshot(*objs, allow_gw, kinds=KINDS))
    hp = first(a, EntryKind.GATEWAY).netpol.direct
    assert hp.allowed and hp.targets[0].reach.source.pod.name == "envoy-1"
    office = netpol("office", ns="default", ingress=[from_cidr(OFFICE, None)])
    a = analyse(b.snapshot(*objs, office, kinds=KINDS))
    hp = first(a, EntryKind.GATEWAY).netpol.direct
    assert hp.all_blocked and hp.blocked_by == (ObjectKey("default", "office"),)


def test_a_load_balancer_and_its_node_port_share_one_verdict_per_group():
    a = analysed(*base(), web(), allow_office())
    lb, np_ = first(a, EntryKind.LOAD_BALANCER), first(a, EntryKind.NODE_PORT)
    assert all(x is y for x, y in zip(lb.netpol.groups, np_.netpol.groups, strict=True))


def test_node_groups_sharing_a_choice_each_judge_every_target_of_it_in_order():
    # n1, n2 and n4 lie outside every ipBlock: each group is one class, and the groups of a
    # port share one choice (its targets' endpoints, pods and ports are taken once for it).
    a = analysed(*base(("n1", "n2", "n4")), web(), allow_office())
    for kind in (EntryKind.LOAD_BALANCER, EntryKind.NODE_PORT):
        p = first(a, kind)
        assert len(p.groups) > 1 and len({id(g.choice) for g in p.groups}) < len(p.groups)
        for g, hp in zip(p.groups, p.netpol.groups, strict=True):
            ts = g.choice.targets
            assert ts and [t.endpoint for t in hp.targets] == [t.endpoint for t in ts]
            assert [t.pod for t in hp.targets] == [t.pod for t in ts]
            for t, tp in zip(ts, hp.targets, strict=True):
                own = 1 if t.node in g.nodes else 0
                assert (tp.sources, tp.blocked) == (len(g.nodes), len(g.nodes) - own)
                assert tp.reach is not None and tp.reach.destination == t.pod


def _replicas() -> list[dict[str, object]]:
    """Three ingress controller replicas labelled alike (on n1, n2, n3), one Ingress."""
    objs = [o for o in ingress_objects() if o["kind"] not in ("Pod", "EndpointSlice")]
    pods = [
        b.pod(f"ctrl-{i}", f"n{i}", f"10.244.9.{i}", labels=NGINX, ns="ingress-nginx")
        for i in (1, 2, 3)
    ]
    slice_ = b.endpointslice(
        "ingress-nginx-controller",
        [b.endpoint(f"10.244.9.{i}", f"n{i}", f"ctrl-{i}", ns="ingress-nginx") for i in (1, 2, 3)],
        ns="ingress-nginx",
    )
    return [*objs, *pods, slice_]


def test_controller_replicas_alike_share_a_verdict_that_names_the_first_replica():
    a = analysed(*base(), web("ClusterIP"), *_replicas(), allow_office())
    hp = first(a, EntryKind.INGRESS).netpol.direct
    assert hp.all_blocked
    for t in hp.targets:
        assert (t.sources, t.blocked, t.blocked_nodes) == (3, 3, ("n1", "n2", "n3"))
        assert t.source.pod.name == "ctrl-1" and t.reach.source == t.source
        assert "ingress-nginx/ctrl-1 to 8080/TCP" in t.reach.ingress.reason


def test_an_ipblock_naming_one_replica_splits_the_class():
    one = netpol("one", select={"app": "web"}, ingress=[from_cidr("10.244.9.2/32")])
    a = analysed(*base(), web("ClusterIP"), *_replicas(), one)
    hp = first(a, EntryKind.INGRESS).netpol.direct
    assert hp.state == "partial"
    for t in hp.targets:
        assert (t.sources, t.blocked, t.blocked_nodes) == (3, 2, ("n1", "n3"))
        assert t.source.pod.name == "ctrl-1" and t.reach.source == t.source


@pytest.mark.parametrize(
    "policy",
    [
        allow_office(),  # every replica denied: one class
        netpol("one", select={"app": "web"}, ingress=[from_cidr("10.244.9.2/32")]),  # two
    ],
)
def test_a_class_verdict_made_for_another_replica_still_names_the_deciding_one(policy):
    from kpath.routing.policy.index import snapshot_policies
    from kpath.routing.policy.onpaths import _Judge
    from kpath.routing.policy.sources import Client

    a = analysed(*base(), web("ClusterIP"), *_replicas(), policy)
    p = first(a, EntryKind.INGRESS)
    src = p.netpol.source
    pols = snapshot_policies(a.snapshot)
    client = Client("203.0.113.1", "test")
    fresh = _Judge(a.snapshot, pols, client).hop(p, src, None, p.direct)
    judge = _Judge(a.snapshot, pols, client)
    # The reversed order fills the class's memo with the last replica's verdict first.
    judge.hop(p, src._replace(sources=src.sources[::-1]), None, p.direct)
    assert judge.hop(p, src, None, p.direct) == fresh
    assert {t.reach.source.pod.name for t in fresh.targets} == {"ctrl-1"}


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize(
    "policy",
    [
        allow_office(),
        netpol("open", select={"app": "web"}, ingress=[from_cidr("10.244.0.0/16")]),
        netpol("one", select={"app": "web"}, ingress=[from_cidr("10.244.9.2/32")]),
        netpol("elsewhere", select={"app": "db"}, ingress=[]),  # selects none of them
    ],
)
def test_sources_of_one_class_are_judged_as_the_loop_over_each_judges_them(policy, reverse):
    """The proxy replicas' shortcut (one class: one verdict) says what asking each does."""
    from kpath.routing.policy.index import snapshot_policies
    from kpath.routing.policy.onpaths import _Judge, _one_class

    a = analysed(*base(), web("ClusterIP"), *_replicas(), policy)
    p = first(a, EntryKind.INGRESS)
    sources = p.netpol.source.sources[:: -1 if reverse else 1]
    pols = snapshot_policies(a.snapshot)
    client = a.client
    fast, loop = _Judge(a.snapshot, pols, client), _Judge(a.snapshot, pols, client)
    one = _one_class([fast._keyed(s) for s in sources])
    if policy.get("metadata", {}).get("name") == "one":
        assert one is None  # one replica is allowed, the others not: two classes
        return
    assert one is not None
    # The other order first: the class's verdict is then another replica's.
    fast.hop(p, p.netpol.source._replace(sources=sources[::-1]), None, p.direct)
    keyed = [loop._keyed(s) for s in sources]
    for t in p.direct.targets:
        each = loop._by_sources(keyed, t, t.port, "TCP")
        assert fast._by_one_source_class(one, t, t.port, "TCP") == each
        # From the workload's shared verdict, as from each source's (none has an egress
        # policy here, and no replica shares a node with the pods).
        assert fast._by_alike(one, t, t.port, "TCP") == each
