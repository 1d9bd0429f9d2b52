"""Whether NetworkPolicies let one connection through: the source's egress, then the
destination's ingress, exactly as the NetworkPolicy API defines them (and as Kubernetes'
e2e NetworkPolicy tests check). Pure: the snapshot in, a `Reach` out.

Where the API leaves the answer to the network plugin, kpath assumes what upstream's tests
expect (docs/networkpolicy.md): ipBlocks match pod IPs; a node (and a hostNetwork pod, whose
traffic is its node's) matches ipBlocks by its address and no pod or namespace selector;
hostNetwork pods are not isolated by policies; traffic from a pod's own node always enters.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from kpath.cluster.netpol import NetworkPolicy
from kpath.cluster.records import ObjectKey, Pod
from kpath.routing.policy.index import EGRESS, INGRESS, IngressRules, PolicyIndex, policy_index
from kpath.routing.policy.peers import Peer, address, peers_match
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
    shared = alike(index, source, destination, port, protocol)
    if shared is not None:
        return shared.made(index, source, destination.key, protocol)
    return judged(index, source, destination, port, protocol)


def judged(
    index: PolicyIndex, source: Source, destination: Pod, port: int | str, protocol: str
) -> Reach:
    """The verdict read rule by rule, as the API defines it (``protocol`` upper case)."""
    facts = source_facts(index, source)
    number = port_number(destination, port, protocol)
    dst = destination.key  # one key for the verdict and its words (a property builds it)
    egress = facts.egress
    if egress is None:  # the source's egress policies judge it: the destination decides
        assert facts.pod is not None  # a source that is no pod is open
        egress = _egress(index, facts.pod, destination, number, protocol)
    ingress = _ingress(index, facts, destination, dst, number, protocol)
    return Reach(source, dst, number, protocol, egress, ingress)


class Alike(NamedTuple):
    """A verdict pods alike share (`alike`): all of it but the words naming the pod."""

    number: int  # the port's number
    egress: DirectionVerdict  # the source's, which reads nothing of the destination
    #: The ingress rules' answer; None: no policy selects such pods for ingress.
    answer: RulesAnswer | None
    keys: tuple[ObjectKey, ...]  # the selecting policies' keys
    labels: object  # the pods' labels, held: the cache key's id names no other object

    def made(self, index: PolicyIndex, source: Source, dst: ObjectKey, protocol: str) -> Reach:
        """The verdict toward the pod ``dst`` (one of the alike), as `judged` says it."""
        answer = self.answer
        if answer is None:
            ingress = _open(index, "no ingress policy", dst)
        elif answer.allowed is not None:
            ingress = answer.allowed
        else:  # (the key's text spelled out: no call of its __str__ per pod)
            said = f"{answer.before}{dst.namespace}/{dst.name}{answer.after}"
            ingress = DirectionVerdict(False, self.keys, (), said)
        return Reach(source, dst, self.number, protocol, self.egress, ingress)


def alike(
    index: PolicyIndex, source: Source, destination: Pod, port: int | str, protocol: str
) -> Alike | None:
    """The verdict ``destination`` shares with pods alike, when the source's egress reads
    nothing of it (no egress policy judges the source) and it neither uses the host network
    nor is on the source's node; else None (`judged` reads it). Then the rules read of the
    pod only its namespace and labels (which policies select it) and its container ports
    (named ports): a workload's replicas share one answer per source, port and protocol
    (``protocol`` upper case). Raises UnknownPort as `reach` does."""
    facts = source_facts(index, source)
    egress = facts.egress
    if egress is None or destination.host_network:
        return None
    node = destination.node
    if node is not None and _own_node(index, facts, node):
        return None
    labels = destination.labels
    k = (destination.namespace, id(labels), destination.ports, port, protocol)
    hit = facts.alike.get(k)
    if hit is None:
        number = port_number(destination, port, protocol)
        selecting = index.selecting(destination, INGRESS)
        if selecting:
            rules = index.ingress_rules_of(selecting)
            said = _rules_answer(index, selecting, rules, facts, destination, number, protocol)
            hit = Alike(number, egress, said, rules.keys, labels)
        else:
            hit = Alike(number, egress, None, (), labels)
        facts.alike[k] = hit
    return hit


class SourceFacts:
    """What the evaluator reads of one source object, read once: its pod, the peer its
    destinations' ingress rules see, its label, its egress verdict when it alone decides
    it, whether it comes from each destination node asked so far, and its verdicts for
    classes of pods alike (`alike`)."""

    __slots__ = ("alike", "egress", "label", "own", "peer", "pod", "source")

    def __init__(self, index: PolicyIndex, source: Source) -> None:
        self.source = source  # held: the index's id(source) keys name no other object
        pod = index.snapshot.pod(source.pod) if source.kind == "pod" else None
        self.pod = pod
        src_address = source.address or _implied_address(index, source, pod)
        if pod is not None and pod.host_network:
            self.peer = Peer(None, address(pod.ip or src_address))  # its node's traffic
        else:
            self.peer = Peer(pod, address(src_address))
        self.label = source.label()
        self.egress = _source_egress(index, source, pod)
        self.own: dict[str, bool] = {}
        self.alike: dict[tuple[object, ...], Alike] = {}


def source_facts(index: PolicyIndex, source: Source) -> SourceFacts:
    hit = index.sources.get(id(source))
    if hit is None:
        hit = index.sources[id(source)] = SourceFacts(index, source)
    return hit


class RulesAnswer(NamedTuple):
    """What the rules of one `selecting` answer say to one source, port and protocol:
    the whole verdict when they allow (it names no destination), else the words of the
    denial on either side of the destination's key."""

    allowed: DirectionVerdict | None
    before: str
    after: str


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
    index: PolicyIndex, src_pod: Pod, destination: Pod, number: int, protocol: str
) -> DirectionVerdict:
    """The egress verdict of a source pod some policy selects for egress."""
    selecting = index.selecting(src_pod, EGRESS)
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


