"""Kubernetes' e2e NetworkPolicy cases (test/e2e/network/netpol/network_policy.go), each
checked over the whole x/y/z × a/b/c matrix. Every test names the upstream test it ports.
Upstream starts only the pods a case needs; here every case runs over all nine pods, so where
a pod upstream did not start is affected the same way, the expectation says so."""

from __future__ import annotations

import pytest

from tests.routing.policy.nprecords import (
    EMPTY,
    NAME,
    e2e_cluster,
    index,
    peer,
    pod_ip,
    policy,
    port,
    rule,
    sel,
)
from tests.routing.policy.reachability import Reachability, check

POD_A = sel({"pod": "a"})


def deny_ingress(ns: str = "x", name: str = "deny-ingress"):
    return policy(name, ns, EMPTY, ingress=[])


@pytest.mark.parametrize("protocol", ["TCP", "UDP", "SCTP"])
def test_default_deny_ingress(protocol: str) -> None:
    # "should support a 'default-deny-ingress' policy" (TCP, UDP and SCTP suites)
    r = Reachability()
    r.expect_peer("", "x", False)
    check(index(deny_ingress()), r, 80, protocol)


def test_default_deny_all() -> None:
    # "should support a 'default-deny-all' policy"
    r = Reachability()
    r.expect_peer("", "x", False)
    r.expect_peer("x", "", False)
    check(index(policy("deny-all", ingress=[], egress=[])), r, 80)


@pytest.mark.parametrize(
    "selector",
    [sel({"pod": "b"}), sel(None, ("pod", "In", ["b"]))],
    ids=["matchLabels", "matchExpressions"],
)
def test_allow_from_pods_in_server_namespace_by_pod_selector(selector) -> None:
    # "should enforce policy to allow traffic from pods within server namespace based on
    # PodSelector" and "should enforce policy based on PodSelector with MatchExpressions"
    p = policy("x-a-allows-x-b", select=POD_A, ingress=[rule(peer(pods=selector))])
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    r.expect("x/b", "x/a", True)
    check(index(p), r, 80)


def test_allow_ingress_for_a_target() -> None:
    # "should enforce policy to allow ingress traffic for a target"
    allow = policy(
        "allow-all-to-a", select=POD_A, ingress=[rule(peer(pods=EMPTY, namespaces=EMPTY))]
    )
    r = Reachability()
    r.expect_all_ingress("x/a", True)
    r.expect_all_ingress("x/b", False)
    r.expect_all_ingress("x/c", False)  # not started upstream; denied like x/b
    check(index(policy("deny-all", ingress=[]), allow), r, 80)


def test_allow_ingress_from_all_namespaces() -> None:
    # "should enforce policy to allow ingress traffic from pods in all namespaces"
    p = policy("allow-from-another-ns", select=POD_A, ingress=[rule(peer(namespaces=EMPTY))])
    check(index(p), Reachability(), 80)


@pytest.mark.parametrize(
    "selector",
    [sel({NAME: "y"}), sel(None, (NAME, "In", ["y"]))],
    ids=["matchLabels", "matchExpressions"],
)
def test_allow_only_from_other_namespace_by_namespace_selector(selector) -> None:
    # "should enforce policy to allow traffic only from a different namespace, based on
    # NamespaceSelector", "... NamespaceSelector with MatchExpressions" and "should enforce
    # policy to allow traffic based on NamespaceSelector with MatchLabels using default ns
    # label"
    p = policy(
        "allow-client-a-via-ns-selector", select=POD_A, ingress=[rule(peer(namespaces=selector))]
    )
    r = Reachability()
    r.expect_peer("x", "x/a", False)
    r.expect_peer("z", "x/a", False)
    check(index(p), r, 80)


def test_pod_selector_or_namespace_selector() -> None:
    # "should enforce policy based on PodSelector or NamespaceSelector"
    p = policy(
        "allow-ns-y-match-selector",
        select=POD_A,
        ingress=[
            rule(peer(namespaces=sel(None, (NAME, "NotIn", ["x"]))), peer(pods=sel({"pod": "b"})))
        ],
    )
    r = Reachability()
    r.expect("x/c", "x/a", False)
    check(index(p), r, 80)


