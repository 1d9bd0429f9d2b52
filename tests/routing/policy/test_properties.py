"""Laws of NetworkPolicy over random policies on the e2e cluster: allow rules only ever
allow; a pod no policy selects is open; the verdict is the two directions together."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kpath.routing.policy.index import PolicyIndex
from tests.routing.policy.nprecords import (
    EMPTY,
    NAME,
    NAMESPACES,
    PODS,
    e2e_cluster,
    peer,
    pod_ip,
    policy,
    port,
    rule,
    sel,
)
from tests.routing.policy.reachability import ALL, observed

SNAP = e2e_cluster()

selectors = st.one_of(
    st.just(EMPTY),
    st.sampled_from(PODS).map(lambda p: sel({"pod": p})),
    st.lists(st.sampled_from(PODS), min_size=1, max_size=2).map(
        lambda ps: sel(None, ("pod", "In", ps))
    ),
)
ns_selectors = st.one_of(
    st.just(EMPTY),
    st.sampled_from(NAMESPACES).map(lambda n: sel({NAME: n})),
    st.sampled_from(NAMESPACES).map(lambda n: sel(None, (NAME, "NotIn", [n]))),
)
cidrs = st.builds(
    lambda ns, p, bits: f"{pod_ip(ns, p)}/{bits}",
    st.sampled_from(NAMESPACES),
    st.sampled_from(PODS),
    st.sampled_from([8, 24, 32]),
)
peers = st.one_of(
    st.builds(lambda s: peer(pods=s), selectors),
    st.builds(lambda n: peer(namespaces=n), ns_selectors),
    st.builds(lambda s, n: peer(pods=s, namespaces=n), selectors, ns_selectors),
    st.builds(lambda c, e: peer(cidr=c, excepts=e), cidrs, st.lists(cidrs, max_size=1)),
)
ports = st.one_of(
    st.builds(
        port, st.sampled_from([80, 81, None, "serve-80-tcp"]), st.sampled_from(["TCP", "UDP"])
    ),
    st.just(port(79, "TCP", end=80)),
)
rules = st.builds(
    lambda ps, po: rule(*ps, ports=po), st.lists(peers, max_size=2), st.lists(ports, max_size=2)
)
rule_lists = st.one_of(st.none(), st.lists(rules, max_size=2))


@st.composite
def policies(draw, name: str = "p") -> object:
    ingress, egress = draw(rule_lists), draw(rule_lists)
    return policy(
        f"{name}{draw(st.integers(0, 99))}",
        draw(st.sampled_from(NAMESPACES)),
        draw(selectors),
        ingress=ingress,
        egress=egress,
    )


policy_sets = st.lists(policies(), max_size=4, unique_by=lambda p: (p.namespace, p.name))


@settings(max_examples=60, deadline=None)
@given(policy_sets, st.sampled_from([80, 81]))
def test_adding_a_rule_never_denies(ps, number) -> None:
    before = observed(PolicyIndex(SNAP, ps), number)
    widened = [
        p._replace(
            ingress=(*p.ingress, rule(peer(pods=sel({"pod": "a"})))),
            egress=(*p.egress, rule(ports=[port(81)])),
        )
        for p in ps
    ]
    after = observed(PolicyIndex(SNAP, widened), number)
    assert all(after[k] for k, v in before.items() if v)


@settings(max_examples=60, deadline=None)
@given(policy_sets, policies("extra"), st.sampled_from([80, 81]))
def test_a_policy_over_already_isolated_pods_never_denies(ps, extra, number) -> None:
    idx = PolicyIndex(SNAP, ps)
    before = observed(idx, number)
    after_idx = PolicyIndex(SNAP, [*ps, extra._replace(name="added")])
    after = observed(after_idx, number)
    for (f, t), ok in before.items():
        src, dst = SNAP.pods[f], SNAP.pods[t]
        newly_isolated = (
            "Ingress" in extra.policy_types
            and not idx.selecting(dst, "Ingress")
            and after_idx.selecting(dst, "Ingress")
        ) or (
            "Egress" in extra.policy_types
            and not idx.selecting(src, "Egress")
            and after_idx.selecting(src, "Egress")
        )
        if ok and not newly_isolated:
            assert after[(f, t)], f"{f} -> {t}"


@settings(max_examples=60, deadline=None)
@given(policy_sets, st.sampled_from([80, 81]), st.sampled_from(["TCP", "UDP"]))
def test_unselected_pods_are_open_and_verdicts_combine(ps, number, protocol) -> None:
    from kpath.routing.policy.evaluate import reach_in
    from kpath.routing.policy.verdict import Source

    idx = PolicyIndex(SNAP, ps)
    for f in ALL:
        src = SNAP.pods[f]
        for t in ALL:
            dst = SNAP.pods[t]
            v = reach_in(idx, Source("pod", src.ip, f, src.node), dst, number, protocol)
            assert v.allowed == (v.egress.allowed and v.ingress.allowed)
            if not idx.selecting(dst, "Ingress"):
                assert v.ingress.allowed and v.ingress.policies == ()
            if not idx.selecting(src, "Egress"):
                assert v.egress.allowed and v.egress.policies == ()
            for d in (v.ingress, v.egress):
                assert d.allowed or not d.allowed_by
                assert {r.policy for r in d.allowed_by} <= set(d.policies)
