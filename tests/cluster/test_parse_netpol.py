"""NetworkPolicy dicts → records: the API server's defaults, every peer form, CIDRs with
host bits, named ports and endPort, wrong types as one line; the not-evaluated kinds."""

from __future__ import annotations

from typing import Any

import pytest

from kpath.cluster.netpol import (
    OTHER_POLICY_KINDS,
    IPBlock,
    NetworkPolicy,
    OtherPolicy,
    PolicyPeer,
    PolicyPort,
)
from kpath.cluster.parse import Interner, parser_of
from kpath.cluster.policykinds import OTHER_POLICY_BY_GROUP, OTHER_POLICY_RAW
from kpath.cluster.raw import KINDS, RawCluster
from kpath.cluster.records import LabelSelector, SelectorRequirement
from kpath.cluster.snapshot import build_snapshot
from kpath.errors import InputError

Obj = dict[str, Any]
EVERYTHING = LabelSelector((), ())


def policy(name: str = "p", namespace: str | None = "shop", **spec: Any) -> Obj:
    meta: Obj = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta,
        "spec": spec,
    }


def parse(o: Obj) -> NetworkPolicy:
    out = parser_of("NetworkPolicy")(o, Interner())
    assert isinstance(out, NetworkPolicy)
    return out


def refused(o: Obj, kind: str = "NetworkPolicy") -> str:
    raw = RawCluster(origin="dump: d.json")
    raw.add(kind, o, "d.json")
    with pytest.raises(InputError) as caught:
        build_snapshot(raw)
    message = str(caught.value)
    assert "\n" not in message
    return message


def ingress_peer(peer: Obj) -> PolicyPeer:
    return parse(policy(podSelector={}, ingress=[{"from": [peer]}])).ingress[0].peers[0]


def ingress_port(port: Obj) -> PolicyPort:
    return parse(policy(podSelector={}, ingress=[{"ports": [port]}])).ingress[0].ports[0]


# ---------------------------------------------------------------- defaults


def test_registered_in_parsers_and_kinds() -> None:
    assert "NetworkPolicy" in KINDS and parser_of("NetworkPolicy")
    for raw_kind in OTHER_POLICY_RAW:
        assert raw_kind in KINDS and parser_of(raw_kind)


def test_every_other_policy_kind_has_a_raw_kind() -> None:
    assert set(OTHER_POLICY_BY_GROUP) == {
        (g, k) for g, kinds in OTHER_POLICY_KINDS.items() for k in kinds
    }


def test_policy_types_default_to_ingress() -> None:
    p = parse(policy(podSelector={"matchLabels": {"app": "web"}}))
    assert p.policy_types == ("Ingress",)
    assert p.pod_selector == LabelSelector((("app", "web"),), ())
    assert p.ingress == () and p.egress == ()
    assert p.key == ("shop", "p")


def test_policy_types_add_egress_when_egress_rules_exist() -> None:
    assert parse(policy(podSelector={}, egress=[{}])).policy_types == ("Ingress", "Egress")
    # An empty egress list is no egress rule: the server's len(Egress) != 0.
    assert parse(policy(podSelector={}, egress=[])).policy_types == ("Ingress",)
    assert parse(policy(podSelector={}, policyTypes=[], egress=[{}])).policy_types == (
        "Ingress",
        "Egress",
    )


def test_explicit_policy_types_are_kept() -> None:
    p = parse(policy(podSelector={}, policyTypes=["Egress"]))
    assert p.policy_types == ("Egress",) and p.egress == ()
    assert parse(policy(podSelector={}, policyTypes=["Ingress"], egress=[{}])).policy_types == (
        "Ingress",
    )


def test_missing_pod_selector_and_spec_select_every_pod() -> None:
    assert parse(policy()).pod_selector == EVERYTHING
    bare = {"kind": "NetworkPolicy", "metadata": {"name": "p"}, "spec": None}
    p = parse(bare)
    assert p.namespace == "default" and p.pod_selector == EVERYTHING
    assert p.policy_types == ("Ingress",)


def test_empty_rule_allows_everything() -> None:
    rule = parse(policy(podSelector={}, ingress=[{}, {"from": None, "ports": None}])).ingress
    assert [(r.peers, r.ports) for r in rule] == [((), ()), ((), ())]


