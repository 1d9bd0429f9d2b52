"""The lab's own NetworkPolicy evaluator against Kubernetes' e2e NetworkPolicy suite.

The cases are test/e2e/network/netpol/network_policy.go's, transcribed: the same pod model
(namespaces x, y, z; pods a, b, c labelled pod=NAME, serving ports 80 and 81 over TCP, UDP
and SCTP with container ports named serve-PORT-PROTO), the same policies, and the same
reachability matrices built the same way (every pair allowed, then the test's Expect calls
in order; a pod's connection to itself is ignored, as upstream ignores loopback). Then the
API reference's rules the suite does not reach: endPort, CIDRs stored with host bits,
policyTypes defaulting, own-node traffic, hostNetwork pods.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from kpath.lab.netpolicy import PolicySet, allowed, network, policy_types, selector_matches

Obj = dict[str, Any]
NS_LABEL = "kubernetes.io/metadata.name"
NAMESPACES = ("x", "y", "z")
PODS = ("a", "b", "c")


# ---------------------------------------------------------------- the e2e model
def pod_ip(ns: str, name: str) -> str:
    return f"10.{NAMESPACES.index(ns) + 1}.0.{PODS.index(name) + 1}"


def make_pod(ns: str, name: str, labels: dict[str, str] | None = None) -> Obj:
    ports = [
        {"name": f"serve-{p}-{proto.lower()}", "containerPort": p, "protocol": proto}
        for p in (80, 81)
        for proto in ("TCP", "UDP", "SCTP")
    ]
    return {
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels or {"pod": name}},
        "spec": {"nodeName": "node-1", "containers": [{"name": f"cont-{name}", "ports": ports}]},
        "status": {"phase": "Running", "podIP": pod_ip(ns, name), "hostIP": "192.168.0.1"},
    }


def make_ns(name: str, labels: dict[str, str] | None = None) -> Obj:
    return {"kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}}


def policy(
    name: str,
    ns: str,
    pod_labels: dict[str, str] | None = None,
    *,
    ingress: list[Obj] | None = None,
    egress: list[Obj] | None = None,
    selector: Obj | None = None,
) -> Obj:
    """As the suite's GenNetworkPolicyWithNameAndPod* with SetSpecIngressRules /
    SetSpecEgressRules: each Set call adds its policy type (None: no Set call)."""
    spec: Obj = {
        "podSelector": selector
        if selector is not None
        else ({"matchLabels": pod_labels} if pod_labels is not None else {})
    }
    types = []
    if ingress is not None:
        spec["ingress"] = ingress
        types.append("Ingress")
    if egress is not None:
        spec["egress"] = egress
        types.append("Egress")
    spec["policyTypes"] = types
    return {"kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns}, "spec": spec}


def ns_sel(**labels: str) -> Obj:
    return {"matchLabels": labels}


def name_is(ns: str) -> Obj:
    return {"matchLabels": {NS_LABEL: ns}}


def expr(key: str, op: str, *values: str) -> Obj:
    return {"matchExpressions": [{"key": key, "operator": op, "values": list(values)}]}


@dataclass
class Reachability:
    """The suite's truth table: (from, to) -> expected, all True to start."""

    pods: list[tuple[str, str]]

    def __post_init__(self) -> None:
        self.want = {(f, t): True for f in self.pods for t in self.pods}

    def expect_peer(
        self, src: tuple[str | None, str | None], dst: tuple[str | None, str | None], value: bool
    ) -> None:
        for f in self.pods:
            for t in self.pods:
                if _peer(src, f) and _peer(dst, t):
                    self.want[(f, t)] = value

    def expect(self, src: tuple[str, str], dst: tuple[str, str], value: bool) -> None:
        self.want[(src, dst)] = value

    def all_ingress(self, dst: tuple[str, str], value: bool) -> None:
        self.expect_peer((None, None), dst, value)

    def all_egress(self, src: tuple[str, str], value: bool) -> None:
        self.expect_peer(src, (None, None), value)


def _peer(peer: tuple[str | None, str | None], pod: tuple[str, str]) -> bool:
    return (peer[0] is None or peer[0] == pod[0]) and (peer[1] is None or peer[1] == pod[1])


