"""Source classes of pods (`PodClasses`): pods of one class get the same verdict, pod by pod,
toward every destination, under random policies whose selectors read some labels only (so
pods differing elsewhere share a class) and whose ipBlocks split some pod addresses."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kpath.cluster.records import ObjectKey
from kpath.routing.policy.evaluate import reach_in
from kpath.routing.policy.index import PolicyIndex
from kpath.routing.policy.podclass import PodClasses, selector_keys
from kpath.routing.policy.verdict import Reach, Source
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
from tests.routing.policy.reachability import ALL

APPS = ("web", "api")

pod_labels = st.fixed_dictionaries(
    {f"{ns}/{p}": st.sampled_from([{"app": a} for a in APPS]) for ns in NAMESPACES for p in PODS}
)
selectors = st.sampled_from(
    [
        EMPTY,
        *(sel({"app": a}) for a in APPS),
        sel(None, ("app", "NotIn", ["api"])),
        sel({"pod": "a"}),  # a key that splits every pod
    ]
)
ns_selectors = st.one_of(st.just(EMPTY), st.sampled_from(NAMESPACES).map(lambda n: sel({NAME: n})))
cidrs = st.builds(
    lambda ns, p, bits: f"{pod_ip(ns, p)}/{bits}",
    st.sampled_from(NAMESPACES),
    st.sampled_from(PODS),
    st.sampled_from([32, 32, 24, 8]),  # /32: one pod apart from its namespace
)
peers = st.one_of(
    st.builds(lambda s: peer(pods=s), selectors),
    st.builds(lambda s, n: peer(pods=s, namespaces=n), selectors, ns_selectors),
    st.builds(lambda c, e: peer(cidr=c, excepts=e), cidrs, st.lists(cidrs, max_size=1)),
)
rules = st.builds(
    lambda ps, po: rule(*ps, ports=po),
    st.lists(peers, max_size=2),
    st.lists(st.builds(port, st.sampled_from([80, 81, None])), max_size=1),
)
rule_lists = st.one_of(st.none(), st.lists(rules, max_size=2))


@st.composite
def policies(draw: st.DrawFn) -> object:
    return policy(
        f"p{draw(st.integers(0, 99))}",
        draw(st.sampled_from(NAMESPACES)),
        draw(selectors),
        ingress=draw(rule_lists),
        egress=draw(rule_lists),
    )


policy_sets = st.lists(policies(), max_size=4, unique_by=lambda p: (p.namespace, p.name))


def _source(snap: object, key: ObjectKey) -> Source:
    pod = snap.pods[key]  # type: ignore[attr-defined]
    return Source("pod", pod.ip, key, pod.node)


def _answer(r: Reach) -> tuple[object, ...]:
    """What a class shares: every verdict but the words (which name the source)."""
    return tuple((d.allowed, d.policies, d.allowed_by) for d in (r.egress, r.ingress))


@settings(max_examples=150, deadline=None)
@given(pod_labels, policy_sets, st.sampled_from([80, 81]))
def test_a_class_shares_every_verdict(labels, ps, number) -> None:
    snap = e2e_cluster(pod_labels=labels)
    idx = PolicyIndex(snap, ps)
    classes = PodClasses(snap, ps)
    by_class: dict[tuple[object, ...], list[ObjectKey]] = {}
    for f in ALL:
        by_class.setdefault(classes.of(_source(snap, f)), []).append(f)
    for members in by_class.values():
        first, *rest = members
        for t in ALL:
            dst = snap.pods[t]
            want = _answer(reach_in(idx, _source(snap, first), dst, number))
            for other in rest:
                assert _answer(reach_in(idx, _source(snap, other), dst, number)) == want, (
                    f"{first} and {other} -> {t}"
                )


def test_replicas_alike_share_a_class_and_an_ipblock_splits_them() -> None:
    labels = {f"{ns}/{p}": {"app": "web"} for ns in NAMESPACES for p in PODS}
    snap = e2e_cluster(pod_labels=labels)
    a, b = ObjectKey("x", "a"), ObjectKey("x", "b")
    by_app = [policy("p", "y", ingress=[rule(peer(pods=sel({"app": "web"})))])]
    assert selector_keys(by_app) == ("app",)
    classes = PodClasses(snap, by_app)
    assert classes.of(_source(snap, a)) == classes.of(_source(snap, b))
    assert classes.of(_source(snap, a)) != classes.of(_source(snap, ObjectKey("y", "a")))
    one_ip = [*by_app, policy("q", "y", ingress=[rule(peer(cidr=f"{pod_ip('x', 'a')}/32"))])]
    split = PodClasses(snap, one_ip)
    assert split.of(_source(snap, a)) != split.of(_source(snap, b))
    by_name = [policy("r", "y", ingress=[rule(peer(pods=sel({"pod": "a"})))])]
    named = PodClasses(snap, by_name)
    assert named.of(_source(snap, a)) != named.of(_source(snap, b))


def test_what_the_rule_does_not_cover_is_its_own_class() -> None:
    snap = e2e_cluster()
    classes = PodClasses(snap, [])
    gone = Source("pod", "10.9.9.9", ObjectKey("x", "gone"))
    assert classes.of(gone) == ("pod", gone.pod)
    node = Source("node", "192.168.0.1", node="n1")
    assert classes.of(node) == ("node", "192.168.0.1")
