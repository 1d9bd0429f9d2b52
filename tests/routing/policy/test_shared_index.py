"""One index asked many questions answers each as a fresh index does: what it keeps per
source, per node and per `selecting` answer (pods labelled alike share the rules' answer)
changes no verdict, no policy list and no word of a reason."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import Snapshot
from kpath.routing.policy.evaluate import UnknownPort, judged, reach_in, source_facts
from kpath.routing.policy.index import PolicyIndex
from kpath.routing.policy.verdict import Reach, Source
from tests import builders as b
from tests.routing.policy.nprecords import EMPTY, NAME, peer, policy, port, rule, sel

NODES = {"n1": "192.168.0.1", "n2": "192.168.0.2", "n3": "192.168.0.3"}


def _http(number: int) -> list[dict[str, object]]:
    return [{"name": "http", "containerPort": number, "protocol": "TCP"}]


def _cluster() -> Snapshot:
    """Six pods of one workload (labelled alike) on three nodes, declaring the port named
    ``http`` as 80, as 81 or not at all; a database pod; a hostNetwork agent; a pod of
    another namespace."""
    objects: list[dict[str, object]] = [b.node(n, ip=ip) for n, ip in NODES.items()]
    for ns in ("shop", "other"):
        objects.append({"kind": "Namespace", "metadata": {"name": ns, "labels": {NAME: ns}}})
    for i in range(6):
        ports = _http(80) if i % 3 == 0 else _http(81) if i % 3 == 1 else None
        objects.append(
            b.pod(f"web{i}", f"n{i % 3 + 1}", f"10.244.0.{i + 10}", {"app": "web"}, ports=ports)
        )
    objects.append(b.pod("db", "n1", "10.244.0.30", {"app": "db"}, ports=_http(80)))
    objects.append(b.pod("agent", "n2", NODES["n2"], {"app": "agent"}))
    objects[-1]["spec"]["hostNetwork"] = True  # type: ignore[index]
    objects.append(b.pod("api", "n3", "10.244.1.10", {"app": "web"}, ns="other"))
    return b.snapshot(*objects, kinds=(*b.SLICE_KINDS, "Namespace"))


SNAP = _cluster()
PODS = sorted(SNAP.pods)


def _sources() -> list[Source]:
    out = [Source("pod", p.ip, p.key, p.node) for p in map(SNAP.pods.__getitem__, PODS)]
    out.append(Source("pod", "10.244.9.9", ObjectKey("shop", "gone"), "n1"))  # not in it
    for n, ip in NODES.items():
        out += [Source("node", ip, None, n), Source("node", None, None, n), Source("ip", ip)]
    out += [Source("node", None, None, "nowhere"), Source("ip", "10.244.0.10")]
    out += [Source("ip", "203.0.113.7"), Source("ip", "not-an-address"), Source("ip", None)]
    return out


SOURCES = _sources()

pod_selectors = st.sampled_from([EMPTY, sel({"app": "web"}), sel({"app": "db"})])
cidrs = st.sampled_from(["192.168.0.1/32", "192.168.0.0/24", "10.244.0.0/16", "0.0.0.0/0"])
peers = st.one_of(
    st.builds(lambda s: peer(pods=s), pod_selectors),
    st.builds(
        lambda s, n: peer(pods=s, namespaces=sel({NAME: n})),
        pod_selectors,
        st.sampled_from(["shop", "other"]),
    ),
    st.builds(lambda c: peer(cidr=c, excepts=["10.244.0.10/32"]), cidrs),
)
ports = st.one_of(
    st.builds(port, st.sampled_from([80, 81, None, "http"]), st.sampled_from(["TCP", "UDP"])),
    st.just(port(79, "TCP", end=80)),
)
rules = st.builds(
    lambda ps, po: rule(*ps, ports=po), st.lists(peers, max_size=2), st.lists(ports, max_size=2)
)
rule_lists = st.one_of(st.none(), st.lists(rules, max_size=2))


@st.composite
def policies(draw: st.DrawFn) -> object:
    return policy(
        f"p{draw(st.integers(0, 99))}",
        draw(st.sampled_from(["shop", "shop", "other"])),
        draw(pod_selectors),
        ingress=draw(rule_lists),
        egress=draw(rule_lists),
    )


policy_sets = st.lists(policies(), min_size=1, max_size=4, unique_by=lambda p: p.name)
QUESTIONS = [
    (s, d, n, proto)
    for s in range(len(SOURCES))
    for d in PODS
    for n in (80, 81, "http")
    for proto in ("TCP", "UDP")
]


def _ask(
    idx: PolicyIndex, q: tuple[int, ObjectKey, int | str, str], ask: Callable[..., Reach] = reach_in
) -> Reach | str:
    """``ask``'s verdict (`judged`: read rule by rule, no pods alike share it)."""
    s, d, number, protocol = q
    try:
        return ask(idx, SOURCES[s], SNAP.pods[d], number, protocol)
    except UnknownPort as e:
        return str(e)