@dataclass
class World:
    pods: dict[tuple[str, str], Obj]
    namespaces: dict[str, Obj]
    policies: list[Obj]

    @classmethod
    def of(cls, *pods: str) -> World:
        keys = [tuple(p.split("/")) for p in pods]
        return cls({k: make_pod(*k) for k in keys}, {n: make_ns(n) for n in NAMESPACES}, [])

    def matrix(self, port: int, protocol: str = "TCP") -> dict[tuple[Any, Any], bool]:
        index = PolicySet.build(self.policies, self.namespaces.values(), self.pods.values())
        return {
            (f, t): index.allowed(pod_ip(*f), src, dst, port, protocol)
            for f, src in self.pods.items()
            for t, dst in self.pods.items()
        }

    def check(self, reach: Reachability, port: int, protocol: str = "TCP") -> None:
        got = self.matrix(port, protocol)
        wrong = {
            f"{'/'.join(f)} -> {'/'.join(t)}": (want, got[(f, t)])
            for (f, t), want in reach.want.items()
            if f != t and got[(f, t)] != want
        }
        assert not wrong, f"(expected, got) on port {port}/{protocol}: {wrong}"

    def reach(self) -> Reachability:
        return Reachability(list(self.pods))


X, Y, Z = "x", "y", "z"


def p(ns: str, name: str) -> tuple[str, str]:
    return (ns, name)


# ---------------------------------------------------------------- e2e: the suite's cases
def test_default_deny_ingress() -> None:
    w = World.of("x/a", "x/b", "y/a", "y/b")
    w.policies = [policy("deny-ingress", X, {}, ingress=[])]
    r = w.reach()
    r.expect_peer((None, None), (X, None), False)
    w.check(r, 80)


def test_default_deny_all() -> None:
    w = World.of("x/a", "x/b", "y/a")
    w.policies = [policy("deny-all", X, {}, ingress=[], egress=[])]
    r = w.reach()
    r.expect_peer((None, None), (X, None), False)
    r.expect_peer((X, None), (None, None), False)
    w.check(r, 80)


def test_allow_from_pods_in_server_namespace_by_pod_selector() -> None:
    w = World.of("x/a", "x/b", "x/c", "y/a")
    w.policies = [
        policy(
            "x-a-allows-x-b",
            X,
            {"pod": "a"},
            ingress=[{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}],
        )
    ]
    r = w.reach()
    r.all_ingress(p(X, "a"), False)
    r.expect(p(X, "b"), p(X, "a"), True)
    w.check(r, 80)


def test_allow_ingress_for_a_target() -> None:
    w = World.of("x/a", "x/b", "y/a")
    w.policies = [
        policy("deny-all", X, {}, ingress=[]),
        policy(
            "allow-all-to-a",
            X,
            {"pod": "a"},
            ingress=[{"from": [{"podSelector": {}, "namespaceSelector": {}}]}],
        ),
    ]
    r = w.reach()
    r.all_ingress(p(X, "a"), True)
    r.all_ingress(p(X, "b"), False)
    w.check(r, 80)


def test_allow_from_all_namespaces() -> None:
    w = World.of("x/a", "x/b", "y/a", "z/a")
    w.policies = [
        policy(
            "allow-from-another-ns",
            X,
            {"pod": "a"},
            ingress=[{"from": [{"namespaceSelector": {"matchLabels": {}}}]}],
        )
    ]
    w.check(w.reach(), 80)


@pytest.mark.parametrize(
    "selector", [name_is(Y), expr(NS_LABEL, "In", Y)], ids=["matchLabels", "matchExpressions"]
)
def test_allow_only_from_another_namespace(selector: Obj) -> None:
    w = World.of("x/a", "x/b", "y/a", "z/a")
    w.policies = [
        policy(
            "allow-client-a-via-ns-selector",
            X,
            {"pod": "a"},
            ingress=[{"from": [{"namespaceSelector": selector}]}],
        )
    ]
    r = w.reach()
    r.expect_peer((X, None), (X, "a"), False)
    r.expect_peer((Z, None), (X, "a"), False)
    w.check(r, 80)


def test_pod_selector_with_match_expressions() -> None:
    w = World.of("x/a", "x/b", "y/a")
    w.policies = [
        policy(
            "x-a-allows-x-b",
            X,
            {"pod": "a"},
            ingress=[{"from": [{"podSelector": expr("pod", "In", "b")}]}],
        )
    ]
    r = w.reach()
    r.all_ingress(p(X, "a"), False)
    r.expect(p(X, "b"), p(X, "a"), True)
    w.check(r, 80)


def test_pod_selector_or_namespace_selector() -> None:
    w = World.of("x/a", "x/b", "x/c", "y/a")
    w.policies = [
        policy(
            "allow-ns-y-match-selector",
            X,
            {"pod": "a"},
            ingress=[
                {
                    "from": [
                        {"namespaceSelector": expr(NS_LABEL, "NotIn", X)},
                        {"podSelector": {"matchLabels": {"pod": "b"}}},
                    ]
                }
            ],
        )
    ]
    r = w.reach()
    r.expect(p(X, "a"), p(X, "a"), False)
    r.expect(p(X, "c"), p(X, "a"), False)
    w.check(r, 80)


