"""What `kpath reach` reads of a cluster: nodes, pods, namespaces and policies. The rest
(Services, slices, Ingresses, Gateways: most of a dump after pods) is dropped before the
snapshot is built, so a verdict costs little more than decoding the dump. Here, in the
cluster package, so that the dump snapshot cache (snapcache) notices when it changes."""

from __future__ import annotations

from kpath.cluster.policykinds import OTHER_POLICY_RAW_KINDS
from kpath.cluster.raw import RawCluster

REACH_KINDS = frozenset({"Node", "Pod", "Namespace", "NetworkPolicy", *OTHER_POLICY_RAW_KINDS})


def prune_for_reach(raw: RawCluster) -> None:
    for kind in [k for k in raw.objects if k not in REACH_KINDS]:
        raw.objects.pop(kind, None)
        raw.sources.pop(kind, None)
