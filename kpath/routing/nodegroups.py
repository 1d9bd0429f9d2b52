"""Group the nodes of a cluster by how kube-proxy routes one service port on them.

A 5,000-node cluster must not cost 5,000 choices per service. Nodes without an endpoint of
the service (and not named in a node hint) route alike within their zone, so each
(zone, readiness) bucket of such nodes costs one choice, and the group keeps the bucket by
reference (`Members`) instead of copying its names. Only nodes that host endpoints are looked
at one by one, and those with the same outcome are merged again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from itertools import chain, islice
from typing import NamedTuple, overload

from kpath.cluster.snapshot import Snapshot
from kpath.routing.kubeproxy import (
    Choice,
    Target,
    Verdict,
    cluster_choice,
    local_choice,
)

#: A snapshot's node bucket: (zone, readiness).
Bucket = tuple[str | None, bool | None]

#: Each bucket's name -> position, made once per bucket (its tuple held, so its id stays its).
_POSITIONS: dict[int, tuple[tuple[str, ...], dict[str, int]]] = {}


def _positions(base: tuple[str, ...]) -> dict[str, int]:
    held = _POSITIONS.get(id(base))
    if held is not None and held[0] is base:
        return held[1]
    if len(_POSITIONS) > 64:  # buckets of snapshots gone (a followed cluster's older ones)
        _POSITIONS.clear()
    at = {n: i for i, n in enumerate(base)}
    _POSITIONS[id(base)] = (base, at)
    return at


class Members(Sequence[str]):
    """A bucket's node names minus a few: sized at once, listed only when asked."""

    __slots__ = ("_base", "_excluded", "_names")

    def __init__(self, base: tuple[str, ...], excluded: frozenset[str]) -> None:
        self._base = base
        self._excluded = excluded  # a subset of base
        self._names: tuple[str, ...] | None = None if excluded else base

    @property
    def base(self) -> tuple[str, ...]:
        """The bucket these names are taken from (held, not copied)."""
        return self._base

    def _all(self) -> tuple[str, ...]:
        if self._names is None:
            # The bucket cut around its few excluded names (slices copied in C), not 5,000
            # names each tested against the excluded set.
            base = self._base
            at = _positions(base)
            cuts = sorted(at[n] for n in self._excluded)
            parts = []
            start = 0
            for i in cuts:
                parts.append(base[start:i])
                start = i + 1
            parts.append(base[start:])
            self._names = tuple(chain.from_iterable(parts))
        return self._names

    def __len__(self) -> int:
        return len(self._base) - len(self._excluded)

    def head(self, k: int) -> tuple[str, ...]:
        """The first ``k`` names, without listing 5,000 of them."""
        if self._names is not None:
            return self._names[:k]
        return tuple(islice((n for n in self._base if n not in self._excluded), k))

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[str]: ...
    def __getitem__(self, i: int | slice) -> str | Sequence[str]:
        if self._names is None:
            if i == 0 and len(self):
                # The first name (the groups' sort key) without listing 5,000 of them.
                return next(n for n in self._base if n not in self._excluded)
            if (
                isinstance(i, slice)
                and i.start in (None, 0)
                and i.step in (None, 1)
                and i.stop is not None
                and i.stop >= 0
            ):
                return self.head(i.stop)  # the first few (a node class's sources)
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
        # One pass over the targets for everything below (this runs per service port).
        by_node: dict[str, list[Target]] = {}
        hinted: set[str] = set()
        usable = any_ready = False
        all_node_hints = all_zone_hints = True  # every ready target carries such hints
        for t in targets:
            node = t.node
            if node is not None:
                mine = by_node.get(node)
                if mine is None:
                    by_node[node] = [t]
                else:
                    mine.append(t)
            if t.hint_nodes:
                hinted.update(t.hint_nodes)
            if t.ready:
                usable = any_ready = True
                if not t.hint_nodes:
                    all_node_hints = False
                if not t.hint_zones:
                    all_zone_hints = False
            elif t.serving and t.terminating:
                usable = True
        self.by_node = by_node
        self.hinted = hinted
        self.any_usable = usable
        #: Under Cluster policy, hints apply only when every ready endpoint carries them
        #: (`topology_mode`); without, every node and zone gets this one choice.
        self.uniform: Choice | None = None
        if policy != "Local" and not (any_ready and (all_node_hints or all_zone_hints)):
            self.uniform = cluster_choice(targets, None, None)
        self._cluster: dict[tuple[str | None, str | None], Choice] = {}
        self._local: Choice | None = None
        self._counts: dict[int, dict[str | None, int]] = {}

    def choice(self, node: str | None, zone: str | None) -> Choice:
        if self.uniform is not None:
            return self.uniform
        if self.policy == "Local":
            if node is None:
                if self._local is None:
                    self._local = local_choice((), self.any_usable, "these nodes")
                return self._local
            return local_choice(self.by_node.get(node, ()), self.any_usable, node)
        # Under Cluster policy only the zone and a node hint can change the choice.
        key = (node if node in self.hinted else None, zone)
        choice = self._cluster.get(key)
        if choice is None:
            choice = self._cluster[key] = cluster_choice(self.targets, node, zone)
        return choice

    def counts(self, choice: Choice) -> dict[str | None, int]:
        """How many of a Cluster choice's endpoints live on each node. (Its endpoints are
        some of the port's, so these are the node's endpoints that were chosen.)"""
        # Cluster choices live for the decider's lifetime (memoised): ids are stable.
        counts = self._counts.get(id(choice))
        if counts is None:
            counts = self._counts[id(choice)] = {}
            for t in choice.targets:
                counts[t.node] = counts.get(t.node, 0) + 1
        return counts

    def local(self, node: str, choice: Choice) -> int:
        """How many of the chosen endpoints live on ``node``."""
        if self.policy == "Local":
            return len(choice.targets)  # a Local choice only ever holds this node's endpoints
        return self.counts(choice).get(node, 0) if choice.targets else 0