def test_pod_selector_and_namespace_selector() -> None:
    w = World.of("x/a", "x/b", "y/a", "y/b", "z/b")
    w.policies = [
        policy(
            "allow-ns-y-podselector-and-nsselector",
            X,
            {"pod": "a"},
            ingress=[
                {
                    "from": [
                        {
                            "namespaceSelector": expr(NS_LABEL, "NotIn", X),
                            "podSelector": {"matchLabels": {"pod": "b"}},
                        }
                    ]
                }
            ],
        )
    ]
    r = w.reach()
    r.all_ingress(p(X, "a"), False)
    r.expect(p(Y, "b"), p(X, "a"), True)
    r.expect(p(Z, "b"), p(X, "a"), True)
    w.check(r, 80)


def test_multiple_pod_selectors_and_namespace_selectors() -> None:
    w = World.of("x/a", "x/b", "y/a", "y/b", "y/c")
    w.policies = [
        policy(
            "allow-ns-y-z-pod-b-c",
            X,
            {"pod": "a"},
            ingress=[
                {
                    "from": [
                        {
                            "namespaceSelector": expr(NS_LABEL, "NotIn", X),
                            "podSelector": expr("pod", "In", "b", "c"),
                        }
                    ]
                }
            ],
        )
    ]
    r = w.reach()
    r.expect_peer((X, None), (X, "a"), False)
    r.expect(p(Y, "a"), p(X, "a"), False)
    w.check(r, 80)


def test_any_pod_selectors() -> None:
    w = World.of("x/a", "x/b", "x/c")
    w.policies = [
        policy(
            "allow-ns-x-pod-b-c",
            X,
            {"pod": "a"},
            ingress=[
                {
                    "from": [
                        {"podSelector": {"matchLabels": {"pod": "b"}}},
                        {"podSelector": {"matchLabels": {"pod": "c"}}},
                    ]
                }
            ],
        )
    ]
    r = w.reach()
    r.all_ingress(p(X, "a"), False)
    r.expect(p(X, "b"), p(X, "a"), True)
    r.expect(p(X, "c"), p(X, "a"), True)
    w.check(r, 80)


def test_only_from_a_pod_in_another_namespace() -> None:
    w = World.of("x/a", "x/b", "y/a", "y/b", "z/a")
    w.policies = [
        policy(
            "allow-ns-y-pod-a-via-namespace-pod-selector",
            X,
            {"pod": "a"},
            ingress=[
                {
                    "from": [
                        {
                            "namespaceSelector": name_is(Y),
                            "podSelector": {"matchLabels": {"pod": "a"}},
                        }
                    ]
                }
            ],
        )
    ]
    r = w.reach()
    r.all_ingress(p(X, "a"), False)
    r.expect(p(Y, "a"), p(X, "a"), True)
    w.check(r, 80)


@pytest.mark.parametrize("protocol", ["TCP", "UDP", "SCTP"])
def test_policy_based_on_ports(protocol: str) -> None:
    w = World.of("x/a", "x/b", "y/a", "y/b", "z/a")
    w.policies = [
        policy(
            "allow-client-a-via-ns-selector",
            X,
            {"pod": "a"},
            ingress=[
                {
                    "from": [{"namespaceSelector": name_is(Y)}],
                    "ports": [{"port": 81, "protocol": protocol}],
                }
            ],
        )
    ]
    r = w.reach()
    r.expect_peer((X, None), (X, "a"), False)
    r.expect_peer((Y, None), (X, "a"), True)
    r.expect_peer((Z, None), (X, "a"), False)
    w.check(r, 81, protocol)


def test_stacked_policies_with_overlapping_pod_selectors() -> None:
    w = World.of("x/a", "x/b", "y/a", "y/b", "z/a")
    rule81 = {
        "from": [{"namespaceSelector": name_is(Y)}],
        "ports": [{"port": 81, "protocol": "TCP"}],
    }
    w.policies = [policy("allow-client-a-via-ns-selector", X, {"pod": "a"}, ingress=[rule81])]
    allow = w.reach()
    allow.expect_peer((X, None), (X, "a"), False)
    allow.expect_peer((Y, None), (X, "a"), True)
    allow.expect_peer((Z, None), (X, "a"), False)
    w.check(allow, 81)
    deny = w.reach()
    deny.all_ingress(p(X, "a"), False)
    w.check(deny, 80)
    rule80 = {
        "from": [{"namespaceSelector": name_is(Y)}],
        "ports": [{"port": 80, "protocol": "TCP"}],
    }
    w.policies.append(
        policy("allow-client-a-via-ns-selector-80", X, {"pod": "a"}, ingress=[rule80])
    )
    w.check(allow, 80)


def test_allow_all_policy() -> None:
    w = World.of("x/a", "x/b", "y/a")
    w.policies = [policy("allow-all", X, {}, ingress=[{}])]
    w.check(w.reach(), 80)
    w.check(w.reach(), 81)


