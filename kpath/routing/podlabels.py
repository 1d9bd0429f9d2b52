"""Each namespace's pods grouped by their labels, for the selectors that find no endpoint.

A Service without endpoints asks which of its namespace's pods it selects (KP102's counts)
or, selecting none, which come closest (KP103). Pods of one template carry one labels
mapping (the decoder shares it), so a namespace of thousands of pods has a few hundred
label sets: a selector is matched and scored once per set, not once per pod. Built lazily,
one namespace at a time, by one analysis run (a snapshot does not change under it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import attrgetter
from typing import NamedTuple

from kpath.cluster.labels import carries
from kpath.cluster.records import Pod
from kpath.cluster.snapshot import Snapshot
from kpath.routing.closest import Candidate, term

_labels = attrgetter("labels")


class LabelSet(NamedTuple):
    labels: Mapping[str, str]
    pods: tuple[Pod, ...]  # in the namespace's order
    at: tuple[int, ...]  # each pod's place in the namespace (ties of a repeated name)


class Selected(NamedTuple):
    pods: int
    ready: int


def label_sets(pods: Sequence[Pod]) -> tuple[LabelSet, ...]:
    """The pods grouped by labels mapping, in order of first appearance. Grouped by identity
    (the pods keep each mapping alive for the index's life): pods labelled alike by a parser
    that does not share mappings form several sets, each answering the same."""
    at: dict[int, list[int]] = {}  # id of a mapping -> its pods' places
    for i, labels in enumerate(map(_labels, pods)):
        found = at.get(id(labels))
        if found is None:
            at[id(labels)] = [i]
        else:
            found.append(i)
    return tuple(
        LabelSet(pods[places[0]].labels, tuple(map(pods.__getitem__, places)), tuple(places))
        for places in at.values()
    )


def selected(sets: Sequence[LabelSet], selector: Mapping[str, str]) -> Selected:
    """How many pods the selector selects, and how many of them are ready."""
    pods = ready = 0
    items = selector.items()
    for s in sets:
        if carries(s.labels, items):
            pods += len(s.pods)
            ready += sum(1 for p in s.pods if p.ready)
    return Selected(pods, ready)


def closest_sets(sets: Sequence[LabelSet], selector: Mapping[str, str]) -> list[Candidate]:
    """The first rank of `closest.candidates` over the namespace's pods, each label set
    scored once: the pods of the closest sets (fewest letters, then fewest terms off),
    sorted by name."""
    wanted = tuple(selector.items())
    best: tuple[int, int] | None = None
    near: list[tuple[str, int, Candidate]] = []
    for s in sets:
        terms = [term(s.labels, k, v) for k, v in wanted]
        if all(t.pod_key is None for t in terms):
            continue
        cost = sum(t.cost for t in terms)
        differ = tuple(t for t in terms if t.cost)
        rank = (cost, len(differ))
        if best is None or rank < best:
            best, near = rank, []
        if rank == best:
            near.extend(
                (p.name, i, Candidate(p, cost, differ)) for p, i in zip(s.pods, s.at, strict=True)
            )
    near.sort(key=lambda n: n[:2])  # by name; a repeated name in the namespace's order
    return [c for _, _, c in near]


class PodIndex:
    """The label sets of each namespace of one snapshot, built when first asked."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._pods = snapshot.pods_by_namespace
        self._sets: dict[str, tuple[LabelSet, ...]] = {}

    def sets(self, namespace: str) -> tuple[LabelSet, ...]:
        found = self._sets.get(namespace)
        if found is None:
            found = self._sets[namespace] = label_sets(self._pods.get(namespace, ()))
        return found
