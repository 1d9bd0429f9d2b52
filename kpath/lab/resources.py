"""The resources the lab's API server serves: group, version, plural, kind, scope.

The core kinds (NetworkPolicy among them), plus the Gateway API kinds at the versions the
2026 standard channel's CRDs serve (`GATEWAY_STANDARD_2026`). A test can hand the server
another table (`gateway_resources` with other versions, or `CORE_RESOURCES` alone for a
cluster without the CRDs) to see how a client copes with a version that is no longer
served. The AdminNetworkPolicy CRDs are served only for a scenario that holds such objects
(`resources_for`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

GATEWAY_GROUP = "gateway.networking.k8s.io"


class Resource(NamedTuple):
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    short: tuple[str, ...]
    singular: str
    #: Subresources listed in discovery (a CRD with a status subresource lists "status").
    subresources: tuple[str, ...] = ()

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


CORE_RESOURCES: tuple[Resource, ...] = (
    Resource("", "v1", "nodes", "Node", False, ("no",), "node"),
    Resource("", "v1", "pods", "Pod", True, ("po",), "pod"),
    Resource("", "v1", "services", "Service", True, ("svc",), "service"),
    Resource("", "v1", "endpoints", "Endpoints", True, ("ep",), "endpoints"),
    Resource("", "v1", "namespaces", "Namespace", False, ("ns",), "namespace"),
    Resource(
        "discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True, (), "endpointslice"
    ),
    Resource("networking.k8s.io", "v1", "ingresses", "Ingress", True, ("ing",), "ingress"),
    Resource(
        "networking.k8s.io", "v1", "ingressclasses", "IngressClass", False, (), "ingressclass"
    ),
    Resource(
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        "NetworkPolicy",
        True,
        ("netpol",),
        "networkpolicy",
    ),
)

POLICY_GROUP = "policy.networking.k8s.io"
#: The AdminNetworkPolicy CRDs (network-policy-api v0.1), served only when a scenario holds
#: such objects: most clusters have no such CRDs, and kpath must cope with their absence.
POLICY_API_RESOURCES: tuple[Resource, ...] = (
    Resource(
        POLICY_GROUP,
        "v1alpha1",
        "adminnetworkpolicies",
        "AdminNetworkPolicy",
        False,
        ("anp",),
        "adminnetworkpolicy",
        ("status",),
    ),
    Resource(
        POLICY_GROUP,
        "v1alpha1",
        "baselineadminnetworkpolicies",
        "BaselineAdminNetworkPolicy",
        False,
        ("banp",),
        "baselineadminnetworkpolicy",
        ("status",),
    ),
)
POLICY_API_KINDS = frozenset(r.kind for r in POLICY_API_RESOURCES)

#: kind -> (plural, namespaced, short names), as the Gateway API CRDs declare them.
GATEWAY_NAMES: dict[str, tuple[str, bool, tuple[str, ...]]] = {
    "GatewayClass": ("gatewayclasses", False, ("gc",)),
    "Gateway": ("gateways", True, ("gtw",)),
    "ListenerSet": ("listenersets", True, ("lset",)),
    "HTTPRoute": ("httproutes", True, ()),
    "GRPCRoute": ("grpcroutes", True, ()),
    "TLSRoute": ("tlsroutes", True, ()),
    "TCPRoute": ("tcproutes", True, ()),
    "UDPRoute": ("udproutes", True, ()),
    "ReferenceGrant": ("referencegrants", True, ("refgrant",)),
    "BackendTLSPolicy": ("backendtlspolicies", True, ("btlspolicy",)),
}

#: kind -> served versions, the storage (preferred) version first: the standard channel's
#: CRDs of 2026 (Gateway API v1.5/v1.6). ReferenceGrant has no status subresource.
GATEWAY_STANDARD_2026: dict[str, tuple[str, ...]] = {
    "GatewayClass": ("v1", "v1beta1"),
    "Gateway": ("v1", "v1beta1"),
    "HTTPRoute": ("v1", "v1beta1"),
    "GRPCRoute": ("v1",),
    "ListenerSet": ("v1",),
    "TLSRoute": ("v1",),
    "TCPRoute": ("v1",),
    "UDPRoute": ("v1",),
    "ReferenceGrant": ("v1", "v1beta1"),
    "BackendTLSPolicy": ("v1",),
}


def gateway_resources(
    versions: Mapping[str, Sequence[str]] = GATEWAY_STANDARD_2026,
) -> tuple[Resource, ...]:
    """The Gateway API resources for ``kind -> served versions`` (kinds left out: no CRD)."""
    out = []
    for kind, served in versions.items():
        plural, namespaced, short = GATEWAY_NAMES[kind]
        status = () if kind == "ReferenceGrant" else ("status",)
        out += [
            Resource(GATEWAY_GROUP, v, plural, kind, namespaced, short, kind.lower(), status)
            for v in served
        ]
    return tuple(out)


RESOURCES: tuple[Resource, ...] = CORE_RESOURCES + gateway_resources()


def is_policy_api(doc: Mapping[str, object]) -> bool:
    """An AdminNetworkPolicy or BaselineAdminNetworkPolicy of policy.networking.k8s.io."""
    version = doc.get("apiVersion")
    return (
        doc.get("kind") in POLICY_API_KINDS
        and isinstance(version, str)
        and version.rpartition("/")[0] == POLICY_GROUP
    )


def resources_for(manifests: Iterable[Mapping[str, object]]) -> tuple[Resource, ...]:
    """What the lab serves for a scenario: `RESOURCES`, plus the AdminNetworkPolicy CRDs
    when a manifest is one of them (as a cluster has the CRDs its objects need)."""
    if any(is_policy_api(d) for d in manifests):
        return RESOURCES + POLICY_API_RESOURCES
    return RESOURCES


class Served:
    """Lookups over one resource table: what discovery lists and what URLs resolve."""

    def __init__(self, resources: Iterable[Resource]) -> None:
        self.resources = tuple(resources)
        self.by_path = {(r.group, r.version, r.plural): r for r in self.resources}
        #: group -> versions in preference order: the version most kinds are stored at
        #: first (v1), as the API server's aggregator orders a CRD group's versions.
        counts: dict[str, dict[str, int]] = {}
        for r in self.resources:
            if r.group:
                per = counts.setdefault(r.group, {})
                per[r.version] = per.get(r.version, 0) + 1
        self.groups = {
            g: tuple(sorted(per, key=lambda v: (-per[v], _version_rank(v))))
            for g, per in counts.items()
        }
        self.group_versions = {(r.group, r.version) for r in self.resources}


def _version_rank(version: str) -> tuple[int, int, int]:
    """Kubernetes' version priority: GA before beta before alpha, higher numbers first."""
    rest = version.removeprefix("v")
    major, _, tail = rest.partition("alpha") if "alpha" in rest else rest.partition("beta")
    stage = (
        0
        if not tail and "alpha" not in rest and "beta" not in rest
        else (1 if "beta" in rest else 2)
    )
    number = int(major) if major.isdigit() else 0
    minor = int(tail) if tail.isdigit() else 0
    return stage, -number, -minor
