"""The address this machine's probes come from: the outside client a probe run judges
NetworkPolicy from, unless ``--client`` says otherwise.

The kernel picks the source address for a destination when a UDP socket is connected to it;
nothing is sent (UDP's connect only chooses a route), so asking about a node address reads
the routing table and nothing else.
"""

from __future__ import annotations

import socket

from kpath.cluster.snapshot import Snapshot


def local_source(snapshot: Snapshot) -> str | None:
    """The source address toward the first node kpath knows an address of (None: no node
    address, or no route to it)."""
    for name in sorted(snapshot.nodes):
        ip = snapshot.nodes[name].ip
        if not ip:
            continue
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as s:
                s.connect((ip, 9))  # no packet: only the route is looked up
                return str(s.getsockname()[0])
        except OSError:
            return None
    return None
