"""Group the nodes of a cluster by how kube-proxy routes one service port on them.

A 5,000-node cluster must not cost 5,000 choices per service. Nodes without an endpoint of
the service (and not named in a node hint) route alike within their zone, so each
(zone, readiness) bucket of such nodes costs one choice. Only nodes that host endpoints are
looked at one by one, and those with the same outcome are merged again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import NamedTuple

from kpath.cluster.snapshot import Snapshot
from kpath.routing.kubeproxy import (
    Choice,
    Target,
    Verdict,
    cluster_choice,
    has_usable,
    local_choice,
)


class NodeGroup(NamedTuple):
    """Nodes on which one service port is routed identically."""

    nodes: tuple[str, ...]
    zone: str | None
    ready: bool | None
    choice: Choice
    local: int  # chosen endpoints on each member node itself
    per_node: int  # endpoints each member chooses among (targets is their union)

    @property
    def cross_node(self) -> bool:
        """Some chosen endpoints live on another node (the packet crosses, and is SNATed)."""
        return self.choice.verdict == Verdict.FORWARD and self.local < self.per_node

    @property
    def cross_share(self) -> float:
        """The share of traffic sent to other nodes (kube-proxy spreads evenly)."""
        return (self.per_node - self.local) / self.per_node if self.per_node else 0.0

    def label(self) -> str:
        if not self.nodes:
            return "other nodes (not in the input)"
        if len(self.nodes) == 1:
            return self.nodes[0]
        zone = f" in {self.zone}" if self.zone else ""
        return f"{len(self.nodes)} nodes{zone}"


def node_groups(
    snapshot: Snapshot, targets: Sequence[Target], policy: str
) -> tuple[NodeGroup, ...]:
    """Every node of the snapshot, grouped by kube-proxy's choice under ``policy``."""
    by_node: dict[str, list[Target]] = defaultdict(list)
    for t in targets:
        if t.node is not None:
            by_node[t.node].append(t)
    hinted = {n for t in targets for n in t.hint_nodes}
    special = (by_node.keys() | hinted) & snapshot.nodes.keys()
    any_usable = has_usable(targets)
    cluster_cache: dict[tuple[str | None, str | None], Choice] = {}

    def decide(node: str | None, zone: str | None) -> Choice:
        if policy == "Local":
            if node is None:
                return local_choice((), any_usable, "these nodes")
            return local_choice(by_node.get(node, ()), any_usable, node)
        key = (node if node in hinted else None, zone)
        choice = cluster_cache.get(key)
        if choice is None:
            choice = cluster_cache[key] = cluster_choice(targets, node, zone)
        return choice

    if not snapshot.nodes:
        return _without_nodes(by_node, targets, decide)

    special_by_bucket: dict[tuple[str | None, bool | None], list[str]] = defaultdict(list)
    for name in special:
        node = snapshot.nodes[name]
        special_by_bucket[(node.zone, node.ready)].append(name)

    groups: list[NodeGroup] = []
    for (zone, ready), members in snapshot.node_buckets.items():
        mine = special_by_bucket.get((zone, ready))
        plain = members if not mine else tuple(m for m in members if m not in special)
        if plain:
            choice = decide(None, zone)
            groups.append(NodeGroup(plain, zone, ready, choice, 0, len(choice.targets)))
        if mine:
            groups.extend(_special_groups(sorted(mine), zone, ready, decide))
    return tuple(groups)


def _without_nodes(
    by_node: dict[str, list[Target]], targets: Sequence[Target], decide: Callable[..., Choice]
) -> tuple[NodeGroup, ...]:
    """The input carried no Node objects: the nodes named by endpoints, and all the others."""
    groups: list[NodeGroup] = []
    for name in sorted(by_node):
        zone = by_node[name][0].zone
        groups.extend(_special_groups([name], zone, None, decide))
    choice = decide(None, None)
    groups.append(NodeGroup((), None, None, choice, 0, len(choice.targets)))
    return tuple(groups)


def _special_groups(
    names: list[str], zone: str | None, ready: bool | None, decide: Callable[..., Choice]
) -> list[NodeGroup]:
    merged: dict[tuple[object, ...], tuple[list[str], list[Choice], int]] = {}
    for name in names:
        choice = decide(name, zone)
        local = sum(1 for t in choice.targets if t.node == name)
        # Nodes that each send only to their own pods route alike even though the pods
        # differ; otherwise the chosen endpoints themselves must match.
        all_local = local == len(choice.targets)
        shape = (choice.verdict, choice.fallback, choice.topology, len(choice.targets), local,
                 None if all_local else choice.targets)
        if shape in merged:
            merged[shape][0].append(name)
            merged[shape][1].append(choice)
        else:
            merged[shape] = ([name], [choice], local)
    out = []
    for members, choices, local in merged.values():
        choice = choices[0]
        if len(members) > 1:
            union = tuple({t: None for c in choices for t in c.targets})
            choice = choice._replace(
                targets=union, rule=choice.rule.replace(f" on {members[0]}", " on each node")
            )
        out.append(NodeGroup(tuple(members), zone, ready, choice, local, len(choices[0].targets)))
    return out
