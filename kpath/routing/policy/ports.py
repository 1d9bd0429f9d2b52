"""NetworkPolicy ports: by number, by a named container port of the destination pod, by a
range (``endPort``), and by protocol."""

from __future__ import annotations

from kpath.cluster.netpol import PolicyPort
from kpath.cluster.records import Pod

PROTOCOLS = ("TCP", "UDP", "SCTP")


def named_port(pod: Pod, name: str, protocol: str) -> int | None:
    """The number of the destination pod's container port ``name`` for ``protocol``; None
    when no container declares it. A policy's named port is always the destination's, for
    ingress and for egress alike, as the API defines it."""
    for p in pod.ports:
        if p.name == name and p.protocol == protocol:
            return p.port
    return None


def port_matches(rule_port: PolicyPort, destination: Pod, port: int, protocol: str) -> bool:
    if rule_port.protocol != protocol:
        return False
    wanted = rule_port.port
    if wanted is None:  # a protocol alone: every port of it
        return True
    if isinstance(wanted, str):
        # A name the pod does not declare matches nothing (the connection is not allowed
        # by this entry), as upstream's plugins and e2e tests treat it.
        return named_port(destination, wanted, protocol) == port
    if rule_port.end_port is not None:
        return wanted <= port <= rule_port.end_port
    return wanted == port


def ports_match(ports: tuple[PolicyPort, ...], destination: Pod, port: int, protocol: str) -> bool:
    """An empty list matches every port of every protocol; otherwise any entry."""
    for p in ports:  # a loop, not any(): no generator per rule asked
        if port_matches(p, destination, port, protocol):
            return True
    return not ports
