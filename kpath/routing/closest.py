"""Which pods a selector that matches none comes closest to (KP103). Pure.

A selector one letter off (``app=review`` for ``reviews-*`` pods) is the common mistake, so
pods are ranked by how many letters their labels are from the selector: the edit distance
of each value, and of each key when the pod carries a near one instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache
from typing import NamedTuple

from kpath.cluster.records import Pod

#: Differences up to this many letters are named as such ("one letter off"); past it the
#: label is simply not the one wanted.
FEW_LETTERS = 3
_WORDS = ("no", "one", "two", "three")


class Term(NamedTuple):
    """How one selector term ``key=value`` stands on one pod."""

    key: str
    value: str
    pod_key: str | None  # the pod's label key compared (the same, a near one, or None)
    pod_value: str | None
    cost: int  # letters to change (a missing label costs its whole text and one more)

    def describe(self) -> str:
        if self.pod_key is None or self.pod_value is None:
            return f"{self.key} missing"
        shown = f"{self.pod_key}={self.pod_value}"
        if self.cost <= FEW_LETTERS:
            return f"{shown}, {letters(self.cost)} off"
        if self.pod_key != self.key:
            return f"{shown!r} (wants {self.key}={self.value!r})"
        return f"{self.key}={self.pod_value!r} (wants {self.value!r})"


class Candidate(NamedTuple):
    pod: Pod
    cost: int
    differ: tuple[Term, ...]  # the terms the pod does not meet


def letters(n: int) -> str:
    word = _WORDS[n] if n < len(_WORDS) else str(n)
    return f"{word} letter{'s' if n != 1 else ''}"


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions of one letter
    (rapidfuzz's, in C++: a selector is compared with every pod's labels in its namespace)."""
    return int(_levenshtein()(a, b))


@cache
def _levenshtein() -> Callable[[str, str], int]:
    # Imported on first use: only a selector that matches nothing asks, and rapidfuzz's
    # import is a tenth of `kpath paths`' start-up. (Cached: an import statement run for
    # every label compared was a tenth of the comparisons' time.)
    from rapidfuzz.distance import Levenshtein

    distance: Callable[[str, str], int] = Levenshtein.distance
    return distance


def term(labels: Mapping[str, str], key: str, value: str) -> Term:
    if key in labels:
        return Term(key, value, key, labels[key], edit_distance(value, labels[key]))
    # A near key (``apps`` for ``app``) counts its own letters too.
    near = [(edit_distance(key, k), k) for k in labels]
    near = [(d, k) for d, k in near if d <= max(1, len(key) // 3)]
    if near:
        d, k = min(near)
        return Term(key, value, k, labels[k], d + edit_distance(value, labels[k]))
    return Term(key, value, None, None, len(key) + len(value) + 1)


def _scored(pods: Iterable[Pod], selector: Mapping[str, str]) -> Iterator[Candidate]:
    """Every pod carrying one of the selector's keys (or a near one), unranked. Pods of one
    template carry the same labels (one mapping, as the decoder shares it): each is compared
    once. (The pods keep their labels alive, so an id stands for one mapping here.)"""
    wanted = tuple(selector.items())
    seen: dict[int, tuple[int, tuple[Term, ...]] | None] = {}
    for p in pods:
        labels = p.labels
        same = id(labels)  # the decoder shares one mapping between pods labelled alike
        if same in seen:
            scored = seen[same]
        else:
            terms = [term(labels, k, v) for k, v in wanted]
            scored = seen[same] = (
                None
                if all(t.pod_key is None for t in terms)
                else (sum(t.cost for t in terms), tuple(t for t in terms if t.cost))
            )
        if scored is not None:
            yield Candidate(p, scored[0], scored[1])


def candidates(pods: Iterable[Pod], selector: Mapping[str, str]) -> list[Candidate]:
    """Pods carrying at least one of the selector's keys (or a near one), nearest first;
    ties by fewer differing terms, then by name."""
    out = list(_scored(pods, selector))
    out.sort(key=lambda c: (c.cost, len(c.differ), c.pod.name))
    return out