def test_ingress_on_one_named_port() -> None:
    w = World.of("x/a", "x/b", "y/a")
    w.policies = [policy("allow-all", X, {}, ingress=[{"ports": [{"port": "serve-81-tcp"}]}])]
    w.check(w.reach(), 81)
    r = w.reach()
    r.expect_peer((None, None), (X, None), False)
    w.check(r, 80)


def test_ingress_from_namespace_on_one_named_port() -> None:
    w = World.of("x/a", "x/b", "y/a", "z/a")
    w.policies = [
        policy(
            "allow-client-a-via-ns-selector-80",
            X,
            {"pod": "a"},
            ingress=[
                {
                    "from": [{"namespaceSelector": name_is(Y)}],
                    "ports": [{"port": "serve-80-tcp", "protocol": "TCP"}],
                }
            ],
        )
    ]
    r = w.reach()
    r.expect_peer((X, None), (X, "a"), False)
    r.expect_peer((Z, None), (X, "a"), False)
    w.check(r, 80)
    fail = w.reach()
    fail.all_ingress(p(X, "a"), False)
    w.check(fail, 81)


def test_egress_on_one_named_port() -> None:
    """The name is the destination pod's container port (resolved there, not at the
    source)."""
    w = World.of("x/a", "y/a")
    w.policies = [policy("allow-egress", X, {}, egress=[{"ports": [{"port": "serve-80-tcp"}]}])]
    w.check(w.reach(), 80)
    r = w.reach()
    r.expect_peer((X, None), (None, None), False)
    w.check(r, 81)


def test_updated_policy() -> None:
    w = World.of("x/a", "y/a")
    w.policies = [policy("allow-all-mutate-to-deny-all", X, {}, ingress=[{}])]
    w.check(w.reach(), 81)
    w.policies = [policy("allow-all-mutate-to-deny-all", X, {}, ingress=[])]
    r = w.reach()
    r.expect_peer((None, None), (X, None), False)
    w.check(r, 81)


def test_ingress_from_updated_namespace() -> None:
    w = World.of("x/a", "y/a")
    w.policies = [
        policy(
            "allow-client-a-via-ns-selector",
            X,
            {"pod": "a"},
            ingress=[{"from": [{"namespaceSelector": ns_sel(ns2="updated")}]}],
        )
    ]
    r = w.reach()
    r.all_ingress(p(X, "a"), False)
    w.check(r, 80)
    w.namespaces[Y] = make_ns(Y, {"ns2": "updated"})
    r = w.reach()
    r.all_ingress(p(X, "a"), False)
    r.expect_peer((Y, None), (None, None), True)
    w.check(r, 80)


def test_ingress_from_updated_pod() -> None:
    w = World.of("x/a", "x/b")
    labels = {"pod": "b", "pod2": "updated"}
    w.policies = [
        policy(
            "allow-client-a-via-pod-selector",
            X,
            {"pod": "a"},
            ingress=[{"from": [{"podSelector": {"matchLabels": labels}}]}],
        )
    ]
    r = w.reach()
    r.all_ingress(p(X, "a"), False)
    w.check(r, 80)
    w.pods[p(X, "b")] = make_pod(X, "b", labels)
    r.expect(p(X, "b"), p(X, "a"), True)
    w.check(r, 80)


def test_deny_ingress_from_other_namespaces() -> None:
    w = World.of("x/a", "x/b", "y/a", "z/a")
    w.policies = [
        policy(
            "deny-empty-policy", X, {}, ingress=[{"from": [{"podSelector": {"matchLabels": {}}}]}]
        )
    ]
    r = w.reach()
    r.expect_peer((Y, None), (X, None), False)
    r.expect_peer((Z, None), (X, None), False)
    w.check(r, 80)


def test_deny_ingress_to_updated_pod() -> None:
    w = World.of("x/a", "y/a")
    w.policies = [policy("deny-ingress-via-label-selector", X, {"target": "isolated"}, ingress=[])]
    w.check(w.reach(), 80)
    w.pods[p(X, "a")] = make_pod(X, "a", {"pod": "a", "target": "isolated"})
    r = w.reach()
    r.all_ingress(p(X, "a"), False)
    w.check(r, 80)


def test_deny_egress_by_pod_selector() -> None:
    w = World.of("x/a", "x/b", "y/a")
    w.policies = [policy("deny-egress-pod-a", X, {"pod": "a"}, egress=[])]
    r = w.reach()
    r.all_egress(p(X, "a"), False)
    w.check(r, 80)


