"""A service port's node groups after nodes without its endpoints moved, told which buckets
moved (`moved_groups`): the groups `node_groups` makes from scratch, or None where it
cannot say so (a zone it had no plain group for, an input without nodes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kpath.routing.livegroups import moved_groups
from kpath.routing.nodegroups import NodeGroup, node_groups
from kpath.routing.paths import port_routes
from tests.builders import Obj, endpoint, endpointslice, key, node, service, snapshot

ZONES = ("z1", "z2", "z3")
NAMES = tuple(f"n{i}" for i in range(9))


def _json(groups: tuple[NodeGroup, ...]) -> list[tuple[object, ...]]:
    return [(tuple(g.nodes), g.zone, g.ready, g.choice, g.local, g.per_node) for g in groups]


@st.composite
def moves(draw: Callable[..., Any]) -> tuple[list[Obj], list[Obj], Obj, Obj]:
    """Nodes before and after some of them moved (readiness, zone, came, went), and a
    service whose endpoints and hints name none of those that moved."""
    before = {
        n: (draw(st.sampled_from(ZONES)), draw(st.booleans()))
        for n in draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=8, unique=True))
    }
    hosts = draw(st.lists(st.sampled_from(NAMES), max_size=4, unique=True))
    hinted = draw(st.sampled_from((None, None, *NAMES)))
    fixed = {*hosts, *([hinted] if hinted else [])}
    after = dict(before)
    for n in draw(st.lists(st.sampled_from(NAMES), max_size=3, unique=True)):
        if n in fixed:
            continue
        if n in after and draw(st.booleans()):
            del after[n]
        else:
            after[n] = (draw(st.sampled_from(ZONES)), draw(st.booleans()))
    eps = [
        endpoint(
            f"10.1.0.{i + 1}",
            h,
            ready=draw(st.booleans()),
            zone=before.get(h, ("z1", True))[0],
            hint_zones=draw(st.sampled_from((None, ["z1"], ["z2"]))),
            hint_nodes=[hinted] if hinted else None,
        )
        for i, h in enumerate(hosts)
    ]
    policy = draw(st.sampled_from(("Cluster", "Local")))
    web = service("web", "NodePort", etp=policy)
    nodes = [node(n, z, ready=r) for n, (z, r) in before.items()]
    moved = [node(n, z, ready=r) for n, (z, r) in after.items()]
    return nodes, moved, web, endpointslice("web", eps)


@settings(max_examples=300, deadline=None)
@given(moves())
def test_moved_groups_are_the_groups_made_again(
    case: tuple[list[Obj], list[Obj], Obj, Obj],
) -> None:
    nodes, moved_nodes, web, eps = case
    before, after = snapshot(*nodes, web, eps), snapshot(*moved_nodes, web, eps)
    r = port_routes(before, before.services[key("web")])[0]
    assert r.external is not None and not r.unknown
    moved = {
        b
        for b in before.node_buckets.keys() | after.node_buckets.keys()
        if before.node_buckets.get(b) != after.node_buckets.get(b)
    }
    again = moved_groups(after.node_buckets, r.external, moved)
    policy = web["spec"]["externalTrafficPolicy"]
    fresh = node_groups(after, r.targets, policy)
    if again is None:
        # Only where a moved bucket's zone had no plain group, or nodes came or all went.
        zones = {g.zone for g in r.external if not isinstance(g.nodes, tuple)}
        assert not after.node_buckets or any(z not in zones for z, _ in moved)
    else:
        assert _json(again) == _json(fresh)
    if not moved:
        assert again is r.external
