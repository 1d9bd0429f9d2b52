"""`kpath reach`'s arguments against the snapshot: SOURCE, DEST and PORT as records, or one
InputError naming what exists (the nearest names first). Also the notes a verdict carries
when the snapshot cannot fully answer (what was not read, what kpath assumed)."""

from __future__ import annotations

import ipaddress
from typing import NamedTuple

from kpath.cluster.records import ObjectKey, Pod
from kpath.cluster.snapshot import Snapshot
from kpath.errors import InputError
from kpath.routing.policy.evaluate import UnknownPort, port_number
from kpath.routing.policy.index import policy_index
from kpath.routing.policy.verdict import Source
from kpath.safetext import clean


class ReachQuestion(NamedTuple):
    source: Source
    destination: Pod
    port: int
    protocol: str


def _nearest(word: str, names: list[str], what: str, limit: int = 8) -> str:
    import difflib  # only for an error: not on every verdict's import path

    close = difflib.get_close_matches(word, names, n=3)
    if close:
        return f"did you mean {', '.join(map(clean, close))}?"
    if not names:
        return f"the cluster has no {what}"
    shown = ", ".join(clean(n) for n in names[:limit])
    return f"{what}: {shown}{' …' if len(names) > limit else ''}"


def find_pod(snapshot: Snapshot, ref: str, role: str) -> Pod:
    namespace, sep, name = ref.partition("/")
    if not sep or not namespace or not name or "/" in name:
        raise InputError(f"{role} {clean(ref)}: give it as NAMESPACE/POD")
    pod = snapshot.pods.get(ObjectKey(namespace, name))
    if pod is None:
        same = sorted(str(p.key) for p in snapshot.pods_by_namespace.get(namespace, ()))
        names = same or sorted(str(k) for k in snapshot.pods)
        raise InputError(f"{role} {clean(ref)}: no such pod; {_nearest(ref, names, 'pods')}")
    return pod


def parse_source(snapshot: Snapshot, ref: str) -> Source:
    """``NAMESPACE/POD``, ``node/NAME`` (its InternalIP) or an IP address."""
    try:
        addr = ipaddress.ip_address(ref)
    except ValueError:
        addr = None
    if addr is not None:
        return Source("ip", str(addr))
    kind, sep, name = ref.partition("/")
    if (
        kind == "node"
        and sep
        and (name in snapshot.nodes or ObjectKey("node", name) not in snapshot.pods)
    ):
        node = snapshot.nodes.get(name)
        if node is None:
            raise InputError(
                f"source {clean(ref)}: no such node; "
                f"{_nearest(name, sorted(snapshot.nodes), 'nodes')}"
            )
        return Source("node", node.address_of("InternalIP", "ExternalIP"), None, node.name)
    if not sep:
        raise InputError(f"source {clean(ref)}: give NAMESPACE/POD, node/NAME or an IP address")
    pod = find_pod(snapshot, ref, "source")
    return Source("pod", pod.ip, pod.key, pod.node)


def question(
    snapshot: Snapshot, source: str, destination: str, port: str, protocol: str
) -> ReachQuestion:
    src = parse_source(snapshot, source)
    dst = find_pod(snapshot, destination, "destination")
    word = port.strip()
    if word.isdigit():
        number = int(word)
        if not 1 <= number <= 65535:
            raise InputError(f"--port {clean(port)}: a port is 1 to 65535")
        return ReachQuestion(src, dst, number, protocol)
    try:
        number = port_number(dst, word, protocol)
    except UnknownPort:
        import difflib

        named = [p for p in dst.ports if p.name]
        close = difflib.get_close_matches(word, [p.name or "" for p in named], n=3)
        hint = f"did you mean {', '.join(map(clean, close))}? " if close else ""
        have = ", ".join(f"{clean(p.name)} ({p.port}/{p.protocol})" for p in named[:8])
        have += " …" if len(named) > 8 else ""
        raise InputError(
            f"--port {clean(port)}: {clean(dst.key)} has no {protocol} "
            f"container port of that name; {hint}"
            + (f"its named ports: {have}" if named else "it names none: give a number")
        ) from None
    return ReachQuestion(src, dst, number, protocol)


def _selects_namespaces(snapshot: Snapshot) -> bool:
    return any(
        peer.namespace_selector is not None
        for p in snapshot.network_policies
        for rule in (*p.ingress, *p.egress)
        for peer in rule.peers
    )


def notes(snapshot: Snapshot, q: ReachQuestion) -> list[str]:
    """What a reader of the verdict should know: inputs kpath did not have, and the
    assumptions it made where the API leaves the answer to the network plugin."""
    out: list[str] = []
    if "NetworkPolicy" not in snapshot.kinds_seen:
        out.append("no NetworkPolicies were read: the verdict assumes there are none")
    if _selects_namespaces(snapshot) and policy_index(snapshot).namespaces_synthesized:
        out.append(
            "Namespace objects were not read: namespace labels are only "
            "kubernetes.io/metadata.name, made from each name"
        )
    if snapshot.other_policies:
        kinds = sorted({p.kind for p in snapshot.other_policies})
        out.append(
            f"{len(snapshot.other_policies)} policies of kinds kpath does not evaluate "
            f"({', '.join(map(clean, kinds))}) may change the answer"
        )
    if q.source.kind == "ip":
        owner = next(
            (p for p in snapshot.pods.values() if p.ip == q.source.address and not p.host_network),
            None,
        )
        if owner is not None:
            out.append(
                f"{q.source.address} is the address of pod {clean(owner.key)}: name "
                "the pod"
                " to evaluate its egress and the selectors that match it"
            )
    src_pod = snapshot.pod(q.source.pod)
    for pod in (src_pod, q.destination):
        if pod is not None and pod.host_network:
            out.append(
                f"{clean(pod.key)} uses the host network: kpath assumes policies do "
                "not isolate it, and that it speaks with its node's address"
            )
    if q.source.address is None:
        out.append(f"{clean(q.source.label())} has no address: no ipBlock can match it")
    if q.destination.ip is None:
        out.append(f"{clean(q.destination.key)} has no pod IP yet")
    return out
