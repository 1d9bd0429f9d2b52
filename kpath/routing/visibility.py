"""What a kind kpath could not read hides from its view: one phrase per kind. Pure.

A partly readable cluster (a namespaced Role, a ClusterRole without nodes, an old server)
is still shown; each kind that could not be read is named with what its absence costs, so
a reader knows which parts of the paths to distrust. The phrases follow what routing and
the probe planner actually do without that kind.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import NamedTuple

from kpath.cluster.policykinds import OTHER_POLICY_RAW


class Hidden(NamedTuple):
    short: str  # for the TUI's one-line header
    long: str  # for the finding (KP301)


#: The API's plural for each kind kpath reads (what RBAC rules and 403 messages name).
PLURALS = {
    "Node": "nodes",
    "Pod": "pods",
    "Service": "services",
    "Endpoints": "endpoints",
    "EndpointSlice": "endpointslices",
    "Ingress": "ingresses",
    "IngressClass": "ingressclasses",
    "Namespace": "namespaces",
    "GatewayClass": "gatewayclasses",
    "Gateway": "gateways",
    "ListenerSet": "listenersets",
    "HTTPRoute": "httproutes",
    "GRPCRoute": "grpcroutes",
    "TLSRoute": "tlsroutes",
    "TCPRoute": "tcproutes",
    "UDPRoute": "udproutes",
    "ReferenceGrant": "referencegrants",
    "BackendTLSPolicy": "backendtlspolicies",
    "NetworkPolicy": "networkpolicies",
    # the kinds listed as not evaluated, as kubectl names a CRD: plural.group
    **{raw: f"{o.plural}.{min(o.groups)}" for raw, o in OTHER_POLICY_RAW.items()},
}

_FIXED = {
    "Node": Hidden(
        "NodePort hops by node name only",
        "NodePort hops shown by node name only and not probed (no node addresses, "
        'zones or readiness; nodes running none of the pods are "other nodes")',
    ),
    "IngressClass": Hidden(
        "Ingress controllers by class name only",
        "Ingress controllers found by address or class name only (the class's "
        "controller and the default class are unknown)",
    ),
    "Pod": Hidden(
        "no pod checks",
        "selectors are not checked against pods, so why a Service has no endpoints is not said",
    ),
    "Service": Hidden("no paths", "no Service could be read, so there are no paths"),
    "Ingress": Hidden("no Ingress entries", "Ingress entries (hosts and paths) are not shown"),
    # Gateway API (read only where the server serves the group) and the Namespaces whose
    # labels its allowedRoutes selectors match.
    "Namespace": Hidden(
        "namespace selectors unknown",
        "allowedRoutes namespace selectors cannot be evaluated (routes "
        "attached through a Selector listener are not shown), nor "
        "NetworkPolicy namespaceSelectors",
    ),
    "NetworkPolicy": Hidden(
        "policy verdicts unknown",
        "NetworkPolicy verdicts cannot be computed (whether a policy blocks a hop is unknown)",
    ),
    **{
        raw: Hidden(
            f"{o.kind} not listed",
            f"{o.kind} objects ({', '.join(sorted(o.groups))}) cannot be listed: "
            "policies kpath does not evaluate may change the answer unseen",
        )
        for raw, o in OTHER_POLICY_RAW.items()
    },
    "GatewayClass": Hidden(
        "Gateway classes by name only",
        "Gateway classes known by name only (their controller and acceptance are unknown)",
    ),
    "Gateway": Hidden(
        "Gateway ways in not shown",
        "Gateway ways in not shown (listeners, addresses and routes through them)",
    ),
    "ListenerSet": Hidden(
        "ListenerSet listeners not shown",
        "listeners that ListenerSets add to Gateways are not shown, nor routes attached to them",
    ),
    **{
        kind: Hidden(
            f"no {kind} rules",
            f"{kind} rules are not shown: Gateway listeners route no {what} traffic",
        )
        for kind, what in (
            ("HTTPRoute", "HTTP"),
            ("GRPCRoute", "gRPC"),
            ("TLSRoute", "TLS"),
            ("TCPRoute", "TCP"),
            ("UDPRoute", "UDP"),
        )
    },
    "ReferenceGrant": Hidden(
        "cross-namespace refs unchecked",
        "cross-namespace backend and certificate references cannot be "
        "checked against ReferenceGrants",
    ),
    "BackendTLSPolicy": Hidden(
        "backend TLS unknown",
        "whether Gateways speak TLS to backends (BackendTLSPolicy) is unknown",
    ),
}


def plural(kind: str) -> str:
    return PLURALS.get(kind, kind)


def hidden(kind: str, seen: Collection[str]) -> Hidden:
    """What not reading ``kind`` hides, given the kinds that were read (``seen``)."""
    if kind in _FIXED:
        return _FIXED[kind]
    if kind in ("EndpointSlice", "Endpoints"):
        # kpath reads Endpoints only when EndpointSlices cannot be read: say where the
        # endpoints came from instead, once both are known.
        if "Endpoints" in seen:
            return Hidden(
                "endpoints from legacy Endpoints",
                "endpoints read from the legacy Endpoints instead (no topology "
                "hints or terminating state)",
            )
        if "Pod" in seen:
            return Hidden(
                "endpoints derived from pods", "endpoints derived from pod selectors and readiness"
            )
        return Hidden("endpoints unknown", "endpoints are unknown: every verdict assumes none")
    return Hidden("paths incomplete", "paths that need it are incomplete")


def not_visible_lines(not_visible: Mapping[str, str], seen: Collection[str]) -> list[str]:
    """One line per kind that could not be read: "nodes not visible: … (reason)"."""
    return [
        f"{plural(kind)} not visible: {hidden(kind, seen).long} ({reason})"
        for kind, reason in sorted(not_visible.items())
    ]


def not_visible_short(not_visible: Mapping[str, str], seen: Collection[str]) -> str:
    """The header's summary: "nodes (NodePort hops by node name only), …"."""
    return ", ".join(f"{plural(kind)} ({hidden(kind, seen).short})" for kind in sorted(not_visible))
