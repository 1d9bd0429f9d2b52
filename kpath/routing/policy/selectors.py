"""Label selectors over pods and namespaces, memoised per snapshot: a policy's selector is
matched against each pod or namespace once, however many connections ask."""

from __future__ import annotations

from collections.abc import Mapping

from kpath.cluster.labels import selects
from kpath.cluster.records import LabelSelector, ObjectKey, Pod

#: Set by the API server on every namespace (since 1.21), immutable: the usual way a policy
#: names one namespace.
NAME_LABEL = "kubernetes.io/metadata.name"


class SelectorCache:
    def __init__(
        self, namespace_labels: Mapping[str, Mapping[str, str]], synthesized: bool
    ) -> None:
        self._ns_labels = namespace_labels
        #: True when Namespace objects were not read, so namespace labels are only the name
        #: label kpath made up (namespaceSelectors on other labels cannot match).
        self.synthesized = synthesized
        self._pods: dict[tuple[LabelSelector, ObjectKey], bool] = {}
        self._namespaces: dict[tuple[LabelSelector, str], bool] = {}

    def namespace_labels(self, namespace: str) -> Mapping[str, str]:
        labels = self._ns_labels.get(namespace)
        return labels if labels is not None else {NAME_LABEL: namespace}

    def pod_selects(self, selector: LabelSelector, pod: Pod) -> bool:
        k = (selector, pod.key)
        hit = self._pods.get(k)
        if hit is None:
            hit = self._pods[k] = selects(selector, pod.labels)
        return hit

    def namespace_selects(self, selector: LabelSelector, namespace: str) -> bool:
        k = (selector, namespace)
        hit = self._namespaces.get(k)
        if hit is None:
            hit = self._namespaces[k] = selects(selector, self.namespace_labels(namespace))
        return hit


def namespace_labels(
    namespaces: Mapping[str, object], kinds_seen: frozenset[str]
) -> tuple[dict[str, Mapping[str, str]], bool]:
    """Labels by namespace name, and whether they were synthesised from names alone."""
    if "Namespace" not in kinds_seen:
        return {}, True
    return {name: getattr(ns, "labels", {}) or {} for name, ns in namespaces.items()}, False