def _source_egress(
    index: PolicyIndex, source: Source, src_pod: Pod | None
) -> DirectionVerdict | None:
    """The egress verdict when the source alone decides it (no policy can judge it)."""
    if src_pod is None:
        return _open(index, "not a pod", source)
    if src_pod.host_network:
        return _open(index, "host network", src_pod.key)
    if not index.selecting(src_pod, EGRESS):
        return _open(index, "no egress policy", src_pod.key)
    return None


def _ingress(
    index: PolicyIndex,
    facts: SourceFacts,
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
    rules = index.ingress_rules_of(selecting)
    node = destination.node
    if node is not None and _own_node(index, facts, node):
        return DirectionVerdict(True, rules.keys, (), f"from {dst}'s own node: always allowed")
    hit = _rules_answer(index, selecting, rules, facts, destination, number, protocol)
    if hit.allowed is not None:
        return hit.allowed
    return DirectionVerdict(False, rules.keys, (), f"{hit.before}{dst}{hit.after}")


def _own_node(index: PolicyIndex, facts: SourceFacts, node: str) -> bool:
    """Whether the source comes from ``node`` (once per source and node)."""
    own = facts.own.get(node)
    if own is None:
        own = facts.own[node] = _from_own_node(index, facts.source, facts.pod, node, facts.peer)
    return own


def _rules_answer(
    index: PolicyIndex,
    selecting: tuple[NetworkPolicy, ...],
    rules: IngressRules,
    facts: SourceFacts,
    destination: Pod,
    number: int,
    protocol: str,
) -> RulesAnswer:
    """The ingress rules' answer. They read of the destination only its container ports,
    and those only when one names a port: pods labelled alike share it."""
    k = (id(facts.source), destination.ports if rules.names_ports else None, number, protocol)
    hit = rules.answers.get(k)
    if hit is None:
        hit = rules.answers[k] = _answer(index, selecting, facts, destination, number, protocol)
    return hit


def _answer(
    index: PolicyIndex,
    selecting: tuple[NetworkPolicy, ...],
    facts: SourceFacts,
    destination: Pod,
    number: int,
    protocol: str,
) -> RulesAnswer:
    rules = _allowing(index, selecting, "ingress", facts.peer, destination, number, protocol)
    if rules:
        keys = index.keys(selecting)
        allowed = DirectionVerdict(True, keys, rules, f"allowed by {_rules_text(rules)}")
        return RulesAnswer(allowed, "", "")
    what = f"{facts.label} to {number}/{protocol}"
    before = f"denied: {_selecting_text(index, selecting)} "
    return RulesAnswer(None, before, f" for ingress and no rule allows {what}")


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
    index: PolicyIndex, source: Source, src_pod: Pod | None, node: str, peer: Peer
) -> bool:
    """The API: traffic from the node a pod runs on (``node``) is always allowed into it."""
    if source.kind == "node" and source.node is not None:
        return source.node == node
    if src_pod is not None:
        # A hostNetwork pod speaks with its node's address; any other pod is not its node.
        return src_pod.host_network and src_pod.node == node
    addresses = index.node_addresses(node)
    if addresses is None or peer.address is None:
        return False
    return peer.address in addresses


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
