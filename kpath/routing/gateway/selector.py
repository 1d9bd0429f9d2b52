"""Label selectors (metav1.LabelSelector) over labels: matchLabels and matchExpressions."""

from __future__ import annotations

from collections.abc import Mapping

from kpath.cluster.records import LabelSelector


def selects(selector: LabelSelector | None, labels: Mapping[str, str]) -> bool:
    """Whether a selector selects an object with these labels. An empty selector selects
    everything; None (a Selector source without a selector) selects nothing."""
    if selector is None:
        return False
    for k, v in selector.match_labels:
        if labels.get(k) != v:
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