@settings(max_examples=40, deadline=None)
@given(policy_sets, st.permutations(QUESTIONS))
def test_a_shared_index_answers_as_a_fresh_one(ps, questions) -> None:
    shared = PolicyIndex(SNAP, ps)
    for q in questions[:300]:  # in any order: what is kept first decides nothing
        assert _ask(shared, q) == _ask(PolicyIndex(SNAP, ps), q), q


@settings(max_examples=40, deadline=None)
@given(policy_sets, st.permutations(QUESTIONS))
def test_pods_alike_share_a_verdict_only_where_the_rules_read_nothing_else(ps, questions) -> None:
    """`reach_in` makes one verdict for a workload's replicas (`alike`), remade with each
    pod's key: it says what the rules, read rule by rule for that pod alone, say."""
    shared = PolicyIndex(SNAP, ps)
    for q in questions[:300]:
        assert _ask(shared, q) == _ask(PolicyIndex(SNAP, ps), q, judged), q


def test_the_workloads_replicas_are_judged_once_from_a_source() -> None:
    deny = policy("deny", "shop", sel({"app": "web"}), ingress=[])
    idx = PolicyIndex(SNAP, [deny])
    out = Source("ip", "203.0.113.7")
    for i in range(6):
        reach_in(idx, out, SNAP.pods[ObjectKey("shop", f"web{i}")], 81)
    # web0, web3 and web1, web4 and web2, web5 declare their ports alike.
    assert len(source_facts(idx, out).alike) == 3


def test_the_workload_shares_its_rules_answer_and_still_names_each_pod() -> None:
    deny = policy("deny", "shop", sel({"app": "web"}), ingress=[])
    idx = PolicyIndex(SNAP, [deny])
    out = Source("ip", "203.0.113.7")
    said = [reach_in(idx, out, SNAP.pods[ObjectKey("shop", f"web{i}")], 80) for i in range(6)]
    [rules] = idx.ingress_rules.values()
    assert len(rules.answers) == 1  # one answer for the six pods
    assert [r.ingress.reason for r in said] == [
        "denied: policy shop/deny selects shop/web"
        f"{i} for ingress and no rule allows 203.0.113.7 to 80/TCP"
        for i in range(6)
    ]


def test_a_named_port_keeps_the_workloads_pods_apart() -> None:
    """``http`` is 80 on web0, 81 on web1 and absent on web2: one rule, three answers."""
    named = policy("named", "shop", sel({"app": "web"}), ingress=[rule(ports=[port("http")])])
    idx = PolicyIndex(SNAP, [named])
    out = Source("ip", "203.0.113.7")
    allowed = [
        reach_in(idx, out, SNAP.pods[ObjectKey("shop", f"web{i}")], n).allowed
        for n in (80, 81)
        for i in range(3)
    ]
    assert allowed == [True, False, False, False, True, False]