def test_pod_selector_and_namespace_selector() -> None:
    # "should enforce policy based on PodSelector and NamespaceSelector"
    p = policy(
        "allow-ns-y-podselector-and-nsselector",
        select=POD_A,
        ingress=[rule(peer(pods=sel({"pod": "b"}), namespaces=sel(None, (NAME, "NotIn", ["x"]))))],
    )
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    r.expect("y/b", "x/a", True)
    r.expect("z/b", "x/a", True)
    check(index(p), r, 80)


def test_multiple_pod_selectors_and_namespace_selectors() -> None:
    # "should enforce policy based on Multiple PodSelectors and NamespaceSelectors"
    p = policy(
        "allow-ns-y-z-pod-b-c",
        select=POD_A,
        ingress=[
            rule(
                peer(
                    pods=sel(None, ("pod", "In", ["b", "c"])),
                    namespaces=sel(None, (NAME, "NotIn", ["x"])),
                )
            )
        ],
    )
    r = Reachability()
    r.expect_peer("x", "x/a", False)
    r.expect("y/a", "x/a", False)
    r.expect("z/a", "x/a", False)  # not started upstream; pod a, like y/a
    check(index(p), r, 80)


def test_any_pod_selectors() -> None:
    # "should enforce policy based on any PodSelectors"
    p = policy(
        "allow-ns-x-pod-b-c",
        select=POD_A,
        ingress=[rule(peer(pods=sel({"pod": "b"})), peer(pods=sel({"pod": "c"})))],
    )
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    r.expect("x/b", "x/a", True)
    r.expect("x/c", "x/a", True)
    check(index(p), r, 80)


@pytest.mark.parametrize("protocol", ["TCP", "UDP", "SCTP"])
def test_only_from_a_pod_in_another_namespace(protocol: str) -> None:
    # "should enforce policy to allow traffic only from a pod in a different namespace based
    # on PodSelector and NamespaceSelector" (TCP, UDP and SCTP suites)
    p = policy(
        "allow-ns-y-pod-a-via-namespace-pod-selector",
        select=POD_A,
        ingress=[rule(peer(pods=POD_A, namespaces=sel({NAME: "y"})))],
    )
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    r.expect("y/a", "x/a", True)
    check(index(p), r, 80, protocol)


def _port_81_from_y(protocol: str = "TCP", name: str = "allow-client-a-via-ns-selector"):
    return policy(
        name,
        select=POD_A,
        ingress=[rule(peer(namespaces=sel({NAME: "y"})), ports=[port(81, protocol)])],
    )


@pytest.mark.parametrize("protocol", ["TCP", "UDP", "SCTP"])
def test_ports(protocol: str) -> None:
    # "should enforce policy based on Ports" (TCP, UDP and SCTP suites)
    r = Reachability()
    r.expect_peer("x", "x/a", False)
    r.expect_peer("y", "x/a", True)
    r.expect_peer("z", "x/a", False)
    check(index(_port_81_from_y(protocol)), r, 81, protocol)


def test_stacked_policies_with_overlapping_pod_selectors() -> None:
    # "should enforce multiple, stacked policies with overlapping podSelectors"
    allow81 = _port_81_from_y()
    allowed = Reachability()
    allowed.expect_peer("x", "x/a", False)
    allowed.expect_peer("y", "x/a", True)
    allowed.expect_peer("z", "x/a", False)
    check(index(allow81), allowed, 81)
    denied = Reachability()
    denied.expect_all_ingress("x/a", False)
    check(index(allow81), denied, 80)
    allow80 = policy(
        "allow-client-a-via-ns-selector-80",
        select=POD_A,
        ingress=[rule(peer(namespaces=sel({NAME: "y"})), ports=[port(80)])],
    )
    check(index(allow81, allow80), allowed, 80)


