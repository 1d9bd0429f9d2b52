"""Whether NetworkPolicies let one connection through: the source's egress, then the
destination's ingress, exactly as the NetworkPolicy API defines them (and as Kubernetes'
e2e NetworkPolicy tests check). Pure: the snapshot in, a `Reach` out.

Where the API leaves the answer to the network plugin, kpath assumes what upstream's tests
expect (docs/networkpolicy.md): ipBlocks match pod IPs; a node (and a hostNetwork pod, whose
traffic is its node's) matches ipBlocks by its address and no pod or namespace selector;
hostNetwork pods are not isolated by policies; traffic from a pod's own node always enters.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from kpath.cluster.netpol import NetworkPolicy
from kpath.cluster.records import NodeAddress, ObjectKey, Pod
from kpath.routing.policy.index import EGRESS, INGRESS, PolicyIndex, policy_index
from kpath.routing.policy.peers import Address, Peer, address, peers_match
from kpath.routing.policy.ports import PROTOCOLS, named_port, ports_match
from kpath.routing.policy.verdict import DirectionVerdict, Reach, RuleRef, Source


class UnknownPort(ValueError):
    """A named port the destination pod does not declare."""

    def __init__(self, pod: Pod, name: str, protocol: str) -> None:
        self.pod, self.name, self.protocol = pod, name, protocol
        super().__init__(f"{pod.key} has no container port named {name!r} ({protocol})")


def reach(
    snapshot: Any, source: Source, destination: Pod, port: int | str, protocol: str = "TCP"
) -> Reach:
    """Whether ``source`` may open ``port``/``protocol`` on ``destination``. ``port`` may be
    a named container port of the destination; raises UnknownPort when it has none such."""
    return reach_in(policy_index(snapshot), source, destination, port, protocol)


def reach_in(
    index: PolicyIndex, source: Source, destination: Pod, port: int | str, protocol: str = "TCP"
) -> Reach:
    protocol = protocol.upper()
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol {protocol!r}: NetworkPolicy knows {', '.join(PROTOCOLS)}")
    number = port_number(destination, port, protocol)
    src_pod = index.snapshot.pod(source.pod) if source.kind == "pod" else None
    dst = destination.key  # one key for the verdict and its words (a property builds it)
    egress = _egress(index, source, src_pod, destination, number, protocol)
    ingress = _ingress(index, source, src_pod, destination, dst, number, protocol)
    return Reach(source, dst, number, protocol, egress, ingress)


def port_number(destination: Pod, port: int | str, protocol: str) -> int:
    if isinstance(port, int):
        return port
    if port.isdigit():
        return int(port)
    number = named_port(destination, port, protocol)
    if number is None:
        raise UnknownPort(destination, port, protocol)
    return number


def _target(destination: Pod, number: int, protocol: str) -> str:
    return f"{destination.key}:{number}/{protocol}"


def _egress(
    index: PolicyIndex,
    source: Source,
    src_pod: Pod | None,
    destination: Pod,
    number: int,
    protocol: str,
) -> DirectionVerdict:
    if src_pod is None:
        return _open(index, "not a pod", source)
    if src_pod.host_network:
        return _open(index, "host network", src_pod.key)
    selecting = index.selecting(src_pod, EGRESS)
    if not selecting:
        return _open(index, "no egress policy", src_pod.key)
    keys = index.keys(selecting)
    if destination.host_network and destination.node and destination.node == src_pod.node:
        return DirectionVerdict(True, keys, (), "traffic to the pod's own node is always allowed")
    peer = Peer(None if destination.host_network else destination, address(destination.ip))
    rules = _allowing(index, selecting, "egress", peer, destination, number, protocol)
    if rules:
        return DirectionVerdict(True, keys, rules, f"allowed by {_rules_text(rules)}")
    return DirectionVerdict(
        False,
        keys,
        (),
        _denied(index, src_pod.key, "egress", selecting, _target(destination, number, protocol)),
    )


def _ingress(
    index: PolicyIndex,
    source: Source,
    src_pod: Pod | None,
    destination: Pod,
    dst: ObjectKey,
    number: int,
    protocol: str,
) -> DirectionVerdict:
    if destination.host_network:
        return _open(index, "host network", dst)
    selecting = index.selecting(destination, INGRESS)
    if not selecting:
        return _open(index, "no ingress policy", dst)
    keys = index.keys(selecting)
    src_address = source.address or _implied_address(index, source, src_pod)
    if src_pod is not None and src_pod.host_network:
        peer = Peer(None, address(src_pod.ip or src_address))  # its node's traffic
    else:
        peer = Peer(src_pod, address(src_address))
    if _from_own_node(index, source, src_pod, destination, peer):
        return DirectionVerdict(True, keys, (), f"from {dst}'s own node: always allowed")
    rules = _allowing(index, selecting, "ingress", peer, destination, number, protocol)
    if rules:
        return DirectionVerdict(True, keys, rules, f"allowed by {_rules_text(rules)}")
    what = f"{source.label()} to {number}/{protocol}"
    return DirectionVerdict(False, keys, (), _denied(index, dst, "ingress", selecting, what))


def _open(index: PolicyIndex, why: str, who: Source | ObjectKey) -> DirectionVerdict:
    """A direction no policy judges, with its reason: one verdict per (reason, source or
    pod), kept in the index (a proxy pod is the source of every hop behind it)."""
    key = (why, who)
    hit = index.open_verdicts.get(key)
    if hit is None:
        if why == "not a pod":
            assert isinstance(who, Source)
            reason = f"{who.label()} is not a pod of the cluster: no egress policy applies"
        elif why == "host network":
            reason = f"{who} uses the host network: policies do not isolate it (assumed)"
        else:
            direction = "egress" if why == "no egress policy" else "ingress"
            reason = f"no policy selects {who} for {direction}"
        hit = index.open_verdicts[key] = DirectionVerdict(True, (), (), reason)
    return hit


def _implied_address(index: PolicyIndex, source: Source, src_pod: Pod | None) -> str | None:
    if src_pod is not None:
        return src_pod.ip
    if source.kind == "node" and source.node is not None:
        node = index.snapshot.nodes.get(source.node)
        return node.ip if node is not None else None
    return None


def _from_own_node(
    index: PolicyIndex, source: Source, src_pod: Pod | None, destination: Pod, peer: Peer
) -> bool:
    """The API: traffic from the node a pod runs on is always allowed into it."""
    if destination.node is None:
        return False
    if source.kind == "node" and source.node is not None:
        return source.node == destination.node
    if src_pod is not None:
        # A hostNetwork pod speaks with its node's address; any other pod is not its node.
        return src_pod.host_network and src_pod.node == destination.node
    node = index.snapshot.nodes.get(destination.node)
    if node is None or peer.address is None:
        return False
    return peer.address in node_addresses(node.addresses)


@lru_cache(maxsize=65536)
def node_addresses(addresses: tuple[NodeAddress, ...]) -> frozenset[Address]:
    """A node's addresses, parsed once per node (an outside source asks at each of its
    destinations' nodes); the texts that are no address are left out."""
    return frozenset(a for a in map(address, (x.address for x in addresses)) if a is not None)


