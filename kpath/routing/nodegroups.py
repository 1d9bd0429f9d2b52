"""Group the nodes of a cluster by how kube-proxy routes one service port on them.

A 5,000-node cluster must not cost 5,000 choices per service. Nodes without an endpoint of
the service (and not named in a node hint) route alike within their zone, so each
(zone, readiness) bucket of such nodes costs one choice, and the group keeps the bucket by
reference (`Members`) instead of copying its names. Only nodes that host endpoints are looked
at one by one, and those with the same outcome are merged again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import NamedTuple, overload

from kpath.cluster.snapshot import Snapshot
from kpath.routing.kubeproxy import (
    Choice,
    Target,
    Verdict,
    cluster_choice,
    has_usable,
    local_choice,
)


class Members(Sequence[str]):
    """A bucket's node names minus a few: sized at once, listed only when asked."""

    __slots__ = ("_base", "_excluded", "_names")

    def __init__(self, base: tuple[str, ...], excluded: frozenset[str]) -> None:
        self._base = base
        self._excluded = excluded  # a subset of base
        self._names: tuple[str, ...] | None = None if excluded else base

    def _all(self) -> tuple[str, ...]:
        if self._names is None:
            self._names = tuple(n for n in self._base if n not in self._excluded)
        return self._names

    def __len__(self) -> int:
        return len(self._base) - len(self._excluded)

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[str]: ...
    def __getitem__(self, i: int | slice) -> str | Sequence[str]:
        if i == 0 and self._names is None and len(self):
            # The first name (the groups' sort key) without listing 5,000 of them.
            return next(n for n in self._base if n not in self._excluded)
        return self._all()[i]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __repr__(self) -> str:
        return f"Members({len(self)} nodes)"


class NodeGroup(NamedTuple):
    """Nodes on which one service port is routed identically."""

    nodes: Sequence[str]
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


class _Decider:
    """kube-proxy's choice per node for one service port, memoised where nodes look alike."""

    def __init__(self, targets: Sequence[Target], policy: str) -> None:
        self.targets = targets
        self.policy = policy
        self.by_node: dict[str, list[Target]] = defaultdict(list)
        for t in targets:
            if t.node is not None:
                self.by_node[t.node].append(t)
        self.hinted = {n for t in targets for n in t.hint_nodes}
        self.any_usable = has_usable(targets)
        self._cluster: dict[tuple[str | None, str | None], Choice] = {}
        self._chosen: dict[int, frozenset[Target]] = {}

    def choice(self, node: str | None, zone: str | None) -> Choice:
        if self.policy == "Local":
            if node is None:
                return local_choice((), self.any_usable, "these nodes")
            return local_choice(self.by_node.get(node, ()), self.any_usable, node)
        # Under Cluster policy only the zone and a node hint can change the choice.
        key = (node if node in self.hinted else None, zone)
        choice = self._cluster.get(key)
        if choice is None:
            choice = self._cluster[key] = cluster_choice(self.targets, node, zone)
        return choice

    def local(self, node: str, choice: Choice) -> int:
        """How many of the chosen endpoints live on ``node``."""
        if self.policy == "Local":
            return len(choice.targets)  # a Local choice only ever holds this node's endpoints
        mine = self.by_node.get(node, ())
        if not mine or not choice.targets:
            return 0
        # Cluster choices live in self._cluster for the decider's lifetime: ids are stable.
        chosen = self._chosen.get(id(choice))
        if chosen is None:
            chosen = self._chosen[id(choice)] = frozenset(choice.targets)
        return sum(1 for t in mine if t in chosen)


def node_groups(
    snapshot: Snapshot, targets: Sequence[Target], policy: str
) -> tuple[NodeGroup, ...]:
    """Every node of the snapshot, grouped by kube-proxy's choice under ``policy``."""
    decider = _Decider(targets, policy)
    if not snapshot.nodes:
        return _without_nodes(decider)
    special = (decider.by_node.keys() | decider.hinted) & snapshot.nodes.keys()
    special_by_bucket: dict[tuple[str | None, bool | None], list[str]] = defaultdict(list)
    for name in special:
        node = snapshot.nodes[name]
        special_by_bucket[(node.zone, node.ready)].append(name)

    groups: list[NodeGroup] = []
    for (zone, ready), members in snapshot.node_buckets.items():
        mine = special_by_bucket.get((zone, ready), ())
        if len(mine) < len(members):
            choice = decider.choice(None, zone)
            plain = Members(members, frozenset(mine))
            groups.append(NodeGroup(plain, zone, ready, choice, 0, len(choice.targets)))
        if mine:
            groups.extend(_special_groups(sorted(mine), zone, ready, decider))
    return ordered(groups)