def test_allow_all() -> None:
    # "should support allow-all policy"
    idx = index(policy("allow-all", ingress=[rule()]))
    check(idx, Reachability(), 80)
    check(idx, Reachability(), 81)


def test_ingress_on_one_named_port() -> None:
    # "should allow ingress access on one named port"
    idx = index(policy("allow-all", ingress=[rule(ports=[port("serve-81-tcp")])]))
    check(idx, Reachability(), 81)
    r = Reachability()
    r.expect_peer("", "x", False)
    check(idx, r, 80)


def test_ingress_from_namespace_on_one_named_port() -> None:
    # "should allow ingress access from namespace on one named port"
    idx = index(
        policy(
            "allow-client-a-via-ns-selector-80",
            select=POD_A,
            ingress=[rule(peer(namespaces=sel({NAME: "y"})), ports=[port("serve-80-tcp")])],
        )
    )
    r = Reachability()
    r.expect_peer("x", "x/a", False)
    r.expect_peer("z", "x/a", False)
    check(idx, r, 80)
    fail = Reachability()
    fail.expect_all_ingress("x/a", False)
    check(idx, fail, 81)


def test_egress_on_one_named_port() -> None:
    # "should allow egress access on one named port"
    idx = index(policy("allow-egress", egress=[rule(ports=[port("serve-80-tcp")])]))
    check(idx, Reachability(), 80)
    r = Reachability()
    r.expect_peer("x", "", False)
    check(idx, r, 81)


def test_updated_policy() -> None:
    # "should enforce updated policy": allow-all, then the same policy with no rules
    check(index(policy("allow-all-mutate-to-deny-all", ingress=[rule()])), Reachability(), 81)
    r = Reachability()
    r.expect_peer("", "x", False)
    check(index(policy("allow-all-mutate-to-deny-all", ingress=[])), r, 81)


def test_ingress_from_updated_namespace() -> None:
    # "should allow ingress access from updated namespace"
    p = policy(
        "allow-client-a-via-ns-selector",
        select=POD_A,
        ingress=[rule(peer(namespaces=sel({"ns2": "updated"})))],
    )
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    check(index(p), r, 80)
    labelled = e2e_cluster(ns_labels={"y": {"ns2": "updated"}})
    after = Reachability()
    after.expect_all_ingress("x/a", False)
    after.expect_peer("y", "", True)
    check(index(p, snapshot=labelled), after, 80)


def test_ingress_from_updated_pod() -> None:
    # "should allow ingress access from updated pod"
    p = policy(
        "allow-client-a-via-pod-selector",
        select=POD_A,
        ingress=[rule(peer(pods=sel({"pod": "b", "pod2": "updated"})))],
    )
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    check(index(p), r, 80)
    after = Reachability()
    after.expect_all_ingress("x/a", False)
    after.expect("x/b", "x/a", True)
    relabelled = e2e_cluster(pod_labels={"x/b": {"pod2": "updated"}})
    check(index(p, snapshot=relabelled), after, 80)


def test_deny_ingress_from_other_namespaces() -> None:
    # "should deny ingress from pods on other namespaces"
    p = policy("deny-empty-policy", ingress=[rule(peer(pods=EMPTY))])
    r = Reachability()
    r.expect_peer("y", "x", False)
    r.expect_peer("z", "x", False)
    check(index(p), r, 80)


def test_deny_ingress_to_updated_pod() -> None:
    # "should deny ingress access to updated pod"
    p = policy("deny-ingress-via-label-selector", select=sel({"target": "isolated"}), ingress=[])
    check(index(p), Reachability(), 80)
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    relabelled = e2e_cluster(pod_labels={"x/a": {"target": "isolated"}})
    check(index(p, snapshot=relabelled), r, 80)


def test_deny_egress_by_pod_selector() -> None:
    # "should deny egress from pods based on PodSelector"
    r = Reachability()
    r.expect_all_egress("x/a", False)
    check(index(policy("deny-egress-pod-a", select=POD_A, egress=[])), r, 80)