def test_deny_egress_from_all_pods_in_a_namespace() -> None:
    w = World.of("x/a", "x/b", "y/a")
    w.policies = [policy("deny-egress-ns-x", X, {}, egress=[])]
    r = w.reach()
    r.expect_peer((X, None), (None, None), False)
    w.check(r, 80)


def test_ingress_and_egress_together() -> None:
    w = World.of("x/a", "x/b", "x/c", "y/a")
    pol = policy(
        "allow-client-a-via-pod-selector",
        X,
        {"pod": "a"},
        ingress=[{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}],
        egress=[{"ports": [{"port": 80}]}],
    )
    w.policies = [pol]
    r80 = w.reach()
    r80.all_ingress(p(X, "a"), False)
    r80.expect(p(X, "b"), p(X, "a"), True)
    w.check(r80, 80)
    r81 = w.reach()
    r81.all_ingress(p(X, "a"), False)
    r81.all_egress(p(X, "a"), False)
    r81.expect(p(X, "b"), p(X, "a"), True)
    w.check(r81, 81)


def test_egress_denied_on_the_client_side_even_if_the_server_allows() -> None:
    w = World.of("x/a", "y/a", "y/b")
    to_ya = {
        "to": [{"namespaceSelector": name_is(Y), "podSelector": {"matchLabels": {"pod": "a"}}}]
    }
    from_xa = {
        "from": [{"namespaceSelector": name_is(X), "podSelector": {"matchLabels": {"pod": "a"}}}]
    }
    w.policies = [
        policy("allow-to-ns-y-pod-a", X, {"pod": "a"}, egress=[to_ya]),
        policy("allow-from-xa-on-ya-match-selector", Y, {"pod": "a"}, ingress=[from_xa]),
        policy("allow-from-xa-on-yb-match-selector", Y, {"pod": "b"}, ingress=[from_xa]),
    ]
    r = w.reach()
    r.expect_peer((X, "a"), (None, None), False)
    r.expect_peer((None, None), (Y, "a"), False)
    r.expect_peer((X, "a"), (Y, "a"), True)
    r.expect_peer((None, None), (Y, "b"), False)
    w.check(r, 80)


def test_egress_to_a_server_in_another_namespace() -> None:
    w = World.of("x/a", "y/a", "y/b")
    w.policies = [
        policy(
            "allow-to-ns-y-pod-a",
            X,
            {"pod": "a"},
            egress=[
                {
                    "to": [
                        {
                            "namespaceSelector": name_is(Y),
                            "podSelector": {"matchLabels": {"pod": "a"}},
                        }
                    ]
                }
            ],
        )
    ]
    r = w.reach()
    r.all_egress(p(X, "a"), False)
    r.expect(p(X, "a"), p(Y, "a"), True)
    w.check(r, 80)


def test_any_port_on_a_specific_protocol() -> None:
    w = World.of("x/a", "y/a")
    w.policies = [
        policy(
            "allow-ingress-by-proto", X, {"pod": "a"}, ingress=[{"ports": [{"protocol": "TCP"}]}]
        )
    ]
    w.check(w.reach(), 80, "TCP")
    r = w.reach()
    r.expect_peer((None, None), (X, "a"), False)
    w.check(r, 80, "UDP")


def test_ingress_allow_all_takes_precedence() -> None:
    w = World.of("x/a", "y/a")
    w.policies = [policy("allow-ingress-port-80", X, {}, ingress=[{"ports": [{"port": 80}]}])]
    r = w.reach()
    r.expect_peer((None, None), (X, None), False)
    w.check(r, 81)
    w.policies.append(policy("allow-ingress", X, {}, ingress=[{}]))
    w.check(w.reach(), 81)


def test_egress_allow_all_takes_precedence() -> None:
    w = World.of("x/a", "y/a")
    w.policies = [policy("allow-egress-port-80", X, {}, egress=[{"ports": [{"port": 80}]}])]
    r = w.reach()
    r.expect_peer((X, None), (None, None), False)
    w.check(r, 81)
    w.policies.append(policy("allow-egress", X, {}, egress=[{}]))
    w.check(w.reach(), 81)


def test_policies_stop_applying_once_deleted() -> None:
    w = World.of("x/a", "y/a")
    w.policies = [policy("deny-all", X, {}, ingress=[], egress=[])]
    r = w.reach()
    r.expect_peer((X, None), (None, None), False)
    r.expect_peer((None, None), (X, None), False)
    w.check(r, 80)
    w.policies = []
    w.check(w.reach(), 80)


def test_egress_to_a_server_in_a_cidr_block() -> None:
    w = World.of("x/a", "y/a", "y/b")
    w.policies = [
        policy(
            "allow-client-a-via-cidr-egress-rule",
            X,
            {"pod": "a"},
            egress=[{"to": [{"ipBlock": {"cidr": f"{pod_ip(Y, 'b')}/32"}}]}],
        )
    ]
    r = w.reach()
    r.all_egress(p(X, "a"), False)
    r.expect(p(X, "a"), p(Y, "b"), True)
    w.check(r, 80)


