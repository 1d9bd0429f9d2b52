"""NetworkPolicy records and the e2e suite's cluster (namespaces x, y, z; pods a, b, c in
each, labelled ``pod: <name>``, serving 80 and 81 on TCP, UDP and SCTP under upstream's port
names ``serve-<port>-<proto>``), for the evaluator's tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kpath.cluster.netpol import IPBlock, NetworkPolicy, PolicyPeer, PolicyPort, PolicyRule
from kpath.cluster.records import LabelSelector, SelectorRequirement
from kpath.cluster.snapshot import Snapshot
from kpath.routing.policy.index import PolicyIndex
from tests import builders as b

NAMESPACES = ("x", "y", "z")
PODS = ("a", "b", "c")
NODES = ("n1", "n2")
NAME = "kubernetes.io/metadata.name"


def sel(
    labels: Mapping[str, str] | None = None, *exprs: tuple[str, str, Iterable[str]]
) -> LabelSelector:
    return LabelSelector(
        tuple(sorted((labels or {}).items())),
        tuple(SelectorRequirement(k, op, tuple(v)) for k, op, v in exprs),
    )


EMPTY = sel()


def peer(
    pods: LabelSelector | None = None,
    namespaces: LabelSelector | None = None,
    cidr: str | None = None,
    excepts: Iterable[str] = (),
) -> PolicyPeer:
    block = IPBlock(cidr, tuple(excepts)) if cidr is not None else None
    return PolicyPeer(pods, namespaces, block)


def port(
    number: int | str | None = None, protocol: str = "TCP", end: int | None = None
) -> PolicyPort:
    return PolicyPort(protocol, number, end)


def rule(*peers: PolicyPeer, ports: Iterable[PolicyPort] = ()) -> PolicyRule:
    return PolicyRule(tuple(peers), tuple(ports))


def policy(
    name: str,
    ns: str = "x",
    select: LabelSelector = EMPTY,
    ingress: Iterable[PolicyRule] | None = None,
    egress: Iterable[PolicyRule] | None = None,
    types: Iterable[str] | None = None,
) -> NetworkPolicy:
    """A policy as the API server stores it: ``ingress=[]`` isolates with no rule (deny);
    ``None`` leaves the direction out. policyTypes default as the API server's do."""
    if types is None:
        types = [
            t
            for t, given in (("Ingress", ingress is not None), ("Egress", egress is not None))
            if given
        ] or ["Ingress"]
    return NetworkPolicy(ns, name, select, tuple(types), tuple(ingress or ()), tuple(egress or ()))


def pod_ip(ns: str, name: str) -> str:
    return f"10.244.{NAMESPACES.index(ns) + 1}.{PODS.index(name) + 10}"


def node_of(ns: str, name: str) -> str:
    return NODES[(NAMESPACES.index(ns) + PODS.index(name)) % 2]


def serving_ports() -> list[dict[str, object]]:
    return [
        {"name": f"serve-{n}-{proto.lower()}", "containerPort": n, "protocol": proto}
        for n in (80, 81)
        for proto in ("TCP", "UDP", "SCTP")
    ]


def e2e_cluster(
    ns_labels: Mapping[str, Mapping[str, str]] | None = None,
    with_namespaces: bool = True,
    pod_labels: Mapping[str, Mapping[str, str]] | None = None,
) -> Snapshot:
    """``ns_labels`` adds namespace labels by name; ``pod_labels`` pod labels by "ns/pod"."""
    objects: list[dict[str, object]] = [
        b.node(n, ip=f"192.168.0.{i + 1}") for i, n in enumerate(NODES)
    ]
    for ns in NAMESPACES:
        if with_namespaces:
            labels = {NAME: ns, **(ns_labels or {}).get(ns, {})}
            objects.append({"kind": "Namespace", "metadata": {"name": ns, "labels": labels}})
        for p in PODS:
            labels = {"pod": p, **(pod_labels or {}).get(f"{ns}/{p}", {})}
            objects.append(
                b.pod(p, node_of(ns, p), pod_ip(ns, p), labels=labels, ns=ns, ports=serving_ports())
            )
    kinds = (*b.SLICE_KINDS, "Namespace") if with_namespaces else b.SLICE_KINDS
    return b.snapshot(*objects, kinds=kinds)


def index(*policies: NetworkPolicy, snapshot: Snapshot | None = None) -> PolicyIndex:
    return PolicyIndex(snapshot if snapshot is not None else e2e_cluster(), policies)