def test_deny_egress_from_all_pods_in_a_namespace() -> None:
    # "should deny egress from all pods in a namespace"
    r = Reachability()
    r.expect_peer("x", "", False)
    check(index(policy("deny-egress-ns-x", egress=[])), r, 80)


def test_ingress_and_egress_together() -> None:
    # "should work with Ingress, Egress specified together"
    p = policy(
        "allow-client-a-via-pod-selector",
        select=POD_A,
        ingress=[rule(peer(pods=sel({"pod": "b"})))],
        egress=[rule(ports=[port(80)])],
        types=["Egress", "Ingress"],
    )
    r80 = Reachability()
    r80.expect_all_ingress("x/a", False)
    r80.expect("x/b", "x/a", True)
    check(index(p), r80, 80)
    r81 = Reachability()
    r81.expect_all_ingress("x/a", False)
    r81.expect_all_egress("x/a", False)
    r81.expect("x/b", "x/a", True)
    check(index(p), r81, 81)


def test_egress_denied_on_the_client_even_when_the_server_allows() -> None:
    # "should support denying of egress traffic on the client side (even if the server
    # explicitly allows this traffic)"
    from_xa = rule(peer(pods=POD_A, namespaces=sel({NAME: "x"})))
    idx = index(
        policy(
            "allow-to-ns-y-pod-a",
            select=POD_A,
            egress=[rule(peer(pods=POD_A, namespaces=sel({NAME: "y"})))],
        ),
        policy("allow-from-xa-on-ya-match-selector", "y", POD_A, ingress=[from_xa]),
        policy("allow-from-xa-on-yb-match-selector", "y", sel({"pod": "b"}), ingress=[from_xa]),
    )
    r = Reachability()
    r.expect_peer("x/a", "", False)
    r.expect_peer("", "y/a", False)
    r.expect_peer("x/a", "y/a", True)
    r.expect_peer("", "y/b", False)
    check(idx, r, 80)


def test_egress_to_a_server_in_another_namespace() -> None:
    # "should enforce egress policy allowing traffic to a server in a different namespace
    # based on PodSelector and NamespaceSelector"
    p = policy(
        "allow-to-ns-y-pod-a",
        select=POD_A,
        egress=[rule(peer(pods=POD_A, namespaces=sel({NAME: "y"})))],
    )
    r = Reachability()
    r.expect_all_egress("x/a", False)
    r.expect("x/a", "y/a", True)
    check(index(p), r, 80)


def test_ingress_any_port_on_one_protocol() -> None:
    # "should enforce ingress policy allowing any port traffic to a server on a specific
    # protocol"
    idx = index(
        policy("allow-ingress-by-proto", select=POD_A, ingress=[rule(ports=[port(None, "TCP")])])
    )
    check(idx, Reachability(), 80, "TCP")
    r = Reachability()
    r.expect_peer("", "x/a", False)
    check(idx, r, 80, "UDP")


def test_ingress_allow_all_takes_precedence() -> None:
    # "should enforce multiple ingress policies with ingress allow-all policy taking
    # precedence"
    only80 = policy("allow-ingress-port-80", ingress=[rule(ports=[port(80)])])
    r = Reachability()
    r.expect_peer("", "x", False)
    check(index(only80), r, 81)
    check(index(only80, policy("allow-ingress", ingress=[rule()])), Reachability(), 81)


def test_egress_allow_all_takes_precedence() -> None:
    # "should enforce multiple egress policies with egress allow-all policy taking
    # precedence"
    only80 = policy("allow-egress-port-80", egress=[rule(ports=[port(80)])])
    r = Reachability()
    r.expect_peer("x", "", False)
    check(index(only80), r, 81)
    check(index(only80, policy("allow-egress", egress=[rule()])), Reachability(), 81)