def regroup(snapshot: Snapshot, groups: tuple[NodeGroup, ...]) -> tuple[NodeGroup, ...] | None:
    """`node_groups` again after nodes changed that host none of the targets and that no
    hint names (their readiness or zone, or they came or went): such nodes only ever sit
    in a bucket's plain group, whose choice depends on the zone alone, so each bucket is
    regrouped around the same special groups and the same choices. None when that cannot
    be said: the input carries no nodes, or a bucket's zone had no plain group before."""
    if not snapshot.nodes or not groups:
        return None
    special = [g for g in groups if not isinstance(g.nodes, Members)]
    plain = {g.zone: g.choice for g in groups if isinstance(g.nodes, Members)}
    if any(not g.nodes for g in special):
        return None  # the groups of an input without nodes
    mine: dict[tuple[str | None, bool | None], list[str]] = defaultdict(list)
    for g in special:
        mine[(g.zone, g.ready)].extend(g.nodes)
    out = list(special)
    for (zone, ready), members in snapshot.node_buckets.items():
        taken = mine.get((zone, ready), ())
        if len(taken) < len(members):
            choice = plain.get(zone)
            if choice is None:
                return None
            plain_members = Members(members, frozenset(taken))
            out.append(NodeGroup(plain_members, zone, ready, choice, 0, len(choice.targets)))
    return ordered(out)


def group_order(g: NodeGroup) -> tuple[bool, str, str]:
    """Forwarding groups first, then by zone, then by first node name; groups without a zone
    or without names (the nodes not in the input) after the others."""
    first = g.nodes[0] if g.nodes else "\uffff"
    return (g.choice.verdict != Verdict.FORWARD, g.zone or "\uffff", first)


def ordered(groups: Sequence[NodeGroup]) -> tuple[NodeGroup, ...]:
    """The one order every view shows node groups in (the paths carry them in it)."""
    return tuple(sorted(groups, key=group_order))


def _without_nodes(decider: _Decider) -> tuple[NodeGroup, ...]:
    """The input carried no Node objects: the nodes named by endpoints, and all the others."""
    groups: list[NodeGroup] = []
    for name in sorted(decider.by_node):
        zone = decider.by_node[name][0].zone
        groups.extend(_special_groups([name], zone, None, decider))
    choice = decider.choice(None, None)
    groups.append(NodeGroup((), None, None, choice, 0, len(choice.targets)))
    return ordered(groups)


def _special_groups(
    names: list[str], zone: str | None, ready: bool | None, decider: _Decider
) -> list[NodeGroup]:
    merged: dict[tuple[object, ...], tuple[list[str], list[Choice], int]] = {}
    for name in names:
        choice = decider.choice(name, zone)
        local = decider.local(name, choice)
        # Nodes that each send only to their own pods route alike even though the pods
        # differ; otherwise the chosen endpoints themselves must match.
        all_local = local == len(choice.targets)
        shape = (
            choice.verdict,
            choice.fallback,
            choice.topology,
            len(choice.targets),
            local,
            None if all_local else id(choice),
        )
        entry = merged.get(shape)
        if entry is None:
            merged[shape] = ([name], [choice], local)
        else:
            entry[0].append(name)
            entry[1].append(choice)
    out = []
    for members, choices, local in merged.values():
        choice = choices[0]
        if len(members) > 1 and any(c is not choice for c in choices):
            union = tuple({t: None for c in choices for t in c.targets})
            choice = choice._replace(
                targets=union, rule=choice.rule.replace(f" on {members[0]}", " on each node")
            )
        out.append(NodeGroup(tuple(members), zone, ready, choice, local, len(choices[0].targets)))
    return out
