"""The lab gateway's own matcher, against the tables the Gateway API types document."""

from __future__ import annotations

import pytest

from kpath.lab.gateway.match import (
    host_matches,
    host_only,
    intersect,
    location,
    prefix_matches,
    replace_prefix,
)


@pytest.mark.parametrize(
    ("path", "prefix", "replacement", "want"),
    [
        # apis/v1/httproute_types.go, ReplacePrefixMatch's table, row by row
        ("/foo/bar", "/foo", "/xyz", "/xyz/bar"),
        ("/foo/bar", "/foo", "/xyz/", "/xyz/bar"),
        ("/foo/bar", "/foo/", "/xyz", "/xyz/bar"),
        ("/foo/bar", "/foo/", "/xyz/", "/xyz/bar"),
        ("/foo", "/foo", "/xyz", "/xyz"),
        ("/foo/", "/foo", "/xyz", "/xyz/"),
        ("/foo/bar", "/foo", "", "/bar"),
        ("/foo/", "/foo", "", "/"),
        ("/foo", "/foo", "", "/"),
        ("/foo/", "/foo", "/", "/"),
        ("/foo", "/foo", "/", "/"),
    ],
)
def test_replace_prefix_match_table(path: str, prefix: str, replacement: str, want: str) -> None:
    assert replace_prefix(path, prefix, replacement) == want


@pytest.mark.parametrize(
    ("prefix", "path", "want"),
    [
        ("/abc", "/abc", True),
        ("/abc", "/abc/", True),
        ("/abc", "/abc/def", True),
        ("/abc", "/abcd", False),
        ("/abc/", "/abc", True),
        ("/", "/anything", True),
        ("/abc", "/ab", False),
    ],
)
def test_prefixes_match_whole_segments(prefix: str, path: str, want: bool) -> None:
    assert prefix_matches(prefix, path) is want


@pytest.mark.parametrize(
    ("pattern", "host", "want"),
    [
        ("*.example.com", "foo.example.com", True),
        ("*.example.com", "a.b.example.com", True),
        ("*.example.com", "example.com", False),
        ("Foo.Example.com", "foo.example.COM", True),
        ("foo.example.com", "bar.example.com", False),
    ],
)
def test_wildcards_take_one_or_more_labels(pattern: str, host: str, want: bool) -> None:
    assert host_matches(pattern, host) is want


@pytest.mark.parametrize(
    ("listener", "route", "want"),
    [
        (None, [], None),
        ("a.com", [], ["a.com"]),
        (None, ["x.com"], ["x.com"]),
        ("*.example.com", ["foo.example.com", "example.com"], ["foo.example.com"]),
        ("foo.example.com", ["*.example.com"], ["foo.example.com"]),
        ("*.example.com", ["*.com"], ["*.example.com"]),
        ("*.com", ["*.example.com"], ["*.example.com"]),
        ("very.specific.com", ["non.matching.com", "wildcard.io"], []),
    ],
)
def test_listener_and_route_hostnames_intersect(
    listener: str | None, route: list[str], want: list[str] | None
) -> None:
    assert intersect(listener, route) == want


def test_host_header_ports_are_dropped() -> None:
    assert host_only("Very.Specific.com:1234") == "very.specific.com"
    assert host_only("[::1]:8080") == "[::1]"


def test_location_keeps_the_query_and_drops_well_known_ports() -> None:
    where = location(
        {"scheme": "https"},
        scheme="http",
        host="cafe.example.com:8080",
        path="/coffee",
        query="a=1",
        listener_port=80,
        match={},
    )
    assert where == "https://cafe.example.com/coffee?a=1"