def test_null_rule_is_an_empty_one() -> None:
    # Go decodes a null item of a list of structs as the zero value.
    assert parse(policy(podSelector={}, ingress=[None])).ingress[0].peers == ()


# ---------------------------------------------------------------- peers


def test_pod_selector_peer() -> None:
    assert ingress_peer({"podSelector": {"matchLabels": {"role": "fe"}}}) == PolicyPeer(
        LabelSelector((("role", "fe"),), ()), None, None
    )


def test_namespace_selector_peer_with_expressions() -> None:
    peer = ingress_peer(
        {
            "namespaceSelector": {
                "matchExpressions": [{"key": "team", "operator": "In", "values": ["a", "b"]}]
            }
        }
    )
    assert peer == PolicyPeer(
        None, LabelSelector((), (SelectorRequirement("team", "In", ("a", "b")),)), None
    )


def test_both_selectors_in_one_peer() -> None:
    peer = ingress_peer(
        {
            "podSelector": {},
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ops"}},
        }
    )
    assert peer.pod_selector == EVERYTHING
    assert peer.namespace_selector == LabelSelector((("kubernetes.io/metadata.name", "ops"),), ())
    assert peer.ip_block is None


def test_ip_block_with_except() -> None:
    peer = ingress_peer({"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}})
    assert peer == PolicyPeer(None, None, IPBlock("10.0.0.0/8", ("10.1.0.0/16",)))


def test_ip_block_keeps_host_bits_as_stored() -> None:
    peer = ingress_peer({"ipBlock": {"cidr": "10.1.2.3/8", "except": ["10.1.2.3/16"]}})
    assert peer.ip_block == IPBlock("10.1.2.3/8", ("10.1.2.3/16",))


def test_ipv6_block() -> None:
    assert ingress_peer({"ipBlock": {"cidr": "fd00::/64"}}).ip_block == IPBlock("fd00::/64", ())


def test_egress_peers_are_read_from_to() -> None:
    p = parse(
        policy(
            podSelector={},
            egress=[
                {
                    "to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
                    "ports": [{"port": 53, "protocol": "UDP"}],
                }
            ],
        )
    )
    assert p.egress[0].peers[0].ip_block == IPBlock("0.0.0.0/0", ())
    assert p.egress[0].ports == (PolicyPort("UDP", 53, None),)
    assert p.policy_types == ("Ingress", "Egress")


# ---------------------------------------------------------------- ports


def test_port_defaults_to_tcp_and_every_port() -> None:
    assert ingress_port({}) == PolicyPort("TCP", None, None)
    assert ingress_port({"protocol": "SCTP"}) == PolicyPort("SCTP", None, None)


def test_numbered_and_named_ports() -> None:
    assert ingress_port({"port": 8080}) == PolicyPort("TCP", 8080, None)
    assert ingress_port({"port": "http"}) == PolicyPort("TCP", "http", None)


def test_end_port_range() -> None:
    assert ingress_port({"port": 32000, "endPort": 32768}) == PolicyPort("TCP", 32000, 32768)
    assert ingress_port({"port": 80, "endPort": 80}) == PolicyPort("TCP", 80, 80)


# ---------------------------------------------------------------- refusals (one line)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"podSelector": []}, "spec.podSelector is a list, not a mapping"),
        ({"policyTypes": "Ingress"}, "spec.policyTypes is a string, not a list"),
        ({"ingress": {"from": []}}, "spec.ingress is a mapping, not a list"),
        (
            {"ingress": [{"from": [{"podSelector": {"matchLabels": {"a": 1}}}]}]},
            "spec.ingress[0].from[0].podSelector.matchLabels.a is a number, not a string",
        ),
        (
            {"ingress": [{"from": [{}]}]},
            "spec.ingress[0].from[0] names no peer (podSelector, namespaceSelector or ipBlock)",
        ),
        (
            {"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]}]},
            "spec.ingress[0].from[0].ipBlock may not be set with podSelector or namespaceSelector",
        ),
        ({"egress": [{"to": [{"ipBlock": {}}]}]}, "spec.egress[0].to[0].ipBlock.cidr is missing"),
        (
            {"egress": [{"to": [{"ipBlock": {"cidr": 10}}]}]},
            "spec.egress[0].to[0].ipBlock.cidr is a number, not a string",
        ),
        (
            {"egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/33"}}]}]},
            "spec.egress[0].to[0].ipBlock.cidr is '10.0.0.0/33', not a CIDR",
        ),
        (
            {"egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.1"}}]}]},
            "spec.egress[0].to[0].ipBlock.cidr is '10.0.0.1', not a CIDR",
        ),
        (
            {"egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["nope"]}}]}]},
            "spec.egress[0].to[0].ipBlock.except[0] is 'nope', not a CIDR",
        ),
        (
            {"ingress": [{"ports": [{"port": True}]}]},
            "spec.ingress[0].ports[0].port is a boolean, not a port number (1-65535) or name",
        ),
        (
            {"ingress": [{"ports": [{"port": 0}]}]},
            "spec.ingress[0].ports[0].port is a number, not a port number (1-65535) or name",
        ),
        (
            {"ingress": [{"ports": [{"port": "80"}]}]},
            "spec.ingress[0].ports[0].port is a string, not a port number (1-65535) or name",
        ),
        (
            {"ingress": [{"ports": [{"port": 80, "protocol": 6}]}]},
            "spec.ingress[0].ports[0].protocol is a number, not a string",
        ),
        (
            {"ingress": [{"ports": [{"port": "http", "endPort": 90}]}]},
            "spec.ingress[0].ports[0].endPort needs a numeric port",
        ),
        (
            {"ingress": [{"ports": [{"endPort": 90}]}]},
            "spec.ingress[0].ports[0].endPort needs a numeric port",
        ),
        (
            {"ingress": [{"ports": [{"port": 100, "endPort": 90}]}]},
            "spec.ingress[0].ports[0].endPort is 90, less than port 100",
        ),
        (
            {"ingress": [{"ports": [{"port": 100, "endPort": "200"}]}]},
            "spec.ingress[0].ports[0].endPort is a string, not a port number (1-65535)",
        ),
    ],
)
def test_wrong_types_are_one_line(spec: Obj, expected: str) -> None:
    assert refused(policy(**spec)) == f"d.json: NetworkPolicy shop/p: {expected}"


