"""The source address a pod sees at each hop of a path: what its NetworkPolicies judge. Pure.

- ``externalTrafficPolicy: Local``, and load balancers that send straight to pod IPs, keep
  the outside client's address;
- ``Cluster`` policy SNATs to the entry node's InternalIP: each node of a group is a source
  of its own. Nodes whose addresses fall in the same ipBlocks get the same verdict, so a
  group is split into such classes (`node_classes`) and one node stands for each;
- the second hop of an Ingress path comes from the ingress controller's pods, of a Gateway
  path from the gateway's proxy pods (the endpoints of `GatewayHop.infra`); a hostNetwork
  proxy pod speaks with its node's address;
- ClusterIP and headless paths start inside the cluster at a pod kpath cannot name: they
  are not evaluated (`kpath reach` answers for a given source pod).

An outside instance-mode or IP-mode Ingress controller (a cloud load balancer) is taken to
keep the client's address too: kpath does not know the balancer's own addresses.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from kpath.cluster.netpol import NetworkPolicy
from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import Snapshot
from kpath.routing.kubeproxy import Target
from kpath.routing.nodegroups import NodeGroup
from kpath.routing.paths import EntryKind, Path
from kpath.routing.policy.peers import held_by, net_bits
from kpath.routing.policy.verdict import Source

#: Where the default outside client comes from, in order: documentation ranges (RFC 5737),
#: TEST-NET-3 first. The first address no ipBlock of any policy covers is used.
CLIENT_RANGES = ("203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24")

_Net = ipaddress.IPv4Network | ipaddress.IPv6Network


class Client(NamedTuple):
    """The outside client every external hop is judged from."""

    address: str
    note: str  # how it was chosen: "--client", "outside every ipBlock", ...


class HopSource(NamedTuple):
    """Who sends at one hop, as the destination pods see it."""

    kind: str  # "client", "node" (SNAT to the entry node), "pods" (proxy pods), "none"
    sources: tuple[Source, ...]  # "client": one; "pods": each proxy pod; "node": see classes
    note: str  # one line: why this source ("externalTrafficPolicy: Local keeps the client's …")
    #: kind "node": the entry nodes in classes that share a verdict (`node_classes`).
    classes: tuple[NodeClass, ...] = ()


class NodeClass(NamedTuple):
    """Nodes of one group whose addresses every ipBlock treats alike."""

    signature: int  # index of the ipBlock signature (equal: same verdict from any of them)
    nodes: Sequence[str]  # a tuple, or the group's own `Members` when it is one class
    sources: tuple[Source, ...]  # a few nodes' sources, same order (address: InternalIP)


def _net(cidr: str) -> _Net | None:
    try:
        return ipaddress.ip_network(cidr, strict=False)  # older servers kept host bits
    except ValueError:
        return None


def policy_nets(policies: Iterable[NetworkPolicy]) -> tuple[_Net, ...]:
    """Every CIDR (and except) the policies' ipBlocks name, each once, in order."""
    seen: dict[str, _Net] = {}
    for pol in policies:
        for rule in (*pol.ingress, *pol.egress):
            for peer in rule.peers:
                block = peer.ip_block
                if block is None:
                    continue
                for cidr in (block.cidr, *block.excepts):
                    if cidr not in seen and (net := _net(cidr)) is not None:
                        seen[cidr] = net
    return tuple(seen.values())


def default_client(policies: Iterable[NetworkPolicy], given: str | None = None) -> Client:
    """``--client`` when given, else the first documentation address outside every ipBlock
    the policies name (deterministic: the same policies give the same client)."""
    if given:
        return Client(given, "set with --client")
    nets = [n for n in policy_nets(policies) if n.version == 4]
    for rng in CLIENT_RANGES:
        for host in ipaddress.ip_network(rng).hosts():
            if not any(host in n for n in nets):
                return Client(str(host), f"outside every ipBlock the policies name ({rng})")
    first = next(ipaddress.ip_network(CLIENT_RANGES[0]).hosts())
    return Client(
        str(first), "every documentation address is inside some ipBlock; set --client to choose"
    )


