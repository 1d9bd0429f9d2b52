"""The lab's address plan: every address a lab uses lies in one loopback block 127.B.0.0/16.

Each lab claims its own block (B chosen at random in 10..250) by binding a claim socket on
``127.B.255.254``; a second lab that draws the same B fails that bind and draws again, so two
labs (parallel test workers, say) never share node, pod or load-balancer addresses.

Layout inside the block (pure arithmetic, no I/O except in `claim_block`):

- nodes           127.B.0.N            (N = node index + 1)
- pods            127.B.(10+node).k    (k = 1..254 per node)
- cluster IPs     127.B.200.k … 127.B.209.k (never listened on: not reachable from outside)
- load balancers  127.B.250.k
- the claim socket 127.B.255.254, SYN gates' filler connections from 127.B.255.253
"""

from __future__ import annotations

import errno
import random
import socket
from dataclasses import dataclass

from kpath.errors import SourceError

#: The claim socket's port on 127.B.255.254; any fixed port works, it only has to be shared.
CLAIM_PORT = 47999
_FIRST_BLOCK, _LAST_BLOCK = 10, 250
_MAX_NODES = 180  # pod octets 10..189 stay clear of cluster IPs (200+) and LBs (250)


@dataclass(frozen=True)
class AddressPlan:
    """Address arithmetic for one block; `block` is the second octet B."""

    block: int

    @property
    def prefix(self) -> str:
        return f"127.{self.block}"

    def contains(self, ip: str) -> bool:
        return ip.startswith(self.prefix + ".")

    def node_ip(self, node_index: int) -> str:
        if not 0 <= node_index < _MAX_NODES:
            raise ValueError(f"node index {node_index} out of range")
        return f"{self.prefix}.0.{node_index + 1}"

    def pod_ip(self, node_index: int, k: int) -> str:
        if not 0 <= node_index < _MAX_NODES or not 0 <= k < 254:
            raise ValueError(f"pod slot {node_index}/{k} out of range")
        return f"{self.prefix}.{10 + node_index}.{k + 1}"

    def cluster_ip(self, k: int) -> str:
        if not 0 <= k < 254 * 10:
            raise ValueError("out of cluster IPs")
        return f"{self.prefix}.{200 + k // 254}.{k % 254 + 1}"

    def lb_ip(self, k: int) -> str:
        if not 0 <= k < 254:
            raise ValueError("out of load-balancer addresses")
        return f"{self.prefix}.250.{k + 1}"

    @property
    def claim_ip(self) -> str:
        return f"{self.prefix}.255.254"

    @property
    def gate_ip(self) -> str:
        """The source of the connections that keep `SynGate`'s silent sockets full."""
        return f"{self.prefix}.255.253"


def claim_block(
    rng: random.Random | None = None, attempts: int = 40
) -> tuple[AddressPlan, socket.socket]:
    """Pick a free block and hold it: returns the plan and the claim socket (close it to free).

    Raises `SourceError` when no block can be claimed (every try was taken or loopback
    addresses other than 127.0.0.1 cannot be bound on this system).
    """
    rng = rng or random.Random()
    blocks = list(range(_FIRST_BLOCK, _LAST_BLOCK + 1))
    rng.shuffle(blocks)
    last_error = ""
    for block in blocks[:attempts]:
        plan = AddressPlan(block)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((plan.claim_ip, CLAIM_PORT))
            sock.listen(1)
        except OSError as exc:
            sock.close()
            last_error = exc.strerror or str(exc)
            if exc.errno == errno.EADDRNOTAVAIL:
                break  # this system cannot bind 127.x addresses at all; retrying will not help
            continue
        return plan, sock
    raise SourceError(
        f"the lab could not claim a loopback address block (127.B.0.0/16): {last_error}"
    )
