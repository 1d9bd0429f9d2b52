"""Slim records of NetworkPolicies (networking.k8s.io/v1), and of the policy kinds kpath
lists but does not evaluate (AdminNetworkPolicy, BaselineAdminNetworkPolicy, Cilium's,
Calico's).

The same NamedTuple style as `records.py`. Defaults are the API server's: a port's protocol
is TCP, `policyTypes` defaults to ``[Ingress]`` plus ``Egress`` when the policy has egress
rules. Label selectors are `records.LabelSelector`, as the Gateway records' are. Parsing
lives in `parse_netpol.py`.
"""

# Annotations evaluated, not strings: see records.py (typing.NamedTuple compiles each
# string annotation).

from typing import NamedTuple

from kpath.cluster.records import LabelSelector, ObjectKey


class IPBlock(NamedTuple):
    cidr: str  # as the API server stored it; older servers kept host bits ("10.1.2.3/8")
    excepts: tuple[str, ...]


class PolicyPeer(NamedTuple):
    """One `from`/`to` entry. Exactly one form is set, as the API validates:
    pod_selector and/or namespace_selector, or ip_block."""

    pod_selector: LabelSelector | None
    namespace_selector: LabelSelector | None
    ip_block: IPBlock | None


class PolicyPort(NamedTuple):
    protocol: str  # TCP (default), UDP, SCTP
    port: int | str | None  # a number, a named container port, or None: every port
    end_port: int | None  # a range port..end_port (numbers only)


class PolicyRule(NamedTuple):
    """One ingress or egress rule. Empty `peers`: every source/destination; empty `ports`:
    every port. Both must match for the rule to allow a connection."""

    peers: tuple[PolicyPeer, ...]
    ports: tuple[PolicyPort, ...]


class NetworkPolicy(NamedTuple):
    namespace: str
    name: str
    pod_selector: LabelSelector  # empty: every pod of the namespace
    policy_types: tuple[str, ...]  # "Ingress", "Egress", after the API's defaulting
    ingress: tuple[PolicyRule, ...]
    egress: tuple[PolicyRule, ...]

    @property
    def key(self) -> ObjectKey:
        return ObjectKey(self.namespace, self.name)


class OtherPolicy(NamedTuple):
    """A policy of a kind kpath does not evaluate: listed, so a user knows it may change
    the answer."""

    kind: str  # AdminNetworkPolicy, BaselineAdminNetworkPolicy, CiliumNetworkPolicy, ...
    api_version: str
    namespace: str | None  # None for cluster-scoped kinds
    name: str


#: Kinds read only to be listed as "not evaluated", by API group.
OTHER_POLICY_KINDS: dict[str, tuple[str, ...]] = {
    "policy.networking.k8s.io": (
        "AdminNetworkPolicy",
        "BaselineAdminNetworkPolicy",
        "ClusterNetworkPolicy",
    ),
    "cilium.io": ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"),
    "crd.projectcalico.org": ("NetworkPolicy", "GlobalNetworkPolicy"),
    "projectcalico.org": ("NetworkPolicy", "GlobalNetworkPolicy"),
}
