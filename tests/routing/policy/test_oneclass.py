"""The one-class loop of Cluster-policy node groups (`_Judge._by_one_class`, which shares
each endpoint's verdict between the groups of a choice) against the general per-class loop
(`_Judge._by_nodes`), target by target, under random nodes, policies and ports; and the
hops whose records are made when read (`Records`) against the records' own counts."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from kpath.routing.analysis import Analysis
from kpath.routing.policy.onpaths import (
    HopPolicy,
    Records,
    TargetPolicy,
    _Judge,
    _members,
    attach_policies,
    hop_policy,
)
from kpath.routing.policy.sources import node_classes
from tests.routing.policy.pathcluster import (
    NODE_IPS,
    OFFICE,
    analysed,
    base,
    from_cidr,
    netpol,
    web,
)

node_sets = st.lists(st.sampled_from(sorted(NODE_IPS)), min_size=1, max_size=4, unique=True)
rules = st.lists(
    st.builds(
        from_cidr,
        st.sampled_from([OFFICE, "10.0.0.0/8", "10.0.2.1/32", "0.0.0.0/0"]),
        st.sampled_from([8080, 9090, None]),
    ),
    max_size=2,
)


def general(a: Analysis) -> list[tuple[TargetPolicy, ...]]:
    """Every node-source group hop of the paths, in the judge's order, by `_by_nodes`."""
    snap = a.snapshot
    assert a.client is not None
    judge = _Judge(snap, list(snap.network_policies), a.client)
    seen: set[tuple[int, int]] = set()
    out = []
    for p in a.paths:
        pp = p.netpol
        if pp is None or pp.source.kind != "node":
            continue
        protocol = p.port.protocol if p.port else "TCP"
        named = p.port.target_port if p.port else None
        for g in p.groups:
            if (id(g), id(pp.source)) in seen:
                continue
            seen.add((id(g), id(pp.source)))
            members = _members(node_classes(snap, g, judge.sigs), isinstance(g.nodes, tuple))
            row = []
            for t in g.choice.targets:
                port = t.port if t.port is not None else named
                if port is None:
                    row.append(TargetPolicy(t.endpoint, t.pod, None, 0, 0))
                else:
                    row.append(judge._by_nodes(members, t, port, protocol))
            out.append(tuple(row))
    return out


def group_hops(a: Analysis) -> list[HopPolicy]:
    seen: set[int] = set()
    out = []
    for p in a.paths:
        pp = p.netpol
        if pp is None or pp.source.kind != "node":
            continue
        for hp in pp.groups:
            if hp is not None and id(hp) not in seen:
                seen.add(id(hp))
                out.append(hp)
    return out


def judged(a: Analysis) -> list[tuple[TargetPolicy, ...]]:
    return [tuple(hp.targets) for hp in group_hops(a)]


@settings(max_examples=60, deadline=None)
@given(node_sets, rules, st.booleans(), st.sampled_from(["LoadBalancer", "NodePort"]))
def test_one_class_groups_equal_the_general_loop(nodes, ingress, deny, type_) -> None:
    policies = [netpol("allow", select={"app": "web"}, ingress=ingress)]
    if deny:
        policies.append(netpol("deny-all", ingress=[]))
    a = analysed(*base(tuple(nodes)), web(type_), *policies)
    # The counts and policies a hop says before its records are read ...
    said = [(hp.blocked_by, hp.all_blocked, hp.partial, len(hp.blocked)) for hp in group_hops(a)]
    got = judged(a)
    assert got and got == general(a)
    # ... are those its records give.
    made = [hop_policy(hp.source, tuple(hp.targets)) for hp in group_hops(a)]
    assert said == [(h.blocked_by, h.all_blocked, h.partial, len(h.blocked)) for h in made]
    assert [tuple(hp.blocked) for hp in group_hops(a)] == [tuple(h.blocked) for h in made]
    # Records read one at a time, and the nodes they were denied at, before any is made
    # together (fresh hops: the findings above read some), are the records made at once.
    for hp in group_hops(reattached(a)):
        alone = [(hp.targets[i], hp.targets[-1 - i]) for i in range(len(hp.targets))]
        blocked = [hp.blocked[i] for i in range(len(hp.blocked))]
        at = [hp.denied_at(k) for k in (1, 2, 3, 8)]
        records = tuple(hp.targets)
        assert alone == [(records[i], records[-1 - i]) for i in range(len(records))]
        assert blocked == [t for t in records if t.blocked] == list(hp.blocked)
        assert at == [first_nodes(records, k) for k in (1, 2, 3, 8)]


def reattached(a: Analysis) -> Analysis:
    """The analysis with its paths judged again: hops none of whose records were read."""
    assert a.client is not None
    snap = a.snapshot
    targets = {k: tuple(t for r in rs for t in r.targets) for k, rs in a.routes.items()}
    pols = list(snap.network_policies)
    paths = attach_policies(snap, a.paths, pols, a.client, targets)
    return replace(a, paths=tuple(paths))


def first_nodes(records: tuple[TargetPolicy, ...], limit: int) -> tuple[str, ...]:
    """The plain definition of `HopPolicy.denied_at`."""
    nodes = [n for t in records if t.blocked for n in t.blocked_nodes]
    return tuple(dict.fromkeys(nodes))[:limit]


def test_a_group_whose_nodes_host_no_endpoint_makes_its_records_when_read() -> None:
    # n4 hosts no web pod: its node group under Cluster policy is one class, judged from
    # the class's verdicts (the findings may have read its records since).
    deny = netpol("deny-all", ingress=[])
    a = analysed(*base(("n1", "n2", "n4")), web("NodePort"), deny)
    lazy = [hp for hp in group_hops(reattached(a)) if isinstance(hp.targets, Records)]
    assert lazy, "no group was judged from its class alone"
    for hp in lazy:
        # A finding's reads (the first blocked endpoint, the nodes) make no other record.
        first, nodes = hp.blocked[0], hp.denied_at(8)
        assert isinstance(hp.blocked, Records) and isinstance(hp.targets, Records)
        assert hp.blocked._items is None and hp.targets._items is None
        assert tuple(hp.targets)[:1] == (first,) and nodes == first.blocked_nodes == ("n4",)
        assert hp.all_blocked and len(hp.blocked) == len(hp.targets) == 2
        assert hp.blocked_by and str(hp.blocked_by[0]) == "shop/deny-all"
        records = tuple(hp.targets)
        assert hp.targets == records and records == hp.targets
        assert hash(hp.targets) == hash(records)
        assert [t.blocked for t in records] == [t.sources for t in records]
        assert hp == hop_policy(hp.source, records)
