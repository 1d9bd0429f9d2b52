"""The one-class loop of Cluster-policy node groups (`_Judge._by_one_class`, which shares
each endpoint's verdict between the groups of a choice) against the general per-class loop
(`_Judge._by_nodes`), target by target, under random nodes, policies and ports."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kpath.routing.analysis import Analysis
from kpath.routing.policy.evaluate import reach
from kpath.routing.policy.onpaths import TargetPolicy, _Judge, _members
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
    judge = _Judge(snap, list(snap.network_policies), a.client, reach)
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


def judged(a: Analysis) -> list[tuple[TargetPolicy, ...]]:
    seen: set[int] = set()
    out = []
    for p in a.paths:
        pp = p.netpol
        if pp is None or pp.source.kind != "node":
            continue
        for hp in pp.groups:
            if hp is not None and id(hp) not in seen:
                seen.add(id(hp))
                out.append(hp.targets)
    return out


@settings(max_examples=60, deadline=None)
@given(node_sets, rules, st.booleans(), st.sampled_from(["LoadBalancer", "NodePort"]))
def test_one_class_groups_equal_the_general_loop(nodes, ingress, deny, type_) -> None:
    policies = [netpol("allow", select={"app": "web"}, ingress=ingress)]
    if deny:
        policies.append(netpol("deny-all", ingress=[]))
    a = analysed(*base(tuple(nodes)), web(type_), *policies)
    got = judged(a)
    assert got and got == general(a)
