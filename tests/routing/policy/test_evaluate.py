"""One rule at a time: peers, ports, ipBlocks, sources that are not pods, the verdict's
policies, rules and reasons."""

from __future__ import annotations

import pytest

from kpath.cluster.records import ObjectKey
from kpath.routing.policy.evaluate import UnknownPort, reach, reach_in, rule_text
from kpath.routing.policy.index import policy_index
from kpath.routing.policy.verdict import RuleRef, Source
from tests import builders as b
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

XA = ObjectKey("x", "a")


def pod_source(idx, ns: str, name: str) -> Source:
    p = idx.snapshot.pods[ObjectKey(ns, name)]
    return Source("pod", p.ip, p.key, p.node)


def ask(idx, source: Source, to: str = "x/a", number: int | str = 80, protocol: str = "TCP"):
    ns, _, name = to.partition("/")
    return reach_in(idx, source, idx.snapshot.pods[ObjectKey(ns, name)], number, protocol)


def ip(addr: str) -> Source:
    return Source("ip", addr)


def only_from(*peers, ports=()):
    return index(policy("only", select=sel({"pod": "a"}), ingress=[rule(*peers, ports=ports)]))


@pytest.mark.parametrize(
    ("cidr", "client", "allowed"),
    [
        ("10.1.2.3/8", "10.200.0.1", True),  # host bits set: the API server kept 10.0.0.0/8
        ("10.1.2.3/8", "11.0.0.1", False),
        ("203.0.113.7/32", "203.0.113.7", True),
        ("203.0.113.0/24", "203.0.114.1", False),
        ("0.0.0.0/0", "198.51.100.1", True),
        ("2001:db8::/32", "2001:db8::1", True),
        ("2001:db8::/32", "10.0.0.1", False),  # another family never matches
        ("not-a-cidr", "10.0.0.1", False),
    ],
)
def test_ip_block_cidr(cidr: str, client: str, allowed: bool) -> None:
    assert ask(only_from(peer(cidr=cidr)), ip(client)).allowed is allowed


def test_ip_block_except_excludes_and_wins_over_the_cidr() -> None:
    idx = only_from(peer(cidr="198.51.100.0/24", excepts=["198.51.100.128/25", "bad"]))
    assert ask(idx, ip("198.51.100.5")).allowed
    assert not ask(idx, ip("198.51.100.200")).allowed


def test_ip_block_matches_pod_addresses() -> None:
    idx = only_from(peer(cidr=f"{pod_ip('y', 'c')}/32"))
    assert ask(idx, pod_source(idx, "y", "c")).allowed
    assert not ask(idx, pod_source(idx, "y", "b")).allowed


def test_outside_client_matches_no_selector() -> None:
    idx = only_from(peer(namespaces=EMPTY), peer(pods=EMPTY))
    v = ask(idx, ip("203.0.113.9"))
    assert not v.allowed and v.egress.allowed and not v.ingress.allowed
    assert v.egress.policies == () and "not a pod" in v.egress.reason


def test_empty_from_allows_everyone_including_outside() -> None:
    assert ask(only_from(), ip("203.0.113.9")).allowed


def test_no_rules_denies_and_names_the_policy() -> None:
    idx = index(policy("deny", ingress=[]))
    v = ask(idx, pod_source(idx, "y", "a"))
    assert not v.allowed
    assert v.ingress.policies == (ObjectKey("x", "deny"),)
    assert v.ingress.allowed_by == ()
    assert "x/deny" in v.ingress.reason and "x/a" in v.ingress.reason


def test_egress_only_policy_does_not_isolate_ingress() -> None:
    idx = index(policy("e", egress=[]))  # policyTypes [Egress]
    v = ask(idx, pod_source(idx, "y", "a"))
    assert v.allowed and v.ingress.policies == ()


def test_policy_types_without_rules_are_what_isolates() -> None:
    # Ingress rules given but policyTypes only Egress: ingress is not isolated.
    idx = index(
        policy(
            "e", ingress=[rule(peer(pods=sel({"pod": "zzz"})))], egress=[rule()], types=["Egress"]
        )
    )
    assert ask(idx, pod_source(idx, "y", "a")).allowed