def test_policies_stop_after_deletion() -> None:
    # "should stop enforcing policies after they are deleted"
    r = Reachability()
    r.expect_peer("x", "", False)
    r.expect_peer("", "x", False)
    check(index(policy("deny-all", ingress=[], egress=[])), r, 80)
    check(index(), Reachability(), 80)


def test_egress_to_server_in_cidr_block() -> None:
    # "should allow egress access to server in CIDR block"
    p = policy(
        "allow-client-a-via-cidr-egress-rule",
        select=POD_A,
        egress=[rule(peer(cidr=f"{pod_ip('y', 'b')}/32"))],
    )
    r = Reachability()
    r.expect_all_egress("x/a", False)
    r.expect("x/a", "y/b", True)
    check(index(p), r, 80)


def _large_except_b():
    # upstream's makeLargeCIDRForIP: the /4 holding x/b's address, minus x/b itself
    return policy(
        "allow-client-a-via-cidr-egress-rule",
        select=POD_A,
        egress=[rule(peer(cidr="0.0.0.0/4", excepts=[f"{pod_ip('x', 'b')}/32"]))],
    )


def test_except_clause_in_cidr_block() -> None:
    # "should enforce except clause while egress access to server in CIDR block"
    r = Reachability()
    r.expect("x/a", "x/b", False)
    check(index(_large_except_b()), r, 80)


def test_ip_in_both_cidr_and_except() -> None:
    # "should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed":
    # upstream updates the policy (same name) to allow x/b's address alone.
    r = Reachability()
    r.expect("x/a", "x/b", False)
    check(index(_large_except_b()), r, 80)
    updated = policy(
        "allow-client-a-via-cidr-egress-rule",
        select=POD_A,
        egress=[rule(peer(cidr=f"{pod_ip('x', 'b')}/32"))],
    )
    after = Reachability()
    after.expect_all_egress("x/a", False)
    after.expect("x/a", "x/b", True)
    check(index(updated), after, 80)
    # And as two policies side by side, the second allows what the first's except left out.
    second = updated._replace(name="allow-x-b")
    check(index(_large_except_b(), second), Reachability(), 80)


def test_ingress_and_egress_controlled_independently() -> None:
    # "should enforce policies to check ingress and egress policies can be controlled
    # independently based on PodSelector"
    egress = policy("allow-egress-for-target", select=POD_A, egress=[rule()])
    check(index(egress), Reachability(), 80)
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    check(index(egress, policy("deny-ingress-via-label-selector", select=POD_A, ingress=[])), r, 80)


def test_sctp_is_not_tcp() -> None:
    # "should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP', even if the plugin
    # doesn't support SCTP"
    sctp = policy(
        "allow-only-sctp-ingress-on-port-81", select=POD_A, ingress=[rule(ports=[port(81, "SCTP")])]
    )
    r = Reachability()
    r.expect_peer("", "x", False)
    check(index(deny_ingress(), sctp), r, 81)


@pytest.mark.parametrize(
    ("name", "number", "protocol"),
    [
        ("allow-only-sctp-ingress-on-port-80", 80, "SCTP"),
        ("allow-only-udp-ingress-on-port-81", 81, "UDP"),
    ],
)
def test_policy_for_another_protocol_still_isolates(name: str, number: int, protocol: str) -> None:
    # "should properly isolate pods that are selected by a policy allowing SCTP, even if the
    # plugin doesn't support SCTP" and "should not allow access by TCP when a policy
    # specifies only UDP"
    p = policy(name, select=POD_A, ingress=[rule(ports=[port(number, protocol)])])
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    check(index(p), r, 81, "TCP")


def test_egress_namespace_selector_not_in_default_label() -> None:
    # "should enforce policy based on NamespaceSelector with MatchExpressions using default
    # ns label"
    p = policy(
        "allow-ns-y-match-selector-for-immutable-ns-label",
        select=POD_A,
        egress=[rule(peer(namespaces=sel(None, (NAME, "NotIn", ["y"]))))],
    )
    r = Reachability()
    r.expect_peer("x/a", "y", False)
    check(index(p), r, 80)