def _large_cidr(ip: str) -> str:
    """The suite's makeLargeCIDRForIP: the /4 around the address."""
    return f"{network(ip + '/4').network_address}/4"  # type: ignore[union-attr]


def test_except_clause_in_an_egress_cidr_block() -> None:
    w = World.of("x/a", "x/b", "x/c")
    b_ip = pod_ip(X, "b")
    w.policies = [
        policy(
            "allow-client-a-via-cidr-egress-rule",
            X,
            {"pod": "a"},
            egress=[{"to": [{"ipBlock": {"cidr": _large_cidr(b_ip), "except": [f"{b_ip}/32"]}}]}],
        )
    ]
    r = w.reach()
    r.expect(p(X, "a"), p(X, "b"), False)
    w.check(r, 80)


def test_an_ip_in_both_cidr_and_except_is_allowed_by_another_policy() -> None:
    w = World.of("x/a", "x/b", "x/c")
    b_ip = pod_ip(X, "b")
    w.policies = [
        policy(
            "allow-client-a-via-cidr-egress-rule",
            X,
            {"pod": "a"},
            egress=[{"to": [{"ipBlock": {"cidr": _large_cidr(b_ip), "except": [f"{b_ip}/32"]}}]}],
        )
    ]
    r = w.reach()
    r.expect(p(X, "a"), p(X, "b"), False)
    w.check(r, 80)
    # The suite's UpdatePolicy of the same name: the policy now allows x/b only.
    w.policies = [
        policy(
            "allow-client-a-via-cidr-egress-rule",
            X,
            {"pod": "a"},
            egress=[{"to": [{"ipBlock": {"cidr": f"{b_ip}/32"}}]}],
        )
    ]
    r = w.reach()
    r.all_egress(p(X, "a"), False)
    r.expect(p(X, "a"), p(X, "b"), True)
    w.check(r, 80)


def test_ingress_and_egress_controlled_independently() -> None:
    w = World.of("x/a", "x/b", "y/a")
    w.policies = [policy("allow-egress-for-target", X, {"pod": "a"}, egress=[{}])]
    w.check(w.reach(), 80)
    w.policies.append(policy("deny-ingress-via-label-selector", X, {"pod": "a"}, ingress=[]))
    r = w.reach()
    r.all_ingress(p(X, "a"), False)
    w.check(r, 80)


def test_sctp_is_not_tcp() -> None:
    w = World.of("x/a", "y/a")
    w.policies = [
        policy("deny-ingress", X, {}, ingress=[]),
        policy(
            "allow-only-sctp-ingress-on-port-81",
            X,
            {"pod": "a"},
            ingress=[{"ports": [{"port": 81, "protocol": "SCTP"}]}],
        ),
    ]
    r = w.reach()
    r.expect_peer((None, None), (X, None), False)
    w.check(r, 81)


def test_a_policy_allowing_sctp_isolates_for_tcp() -> None:
    w = World.of("x/a", "y/a")
    w.policies = [
        policy(
            "allow-only-sctp-ingress-on-port-80",
            X,
            {"pod": "a"},
            ingress=[{"ports": [{"port": 80, "protocol": "SCTP"}]}],
        )
    ]
    r = w.reach()
    r.all_ingress(p(X, "a"), False)
    w.check(r, 81)


def test_udp_only_does_not_allow_tcp() -> None:
    w = World.of("x/a", "y/a")
    w.policies = [
        policy(
            "allow-only-udp-ingress-on-port-81",
            X,
            {"pod": "a"},
            ingress=[{"ports": [{"port": 81, "protocol": "UDP"}]}],
        )
    ]
    r = w.reach()
    r.all_ingress(p(X, "a"), False)
    w.check(r, 81)


def test_egress_namespace_not_in_by_the_default_name_label() -> None:
    w = World.of("x/a", "x/b", "y/a", "z/a")
    w.policies = [
        policy(
            "allow-ns-y-match-selector-for-immutable-ns-label",
            X,
            {"pod": "a"},
            egress=[{"to": [{"namespaceSelector": expr(NS_LABEL, "NotIn", Y)}]}],
        )
    ]
    r = w.reach()
    r.expect_peer((X, "a"), (Y, None), False)
    w.check(r, 80)


# ---------------------------------------------------------------- the API reference
def _one(
    policies: list[Obj],
    src_ip: str,
    src: Obj | None,
    dst: Obj,
    port: int,
    protocol: str = "TCP",
    namespaces: list[Obj] | None = None,
) -> bool:
    nss = namespaces if namespaces is not None else [make_ns(n) for n in NAMESPACES]
    pods = [q for q in (src, dst) if q is not None]
    return allowed(policies, nss, pods, src_ip, src, dst, port, protocol)


