"""The resources the lab's API server serves: group, version, plural, kind, scope.

The core kinds, plus the Gateway API kinds at the versions the 2026 standard channel's CRDs
serve (`GATEWAY_STANDARD_2026`). A test can hand the server another table
(`gateway_resources` with other versions, or `CORE_RESOURCES` alone for a cluster without
the CRDs) to see how a client copes with a version that is no longer served.
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
    Resource("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True, (),
             "endpointslice"),
    Resource("networking.k8s.io", "v1", "ingresses", "Ingress", True, ("ing",), "ingress"),
    Resource("networking.k8s.io", "v1", "ingressclasses", "IngressClass", False, (),
             "ingressclass"),
)

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


def gateway_resources(versions: Mapping[str, Sequence[str]] = GATEWAY_STANDARD_2026
                      ) -> tuple[Resource, ...]:
    """The Gateway API resources for ``kind -> served versions`` (kinds left out: no CRD)."""
    out = []
    for kind, served in versions.items():
        plural, namespaced, short = GATEWAY_NAMES[kind]
        status = () if kind == "ReferenceGrant" else ("status",)
        out += [Resource(GATEWAY_GROUP, v, plural, kind, namespaced, short, kind.lower(),
                         status) for v in served]
    return tuple(out)


RESOURCES: tuple[Resource, ...] = CORE_RESOURCES + gateway_resources()


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
        self.groups = {g: tuple(sorted(per, key=lambda v: (-per[v], _version_rank(v))))
                       for g, per in counts.items()}
        self.group_versions = {(r.group, r.version) for r in self.resources}


def _version_rank(version: str) -> tuple[int, int, int]:
    """Kubernetes' version priority: GA before beta before alpha, higher numbers first."""
    rest = version.removeprefix("v")
    major, _, tail = rest.partition("alpha") if "alpha" in rest else rest.partition("beta")
    stage = 0 if not tail and "alpha" not in rest and "beta" not in rest else (
        1 if "beta" in rest else 2)
    number = int(major) if major.isdigit() else 0
    minor = int(tail) if tail.isdigit() else 0
    return stage, -number, -minor
