"""Address parsing and network tests (peers.py, and the evaluator's node addresses), held
to ipaddress itself."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from kpath.cluster.records import NodeAddress
from kpath.routing.policy.peers import address, held_by, net_bits, node_addresses


def _parsed(text: str | None) -> object:
    """What `address` stands for: ipaddress's answer, nothing refused up front."""
    if not text:
        return None
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


_ips = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)).map(str)
_texts = st.one_of(
    _ips,
    _ips.map(lambda t: f" {t}\n"),
    _ips.map(lambda t: t + "%eth0" if ":" in t else t),
    st.text(alphabet="0123456789.:abcdef%-_ xip", max_size=24),
    st.just("ip-10-0-0-10.region-1.compute.internal"),
)


@given(_texts)
def test_address_is_ipaddress_answer(text):
    # The host-name shortcut refuses only texts ipaddress would refuse too.
    address.cache_clear()
    assert address(text) == _parsed(text)


_nets = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)).flatmap(
    lambda a: st.integers(0, a.max_prefixlen).map(
        lambda n: ipaddress.ip_network(f"{a}/{n}", strict=False)
    )
)


@given(st.lists(_nets, max_size=6), st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)))
def test_held_by_is_membership(nets, addr):
    wanted = tuple(i for i, n in enumerate(nets) if addr.version == n.version and addr in n)
    assert held_by(addr, net_bits(nets)) == wanted


_node_addresses = st.lists(
    st.builds(
        NodeAddress, st.sampled_from(["InternalIP", "Hostname"]), st.one_of(st.none(), _texts)
    ),
    max_size=4,
).map(tuple)


@given(_node_addresses, st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)))
def test_node_addresses_membership_is_the_address_by_address_test(addresses, addr):
    wanted = any(address(a.address) == addr for a in addresses if a.address)
    assert (addr in node_addresses(addresses)) == wanted