def test_allowed_by_names_every_matching_rule() -> None:
    idx = index(
        policy("p1", ingress=[rule(ports=[port(81)]), rule(peer(pods=EMPTY))]),
        policy("p2", ingress=[rule()]),
    )
    v = ask(idx, pod_source(idx, "x", "b"))
    assert v.ingress.allowed_by == (
        RuleRef(ObjectKey("x", "p1"), "ingress", 1),
        RuleRef(ObjectKey("x", "p2"), "ingress", 0),
    )
    assert rule_text(v.ingress.allowed_by[0]) == "x/p1 spec.ingress[1]"
    assert "x/p1 spec.ingress[1]" in v.ingress.reason


def test_policy_in_another_namespace_does_not_select() -> None:
    idx = index(policy("deny", "y", ingress=[]))
    assert ask(idx, pod_source(idx, "z", "a")).allowed


@pytest.mark.parametrize(
    ("number", "allowed"), [(8079, False), (8080, True), (8085, True), (8090, True), (8091, False)]
)
def test_end_port_range(number: int, allowed: bool) -> None:
    idx = only_from(ports=[port(8080, end=8090)])
    assert ask(idx, ip("203.0.113.1"), number=number).allowed is allowed


def test_named_port_is_the_destinations() -> None:
    idx = only_from(ports=[port("serve-81-udp", "UDP")])
    assert ask(idx, ip("203.0.113.1"), number=81, protocol="UDP").allowed
    assert not ask(idx, ip("203.0.113.1"), number=81, protocol="TCP").allowed
    assert not ask(idx, ip("203.0.113.1"), number=80, protocol="UDP").allowed


def test_named_port_the_destination_lacks_matches_nothing() -> None:
    idx = only_from(ports=[port("no-such-port")])
    assert not ask(idx, ip("203.0.113.1")).allowed


def test_port_given_by_name_resolves_on_the_destination() -> None:
    idx = index()
    v = ask(idx, ip("203.0.113.1"), number="serve-81-sctp", protocol="sctp")
    assert (v.port, v.protocol) == (81, "SCTP")
    with pytest.raises(UnknownPort, match="no container port named 'nope'"):
        ask(idx, ip("203.0.113.1"), number="nope")
    with pytest.raises(ValueError, match="protocol"):
        ask(idx, ip("203.0.113.1"), protocol="ICMP")


def test_own_node_always_enters() -> None:
    idx = index(policy("deny", ingress=[]))
    own = idx.snapshot.pods[XA].node
    other = next(n for n in idx.snapshot.nodes if n != own)
    by_name = ask(idx, Source("node", None, None, own))
    assert by_name.allowed and "own node" in by_name.ingress.reason
    assert by_name.ingress.policies == (ObjectKey("x", "deny"),)
    own_ip = idx.snapshot.nodes[own].ip
    assert ask(idx, ip(own_ip)).allowed  # its address, as a bare IP
    assert not ask(idx, Source("node", None, None, other)).allowed


def test_node_source_matches_ip_blocks_by_its_address_only() -> None:
    snap = e2e_cluster()
    a_node = snap.pods[XA].node
    other = next(n for n in snap.nodes if n != a_node)
    other_ip = snap.nodes[other].ip
    by_cidr = index(
        policy("p", select=sel({"pod": "a"}), ingress=[rule(peer(cidr=f"{other_ip}/32"))]),
        snapshot=snap,
    )
    assert ask(by_cidr, Source("node", None, None, other)).allowed
    by_selector = index(
        policy("p", select=sel({"pod": "a"}), ingress=[rule(peer(namespaces=EMPTY, pods=EMPTY))]),
        snapshot=snap,
    )
    assert not ask(by_selector, Source("node", other_ip, None, other)).allowed