_NONE: frozenset[str] = frozenset()


def node_groups(
    snapshot: Snapshot, targets: Sequence[Target], policy: str
) -> tuple[NodeGroup, ...]:
    """Every node of the snapshot, grouped by kube-proxy's choice under ``policy``."""
    decider = _Decider(targets, policy)
    nodes = snapshot.nodes
    if not nodes:
        return _without_nodes(decider)
    special_by_bucket: dict[Bucket, list[str]] = {}
    for name in decider.by_node.keys() | decider.hinted if decider.hinted else decider.by_node:
        node = nodes.get(name)
        if node is None:
            continue
        bucket = (node.zone, node.ready)
        mine = special_by_bucket.get(bucket)
        if mine is None:
            special_by_bucket[bucket] = [name]
        else:
            mine.append(name)

    uniform = decider.uniform
    if uniform is not None:
        counts = decider.counts(uniform)
        return _uniform_groups(snapshot.node_buckets, special_by_bucket, uniform, counts)
    return _general_groups(snapshot.node_buckets, special_by_bucket, decider)


def _general_groups(
    buckets: Mapping[Bucket, tuple[str, ...]],
    special_by_bucket: dict[Bucket, list[str]],
    decider: _Decider,
) -> tuple[NodeGroup, ...]:
    """`node_groups` from the snapshot's buckets and, in each, the nodes that host
    endpoints or are named by a hint (``special_by_bucket``, sorted here)."""
    # Built with their sort keys (`group_order`): the order every view shows them in.
    keyed: list[tuple[tuple[bool, str, str], NodeGroup]] = []
    for bucket, members in buckets.items():
        zone, ready = bucket
        mine = special_by_bucket.get(bucket)
        if mine is None:
            if not members:
                continue
            choice = decider.choice(None, zone)
            key = (choice.verdict != Verdict.FORWARD, zone or "\uffff", members[0])
            plain = Members(members, _NONE)
            keyed.append((key, NodeGroup(plain, zone, ready, choice, 0, len(choice.targets))))
            continue
        if len(mine) < len(members):
            choice = decider.choice(None, zone)
            taken = frozenset(mine)
            first = next(n for n in members if n not in taken)
            key = (choice.verdict != Verdict.FORWARD, zone or "\uffff", first)
            plain = Members(members, taken)
            keyed.append((key, NodeGroup(plain, zone, ready, choice, 0, len(choice.targets))))
        mine.sort()
        for g in _special_groups(mine, zone, ready, decider):
            keyed.append(((g.choice.verdict != Verdict.FORWARD, zone or "\uffff", g.nodes[0]), g))
    keyed.sort(key=_first_item)
    return tuple(g for _, g in keyed)


def _uniform_groups(
    buckets: Mapping[Bucket, tuple[str, ...]],
    special_by_bucket: dict[Bucket, list[str]],
    choice: Choice,
    counts: Mapping[str | None, int],
) -> tuple[NodeGroup, ...]:
    """`node_groups` when every node gets the one choice (`_Decider.uniform`, most ports):
    the nodes of a bucket differ only by how many of its endpoints they host (``counts``).
    The groups the general way makes, in fewer steps."""
    n = len(choice.targets)
    last = choice.verdict != Verdict.FORWARD  # the sort key's first item: alike for all
    new = tuple.__new__  # NodeGroup's own __new__ is a Python call per group: skipped
    keyed: list[tuple[tuple[bool, str, str], NodeGroup]] = []
    for bucket, members in buckets.items():
        zone, ready = bucket
        zone_key = zone or "\uffff"
        mine = special_by_bucket.get(bucket)
        if mine is None:
            if members:
                plain = Members(members, _NONE)
                group = new(NodeGroup, (plain, zone, ready, choice, 0, n))
                keyed.append(((last, zone_key, members[0]), group))
            continue
        if len(mine) < len(members):
            taken = frozenset(mine)
            first = members[0]
            if first in taken:
                first = next(m for m in members if m not in taken)
            group = new(NodeGroup, (Members(members, taken), zone, ready, choice, 0, n))
            keyed.append(((last, zone_key, first), group))
        mine.sort()
        by_local: dict[int, list[str]] = {}
        for name in mine:
            local = counts.get(name, 0)
            same = by_local.get(local)
            if same is None:
                by_local[local] = [name]
            else:
                same.append(name)
        for local, names in by_local.items():
            group = new(NodeGroup, (tuple(names), zone, ready, choice, local, n))
            keyed.append(((last, zone_key, names[0]), group))
    keyed.sort(key=_first_item)
    return tuple([g for _, g in keyed])


def _first_item(kg: tuple[tuple[bool, str, str], NodeGroup]) -> tuple[bool, str, str]:
    return kg[0]


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
    uniform = decider.uniform
    if uniform is not None:
        # One choice on every node: nodes differ only by how many chosen endpoints they
        # host (what the merging below comes to when every choice is this one).
        counts = decider.counts(uniform)
        n = len(uniform.targets)
        by_local: dict[int, list[str]] = {}
        for name in names:
            local = counts.get(name, 0) if n else 0
            same = by_local.get(local)
            if same is None:
                by_local[local] = [name]
            else:
                same.append(name)
        return [NodeGroup(tuple(m), zone, ready, uniform, k, n) for k, m in by_local.items()]
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
