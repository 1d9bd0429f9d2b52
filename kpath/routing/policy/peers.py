"""NetworkPolicy peers: which sources (ingress) or destinations (egress) a `from`/`to` entry
names. A pod matches pod/namespace selectors and, by its IP, ipBlocks; anything that is not a
pod of the cluster (a node, an outside client) matches ipBlocks only."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple

from kpath.cluster.netpol import IPBlock, PolicyPeer
from kpath.cluster.records import NodeAddress, Pod
from kpath.routing.policy.selectors import SelectorCache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class Block(NamedTuple):
    """An ipBlock as networks; None where the text is not a CIDR at all."""

    cidr: Network | None
    excepts: tuple[Network, ...]


def network(text: str) -> Network | None:
    """A CIDR as the API server accepted it: older servers stored host bits ("10.1.2.3/8"),
    which mean the masked network (10.0.0.0/8), as the plugins read it."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def block(ip_block: IPBlock) -> Block:
    excepts = tuple(n for n in (network(e) for e in ip_block.excepts) if n is not None)
    return Block(network(ip_block.cidr), excepts)


#: Every character of an IPv4 address's text (an IPv6 address's always holds colons).
_IPV4_CHARS = frozenset("0123456789.")


@lru_cache(maxsize=65536)
def address(text: str | None) -> Address | None:
    if not text:
        return None
    text = text.strip()
    # Most texts that are no address are host names (a node's Hostname and InternalDNS):
    # refused here, not by two failed parses and their exceptions.
    if ":" not in text and not _IPV4_CHARS.issuperset(text):
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def node_addresses(addresses: Iterable[NodeAddress]) -> frozenset[Address]:
    """A node's addresses, parsed; the texts that are no address are left out."""
    return frozenset(a for a in map(address, (x.address for x in addresses)) if a is not None)


#: A network as `held_by` reads it: (version, netmask, network address), as integers.
NetBits = tuple[int, int, int]


def net_bits(nets: Iterable[Network]) -> tuple[NetBits, ...]:
    return tuple((n.version, int(n.netmask), int(n.network_address)) for n in nets)


def held_by(addr: Address, nets: Sequence[NetBits]) -> tuple[int, ...]:
    """The positions of the networks holding ``addr``, as ``addr in net`` (same version)
    tells, from `net_bits`: integers, not ipaddress's properties, once per node or pod."""
    version, value = addr.version, int(addr)
    return tuple(
        [i for i, (v, mask, net) in enumerate(nets) if v == version and value & mask == net]
    )


def in_block(ip_block: IPBlock, addr: Address | None) -> bool:
    """Inside the CIDR and outside every except (an address in both is excluded)."""
    if addr is None:
        return False
    b = block(ip_block)
    if b.cidr is None or addr.version != b.cidr.version or addr not in b.cidr:
        return False
    return not any(addr.version == e.version and addr in e for e in b.excepts)


class Peer(NamedTuple):
    """The other end of a connection, as a policy's peers see it."""

    pod: Pod | None  # a pod of the cluster (not hostNetwork): selectors apply to it
    address: Address | None  # what ipBlocks are matched against


def peer_matches(
    entry: PolicyPeer, policy_namespace: str, peer: Peer, selectors: SelectorCache
) -> bool:
    if entry.ip_block is not None:
        return in_block(entry.ip_block, peer.address)
    pod = peer.pod
    if pod is None:
        return False  # node and outside traffic matches no pod or namespace selector
    if entry.namespace_selector is not None:
        if not selectors.namespace_selects(entry.namespace_selector, pod.namespace):
            return False
    elif pod.namespace != policy_namespace:
        return False  # a podSelector alone: the policy's own namespace
    if entry.pod_selector is not None:
        return selectors.pod_selects(entry.pod_selector, pod)
    return entry.namespace_selector is not None  # an empty peer (refused by the API)


def peers_match(
    entries: tuple[PolicyPeer, ...], policy_namespace: str, peer: Peer, selectors: SelectorCache
) -> bool:
    """An empty list (``from``/``to`` absent or ``[]``) matches every peer."""
    for e in entries:  # a loop, not any(): no generator per rule asked
        if peer_matches(e, policy_namespace, peer, selectors):
            return True
    return not entries