def test_host_network_pods() -> None:
    objects = [
        b.node("n1", ip="192.168.0.1"),
        b.node("n2", ip="192.168.0.2"),
        b.pod("web", "n1", "10.244.0.5", labels={"app": "web"}, ns="x"),
        b.pod("agent", "n2", "192.168.0.2", labels={"app": "agent"}, ns="x"),
    ]
    objects[-1]["spec"]["hostNetwork"] = True
    snap = b.snapshot(*objects)
    agent = snap.pods[ObjectKey("x", "agent")]
    web = snap.pods[ObjectKey("x", "web")]
    deny_all = policy("deny", ingress=[], egress=[])
    idx = index(deny_all, snapshot=snap)
    # A hostNetwork source speaks as its node: its egress is not isolated, and selectors
    # that would select it as a pod do not.
    v = reach_in(idx, Source("pod", agent.ip, agent.key, agent.node), web, 80)
    assert v.egress.allowed and "host network" in v.egress.reason
    assert not v.ingress.allowed
    # ... but an ipBlock holding its node's address does.
    idx2 = index(policy("p", ingress=[rule(peer(cidr="192.168.0.0/24"))]), snapshot=snap)
    assert reach_in(idx2, Source("pod", agent.ip, agent.key, agent.node), web, 80).allowed
    # A hostNetwork destination is not isolated by policies.
    v = reach_in(idx, Source("ip", "203.0.113.1"), agent, 80)
    assert v.ingress.allowed and v.ingress.policies == ()


def test_namespace_labels_synthesised_when_namespaces_were_not_read() -> None:
    snap = e2e_cluster(with_namespaces=False)
    by_name = index(
        policy("p", select=sel({"pod": "a"}), ingress=[rule(peer(namespaces=sel({NAME: "y"})))]),
        snapshot=snap,
    )
    assert by_name.namespaces_synthesized
    assert ask(by_name, pod_source(by_name, "y", "b")).allowed
    assert not ask(by_name, pod_source(by_name, "z", "b")).allowed
    by_label = index(
        policy("p", select=sel({"pod": "a"}), ingress=[rule(peer(namespaces=sel({"team": "y"})))]),
        snapshot=snap,
    )
    assert not ask(by_label, pod_source(by_label, "y", "b")).allowed
    assert not index(snapshot=e2e_cluster()).namespaces_synthesized


def test_egress_verdict_lists_the_source_policies() -> None:
    idx = index(policy("out", egress=[rule(peer(namespaces=sel({NAME: "y"})))]))
    to_y = ask(idx, pod_source(idx, "x", "b"), to="y/a")
    assert to_y.allowed and to_y.egress.policies == (ObjectKey("x", "out"),)
    assert to_y.egress.allowed_by == (RuleRef(ObjectKey("x", "out"), "egress", 0),)
    to_z = ask(idx, pod_source(idx, "x", "b"), to="z/a")
    assert not to_z.allowed and not to_z.egress.allowed and to_z.ingress.allowed
    assert "z/a:80/TCP" in to_z.egress.reason


def test_reach_on_a_snapshot_without_policies_is_open_and_cached() -> None:
    snap = e2e_cluster()
    v = reach(snap, Source("ip", "203.0.113.1"), snap.pods[XA], 80)
    assert v.allowed and v.ingress.policies == () and v.egress.policies == ()
    assert policy_index(snap) is policy_index(snap)
    assert policy_index(e2e_cluster()) is not policy_index(snap)


def test_open_directions_share_one_verdict_per_party_and_name_it() -> None:
    # Kept per (reason, source or pod) in the index: each asks of it gets its own words.
    idx = index(policy("e", egress=[]))  # x/* isolated for egress only
    outside, other = ip("203.0.113.1"), ip("203.0.113.2")
    to_a, to_b = ask(idx, outside, to="y/a"), ask(idx, outside, to="y/b")
    assert to_a.egress is to_b.egress
    assert to_a.egress.reason == "203.0.113.1 is not a pod of the cluster: no egress policy applies"
    assert ask(idx, other, to="y/a").egress.reason.startswith("203.0.113.2 ")
    assert to_a.ingress.reason == "no policy selects y/a for ingress"
    assert to_b.ingress.reason == "no policy selects y/b for ingress"
    from_y = ask(idx, pod_source(idx, "y", "a"), to="y/b")
    assert from_y.egress.reason == "no policy selects y/a for egress"
    assert from_y.ingress is ask(idx, pod_source(idx, "z", "a"), to="y/b").ingress
