"""The policies of one snapshot, indexed for many questions: by namespace, and which
policies select each pod for each direction (computed once per pod, then kept).

`policy_index(snapshot)` keeps one index per live snapshot, so every hop of every path asks
the same index; it is dropped with its snapshot."""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from kpath.cluster.labels import SelectorIndex
from kpath.cluster.netpol import NetworkPolicy
from kpath.cluster.records import ObjectKey, Pod
from kpath.routing.policy.peers import Address, node_addresses
from kpath.routing.policy.selectors import SelectorCache, namespace_labels
from kpath.routing.policy.verdict import DirectionVerdict

if TYPE_CHECKING:
    from kpath.routing.policy.evaluate import RulesAnswer, SourceFacts

INGRESS, EGRESS = "Ingress", "Egress"


class PolicyIndex:
    def __init__(self, snapshot: Any, policies: Iterable[NetworkPolicy]) -> None:
        self.snapshot = snapshot
        labels, synthesized = namespace_labels(
            getattr(snapshot, "namespaces", {}), getattr(snapshot, "kinds_seen", frozenset())
        )
        self.selectors = SelectorCache(labels, synthesized)
        by_ns: dict[str, list[NetworkPolicy]] = {}
        for p in sorted(policies, key=lambda p: (p.namespace, p.name)):
            by_ns.setdefault(p.namespace, []).append(p)
        self.by_namespace: dict[str, tuple[NetworkPolicy, ...]] = {
            ns: tuple(ps) for ns, ps in by_ns.items()
        }
        #: (id(labels), namespace, policy type) -> (the labels, the policies selecting them).
        self._selecting: dict[tuple[int, str, str], tuple[object, tuple[NetworkPolicy, ...]]] = {}
        # Which policies select a pod depends only on its namespace and on its labels at
        # the keys the namespace's selectors read: pods alike there share one answer
        # (thousands of pods, a few dozen such projections).
        self._by_labels: dict[tuple[object, ...], tuple[NetworkPolicy, ...]] = {}
        self._typed: dict[tuple[str, str], _Typed] = {}
        self._keys: dict[int, tuple[ObjectKey, ...]] = {}
        #: Words the evaluator says about the index's answers, made once each.
        self.texts: dict[tuple[str, int], str] = {}
        #: The evaluator's verdicts for a direction no policy judges, per reason and party.
        self.open_verdicts: dict[tuple[str, object], DirectionVerdict] = {}
        #: id(source) -> what the evaluator reads of that source object (which it holds, so
        #: the id names no other object while the index lives).
        self.sources: dict[int, SourceFacts] = {}
        #: id(selecting answer) -> what the evaluator keeps of its ingress rules: pods
        #: labelled alike ask their answer once for each of their sources.
        self.ingress_rules: dict[int, IngressRules] = {}
        self._node_addresses: dict[str, frozenset[Address]] = {}
        #: id(policy) -> whether an ingress rule of it names a port (the index holds them).
        self._names_ports: dict[int, bool] = {}

    @property
    def namespaces_synthesized(self) -> bool:
        return self.selectors.synthesized

    def selecting(self, pod: Pod, policy_type: str) -> tuple[NetworkPolicy, ...]:
        """The policies of the pod's namespace that select it and carry ``policy_type``:
        the pod is isolated for that direction when there is any."""
        labels = pod.labels
        # Pods labelled alike share one labels mapping (the parser interns them): asked by
        # its identity, a workload's replicas are answered once.
        k = (id(labels), pod.namespace, policy_type)
        held = self._selecting.get(k)
        if held is not None:
            return held[1]
        typed, keys, pivots = self._of_type(pod.namespace, policy_type)
        if not typed:
            hit: tuple[NetworkPolicy, ...] = ()
        else:
            lk = (pod.namespace, policy_type, *(labels.get(key) for key in keys))
            found = self._by_labels.get(lk)
            if found is None:
                found = self._by_labels[lk] = tuple(pivots.selecting(labels))
            hit = found
        self._selecting[k] = (labels, hit)  # the labels held: their id names no other
        return hit

    def keys(self, selecting: tuple[NetworkPolicy, ...]) -> tuple[ObjectKey, ...]:
        """The keys of a tuple `selecting` returned: one tuple per such answer, so verdicts
        share it (and what merges their policies can tell them alike by identity)."""
        hit = self._keys.get(id(selecting))  # `selecting`'s answers live in the index
        if hit is None:
            hit = self._keys[id(selecting)] = tuple(p.key for p in selecting)
        return hit

    def ingress_rules_of(self, selecting: tuple[NetworkPolicy, ...]) -> IngressRules:
        """What the evaluator keeps of the ingress rules of a `selecting` answer."""
        hit = self.ingress_rules.get(id(selecting))  # `selecting`'s answers live in the index
        if hit is None:
            named = self._names_ports
            for policy in selecting:  # most policies sit in many answers: each read once
                if named.get(id(policy)) is None:
                    named[id(policy)] = names_a_port(policy)
            hit = self.ingress_rules[id(selecting)] = IngressRules(
                self.keys(selecting), any(named[id(p)] for p in selecting), {}
            )
        return hit

    def node_addresses(self, name: str) -> frozenset[Address] | None:
        """The node's addresses, parsed once per node (an outside source asks at each of
        its destinations' nodes); None when the snapshot has no such node."""
        hit = self._node_addresses.get(name)
        if hit is None:
            node = self.snapshot.nodes.get(name)
            if node is None:
                return None
            hit = self._node_addresses[name] = node_addresses(node.addresses)
        return hit

    def _of_type(self, namespace: str, policy_type: str) -> _Typed:
        """The namespace's policies carrying ``policy_type`` (in the index's order), the
        label keys their pod selectors read (a selector's answer depends on no other), and
        the policies indexed by selector (a workload's pods are matched against the few
        policies that can select them)."""
        k = (namespace, policy_type)
        hit = self._typed.get(k)
        if hit is None:
            typed = tuple(
                p for p in self.by_namespace.get(namespace, ()) if policy_type in p.policy_types
            )
            keys = {key for p in typed for key, _ in p.pod_selector.match_labels}
            keys.update(r.key for p in typed for r in p.pod_selector.match_expressions)
            pivots = SelectorIndex((p.pod_selector, p) for p in typed)
            hit = self._typed[k] = (typed, tuple(sorted(keys)), pivots)
        return hit


