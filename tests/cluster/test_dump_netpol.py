"""NetworkPolicies and the not-evaluated policy kinds in dumps: read by group (Calico's
NetworkPolicy is not networking.k8s.io's), by file name, in Lists, into the snapshot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kpath.cluster.dump import load_dump
from kpath.cluster.netpol import OtherPolicy
from kpath.cluster.snapshot import Snapshot, build_snapshot

Obj = dict[str, Any]


def _policy(
    name: str, namespace: str = "shop", version: str = "networking.k8s.io/v1", **spec: Any
) -> Obj:
    return {
        "apiVersion": version,
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"podSelector": {}, **spec},
    }


def _obj(api_version: str, kind: str, name: str, namespace: str | None = None) -> Obj:
    meta: Obj = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": meta,
        "spec": {"endpointSelector": {}, "ingress": [{"action": "Deny"}]},
    }


def _load(tmp_path: Path, *docs: Obj) -> Snapshot:
    path = tmp_path / "dump.json"
    path.write_text("\n".join(json.dumps(d) for d in docs))
    return build_snapshot(load_dump([path]))


def test_network_policies_are_read_and_indexed(tmp_path: Path) -> None:
    snap = _load(
        tmp_path,
        _policy("deny-all", policyTypes=["Ingress", "Egress"]),
        _policy("allow-web", ingress=[{"from": [{"podSelector": {}}]}]),
        _policy("other", namespace="ops"),
    )
    assert [p.name for p in snap.network_policies] == ["deny-all", "allow-web", "other"]
    assert [p.name for p in snap.policies_by_namespace["shop"]] == ["deny-all", "allow-web"]
    assert [p.name for p in snap.policies_by_namespace["ops"]] == ["other"]
    assert "NetworkPolicy" in snap.kinds_seen
    assert snap.other_policies == ()
    assert snap.skipped == {}


def test_old_extensions_group_is_read(tmp_path: Path) -> None:
    snap = _load(tmp_path, _policy("old", version="extensions/v1beta1"))
    assert [p.name for p in snap.network_policies] == ["old"]


def test_without_policies_the_snapshot_has_none(tmp_path: Path) -> None:
    snap = _load(tmp_path, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}})
    assert snap.network_policies == () and snap.other_policies == ()
    assert snap.policies_by_namespace == {}
    assert "NetworkPolicy" not in snap.kinds_seen


def test_calico_network_policy_is_not_networking_k8s_io(tmp_path: Path) -> None:
    calico = _obj("crd.projectcalico.org/v1", "NetworkPolicy", "default.allow-dns", "shop")
    calico_v3 = _obj("projectcalico.org/v3", "NetworkPolicy", "allow-dns", "shop")
    snap = _load(tmp_path, calico, calico_v3, _policy("k8s"))
    assert [p.name for p in snap.network_policies] == ["k8s"]  # Calico's shape never parsed
    assert snap.other_policies == (
        OtherPolicy("NetworkPolicy", "crd.projectcalico.org/v1", "shop", "default.allow-dns"),
        OtherPolicy("NetworkPolicy", "projectcalico.org/v3", "shop", "allow-dns"),
    )


def test_every_not_evaluated_kind_is_listed(tmp_path: Path) -> None:
    docs = [
        _obj("policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy", "anp"),
        _obj("policy.networking.k8s.io/v1alpha1", "BaselineAdminNetworkPolicy", "default"),
        _obj("policy.networking.k8s.io/v1alpha2", "ClusterNetworkPolicy", "cnp"),
        _obj("cilium.io/v2", "CiliumNetworkPolicy", "l7", "shop"),
        _obj("cilium.io/v2", "CiliumClusterwideNetworkPolicy", "host"),
        _obj("crd.projectcalico.org/v1", "GlobalNetworkPolicy", "deny-app"),
        _obj("projectcalico.org/v3", "GlobalNetworkPolicy", "deny-app-v3"),
    ]
    snap = _load(tmp_path, *docs)
    assert {(p.kind, p.namespace, p.name) for p in snap.other_policies} == {
        ("AdminNetworkPolicy", None, "anp"),
        ("BaselineAdminNetworkPolicy", None, "default"),
        ("ClusterNetworkPolicy", None, "cnp"),
        ("CiliumNetworkPolicy", "shop", "l7"),
        ("CiliumClusterwideNetworkPolicy", None, "host"),
        ("GlobalNetworkPolicy", None, "deny-app"),
        ("GlobalNetworkPolicy", None, "deny-app-v3"),
    }
    assert snap.network_policies == () and snap.skipped == {}


def test_policy_kinds_of_other_groups_are_skipped(tmp_path: Path) -> None:
    snap = _load(
        tmp_path,
        _obj("example.com/v1", "NetworkPolicy", "x", "shop"),
        _obj("example.com/v1", "AdminNetworkPolicy", "y"),
    )
    assert snap.network_policies == () and snap.other_policies == ()
    assert snap.skipped == {"NetworkPolicy.example.com": 1, "AdminNetworkPolicy.example.com": 1}


def test_a_network_policy_list(tmp_path: Path) -> None:
    item = _policy("a")
    del item["kind"], item["apiVersion"]
    listing = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicyList", "items": [item]}
    snap = _load(tmp_path, listing)
    assert [p.name for p in snap.network_policies] == ["a"]


@pytest.mark.parametrize(
    ("folder", "kind", "expected"),
    [
        ("networkpolicies", "NetworkPolicy", None),
        ("networkpolicies.networking.k8s.io", "NetworkPolicy", None),
        ("ciliumnetworkpolicies.cilium.io", None, "CiliumNetworkPolicy"),
        ("networkpolicies.crd.projectcalico.org", None, "NetworkPolicy"),
        ("adminnetworkpolicies.policy.networking.k8s.io", None, "AdminNetworkPolicy"),
    ],
)
def test_policies_by_file_name(
    tmp_path: Path, folder: str, kind: str | None, expected: str | None
) -> None:
    """troubleshoot's custom-resources/<plural>.<group>/<ns>.json: a bare array whose kind
    only its directory names."""
    item: Obj = {"metadata": {"name": "n", "namespace": "shop"}, "spec": {"podSelector": {}}}
    (tmp_path / folder).mkdir()
    (tmp_path / folder / "shop.json").write_text(json.dumps([item]))
    snap = build_snapshot(load_dump([tmp_path]))
    if kind:
        assert [p.name for p in snap.network_policies] == ["n"]
        assert snap.other_policies == ()
    else:
        assert snap.network_policies == ()
        assert [p.kind for p in snap.other_policies] == [expected]


def test_a_bad_policy_in_a_dump_is_one_line(tmp_path: Path) -> None:
    from kpath.errors import InputError

    bad = _policy("bad", ingress=[{"ports": [{"port": "http", "endPort": 9000}]}])
    with pytest.raises(InputError) as caught:
        _load(tmp_path, bad)
    assert str(caught.value) == (
        f"{tmp_path / 'dump.json'}: NetworkPolicy shop/bad: "
        "spec.ingress[0].ports[0].endPort needs a numeric port"
    )


DATA = Path(__file__).resolve().parents[1] / "data" / "dumps" / "policies.yaml"


def test_the_policies_dump_is_read_whole() -> None:
    snap = build_snapshot(load_dump([DATA]))
    assert [str(p.key) for p in snap.network_policies] == [
        "shop/default-deny",
        "shop/allow-web",
        "ops/legacy",
    ]
    allow = snap.policies_by_namespace["shop"][1]
    (rule,) = allow.ingress
    kinds = [
        (p.pod_selector is not None, p.namespace_selector is not None, p.ip_block is not None)
        for p in rule.peers
    ]
    assert kinds == [
        (True, False, False),
        (False, True, False),
        (True, True, False),
        (False, False, True),
    ]
    assert [(p.protocol, p.port, p.end_port) for p in rule.ports] == [
        ("TCP", "http", None),
        ("TCP", 9000, 9100),
        ("UDP", None, None),
    ]
    assert allow.policy_types == ("Ingress", "Egress")
    assert snap.policies_by_namespace["ops"][0].policy_types == ("Ingress",)
    assert sorted((p.kind, p.api_version.rpartition("/")[0]) for p in snap.other_policies) == [
        ("AdminNetworkPolicy", "policy.networking.k8s.io"),
        ("BaselineAdminNetworkPolicy", "policy.networking.k8s.io"),
        ("CiliumClusterwideNetworkPolicy", "cilium.io"),
        ("CiliumNetworkPolicy", "cilium.io"),
        ("ClusterNetworkPolicy", "policy.networking.k8s.io"),
        ("GlobalNetworkPolicy", "projectcalico.org"),
        ("NetworkPolicy", "crd.projectcalico.org"),
    ]
    assert snap.skipped == {}