def _allowing(
    index: PolicyIndex,
    selecting: tuple[NetworkPolicy, ...],
    direction: str,
    peer: Peer,
    destination: Pod,
    number: int,
    protocol: str,
) -> tuple[RuleRef, ...]:
    found: list[RuleRef] = []
    for policy in selecting:
        rules = policy.egress if direction == "egress" else policy.ingress
        for i, rule in enumerate(rules):
            if ports_match(rule.ports, destination, number, protocol) and peers_match(
                rule.peers, policy.namespace, peer, index.selectors
            ):
                found.append(RuleRef(policy.key, direction, i))
    return tuple(found)


def rule_text(ref: RuleRef) -> str:
    """``ns/name spec.ingress[0]``: where the rule is in the policy's YAML."""
    return f"{ref.policy} spec.{ref.direction}[{ref.rule}]"


def _rules_text(rules: tuple[RuleRef, ...]) -> str:
    shown = ", ".join(rule_text(r) for r in rules[:3])
    return shown + (f" and {len(rules) - 3} more" if len(rules) > 3 else "")


def _denied(
    index: PolicyIndex,
    pod: ObjectKey,
    direction: str,
    selecting: tuple[NetworkPolicy, ...],
    what: str,
) -> str:
    said = _selecting_text(index, selecting)
    return f"denied: {said} {pod} for {direction} and no rule allows {what}"


def _selecting_text(index: PolicyIndex, selecting: tuple[NetworkPolicy, ...]) -> str:
    """``policies a, b and 3 more select`` (once per `selecting` answer of the index)."""
    key = ("selecting", id(selecting))  # the index keeps its answers: ids are stable
    hit = index.texts.get(key)
    if hit is None:
        names = ", ".join(str(p.key) for p in selecting[:3])
        if len(selecting) > 3:
            names += f" and {len(selecting) - 3} more"
        noun = "policy" if len(selecting) == 1 else "policies"
        hit = index.texts[key] = f"{noun} {names} select{'s' if len(selecting) == 1 else ''}"
    return hit
