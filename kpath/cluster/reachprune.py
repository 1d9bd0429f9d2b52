"""What `kpath reach` reads of a cluster: nodes, pods, namespaces and policies. The rest
(Services, slices, Ingresses, Gateways: most of a dump after pods) is dropped before the
snapshot is built, so a verdict costs little more than decoding the dump. Here, in the
cluster package, so that the dump snapshot cache (snapcache) notices when it changes.

When the snapshot is built for one question only (no snapshot is kept for later ones),
`prune_for_question` drops more: the pods other than the two ends, and the NetworkPolicies
of other namespaces. A policy selects pods of its own namespace only, and a verdict looks
at the source pod's egress policies and the destination pod's ingress ones, matched
against those two pods and the namespaces' labels: the rest cannot change it.

Both read the objects as held (`RawCluster.held`): a dump's Pods, Nodes and Namespaces
may be msgspec Structs, which the snapshot builder reads straight; reading ``objects``
would turn every one into a dict first."""

from __future__ import annotations

import sys
from typing import Any

from kpath.cluster.policykinds import OTHER_POLICY_RAW_KINDS
from kpath.cluster.raw import RawCluster

REACH_KINDS = frozenset({"Node", "Pod", "Namespace", "NetworkPolicy", *OTHER_POLICY_RAW_KINDS})


def prune_for_reach(raw: RawCluster) -> None:
    held = raw.held
    for kind in [k for k in held if k not in REACH_KINDS]:
        held.pop(kind, None)
        raw.sources.pop(kind, None)


def _meta(obj: Any) -> tuple[Any, Any, Any] | None:
    """(namespace, name, labels) of a dict or a typed dump's Struct, absent ones None;
    None when there is no metadata mapping."""
    if type(obj) is dict:
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            return None
        return meta.get("namespace"), meta.get("name"), meta.get("labels")
    meta = getattr(obj, "metadata", None)
    if meta is None:
        return None
    unset = sys.modules["msgspec"].UNSET  # a Struct: msgspec is loaded; absent is UNSET
    ns, name, labels = (getattr(meta, f, None) for f in ("namespace", "name", "labels"))
    return (
        None if ns is unset else ns,
        None if name is unset else name,
        None if labels is unset else labels,
    )


def _where(obj: Any) -> tuple[str, str] | None:
    """An object's namespace ("default" when unset, as the parser reads it) and name; None
    when they are not strings: a malformed object is kept, for the parser to name it."""
    meta = _meta(obj)
    if meta is None:
        return None
    ns, name, _ = meta
    if not (ns is None or isinstance(ns, str)) or not isinstance(name, str):
        return None
    return ns or "default", name


def _keep(raw: RawCluster, kind: str, wanted: Any) -> None:
    objects, sources = raw.held.get(kind), raw.sources.get(kind)
    if objects is None:
        return
    kept = [i for i, obj in enumerate(objects) if wanted(obj)]
    raw.held[kind] = [objects[i] for i in kept]
    if sources is not None and len(sources) == len(objects):
        raw.sources[kind] = [sources[i] for i in kept]


def prune_for_question(raw: RawCluster, source: str, destination: str) -> None:
    """`prune_for_reach`, then only what one question reads: the source and destination
    pods, and the NetworkPolicies of their namespaces that may select one of them. Whenever
    the answer (or the error, which names the pods that exist) could depend on more, more
    is kept: an IP source keeps every pod (a note names the pod owning the address), a pod
    that is not found keeps them all, and without Namespace objects every policy is kept
    (a note then depends on whether any policy selects namespaces)."""
    prune_for_reach(raw)
    pods = raw.held.get("Pod")
    if pods is None or "/" not in source:
        return  # an IP address (the notes look at every pod's address), or an error
    src, dst = _ref(source), _ref(destination)
    if src is None or dst is None:
        return  # malformed: the error is said as usual
    refs = {src, dst}
    # `node/NAME` is a node unless only a pod of that name exists: keep either.
    must = {dst} if source.startswith("node/") else refs
    found = {w for obj in pods if (w := _where(obj)) is not None and w in refs}
    if not must <= found:
        return  # a pod not found: the error lists those that exist
    # Malformed metadata is kept, for its parse error to be said as before.
    _keep(raw, "Pod", lambda obj: (w := _where(obj)) is None or w in refs)
    if "Namespace" not in raw.held:
        return
    labels: dict[str, list[Any]] = {}
    for obj in raw.held["Pod"]:
        w, meta = _where(obj), _meta(obj)
        if w is not None and meta is not None:
            labels.setdefault(w[0], []).append(meta[2])
    # A policy of an end's namespace whose podSelector's matchLabels plainly miss that
    # end selects neither pod: it cannot take part in the verdict.
    _keep(
        raw,
        "NetworkPolicy",
        lambda obj: (
            (w := _where(obj)) is None or any(_may_select(obj, pod) for pod in labels.get(w[0], ()))
        ),
    )


def _may_select(policy: Any, labels: Any) -> bool:
    """False only when the policy's ``spec.podSelector.matchLabels`` certainly do not
    match these pod labels (as the parser will read both); True whenever unsure."""
    if type(policy) is not dict:
        return True
    spec = policy.get("spec")
    sel = spec.get("podSelector") if isinstance(spec, dict) else None
    match = sel.get("matchLabels") if isinstance(sel, dict) else None
    if not isinstance(match, dict):
        return True
    if labels is None:
        labels = {}
    if not isinstance(labels, dict) or not all(
        type(k) is str and type(v) is str for k, v in labels.items()
    ):
        return True
    return all(
        type(k) is not str or type(v) is not str or labels.get(k) == v for k, v in match.items()
    )


def _ref(word: str) -> tuple[str, str] | None:
    ns, sep, name = word.partition("/")
    return (ns, name) if sep and ns and name and "/" not in name else None
