"""Upstream's truth tables (test/e2e/network/netpol/reachability.go), for kpath's answers:
every (from, to) pair of pods, true by default, then the case's expectations."""

from __future__ import annotations

from kpath.cluster.records import ObjectKey
from kpath.routing.policy.evaluate import reach_in
from kpath.routing.policy.index import PolicyIndex
from kpath.routing.policy.verdict import Source
from tests.routing.policy.nprecords import NAMESPACES, PODS

ALL = [ObjectKey(ns, p) for ns in NAMESPACES for p in PODS]


class Reachability:
    def __init__(self, default: bool = True) -> None:
        self.expected = {(f, t): default for f in ALL for t in ALL}

    def expect(self, frm: str, to: str, value: bool) -> None:
        self.expected[(_key(frm), _key(to))] = value

    def expect_peer(self, frm: str, to: str, value: bool) -> None:
        """``ns`` or ``ns/pod`` or ``""`` (every pod) at each end, as upstream's Peer."""
        for f in ALL:
            for t in ALL:
                if _in(f, frm) and _in(t, to):
                    self.expected[(f, t)] = value

    def expect_all_ingress(self, to: str, value: bool) -> None:
        self.expect_peer("", to, value)

    def expect_all_egress(self, frm: str, value: bool) -> None:
        self.expect_peer(frm, "", value)


def _key(text: str) -> ObjectKey:
    ns, _, name = text.partition("/")
    return ObjectKey(ns, name)


def _in(k: ObjectKey, peer: str) -> bool:
    ns, _, name = peer.partition("/")
    return (not ns or k.namespace == ns) and (not name or k.name == name)


def observed(
    index: PolicyIndex, port: int | str, protocol: str = "TCP"
) -> dict[tuple[ObjectKey, ObjectKey], bool]:
    snap = index.snapshot
    out = {}
    for f in ALL:
        src = snap.pods[f]
        for t in ALL:
            out[(f, t)] = reach_in(
                index, Source("pod", src.ip, f, src.node), snap.pods[t], port, protocol
            ).allowed
    return out


def check(
    index: PolicyIndex, expected: Reachability, port: int | str, protocol: str = "TCP"
) -> None:
    """The whole matrix, loopback left out as upstream leaves it (ignoreLoopback)."""
    got = observed(index, port, protocol)
    wrong = sorted(
        f"{f} -> {t}: expected {v}, got {got[(f, t)]}"
        for (f, t), v in expected.expected.items()
        if f != t and got[(f, t)] != v
    )
    assert not wrong, "\n".join(wrong)