@pytest.mark.parametrize(
    ("port", "want"), [(79, False), (80, True), (85, True), (90, True), (91, False)]
)
def test_end_port_is_an_inclusive_range(port: int, want: bool) -> None:
    pol = policy("range", X, {}, ingress=[{"ports": [{"port": 80, "endPort": 90}]}])
    assert _one([pol], "203.0.113.9", None, make_pod(X, "a"), port) is want


@pytest.mark.parametrize(
    ("cidr", "src", "want"),
    [
        ("10.1.2.3/8", "10.200.0.1", True),  # stored with host bits: read as 10.0.0.0/8
        ("10.1.2.3/8", "11.0.0.1", False),
        ("127.0.0.1/16", "127.0.255.254", True),
        ("192.168.1.0/24", "192.168.2.1", False),
        ("fd00::/8", "10.0.0.1", False),  # another family never matches
        ("not-a-cidr", "10.0.0.1", False),
    ],
)
def test_cidrs_are_read_as_stored(cidr: str, src: str, want: bool) -> None:
    pol = policy("cidr", X, {}, ingress=[{"from": [{"ipBlock": {"cidr": cidr}}]}])
    assert _one([pol], src, None, make_pod(X, "a"), 80) is want


def test_except_with_host_bits_is_masked_too() -> None:
    pol = policy(
        "cidr",
        X,
        {},
        ingress=[{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.2.3/16"]}}]}],
    )
    assert _one([pol], "10.1.200.1", None, make_pod(X, "a"), 80) is False
    assert _one([pol], "10.2.0.1", None, make_pod(X, "a"), 80) is True


def test_ip_blocks_match_pod_ips_too() -> None:
    src = make_pod(Y, "a")
    pol = policy("cidr", X, {}, ingress=[{"from": [{"ipBlock": {"cidr": "10.2.0.0/16"}}]}])
    assert _one([pol], pod_ip(Y, "a"), src, make_pod(X, "a"), 80) is True


def test_traffic_from_the_pods_own_node_is_always_allowed() -> None:
    deny = policy("deny", X, {}, ingress=[])
    dst = make_pod(X, "a")
    assert _one([deny], "192.168.0.1", None, dst, 80) is True  # its hostIP
    assert _one([deny], "192.168.0.2", None, dst, 80) is False  # another node


def test_a_pod_may_always_reach_its_own_node() -> None:
    deny = policy("deny", X, {}, egress=[])
    node_pod = make_pod(Y, "a")
    node_pod["spec"]["hostNetwork"] = True
    node_pod["status"]["podIP"] = "192.168.0.1"
    assert _one([deny], pod_ip(X, "a"), make_pod(X, "a"), node_pod, 80) is True


def test_host_network_pods_are_node_traffic() -> None:
    host_pod = make_pod(X, "b")
    host_pod["spec"]["hostNetwork"] = True
    host_pod["status"]["podIP"] = "192.168.0.9"
    deny = policy("deny", X, {}, ingress=[])
    assert _one([deny], "203.0.113.1", None, host_pod, 80) is True  # never selected
    only_pods = policy("pods", X, {"pod": "a"}, ingress=[{"from": [{"podSelector": {}}]}])
    assert _one([only_pods], "192.168.0.9", host_pod, make_pod(X, "a"), 80) is False
    by_ip = policy(
        "ip", X, {"pod": "a"}, ingress=[{"from": [{"ipBlock": {"cidr": "192.168.0.9/32"}}]}]
    )
    assert _one([by_ip], "192.168.0.9", host_pod, make_pod(X, "a"), 80) is True


def test_outside_clients_match_no_pod_or_namespace_selector() -> None:
    everyone = policy("all-pods", X, {}, ingress=[{"from": [{"namespaceSelector": {}}]}])
    assert _one([everyone], "203.0.113.1", None, make_pod(X, "a"), 80) is False
    assert _one([everyone], pod_ip(Z, "c"), make_pod(Z, "c"), make_pod(X, "a"), 80) is True


def test_policy_types_default_from_the_rules() -> None:
    assert policy_types({}) == {"Ingress"}
    assert policy_types({"egress": []}) == {"Ingress"}  # an empty list is no egress section
    assert policy_types({"egress": [{}]}) == {"Ingress", "Egress"}
    assert policy_types({"policyTypes": ["Egress"], "ingress": [{}]}) == {"Egress"}


def test_a_policy_without_policy_types_and_with_egress_isolates_both_ways() -> None:
    pol = {
        "kind": "NetworkPolicy",
        "metadata": {"name": "p", "namespace": X},
        "spec": {"podSelector": {}, "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}]},
    }
    a, b = make_pod(X, "a"), make_pod(X, "b")
    assert _one([pol], pod_ip(X, "b"), b, a, 80) is False  # ingress: isolated, no rules
    assert _one([pol], pod_ip(X, "a"), a, make_pod(Y, "a"), 80) is False  # egress: only 53
    assert _one([pol], pod_ip(X, "a"), a, make_pod(Y, "a"), 53, "UDP") is True


def test_ingress_only_policies_leave_egress_open() -> None:
    pol = policy("deny-in", X, {}, ingress=[])
    assert _one([pol], pod_ip(X, "a"), make_pod(X, "a"), make_pod(Y, "a"), 80) is True


def test_named_port_must_match_the_protocol_and_the_destination() -> None:
    pol = policy("named", X, {}, ingress=[{"ports": [{"port": "serve-80-udp"}]}])
    dst = make_pod(X, "a")
    assert _one([pol], "203.0.113.1", None, dst, 80, "TCP") is False  # protocol TCP default
    pol = policy("named", X, {}, ingress=[{"ports": [{"port": "serve-80-udp", "protocol": "UDP"}]}])
    assert _one([pol], "203.0.113.1", None, dst, 80, "UDP") is True
    pol = policy("named", X, {}, ingress=[{"ports": [{"port": "no-such-port"}]}])
    assert _one([pol], "203.0.113.1", None, dst, 80) is False


def test_sidecar_ports_count_for_named_ports() -> None:
    dst = make_pod(X, "a")
    dst["spec"]["initContainers"] = [
        {
            "name": "proxy",
            "restartPolicy": "Always",
            "ports": [{"name": "metrics", "containerPort": 9100}],
        }
    ]
    pol = policy("named", X, {}, ingress=[{"ports": [{"port": "metrics"}]}])
    assert _one([pol], "203.0.113.1", None, dst, 9100) is True


def test_namespace_name_label_is_there_even_when_the_object_lacks_it() -> None:
    pol = policy("from-y", X, {}, ingress=[{"from": [{"namespaceSelector": name_is(Y)}]}])
    src = make_pod(Y, "a")
    assert _one([pol], pod_ip(Y, "a"), src, make_pod(X, "a"), 80, namespaces=[]) is True


def test_policies_select_only_pods_of_their_namespace() -> None:
    deny = policy("deny", Y, {}, ingress=[])
    assert _one([deny], "203.0.113.1", None, make_pod(X, "a"), 80) is True


def test_a_pod_selector_peer_alone_means_the_policys_namespace() -> None:
    pol = policy("same-ns", X, {}, ingress=[{"from": [{"podSelector": {}}]}])
    assert _one([pol], pod_ip(X, "b"), make_pod(X, "b"), make_pod(X, "a"), 80) is True
    assert _one([pol], pod_ip(Y, "b"), make_pod(Y, "b"), make_pod(X, "a"), 80) is False


def test_a_peer_with_nothing_set_matches_nothing() -> None:
    pol = policy("broken", X, {}, ingress=[{"from": [{}]}])
    assert _one([pol], pod_ip(X, "b"), make_pod(X, "b"), make_pod(X, "a"), 80) is False


@pytest.mark.parametrize(
    ("selector", "labels", "want"),
    [
        ({}, {}, True),
        ({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"}, True),
        ({"matchLabels": {"a": "1"}}, {"a": "2"}, False),
        (expr("a", "In", "1", "2"), {"a": "2"}, True),
        (expr("a", "In", "1"), {}, False),
        (expr("a", "NotIn", "1"), {}, True),  # an absent key is not in any set
        (expr("a", "NotIn", "1"), {"a": "1"}, False),
        ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {"a": ""}, True),
        ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {}, False),
        ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {}, True),
        ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {"a": "x"}, False),
        (
            {"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]},
            {"a": "5"},
            False,
        ),
        ({"matchLabels": {"a": "1"}, **expr("b", "Exists")}, {"a": "1"}, False),
    ],
)
def test_label_selectors(selector: Obj, labels: dict[str, str], want: bool) -> None:
    assert selector_matches(selector, labels) is want


def test_an_absent_selector_matches_nothing() -> None:
    assert selector_matches(None, {}) is False


def test_the_set_is_built_once_and_answers_many() -> None:
    pods = [make_pod(X, "a"), make_pod(Y, "a")]
    index = PolicySet.build([policy("deny", X, {}, ingress=[])], [], pods)
    assert index.pod_at(pod_ip(Y, "a")) is pods[1]
    assert index.pod_at("203.0.113.1") is None
    assert [q.key for q in index.selecting(pods[0], "Ingress")] == ["x/deny"]
    assert index.selecting(pods[1], "Ingress") == []
    assert not PolicySet.build([], [], pods)
