"""Label selectors over labels, the one spelling of each for kpath's records (the lab keeps
its own, so each checks the other):

- `carries`: every (key, value) pair is among the labels, as a Service's selector and a
  LabelSelector's matchLabels select;
- `selects`: a metav1.LabelSelector (matchLabels and matchExpressions);
- `SelectorIndex` and `LabelsIndex`: the same answers for many selectors against many label
  sets, matching only where a selector's `pivot` pair is carried.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Generic, TypeVar

from kpath.cluster.records import LabelSelector

T = TypeVar("T")


def carries(labels: Mapping[str, str], pairs: Iterable[tuple[str, str]]) -> bool:
    """Whether the labels hold every pair (no pairs: True). ``pairs``: a selector's
    ``items()``, or a LabelSelector's ``match_labels``."""
    return all(labels.get(k) == v for k, v in pairs)


def selects(selector: LabelSelector | None, labels: Mapping[str, str]) -> bool:
    """Whether a selector selects an object with these labels. An empty selector selects
    everything; None (a Selector source without a selector) selects nothing."""
    if selector is None or not carries(labels, selector.match_labels):
        return False
    for req in selector.match_expressions:
        op = req.operator
        if op == "In":
            ok = req.key in labels and labels[req.key] in req.values
        elif op == "NotIn":
            ok = req.key not in labels or labels[req.key] not in req.values
        elif op == "Exists":
            ok = req.key in labels
        elif op == "DoesNotExist":
            ok = req.key not in labels
        else:
            ok = False  # an operator the API server would have refused
        if not ok:
            return False
    return True


def pivot(selector: LabelSelector) -> tuple[str, str] | None:
    """A pair that all labels the selector selects carry: its first matchLabels pair, or
    the value of an ``In`` requirement of one value; None when it names no such pair."""
    if selector.match_labels:
        return selector.match_labels[0]
    for req in selector.match_expressions:
        if req.operator == "In" and len(req.values) == 1:
            return req.key, req.values[0]
    return None


class SelectorIndex(Generic[T]):
    """Items with selectors, for the question "which of them select these labels", in
    their order. Only items whose `pivot` pair the labels carry (and those without one)
    are matched: a namespace's policies mostly select one workload each by ``app``."""

    __slots__ = ("_always", "_by_key", "_items")

    def __init__(self, items: Iterable[tuple[LabelSelector, T]]) -> None:
        self._items = list(items)
        self._always: list[int] = []
        self._by_key: dict[str, dict[str, list[int]]] = {}
        for i, (selector, _) in enumerate(self._items):
            pair = pivot(selector)
            if pair is None:
                self._always.append(i)
            else:
                self._by_key.setdefault(pair[0], {}).setdefault(pair[1], []).append(i)

    def selecting(self, labels: Mapping[str, str]) -> list[T]:
        found = list(self._always)
        for key, values in self._by_key.items():
            value = labels.get(key)
            if value is not None:
                found.extend(values.get(value, ()))
        if len(found) > len(self._always):
            found.sort()  # in the items' order
        items = self._items
        return [items[i][1] for i in found if selects(items[i][0], labels)]


class LabelsIndex:
    """Label sets, for the question "does this selector select any of them": only the sets
    carrying the selector's `pivot` pair are matched (indexed by key on first use)."""

    __slots__ = ("_by_key", "sets")

    def __init__(self, sets: Sequence[Mapping[str, str]]) -> None:
        self.sets = tuple(sets)
        self._by_key: dict[str, dict[str, list[Mapping[str, str]]]] = {}

    def __bool__(self) -> bool:
        return bool(self.sets)

    def any_selected(self, selector: LabelSelector) -> bool:
        pair = pivot(selector)
        if pair is None:
            candidates: Iterable[Mapping[str, str]] = self.sets
        else:
            key, value = pair
            by_value = self._by_key.get(key)
            if by_value is None:
                by_value = self._by_key[key] = {}
                for labels in self.sets:
                    v = labels.get(key)
                    if v is not None:
                        by_value.setdefault(v, []).append(labels)
            candidates = by_value.get(value, ())
        return any(selects(selector, labels) for labels in candidates)
