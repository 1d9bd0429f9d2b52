"""A service port's node groups again after nodes moved between buckets, told which moved.

A node that hosts none of a service's endpoints, and that no hint names, only ever sits in
a bucket's plain group (`nodegroups.Members`), whose choice depends on the zone alone
(kube-proxy reads no node's readiness). So when such nodes change readiness or zone, or
come or go, a service's groups are its other groups as they were, plus the plain groups of
the buckets that moved made again around the same special groups with the zone's choice.
The live snapshot says which buckets moved, so no group is compared with its bucket and
no group is sorted again: the new ones are put in their place among the sorted others.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING

from kpath.routing.kubeproxy import Choice
from kpath.routing.nodegroups import Members, NodeGroup, group_order

if TYPE_CHECKING:
    from kpath.cluster.livesnap import Bucket


def moved_groups(
    buckets: Mapping[Bucket, tuple[str, ...]],
    groups: tuple[NodeGroup, ...],
    moved: Collection[Bucket],
) -> tuple[NodeGroup, ...] | None:
    """``groups`` (`node_groups` of one service port) after the buckets ``moved`` changed
    their names, to the snapshot's ``buckets`` now, where no node that moved hosts one of
    their targets or is named by a hint. ``groups`` itself when no bucket moved. None when
    that cannot be said this way: the input carries no nodes, or
    a moved bucket's zone had no plain group to take the choice from."""
    if not moved:
        return groups
    if not buckets or not groups:
        return None
    out: list[NodeGroup | None] = list(groups)
    plain: dict[str | None, Choice] = {}
    was: dict[Bucket, int] = {}  # a moved bucket's plain group, by its place
    taken: dict[Bucket, list[str]] = {}  # a moved bucket's nodes in special groups
    zones = {zone for zone, _ in moved}  # most groups are of other zones: no more read
    for i, g in enumerate(groups):
        nodes, zone = g.nodes, g.zone
        if type(nodes) is Members:  # not isinstance: an ABC's check is slow
            if zone in zones:
                plain[zone] = g.choice
                if (bucket := (zone, g.ready)) in moved:
                    was[bucket] = i
                    out[i] = None
        elif not nodes:
            return None  # the groups of an input without nodes
        elif zone in zones and (bucket := (zone, g.ready)) in moved:
            taken.setdefault(bucket, []).extend(nodes)
    placed: list[NodeGroup] = []
    for bucket in moved:
        members = buckets.get(bucket)
        if members is None:
            continue  # the bucket is gone
        special = frozenset(taken.get(bucket, ()))
        if len(special) >= len(members):
            continue  # every node of it hosts endpoints: no plain group
        zone, ready = bucket
        choice = plain.get(zone)
        if choice is None:
            return None
        group = NodeGroup(Members(members, special), zone, ready, choice, 0, len(choice.targets))
        at = was.get(bucket)
        # Its old group left out the same special nodes: the first names compared directly.
        if at is not None and _first(groups[at].nodes, special) == _first(members, special):
            out[at] = group  # the same sort key (verdict, zone, first node): the same place
        else:
            placed.append(group)
    kept = [g for g in out if g is not None]
    for group in placed:
        # The others are in `ordered` order, and no two groups share a sort key.
        bisect.insort(kept, group, key=group_order)
    return tuple(kept)


def _first(nodes: Sequence[str], special: frozenset[str]) -> str:
    """A plain group's first node: the first of its bucket's that hosts no endpoint."""
    base = nodes.base if type(nodes) is Members else nodes
    first = base[0]
    return first if first not in special else next(n for n in base if n not in special)
