"""Nodes grouped by how kube-proxy routes one service port on them.

A network admin reads the groups as "these nodes behave alike"; so every node must be in
exactly one group, each group's verdict must hold for each member, and a big cluster must
still collapse into a handful of groups.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpath.routing.kubeproxy import Target, Verdict
from kpath.routing.nodegroups import Members, NodeGroup
from tests.builders import (
    Obj,
    addresses,
    analysed,
    choice_at,
    endpoint,
    endpointslice,
    group_of,
    key,
    node,
    service,
)

ZONES = ("z1", "z2", "z3")


def cluster(per_zone: int, not_ready: tuple[str, ...] = ()) -> list[Obj]:
    return [
        node(f"{z}-n{i}", z, ready=f"{z}-n{i}" not in not_ready)
        for z in ZONES
        for i in range(per_zone)
    ]


def external_groups(*objects: Obj) -> tuple[NodeGroup, ...]:
    groups = analysed(*objects).routes[key("web")][0].external
    assert groups is not None
    return groups


def assert_partition(groups: tuple[NodeGroup, ...], nodes: list[Obj]) -> None:
    counts = Counter(n for g in groups for n in g.nodes)
    assert set(counts) == {n["metadata"]["name"] for n in nodes}
    assert set(counts.values()) == {1}


@pytest.mark.parametrize("etp", ["Cluster", "Local"])
def test_three_zones_many_nodes_two_pods_few_groups(etp: str) -> None:
    nodes = cluster(20)
    groups = external_groups(
        *nodes,
        service("web", "NodePort", etp=etp),
        endpointslice(
            "web",
            [endpoint("10.1.0.1", "z1-n3", zone="z1"), endpoint("10.1.0.2", "z2-n7", zone="z2")],
        ),
    )
    assert_partition(groups, nodes)
    # Per zone: the nodes without a pod, plus the one node with a pod (z1, z2).
    assert len(groups) == 5
    assert sorted(len(g.nodes) for g in groups) == [1, 1, 19, 19, 20]
    hosts = {g.nodes[0]: g for g in groups if len(g.nodes) == 1}
    assert set(hosts) == {"z1-n3", "z2-n7"}
    plain = group_of(groups, "z3-n0")
    if etp == "Cluster":
        assert plain.choice.verdict == Verdict.FORWARD and plain.cross_share == 1.0
        assert hosts["z1-n3"].cross_share == 0.5
    else:
        assert plain.choice.verdict == Verdict.DROP
        assert addresses(hosts["z1-n3"].choice) == ["10.1.0.1:8080"]
        assert hosts["z1-n3"].cross_node is False


def test_every_member_routes_as_its_group_says() -> None:
    nodes = cluster(4)
    objs = (
        *nodes,
        service("web", "NodePort"),
        endpointslice(
            "web",
            [
                endpoint("10.1.0.1", "z1-n0", hint_zones=["z1"]),
                endpoint("10.1.0.2", "z2-n1", hint_zones=["z2", "z3"]),
            ],
        ),
    )
    a = analysed(*objs)
    for n in nodes:  # choice_at checks the node's group against its own choice
        choice_at(a, "web", n["metadata"]["name"])
    assert addresses(choice_at(a, "web", "z3-n2")) == ["10.1.0.2:8080"]


def test_not_ready_nodes_form_their_own_group_and_kp107() -> None:
    nodes = cluster(3, not_ready=("z1-n1", "z1-n2"))
    a = analysed(
        *nodes, service("web", "NodePort"), endpointslice("web", [endpoint("10.1.0.1", "z2-n0")])
    )
    groups = a.routes[key("web")][0].external
    assert groups is not None
    assert_partition(groups, nodes)
    g = group_of(groups, "z1-n1")
    assert (sorted(g.nodes), g.ready, g.zone) == (["z1-n1", "z1-n2"], False, "z1")
    assert group_of(groups, "z1-n0").ready is True
    kp107 = [f for f in a.findings if f.code == "KP107"]
    assert len(kp107) == 1
    assert kp107[0].nodes == ("z1-n1", "z1-n2")
    assert "z1-n1" in kp107[0].message and "shop/web" in kp107[0].message


def test_daemonset_like_local_service_collapses_into_one_group() -> None:
    nodes = cluster(5)
    eps = [
        endpoint(
            f"10.2.{i}.1",
            n["metadata"]["name"],
            zone=n["metadata"]["labels"]["topology.kubernetes.io/zone"],
        )
        for i, n in enumerate(nodes)
    ]
    a = analysed(
        *nodes,
        service("web", "LoadBalancer", etp="Local", lb_ip="192.0.2.10"),
        endpointslice("web", eps),
    )
    groups = a.routes[key("web")][0].external
    assert groups is not None
    assert_partition(groups, nodes)
    # One group per zone bucket: every node sends only to its own pod.
    assert len(groups) == len(ZONES)
    for g in groups:
        assert g.choice.verdict == Verdict.FORWARD
        assert (g.local, g.per_node, g.cross_node) == (1, 1, False)
        assert len(g.choice.targets) == len(g.nodes) == 5
        assert "on each node" in g.choice.rule
    assert "KP101" not in {f.code for f in a.findings}
    assert addresses(choice_at(a, "web", "z2-n3")) == ["10.2.8.1:8080"]


def test_nodes_not_in_the_input_are_named_by_endpoints() -> None:
    a = analysed(
        service("web", "NodePort"),
        endpointslice("web", [endpoint("10.1.0.1", "w1"), endpoint("10.1.0.2", "w2")]),
        kinds=("Pod", "Service", "EndpointSlice"),
    )
    groups = a.routes[key("web")][0].external
    assert groups is not None
    assert [tuple(g.nodes) for g in groups] == [("w1",), ("w2",), ()]
    assert groups[-1].label() == "other nodes (not in the input)"
    assert groups[-1].cross_share == 1.0
    assert groups[0].cross_share == 0.5


def test_group_labels() -> None:
    groups = external_groups(
        *cluster(3),
        service("web", "NodePort"),
        endpointslice("web", [endpoint("10.1.0.1", "z1-n0")]),
    )
    assert group_of(groups, "z1-n0").label() == "z1-n0"
    assert group_of(groups, "z2-n0").label() == "3 nodes in z2"


def test_members_sized_without_listing() -> None:
    m = Members(("a", "b", "c", "d"), frozenset({"b", "d"}))
    assert len(m) == 2 and list(m) == ["a", "c"] and m[1] == "c" and "c" in m and "b" not in m
    assert list(Members(("a",), frozenset())) == ["a"]


def test_groups_come_forwarding_first_then_by_zone_then_name() -> None:
    # Local policy: nodes with a pod forward, the others drop. Nodes are given out of order.
    nodes = [
        node("c-2", "z2"),
        node("b-1", "z1"),
        node("a-3", "z3"),
        node("d-1", "z1"),
        node("e-2", "z2"),
    ]
    pods = endpointslice("web", [endpoint("10.1.0.1", "e-2"), endpoint("10.1.0.2", "d-1")])
    groups = external_groups(*nodes, service("web", "NodePort", etp="Local"), pods)
    order = [(g.choice.verdict, g.zone, list(g.nodes)) for g in groups]
    assert order == [
        (Verdict.FORWARD, "z1", ["d-1"]),
        (Verdict.FORWARD, "z2", ["e-2"]),
        (Verdict.DROP, "z1", ["b-1"]),
        (Verdict.DROP, "z2", ["c-2"]),
        (Verdict.DROP, "z3", ["a-3"]),
    ]


def test_nodes_not_in_the_input_come_after_the_named_ones() -> None:
    pods = endpointslice("web", [endpoint("10.1.0.1", "n-b"), endpoint("10.1.0.2", "n-a")])
    groups = (
        analysed(service("web", "NodePort"), pods, kinds=("EndpointSlice",))
        .routes[key("web")][0]
        .external
    )
    assert groups is not None
    assert [list(g.nodes) for g in groups] == [["n-a"], ["n-b"], []]


def _groups_json(groups: tuple[NodeGroup, ...]) -> list[tuple[object, ...]]:
    return [(tuple(g.nodes), g.zone, g.ready, g.choice, g.local, g.per_node) for g in groups]


_NODES = [f"{z}-n{i}" for z in ZONES for i in range(4)]


@st.composite
def _targets(draw: st.DrawFn) -> tuple[Target, ...]:
    """Endpoints on some of the nodes (or on none, or on a node not in the input), ready or
    not, some with hints (all or some of the ready ones, so hints apply or are ignored)."""
    out = []
    for i in range(draw(st.integers(0, 7))):
        where = draw(st.sampled_from([*_NODES, "gone", None]))
        state = draw(st.sampled_from(["ready", "terminating", "serving", "not-ready"]))
        out.append(
            Target(
                f"10.1.0.{i}",
                8080,
                None,
                where,
                where.split("-")[0] if where and where != "gone" else None,
                state == "ready",
                state in ("ready", "serving"),
                state in ("terminating", "serving"),
                tuple(draw(st.sets(st.sampled_from(ZONES), max_size=2))),
                tuple(draw(st.sets(st.sampled_from(_NODES), max_size=2))),
            )
        )
    return tuple(out)


@given(
    targets=_targets(),
    policy=st.sampled_from(["Cluster", "Local"]),
    not_ready=st.sets(st.sampled_from(_NODES), max_size=3),
)
@settings(max_examples=300, deadline=None)
def test_each_node_gets_its_own_choice_in_its_group(
    targets: tuple[Target, ...], policy: str, not_ready: set[str]
) -> None:
    from kpath.routing.kubeproxy import choose
    from kpath.routing.nodegroups import group_order, node_groups
    from tests.builders import snapshot

    nodes = [node(n, n.split("-")[0], ready=n not in not_ready) for n in _NODES]
    snap = snapshot(*nodes)
    groups = node_groups(snap, targets, policy)
    assert_partition(groups, nodes)
    assert list(groups) == sorted(groups, key=group_order)
    for g in groups:
        for name in g.nodes:
            own = choose(targets, policy, name, name.split("-")[0])
            assert (own.verdict, own.fallback, own.topology) == (
                g.choice.verdict,
                g.choice.fallback,
                g.choice.topology,
            )
            assert set(own.targets) <= set(g.choice.targets)  # merged groups: the union
            assert g.per_node == len(own.targets)
            assert g.local == sum(1 for t in own.targets if t.node == name)
            assert g.ready is (name not in not_ready) and g.zone == name.split("-")[0]


@given(st.lists(st.text(min_size=1, max_size=3), unique=True), st.data())
def test_members_lists_the_bucket_minus_the_excluded_in_order(
    names: list[str], data: st.DataObject
) -> None:
    base = tuple(names)
    excluded = frozenset(data.draw(st.sets(st.sampled_from(names))) if names else ())
    assert list(Members(base, excluded)) == [n for n in base if n not in excluded]


@given(targets=_targets(), not_ready=st.sets(st.sampled_from(_NODES), max_size=3))
@settings(max_examples=300, deadline=None)
def test_one_choice_everywhere_groups_as_the_general_way(
    targets: tuple[Target, ...], not_ready: set[str]
) -> None:
    """Where every node gets the one choice, the short way makes the very groups (nodes,
    order, choice, counts) the general way makes."""
    from kpath.routing import nodegroups as ng
    from tests.builders import snapshot

    decider = ng._Decider(targets, "Cluster")
    uniform = decider.uniform
    if uniform is None:
        return  # hints apply somewhere: choices differ by node, only the general way
    nodes = [node(n, n.split("-")[0], ready=n not in not_ready) for n in _NODES]
    snap = snapshot(*nodes)

    def special() -> dict[ng.Bucket, list[str]]:
        out: dict[ng.Bucket, list[str]] = {}
        for name in decider.by_node.keys() | decider.hinted:
            if name in snap.nodes:
                n = snap.nodes[name]
                out.setdefault((n.zone, n.ready), []).append(name)
        return out

    short = ng._uniform_groups(snap.node_buckets, special(), uniform, decider.counts(uniform))
    general = ng._general_groups(snap.node_buckets, special(), decider)
    assert _groups_json(short) == _groups_json(general)
    assert [type(g) for g in short] == [NodeGroup] * len(short)
    assert _groups_json(short) == _groups_json(ng.node_groups(snap, targets, "Cluster"))


@given(st.lists(st.text(min_size=1, max_size=3), unique=True), st.data(), st.integers(0, 5))
def test_members_head_is_the_first_names_before_and_after_listing(
    names: list[str], data: st.DataObject, k: int
) -> None:
    base = tuple(names)
    excluded = frozenset(data.draw(st.sets(st.sampled_from(names))) if names else ())
    m = Members(base, excluded)
    want = tuple(n for n in base if n not in excluded)[:k]
    assert m.head(k) == want
    assert tuple(Members(base, excluded)[:k]) == want  # a prefix slice is taken by head
    list(m)  # now listed: the same answer from the list
    assert m.head(k) == want
    assert tuple(m[:k]) == want
