"""Hostname matching, intersection and specificity (apis/v1 Hostname docs)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kpath.routing.gateway.hostnames import (
    covers,
    host_matches,
    intersect,
    specificity,
    wildcard_keys,
)


def test_wildcard_matches_one_or_more_labels_never_the_bare_domain() -> None:
    assert host_matches("*.example.com", "a.example.com")
    assert host_matches("*.example.com", "a.b.example.com")
    assert not host_matches("*.example.com", "example.com")
    assert not host_matches("*.example.com", "aexample.com")
    assert host_matches(None, "anything.io")
    assert host_matches("Shop.Example.com", "shop.example.com")


def test_intersection_examples_from_the_spec() -> None:
    # HTTPRouteSpec.Hostnames: a listener for test.example.com takes routes with no
    # hostnames, test.example.com or *.example.com
    assert intersect("test.example.com", ()) == ("test.example.com",)
    assert intersect("test.example.com", ("*.example.com",)) == ("test.example.com",)
    # a listener for *.example.com: *.example.com, test..., foo.test... match; example.com
    # and test.example.net do not, and are ignored
    assert intersect(
        "*.example.com",
        (
            "*.example.com",
            "test.example.com",
            "foo.test.example.com",
            "example.com",
            "test.example.net",
        ),
    ) == ("*.example.com", "test.example.com", "foo.test.example.com")
    assert intersect("*.example.com", ("example.com", "test.example.net")) is None
    assert intersect("*.a.example.com", ("*.example.com",)) == ("*.a.example.com",)
    assert intersect(None, ()) == ()


def test_specificity_orders_exact_then_longer_wildcard_then_none() -> None:
    names = [None, "*.com", "*.example.com", "a.example.com", "x.io"]
    ranked = sorted(names, key=specificity, reverse=True)
    assert ranked == ["a.example.com", "x.io", "*.example.com", "*.com", None]


def test_wildcard_keys_most_specific_first() -> None:
    assert list(wildcard_keys("a.b.example.com")) == ["*.b.example.com", "*.example.com", "*.com"]


labels = st.lists(st.sampled_from(["a", "b", "example", "com"]), min_size=1, max_size=4)


@given(labels, labels)
def test_wildcard_keys_are_exactly_the_matching_wildcards(
    host: list[str], suffix: list[str]
) -> None:
    h = ".".join(host)
    w = "*." + ".".join(suffix)
    assert host_matches(w, h) == (w in set(wildcard_keys(h)))


@given(
    labels,
    st.one_of(st.none(), labels.map(".".join), labels.map(lambda s: "*." + ".".join(s))),
    st.lists(st.one_of(labels.map(".".join), labels.map(lambda s: "*." + ".".join(s))), max_size=3),
)
def test_intersection_serves_a_host_iff_listener_and_route_both_do(
    host: list[str], lst: str | None, route: list[str]
) -> None:
    h = ".".join(host)
    hosts = intersect(lst, tuple(route))
    both = host_matches(lst, h) and (not route or any(host_matches(r, h) for r in route))
    served = hosts is not None and (hosts == () or any(host_matches(x, h) for x in hosts))
    assert served == both
    if hosts:
        assert all(lst is None or covers(lst, x) for x in hosts)