def test_wrong_metadata_is_one_line() -> None:
    assert refused({"kind": "NetworkPolicy", "metadata": {"name": "p", "namespace": 3}}) == (
        "d.json: NetworkPolicy default/p: metadata.namespace is a number, not a string"
    )


# ---------------------------------------------------------------- not evaluated


@pytest.mark.parametrize(
    ("raw_kind", "api_version", "namespace", "expected"),
    [
        (
            "AdminNetworkPolicy",
            "policy.networking.k8s.io/v1alpha1",
            None,
            OtherPolicy("AdminNetworkPolicy", "policy.networking.k8s.io/v1alpha1", None, "x"),
        ),
        (
            "CiliumNetworkPolicy",
            "cilium.io/v2",
            "shop",
            OtherPolicy("CiliumNetworkPolicy", "cilium.io/v2", "shop", "x"),
        ),
        (
            "CalicoNetworkPolicy",
            "projectcalico.org/v3",
            "shop",
            OtherPolicy("NetworkPolicy", "projectcalico.org/v3", "shop", "x"),
        ),
        (
            "CalicoNetworkPolicy",
            None,
            None,
            OtherPolicy("NetworkPolicy", "crd.projectcalico.org/v1", "default", "x"),
        ),
        (
            "GlobalNetworkPolicy",
            "crd.projectcalico.org/v1",
            "ignored",
            OtherPolicy("GlobalNetworkPolicy", "crd.projectcalico.org/v1", None, "x"),
        ),
    ],
)
def test_other_policies_keep_kind_version_namespace_name(
    raw_kind: str, api_version: str | None, namespace: str | None, expected: OtherPolicy
) -> None:
    meta: Obj = {"name": "x"}
    if namespace:
        meta["namespace"] = namespace
    obj: Obj = {"kind": "whatever", "metadata": meta, "spec": {"anything": [1, {"x": None}]}}
    if api_version:
        obj["apiVersion"] = api_version
    assert parser_of(raw_kind)(obj, Interner()) == expected


def test_other_policy_without_a_name_is_one_line() -> None:
    assert refused({"kind": "CiliumNetworkPolicy", "metadata": {}}, "CiliumNetworkPolicy") == (
        "d.json: CiliumNetworkPolicy #1: metadata.name is missing"
    )
