"""Which policy kinds kpath reads, from which API groups, under which RawCluster kind.

Light on purpose (no parsers): the sources (`raw.py`, `dump.py`, `live.py`) and the lab
import it. NetworkPolicy (networking.k8s.io) is evaluated; the kinds of
`netpol.OTHER_POLICY_KINDS` (each (group, kind) of it is in `OTHER_POLICY_BY_GROUP`)
are only listed. Calico's namespaced NetworkPolicy is filed as
``CalicoNetworkPolicy``, so it never meets networking.k8s.io's NetworkPolicy.
"""

from __future__ import annotations

from typing import NamedTuple

#: The API group of the NetworkPolicy kpath evaluates. extensions/v1beta1 served the same
#: shape until Kubernetes 1.16, so old dumps are read too.
NETPOL_GROUP = "networking.k8s.io"
NETPOL_GROUPS = frozenset({NETPOL_GROUP, "extensions"})


class OtherKind(NamedTuple):
    """How one not-evaluated kind is read."""

    kind: str  # the kind as its group names it
    groups: frozenset[str]  # the groups it is read from
    plural: str  # the resource name (dump file names, the lab)
    api_version: str  # filled in for kindless items of a dump
    namespaced: bool


_CALICO = frozenset({"crd.projectcalico.org", "projectcalico.org"})
_POLICY_GROUP = "policy.networking.k8s.io"

#: RawCluster kind → how it is read. Every (group, kind) of `OTHER_POLICY_KINDS` is here.
OTHER_POLICY_RAW: dict[str, OtherKind] = {
    "AdminNetworkPolicy": OtherKind(
        "AdminNetworkPolicy",
        frozenset({_POLICY_GROUP}),
        "adminnetworkpolicies",
        f"{_POLICY_GROUP}/v1alpha1",
        False,
    ),
    "BaselineAdminNetworkPolicy": OtherKind(
        "BaselineAdminNetworkPolicy",
        frozenset({_POLICY_GROUP}),
        "baselineadminnetworkpolicies",
        f"{_POLICY_GROUP}/v1alpha1",
        False,
    ),
    "ClusterNetworkPolicy": OtherKind(
        "ClusterNetworkPolicy",
        frozenset({_POLICY_GROUP}),
        "clusternetworkpolicies",
        f"{_POLICY_GROUP}/v1alpha2",
        False,
    ),
    "CiliumNetworkPolicy": OtherKind(
        "CiliumNetworkPolicy",
        frozenset({"cilium.io"}),
        "ciliumnetworkpolicies",
        "cilium.io/v2",
        True,
    ),
    "CiliumClusterwideNetworkPolicy": OtherKind(
        "CiliumClusterwideNetworkPolicy",
        frozenset({"cilium.io"}),
        "ciliumclusterwidenetworkpolicies",
        "cilium.io/v2",
        False,
    ),
    "CalicoNetworkPolicy": OtherKind(
        "NetworkPolicy", _CALICO, "networkpolicies", "crd.projectcalico.org/v1", True
    ),
    "GlobalNetworkPolicy": OtherKind(
        "GlobalNetworkPolicy", _CALICO, "globalnetworkpolicies", "crd.projectcalico.org/v1", False
    ),
}

#: (group, kind as the group names it) → RawCluster kind.
OTHER_POLICY_BY_GROUP: dict[tuple[str, str], str] = {
    (group, other.kind): raw for raw, other in OTHER_POLICY_RAW.items() for group in other.groups
}

#: The not-evaluated kinds without a namespace (RawCluster kinds).
OTHER_POLICY_CLUSTER_SCOPED = frozenset(k for k, o in OTHER_POLICY_RAW.items() if not o.namespaced)

#: The RawCluster kinds of the not-evaluated policies, in the order kpath lists them.
OTHER_POLICY_RAW_KINDS: tuple[str, ...] = tuple(OTHER_POLICY_RAW)
