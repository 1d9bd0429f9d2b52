"""Findings about NetworkPolicy on the paths: KP520-KP523."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kpath.routing.analysis import analyse
from kpath.routing.findings import RULES, Severity
from tests import builders as b
from tests.routing.policy.pathcluster import (
    allow_office,
    analysed,
    base,
    from_cidr,
    namespace,
    netpol,
    web,
)
from tests.routing.policy.test_sources import ingress_objects


def found(a, code: str):
    return [f for f in a.findings if f.code == code]


def test_codes_are_registered_with_their_severity():
    assert RULES["KP520"][1] == Severity.ERROR and RULES["KP521"][1] == Severity.WARNING
    assert RULES["KP522"][1] == Severity.WARNING and RULES["KP523"][1] == Severity.ERROR


def test_a_blocked_node_hop_names_the_policy_the_rule_and_the_snat_address():
    # n1, n2 host the pods (their own node is allowed: partial); n4 sends only elsewhere.
    a = analysed(*base(("n1", "n2", "n4")), web(), allow_office())
    (f,) = found(a, "KP520")
    assert f.service.name == "web" and f.nodes == ("n4",) and f.port == "80/TCP"
    assert "blocked by policy shop/allow-office" in f.message
    assert "shop/allow-office allows only 198.51.100.0/24 on TCP 8080" in f.message
    assert "at n4 traffic arrives SNATed to 10.0.4.1" in f.message
    assert "externalTrafficPolicy: Cluster" in f.message
    # The pods' own nodes still reach them: said in the same finding, not another one.
    assert "(and partly at 1 more node group)" in f.message
    assert not found(a, "KP521") and not found(a, "KP523")


def test_a_hop_blocked_only_in_part_is_a_warning_saying_how_many():
    a = analysed(*base(("n1", "n2")), web(), allow_office())
    (f,) = found(a, "KP521")
    assert "2 of 2 endpoints blocked from some entry nodes by policy shop/allow-office" in (
        f.message
    )
    assert set(f.nodes) == {"n1", "n2"} and not found(a, "KP520")


def test_a_service_blocked_from_every_source_is_one_finding():
    a = analysed(*base(), web(etp="Local"), allow_office())
    (f,) = found(a, "KP523")
    assert "unreachable from every source" in f.message and "203.0.113.1" in f.message
    assert "shop/allow-office allows only 198.51.100.0/24" in f.message
    assert not found(a, "KP520") and not found(a, "KP521")


def test_the_client_flag_inside_the_cidr_clears_the_findings():
    a = analysed(*base(), web(etp="Local"), allow_office(), client="198.51.100.9")
    assert not {"KP520", "KP521", "KP523"} & {f.code for f in a.findings}


def test_deny_all_says_it_allows_no_ingress():
    a = analysed(*base(), web(etp="Local"), netpol("deny-all", ingress=[]))
    (f,) = found(a, "KP523")
    assert "shop/deny-all allows no ingress (deny all)" in f.message


def test_the_ingress_hop_names_the_controller_pod_as_the_source():
    a = analysed(*base(), web("ClusterIP"), *ingress_objects(), allow_office())
    (f,) = found(a, "KP523")
    assert "ingress-nginx/ctrl-1 at 10.244.9.9" in f.message


def test_a_policy_that_selects_no_pod():
    typo = netpol("allow-wbe", select={"app": "wbe"}, ingress=[])
    a = analysed(*base(), web(), typo, allow_office())
    (f,) = found(a, "KP522")
    assert "shop/allow-wbe selects no pod (podSelector app=wbe in shop)" in f.message


def test_no_selects_no_pod_finding_when_the_input_has_no_pods():
    snap = b.snapshot(
        namespace("shop"),
        web(),
        netpol("x", select={"app": "x"}),
        kinds=("Service", "NetworkPolicy", "Namespace"),
    )
    assert not [f for f in analyse(snap).findings if f.code == "KP522"]


def test_an_internal_service_no_pod_may_reach_is_unreachable():
    # Only pods labelled app: payment may connect, and there are none (a label typo).
    typo = netpol(
        "allow-payment",
        select={"app": "web"},
        ingress=[{"from": [{"podSelector": {"matchLabels": {"app": "payment"}}}]}],
    )
    a = analysed(*base(), web("ClusterIP"), typo)
    (f,) = found(a, "KP523")
    assert "no pod of the cluster may connect (policies shop/allow-payment)" in f.message
    assert "shop/allow-payment allows only pods app=payment of shop" in f.message


def test_an_internal_service_some_pod_may_reach_is_not_reported():
    ok = netpol(
        "allow-web",
        select={"app": "web"},
        ingress=[{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}],
    )
    a = analysed(*base(), web("ClusterIP"), ok)
    assert not found(a, "KP523")
    open_ = netpol("from-office", select={"app": "web"}, ingress=[from_cidr("10.0.0.0/8")])
    assert not found(analysed(*base(), web("ClusterIP"), open_), "KP523")


def test_many_unreachable_internal_services_of_a_namespace_are_one_finding():
    objs = []
    for i in range(4):
        name = f"svc{i}"
        objs += [
            b.service(name, selector={"app": name}),
            b.pod(f"{name}-1", "n1", f"10.244.1.{20 + i}", labels={"app": name}),
            b.endpointslice(name, [b.endpoint(f"10.244.1.{20 + i}", "n1", f"{name}-1")]),
        ]
    a = analysed(*base(), *objs, netpol("deny-all", ingress=[]))
    (f,) = found(a, "KP523")
    assert f.message.startswith("4 Services in shop are unreachable") and f.service is None
    assert "shop/deny-all allows no ingress (deny all)" in f.message


@given(
    ips=st.lists(st.integers(0, 255), max_size=12),
    prefix=st.integers(24, 32),
    base_ip=st.integers(0, 255),
    excepts=st.lists(st.tuples(st.integers(0, 255), st.integers(26, 32)), max_size=2),
)
@settings(max_examples=200, deadline=None)
def test_a_block_holds_a_pod_exactly_when_one_of_its_addresses_is_inside(
    ips: list[int], prefix: int, base_ip: int, excepts: list[tuple[int, int]]
) -> None:
    import ipaddress

    from kpath.cluster.netpol import IPBlock
    from kpath.routing.policy import pathfindings

    pods = [b.pod(f"p{i}", "n1", f"10.0.0.{x}") for i, x in enumerate(ips)]
    snap = b.snapshot(*pods)
    block = IPBlock(f"10.0.0.{base_ip}/{prefix}", tuple(f"10.0.0.{e}/{p}" for e, p in excepts))
    net = ipaddress.ip_network(block.cidr, strict=False)
    outs = [ipaddress.ip_network(e, strict=False) for e in block.excepts]
    inside = any(
        (a := ipaddress.ip_address(f"10.0.0.{x}")) in net and not any(a in o for o in outs)
        for x in ips
    )
    pathfindings._POD_IPS.clear()
    assert pathfindings._scan_block(snap, block) is inside


def test_pod_addresses_are_read_all_at_once_or_one_by_one_alike() -> None:
    from kpath.routing.policy import pathfindings

    good = [b.pod("a", "n1", "10.0.0.9"), b.pod("b", "n1", "10.0.0.2"), b.pod("c", "n1", "fd00::1")]
    packed = bytes([10, 0, 0, 9, 10, 0, 0, 2])  # in the pods' order; the IPv6 one left out
    for pods in (good, [*good, b.pod("d", "n1", "not-an-ip")]):
        # A text that is no address (read from a dump as it is) drops out alone.
        pathfindings._POD_IPS.clear()
        pathfindings._SORTED_IPS.clear()
        snap = b.snapshot(*pods)
        assert pathfindings._pod_ips(snap) == packed
        assert pathfindings._sorted_pod_ips(snap) == [0x0A000002, 0x0A000009]


def _inside(addresses: list[int], cidr: str, excepts: list[str]) -> bool:
    """The plain definition: some address in the block and in none of its excepts."""
    import ipaddress

    net = ipaddress.ip_network(cidr, strict=False)
    outs = [ipaddress.ip_network(e, strict=False) for e in excepts]
    return any(
        (a := ipaddress.ip_address(x)) in net and not any(a in o for o in outs) for x in addresses
    )


# Few distinct bytes: a block's leading bytes often occur inside another address too.
_byte = st.sampled_from([0, 1, 10, 64, 100, 255])
_addr = st.tuples(_byte, _byte, _byte, _byte).map(lambda t: int.from_bytes(bytes(t), "big"))
_net = st.tuples(_addr, st.integers(0, 32))


@given(
    addresses=st.lists(_addr, max_size=24),
    block=_net,
    excepts=st.lists(_net, max_size=3),
    limit=st.sampled_from([1, 2, 5, 256]),
)
@settings(max_examples=400, deadline=None)
def test_packed_block_check_is_the_plain_definition_or_says_it_cannot_tell(
    addresses: list[int], block: tuple[int, int], excepts: list[tuple[int, int]], limit: int
) -> None:
    import ipaddress

    from kpath.routing.policy import pathfindings

    def network(n: tuple[int, int]) -> ipaddress.IPv4Network:
        return ipaddress.ip_network((n[0], n[1]), strict=False)

    net, outs = network(block), [network(e) for e in excepts]
    packed = b"".join(a.to_bytes(4, "big") for a in addresses)
    got = pathfindings._packed_holds(
        packed,
        int(net.network_address),
        int(net.netmask),
        net.prefixlen,
        [(int(o.network_address), int(o.netmask)) for o in outs],
        limit,
    )
    if net.prefixlen < 8:
        assert got is None  # the sorted list decides those
    if got is not None:
        assert got is _inside(addresses, str(net), [str(o) for o in outs])
    if limit == 256 and len(addresses) <= 24 and net.prefixlen >= 8:
        assert got is not None  # hits are fewer than the limit: decided


@given(
    texts=st.lists(
        st.one_of(
            _addr.map(lambda a: str(ipaddress_v4(a))),
            st.sampled_from(["not-an-ip", "fd00::1", "", "10.0.0.999"]),
        ),
        max_size=12,
    ),
    host=st.lists(st.booleans(), max_size=12),
    block=_net,
    excepts=st.lists(_net, max_size=2),
)
@settings(max_examples=300, deadline=None)
def test_scan_block_is_the_plain_definition_over_pod_addresses(
    texts: list[str], host: list[bool], block: tuple[int, int], excepts: list[tuple[int, int]]
) -> None:
    import ipaddress

    from kpath.cluster.netpol import IPBlock
    from kpath.routing.policy import pathfindings

    def cidr(n: tuple[int, int]) -> str:
        return str(ipaddress.ip_network((n[0], n[1]), strict=False))

    objs = []
    for i, text in enumerate(texts):
        obj = b.pod(f"p{i}", "n1", text)
        if i < len(host) and host[i]:
            obj["spec"]["hostNetwork"] = True
        objs.append(obj)
    snap = b.snapshot(*objs)
    valid = [
        p.ip
        for p in snap.pods.values()
        if not p.host_network and p.ip and ":" not in p.ip and _is_v4(p.ip)
    ]
    ipb = IPBlock(cidr(block), tuple(cidr(e) for e in excepts))
    pathfindings._POD_IPS.clear()
    pathfindings._SORTED_IPS.clear()
    assert pathfindings._scan_block(snap, ipb) is _inside(valid, ipb.cidr, list(ipb.excepts))


def ipaddress_v4(a: int) -> object:
    import ipaddress

    return ipaddress.IPv4Address(a)


def _is_v4(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def test_peers_shared_by_rules_are_matched_per_namespace_and_per_snapshot():
    # Two policies name the same peer, in every namespace labelled team=pay: whether a pod
    # there matches is asked once per call, and asked again for another snapshot.
    peer = {
        "from": [
            {
                "namespaceSelector": {"matchLabels": {"team": "pay"}},
                "podSelector": {"matchLabels": {"app": "client"}},
            }
        ]
    }
    pols = [
        netpol("a", select={"app": "web"}, ingress=[peer]),
        netpol("b", select={"app": "web"}, ingress=[peer]),
    ]
    pay = namespace("pay", team="pay")
    client = b.pod("client-1", "n1", "10.244.1.99", labels={"app": "client"}, ns="pay")
    stray = b.pod("client-2", "n1", "10.244.1.98", labels={"app": "client"}, ns="other")
    with_client = analysed(*base(), pay, client, web("ClusterIP"), *pols)
    assert not found(with_client, "KP523")
    without = analysed(*base(), pay, namespace("other"), stray, web("ClusterIP"), *pols)
    (f,) = found(without, "KP523")
    assert "policies shop/a, shop/b" in f.message
    assert not found(analysed(*base(), pay, client, web("ClusterIP"), *pols), "KP523")


def test_an_internal_service_is_judged_by_every_endpoint_whatever_their_order():
    # Two workloads behind one Service: one denied everything, the other open to an
    # address range (or, as a control, only to pods that do not exist).
    def objects(second: dict[str, object], order: tuple[int, int]) -> list[dict[str, object]]:
        pods = [
            b.pod("web-a", "n1", "10.244.1.30", labels={"app": "web", "tier": "a"}),
            b.pod("web-b", "n2", "10.244.2.30", labels={"app": "web", "tier": "b"}),
        ]
        eps = [
            b.endpoint("10.244.1.30", "n1", "web-a"),
            b.endpoint("10.244.2.30", "n2", "web-b"),
        ]
        return [
            *base()[:6],  # the nodes and namespaces
            *pods,
            b.service("web", selector={"app": "web"}),
            b.endpointslice("web", [eps[i] for i in order]),
            netpol("deny-a", select={"tier": "a"}, ingress=[]),
            netpol("only-b", select={"tier": "b"}, ingress=[second]),
        ]

    typo = {"from": [{"podSelector": {"matchLabels": {"app": "payment"}}}]}
    for order in ((0, 1), (1, 0)):
        assert not found(analysed(*objects(from_cidr("10.0.0.0/8"), order)), "KP523")
        (f,) = found(analysed(*objects(typo, order)), "KP523")
        assert "(policies shop/deny-a, shop/only-b)" in f.message
        first = "shop/deny-a allows no ingress" if order == (0, 1) else "shop/only-b allows"
        assert first in f.message


def _cluster_of(labels: list[int], host: list[bool]) -> object:
    """Pods p0.. in shop labelled by kind (replicas sharing one labels mapping, as the
    decoder makes them), some on the host network, and policies: kind 0 unselected, kind 1
    denied all, kind 2 open to an address range, kind 3 two policies."""
    import dataclasses

    kinds = [{"app": f"k{k}"} for k in range(4)]
    objs = [
        b.pod(f"p{i}", "n1", f"10.244.1.{i + 1}", labels=kinds[k]) for i, k in enumerate(labels)
    ]
    for i, h in enumerate(host[: len(objs)]):
        objs[i]["spec"]["hostNetwork"] = h
    objs += [
        netpol("deny-k1", select={"app": "k1"}, ingress=[]),
        netpol("open-k2", select={"app": "k2"}, ingress=[from_cidr("10.0.0.0/8")]),
        netpol("a-k3", select={"app": "k3"}, ingress=[]),
        netpol("b-k3", select={"app": "k3"}, ingress=[]),
    ]
    snap = b.snapshot(*objs, kinds=("Pod", "NetworkPolicy"))
    shared: dict[tuple[tuple[str, str], ...], object] = {}
    pods = {
        k: p._replace(labels=shared.setdefault(tuple(p.labels.items()), p.labels))
        for k, p in snap.pods.items()
    }
    return dataclasses.replace(snap, pods=pods)


@given(
    # Mostly kinds some policy selects (1 and 3): the other kinds make the answer None.
    labels=st.lists(st.sampled_from([1, 1, 1, 3, 3, 0, 2]), min_size=6, max_size=6),
    host=st.lists(st.sampled_from([False] * 5 + [True]), max_size=6),
    picks=st.lists(
        st.tuples(st.integers(-1, 6), st.sampled_from([None, 80, 80, 8080])), max_size=10
    ),
    skip_open=st.booleans(),
)
@settings(max_examples=400, deadline=None)
def test_selecting_is_the_plain_definition_over_every_endpoint(
    labels: list[int], host: list[bool], picks: list[tuple[int, int | None]], skip_open: bool
) -> None:
    from kpath.cluster.records import ObjectKey
    from kpath.routing.kubeproxy import Target
    from kpath.routing.policy import pathfindings
    from kpath.routing.policy.index import INGRESS, policy_index

    snap: Any = _cluster_of(labels, host)
    # -1: no pod; past the pods: a pod the snapshot does not hold.
    targets = [
        Target(
            None, port, None if i < 0 else ObjectKey("shop", f"p{i}"), "n1", None, True, True, False
        )
        for i, port in picks
    ]
    index = policy_index(snap)
    pathfindings._ALIKE.clear()
    pathfindings._SAME.clear()
    pathfindings._OPEN.clear()
    got = pathfindings._selecting(snap, index, targets, skip_open)

    def plain() -> list[tuple[tuple[object, ...], int, object]] | None:
        out: list[tuple[tuple[object, ...], int, object]] = []
        valid = [t for t in targets if t.pod is not None and t.port is not None]
        for t in valid:
            pod = snap.pods.get(t.pod)
            if pod is None or pod.host_network:
                return None
            sel = index.selecting(pod, INGRESS)
            if not sel or (skip_open and pathfindings._is_open(sel)):
                return None
            row = (tuple(p.key for p in sel), t.port, pod.key)
            if all(r[:2] != row[:2] for r in out):
                out.append(row)
        return out or None

    want = plain()
    if want is None:
        assert got is None
    else:
        assert got is not None
        assert [(tuple(p.key for p in sel), port, pod.key) for sel, port, pod in got] == want


@given(
    labels=st.lists(st.integers(0, 3), max_size=6),
    host=st.lists(st.booleans(), max_size=6),
)
@settings(max_examples=100, deadline=None)
def test_label_sets_are_the_distinct_sets_of_pods_off_the_host_network(
    labels: list[int], host: list[bool]
) -> None:
    from kpath.routing.policy import pathfindings

    snap: Any = _cluster_of(labels, host)
    snap = __import__("dataclasses").replace(
        snap,
        pods_by_namespace={"shop": tuple(snap.pods.values())},
    )
    pathfindings._LABEL_SETS.clear()
    got = pathfindings._label_sets(snap, "shop").sets
    want = list({id(p.labels): p.labels for p in snap.pods.values() if not p.host_network}.values())
    assert list(got) == want
    pathfindings._LABEL_SETS.clear()
