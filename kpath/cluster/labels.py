"""Label selectors over labels, the one spelling of each for kpath's records (the lab keeps
its own, so each checks the other):

- `carries`: every (key, value) pair is among the labels, as a Service's selector and a
  LabelSelector's matchLabels select;
- `selects`: a metav1.LabelSelector (matchLabels and matchExpressions).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kpath.cluster.records import LabelSelector


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
