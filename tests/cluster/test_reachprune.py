"""What `kpath reach` keeps of a raw cluster before the snapshot is built."""

from __future__ import annotations

from kpath.cluster.policykinds import OTHER_POLICY_RAW_KINDS
from kpath.cluster.raw import RawCluster
from kpath.cluster.reachprune import prune_for_reach


def test_keeps_nodes_pods_namespaces_and_every_policy_kind():
    raw = RawCluster(origin="test")
    kinds = ["Node", "Pod", "Namespace", "NetworkPolicy", *OTHER_POLICY_RAW_KINDS, "Service",
             "EndpointSlice", "Ingress", "HTTPRoute", "Gateway"]
    for kind in kinds:
        raw.add(kind, {"kind": kind, "metadata": {"name": "x"}}, source="f")
    prune_for_reach(raw)
    kept = {"Node", "Pod", "Namespace", "NetworkPolicy", *OTHER_POLICY_RAW_KINDS}
    assert set(raw.objects) == kept
    assert set(raw.sources) == kept