class IngressRules(NamedTuple):
    """The ingress rules of one `selecting` answer, as the evaluator asks them."""

    keys: tuple[ObjectKey, ...]  # the policies' keys (`PolicyIndex.keys`)
    #: Whether a rule names a port: only then do the destination's container ports decide.
    names_ports: bool
    #: (id(source), the destination's container ports if `names_ports` else None, number,
    #: protocol) -> the rules' answer (the source is held by the index's `sources`).
    answers: dict[tuple[object, ...], RulesAnswer]


def names_a_port(policy: NetworkPolicy) -> bool:
    """Whether an ingress rule of the policy names a port by name (resolved on each
    destination pod)."""
    return any(isinstance(p.port, str) for rule in policy.ingress for p in rule.ports)


#: `PolicyIndex._of_type`'s answer.
_Typed = tuple[tuple[NetworkPolicy, ...], tuple[str, ...], SelectorIndex[NetworkPolicy]]


def snapshot_policies(snapshot: Any) -> tuple[NetworkPolicy, ...]:
    """The NetworkPolicies a snapshot carries (none when it was read without them)."""
    found = getattr(snapshot, "network_policies", ())
    if isinstance(found, Mapping):
        found = found.values()
    return tuple(found)


_INDEXES: dict[int, tuple[weakref.ref[Any], PolicyIndex]] = {}


def policy_index(snapshot: Any) -> PolicyIndex:
    """The index of this snapshot's policies, built on first use and kept with it."""
    sid = id(snapshot)
    kept = _INDEXES.get(sid)
    if kept is not None and kept[0]() is snapshot:
        return kept[1]
    index = PolicyIndex(snapshot, snapshot_policies(snapshot))
    _INDEXES[sid] = (weakref.ref(snapshot, _forget(sid)), index)
    return index


def _forget(sid: int, indexes: dict[int, Any] = _INDEXES) -> Any:
    """The ref's callback: drop the index with its snapshot (ids are reused). It holds the
    dict itself, which outlives the module's globals at interpreter exit."""

    def forget(ref: weakref.ref[Any]) -> None:
        kept = indexes.get(sid)
        if kept is not None and kept[0] is ref:
            del indexes[sid]

    return forget
