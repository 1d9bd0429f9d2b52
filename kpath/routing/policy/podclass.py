"""Source classes of pods: pods every NetworkPolicy judges alike as a connection's source.
Pure.

An ingress controller's (or a gateway's) replicas send to every backend pod behind it:
judging each replica on its own repeats the same evaluation. As a source, a pod that is not
hostNetwork is read by the evaluator only through its namespace (its namespace's egress
policies, namespaceSelectors), its labels (podSelectors) and its address (ipBlocks); its node
matters only toward a hostNetwork destination (egress to one's own node), which callers
judge pod by pod. So two such pods with the same namespace, the same labels at every key
some podSelector reads, and addresses inside the same ipBlocks get the same verdict (allowed
or not, by the same policies and rules) to any destination that is not hostNetwork.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kpath.cluster.netpol import NetworkPolicy
from kpath.cluster.records import LabelSelector
from kpath.cluster.snapshot import Snapshot
from kpath.routing.policy.peers import Network, address, block
from kpath.routing.policy.verdict import Source


def selector_keys(policies: Iterable[NetworkPolicy]) -> tuple[str, ...]:
    """Every label key a pod selector of the policies reads (their own and their peers'):
    a selector's answer depends on a pod's labels at these keys only."""
    keys: set[str] = set()

    def add(sel: LabelSelector | None) -> None:
        if sel is not None:
            keys.update(k for k, _ in sel.match_labels)
            keys.update(r.key for r in sel.match_expressions)

    for pol in policies:
        add(pol.pod_selector)
        for rule in (*pol.ingress, *pol.egress):
            for peer in rule.peers:
                add(peer.pod_selector)
    return tuple(sorted(keys))


def block_nets(policies: Iterable[NetworkPolicy]) -> tuple[Network, ...]:
    """Every network of the policies' ipBlocks (CIDRs and excepts), each once, parsed as
    the evaluator parses them: an address's verdicts depend only on which of them hold it."""
    seen: dict[Network, None] = {}
    for pol in policies:
        for rule in (*pol.ingress, *pol.egress):
            for peer in rule.peers:
                if peer.ip_block is not None:
                    b = block(peer.ip_block)
                    for net in (b.cidr, *b.excepts):
                        if net is not None:
                            seen[net] = None
    return tuple(seen)


class PodClasses:
    """The class key of each pod source: equal keys, equal verdicts (toward a destination
    that is not hostNetwork). A source the rule does not cover (not a pod, a pod not in the
    snapshot, a hostNetwork pod) is a class of its own."""

    def __init__(self, snapshot: Snapshot, policies: Sequence[NetworkPolicy]) -> None:
        self.snapshot = snapshot
        self.keys = selector_keys(policies)
        self.nets = block_nets(policies)
        self._sigs: dict[str | None, tuple[int, ...]] = {}

    def _signature(self, text: str | None) -> tuple[int, ...]:
        """The ipBlock CIDRs (and excepts) holding an address: ipBlocks read no more of it."""
        hit = self._sigs.get(text)
        if hit is None:
            addr = address(text)
            hit = self._sigs[text] = (
                (-1,)  # no address: matches no ipBlock, told apart from one that matches none
                if addr is None
                else tuple(
                    i
                    for i, net in enumerate(self.nets)
                    if addr.version == net.version and addr in net
                )
            )
        return hit

    def of(self, src: Source) -> tuple[object, ...]:
        """The key ``src``'s verdicts may be shared by."""
        own = ("pod", src.pod) if src.kind == "pod" else (src.kind, src.address)
        if src.kind != "pod" or src.pod is None:
            return own
        pod = self.snapshot.pod(src.pod)
        if pod is None or pod.host_network:
            return own
        labels = pod.labels
        return (
            "class",
            pod.namespace,
            tuple(labels.get(k) for k in self.keys),
            self._signature(src.address or pod.ip),
        )