class Signatures:
    """Which ipBlock CIDRs hold each node's address; nodes with the same set are judged
    alike by every policy (a node source matches ipBlocks only). Computed once per node:
    when every node of the snapshot has the same, a group is one class at no cost."""

    def __init__(self, snapshot: Snapshot, nets: Sequence[_Net]) -> None:
        self.snapshot = snapshot
        self.nets = tuple(nets)
        self._bits = net_bits(self.nets)
        self._by_node: dict[str, int] = {}
        self._ids: dict[tuple[int, ...], int] = {}
        #: Node sources by the names that stand for a class (groups share their first few),
        #: and by node (a bucket's groups differ in their first few only by the nodes that
        #: host endpoints).
        self._sources: dict[tuple[str, ...], tuple[Source, ...]] = {}
        self._source: dict[str, Source] = {}
        for name in snapshot.nodes:
            self.of(name)
        self.uniform = len(self._ids) <= 1

    def of(self, node: str) -> int:
        sig = self._by_node.get(node)
        if sig is None:
            n = self.snapshot.nodes.get(node)
            addr = _address(n.ip if n is not None else None)
            held = () if addr is None else held_by(addr, self._bits)
            sig = self._by_node[node] = self._ids.setdefault(held, len(self._ids))
        return sig

    def sources(self, names: tuple[str, ...]) -> tuple[Source, ...]:
        """`node_source` of each name: made once per such tuple, not once per group."""
        hit = self._sources.get(names)
        if hit is None:
            made = self._source
            for n in names:
                if n not in made:
                    made[n] = node_source(self.snapshot, n)
            hit = self._sources[names] = tuple([made[n] for n in names])
        return hit


def _address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not text:
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def node_source(snapshot: Snapshot, name: str) -> Source:
    node = snapshot.nodes.get(name)
    return Source("node", node.ip if node is not None else None, node=name)


def node_classes(
    snapshot: Snapshot, group: NodeGroup, sigs: Signatures, limit: int = 3
) -> tuple[NodeClass, ...]:
    """A group's nodes split by ipBlock signature; each class keeps up to ``limit`` nodes'
    sources (one stands for the class; a second where the first hosts the target itself)
    and the count of the rest in ``nodes``."""
    if not group.nodes:
        return (NodeClass(0, (), (Source("node", None),)),)  # nodes not in the input
    if sigs.uniform:
        names = tuple(group.nodes[:limit])  # a `Members` bucket is not listed for them
        return (NodeClass(0, group.nodes, sigs.sources(names)),)
    by_sig: dict[int, list[str]] = {}
    for name in group.nodes:
        by_sig.setdefault(sigs.of(name), []).append(name)
    return tuple(
        NodeClass(sig, tuple(names), sigs.sources(tuple(names[:limit])))
        for sig, names in by_sig.items()
    )


def proxy_pods(
    snapshot: Snapshot, service: ObjectKey | None, targets: Mapping[ObjectKey, Sequence[Target]]
) -> tuple[Source, ...]:
    """The pods behind a proxy's own Service (an ingress controller's, a gateway's): its
    endpoints, else the pods its selector picks. hostNetwork pods send with their node's
    address."""
    if service is None:
        return ()
    keys: dict[ObjectKey, None] = {t.pod: None for t in targets.get(service, ()) if t.pod}
    if not keys:
        svc = snapshot.services.get(service)
        if svc is not None and svc.selector:
            keys = {p.key: None for p in snapshot.selected_pods(svc.namespace, svc.selector)}
    out = []
    for key in keys:
        pod = snapshot.pods.get(key)
        if pod is not None and pod.host_network:
            out.append(
                Source(
                    "node", pod.ip or node_source(snapshot, pod.node or "").address, node=pod.node
                )
            )
        else:
            out.append(
                Source("pod", pod.ip if pod else None, pod=key, node=pod.node if pod else None)
            )
    return tuple(out)


def hop_source(
    snapshot: Snapshot, path: Path, client: Client, targets: Mapping[ObjectKey, Sequence[Target]]
) -> HopSource:
    """Who sends to the pods at this path's pod hop (the same for all its groups, except
    for the nodes of a Cluster-policy group: `node_classes`)."""
    e = path.entry
    client_src = Source("ip", client.address)
    if e.kind in (EntryKind.CLUSTER_IP, EntryKind.HEADLESS, EntryKind.EXTERNAL_NAME):
        return HopSource(
            "none",
            (),
            "from inside the cluster: no source pod to judge (kpath reach answers for one)",
        )
    if path.via == "controller" and e.ingress is not None:
        ctrl = e.ingress.controller.service
        pods = proxy_pods(snapshot, ctrl, targets)
        if not pods:
            return HopSource("none", (), "the ingress controller's pods are not known")
        return HopSource("pods", pods, f"from the ingress controller's pods ({ctrl})")
    if path.via == "gateway" and e.gateway is not None:
        pods = proxy_pods(snapshot, e.gateway.infra, targets)
        if not pods:
            return HopSource("none", (), "the gateway's proxy pods are not known")
        return HopSource("pods", pods, f"from the gateway's proxy pods ({e.gateway.infra})")
    if path.direct is not None:
        what = (
            "the outside load balancer (its own address is not known: the client's stands for it)"
            if e.kind == EntryKind.INGRESS
            else "a load balancer that sends straight to pods keeps the client's address"
        )
        return HopSource("client", (client_src,), what)
    if path.policy == "Local":
        return HopSource(
            "client", (client_src,), "externalTrafficPolicy: Local keeps the client's address"
        )
    return HopSource("node", (), "externalTrafficPolicy: Cluster SNATs to the entry node's address")
