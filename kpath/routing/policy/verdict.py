"""The records of a NetworkPolicy verdict: behind `kpath reach` (``kpath.reach/v1``) and
the policy verdict each path hop into a pod carries."""

from __future__ import annotations

from typing import NamedTuple

from kpath.cluster.records import ObjectKey


class Source(NamedTuple):
    """Where a connection comes from, as the destination pod sees it."""

    kind: str  # "pod", "node" (its InternalIP: hostNetwork pods, SNATed traffic), "ip"
    address: str | None  # the source address the destination sees
    pod: ObjectKey | None = None  # for kind "pod"
    node: str | None = None  # for kind "node", and the node a pod runs on

    def label(self) -> str:
        if self.kind == "pod" and self.pod is not None:
            return str(self.pod)
        if self.kind == "node" and self.node is not None:
            return f"node/{self.node}"
        return self.address or "?"


class RuleRef(NamedTuple):
    """A rule that decided: the policy, the direction and the rule's index in it."""

    policy: ObjectKey
    direction: str  # "ingress" or "egress"
    rule: int  # not `index`, which would hide tuple.index


class DirectionVerdict(NamedTuple):
    allowed: bool
    policies: tuple[ObjectKey, ...]  # the policies that select the pod for this direction
    allowed_by: tuple[RuleRef, ...]  # the rules that allow it (empty when denied or open)
    reason: str  # one line: "no policy selects shop/web for ingress", "denied: ..."


class Reach(NamedTuple):
    source: Source
    destination: ObjectKey
    port: int
    protocol: str
    egress: DirectionVerdict  # the source pod's (allowed, no policies, when not a pod)
    ingress: DirectionVerdict  # the destination pod's

    @property
    def allowed(self) -> bool:
        return self.egress.allowed and self.ingress.allowed
