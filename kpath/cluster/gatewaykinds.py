"""The Gateway API as the sources and the snapshot name it: its groups, the kinds kpath
reads, and `GatewayObjects`, a snapshot's records of them.

Light on purpose (no records, no parsers), as `policykinds.py` is: the sources (`raw.py`,
`dump.py`, `live.py`) and the snapshot import it, and a cluster without Gateways never
loads the records (`gatewayapi.py`) or their parsers (`parse_gateway.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from kpath.cluster.gatewayapi import (
        BackendTLSPolicy,
        Gateway,
        GatewayClass,
        ListenerSet,
        ReferenceGrant,
        Route,
    )
    from kpath.cluster.records import ObjectKey

GROUP = "gateway.networking.k8s.io"
#: The group ListenerSet had in the experimental channel (as XListenerSet) before v1.5.
EXPERIMENTAL_GROUP = "gateway.networking.x-k8s.io"

#: Route kinds, in the order kpath lists them.
ROUTE_KINDS: tuple[str, ...] = ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")

#: Every Gateway API kind kpath reads.
GATEWAY_KINDS: tuple[str, ...] = (
    "GatewayClass",
    "Gateway",
    "ListenerSet",
    *ROUTE_KINDS,
    "ReferenceGrant",
    "BackendTLSPolicy",
)


class GatewayObjects(NamedTuple):
    """Every Gateway API object of a snapshot. Empty when the cluster has no CRDs."""

    classes: Mapping[str, GatewayClass]
    gateways: Mapping[ObjectKey, Gateway]
    listener_sets: tuple[ListenerSet, ...]
    routes: tuple[Route, ...]  # every kind, in input order
    grants: tuple[ReferenceGrant, ...]
    backend_tls: tuple[BackendTLSPolicy, ...]
    #: kind -> the apiVersion it was read at (live: the server's preferred version)
    versions: Mapping[str, str]


EMPTY_GATEWAYS = GatewayObjects({}, {}, (), (), (), (), {})
