"""SynGate: per-source SYN drops on one loopback address:port (real sockets), and the pure
range arithmetic behind its BPF program."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from kpath.lab.addresses import AddressPlan, claim_block
from kpath.lab.syngate import MAX_RANGES, SynGate, compile_drops, decision_ranges, ip_int, merge

TIMEOUT = 0.4


def test_merge_joins_touching_and_overlapping_ranges() -> None:
    assert merge([(5, 9), (1, 3), (4, 4), (20, 30), (25, 26)]) == [(1, 9), (20, 30)]
    assert merge([]) == []


def test_decision_ranges_ask_once_per_stretch() -> None:
    asked: list[int] = []

    def allowed(addr: int) -> bool:
        asked.append(addr)
        return not 100 <= addr < 200

    assert decision_ranges([100, 200, 150], allowed) == [(100, 199)]
    assert asked == [0, 100, 150, 200]


def test_decision_ranges_reach_the_top_of_the_address_space() -> None:
    assert decision_ranges([10], lambda a: a < 10) == [(10, 0xFFFFFFFF)]
    assert decision_ranges([], lambda a: False) == [(0, 0xFFFFFFFF)]


def test_the_program_is_four_instructions_per_range() -> None:
    base = len(compile_drops([], 1))
    assert len(compile_drops([(1, 2), (5, 6)], 1)) == base + 2 * 4 * 8
    with pytest.raises(ValueError, match="do not fit"):
        compile_drops([(2 * i, 2 * i) for i in range(MAX_RANGES + 1)], 1)


@pytest.fixture
def plan() -> Iterator[AddressPlan]:
    block, claim = claim_block()
    try:
        yield block
    finally:
        claim.close()


def _handshakes(src: str, address: tuple[str, int]) -> bool:
    with socket.socket() as sock:
        sock.bind((src, 0))
        sock.settimeout(TIMEOUT)
        try:
            sock.connect(address)
        except TimeoutError:
            return False
        return True


@pytest.mark.lab
def test_a_gate_drops_the_syns_of_the_listed_sources_only(plan: AddressPlan) -> None:
    gate = SynGate(plan.node_ip(0), 0, plan.gate_ip)
    try:
        address = gate.sock.getsockname()
        other = plan.pod_ip(1, 3)
        assert _handshakes("127.0.0.1", address) and _handshakes(other, address)
        gate.set_drops([(ip_int(other), ip_int(other))])
        assert not _handshakes(other, address)  # no SYN-ACK: a timeout, not a refusal
        assert _handshakes("127.0.0.1", address)
        gate.set_drops([(0, 0xFFFFFFFF)])
        assert not _handshakes("127.0.0.1", address)
        gate.set_drops([])
        assert _handshakes(other, address)
        served, _ = gate.sock.accept()  # allowed handshakes reach the serving socket
        served.close()
    finally:
        gate.close()
