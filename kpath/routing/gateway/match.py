"""Route matches and their precedence, as apis/v1/httproute_types.go and grpcroute_types.go
order them (pure functions).

Each rule's match becomes one `MatchEntry` with a precedence key; a listener's entries are
sorted once when the table is built and indexed by hostname and path, so a request scans
only the entries whose hostname and path can hold, in precedence order.

HTTPRoute, across every route on a listener: Exact path, then the longest prefix, then a
method, then the most header matches, then the most query matches; ties by the oldest
creationTimestamp, then namespace/name; within a route by rule order, then match order.
RegularExpression paths (their precedence is implementation-specific) come after Exact
and before every prefix, longest pattern first, as Envoy-based gateways order them.
GRPCRoute: the most characters of a matching service, then method, then header matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import NamedTuple

from kpath.cluster.gatewayapi import HeaderMatch, PathMatch, Route, RouteMatch

#: A route's key in ties: oldest first, then namespace/name. "" (no timestamp) sorts last.
RouteKey = tuple[str, str, str]

#: A rule with no matches is one match of every request.
MATCH_ALL = RouteMatch(PathMatch("PathPrefix", "/"), (), (), None, None, None, None)

EXACT, REGEX, PREFIX = 0, 1, 2
_PATH_CLASS = {"Exact": EXACT, "RegularExpression": REGEX, "PathPrefix": PREFIX}


class MatchEntry(NamedTuple):
    key: tuple[object, ...]  # precedence: smaller first
    route: Route
    rule: int
    match: int  # index into the rule's matches (0 for a rule without matches)
    spec: RouteMatch
    path: str = "/"  # what the path index files it under: the Exact value, or the prefix


def route_key(route: Route) -> RouteKey:
    return (route.creation or "\uffff", route.namespace, route.name)


def prefix_of(value: str) -> str:
    """A PathPrefix's value as it is compared: its trailing slash means nothing."""
    return value.rstrip("/") or "/"


def _http_key(rk: RouteKey, rule: int, index: int, m: RouteMatch) -> tuple[tuple[object, ...], str]:
    """An HTTPRoute match's precedence key, and the path the index files it under."""
    path = m.path or MATCH_ALL.path
    assert path is not None
    cls = _PATH_CLASS.get(path.type, REGEX)
    value = prefix_of(path.value) if cls == PREFIX else path.value
    key = (
        cls,
        -len(value),
        0 if m.method else 1,
        -len(m.headers),
        -len(m.query_params),
        *rk,
        rule,
        index,
    )
    return key, value


def rule_matches(route: Route) -> Iterator[tuple[int, int, RouteMatch]]:
    for ri, rule in enumerate(route.rules):
        if not rule.matches:
            yield ri, 0, MATCH_ALL
        for mi, m in enumerate(rule.matches):
            yield ri, mi, m


def entries(route: Route) -> list[MatchEntry]:
    """Every match of a route with its precedence key (GRPCRoute: the most characters of
    service, then method, then header matches; HTTPRoute: `_http_key`)."""
    rk = route_key(route)
    if route.kind == "GRPCRoute":
        return [
            MatchEntry(
                (
                    -len(m.grpc_service or ""),
                    -len(m.grpc_method or ""),
                    -len(m.headers),
                    *rk,
                    ri,
                    mi,
                ),
                route,
                ri,
                mi,
                m,
            )
            for ri, mi, m in rule_matches(route)
        ]
    out = []
    for ri, mi, m in rule_matches(route):
        key, value = _http_key(rk, ri, mi, m)
        out.append(MatchEntry(key, route, ri, mi, m, value))
    return out


@lru_cache(maxsize=4096)
def _regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None  # the gateway would refuse it; it matches nothing


def _fullmatch(pattern: str, value: str) -> bool:
    rx = _regex(pattern)
    return rx is not None and rx.fullmatch(value) is not None


def path_matches(path: PathMatch | None, request_path: str) -> bool:
    path = path or MATCH_ALL.path
    assert path is not None
    if path.type == "Exact":
        return request_path == path.value
    if path.type == "PathPrefix":
        prefix = prefix_of(path.value)
        if prefix == "/":
            return True
        # On segment boundaries: /foo holds /foo, /foo/ and /foo/bar, not /foobar.
        return request_path == prefix or request_path.startswith(prefix + "/")
    if path.type == "RegularExpression":
        return _fullmatch(path.value, request_path)
    return False


def _values(pairs: Sequence[tuple[str, str]], name: str, fold: bool) -> list[str]:
    if fold:
        name = name.lower()
        return [v for k, v in pairs if k.lower() == name]
    return [v for k, v in pairs if k == name]


def _pairs_match(
    matches: Sequence[HeaderMatch], pairs: Sequence[tuple[str, str]], fold: bool
) -> bool:
    seen: set[str] = set()
    for hm in matches:
        name = hm.name.lower() if fold else hm.name
        if name in seen:
            continue  # the spec: only the first match of an equivalent name counts
        seen.add(name)
        values = _values(pairs, hm.name, fold)
        if hm.type == "RegularExpression":
            ok = any(_fullmatch(hm.value, v) for v in values)
        else:
            ok = hm.value in values
        if not ok:
            return False
    return True


def headers_match(matches: Sequence[HeaderMatch], headers: Sequence[tuple[str, str]]) -> bool:
    """Header names compare case-insensitively, values exactly (or by regular expression)."""
    return _pairs_match(matches, headers, fold=True)


def query_match(matches: Sequence[HeaderMatch], query: Sequence[tuple[str, str]]) -> bool:
    """Query parameter names and values compare case-sensitively."""
    return _pairs_match(matches, query, fold=False)


def http_match(
    m: RouteMatch,
    path: str,
    method: str,
    headers: Sequence[tuple[str, str]],
    query: Sequence[tuple[str, str]],
) -> bool:
    return (
        path_matches(m.path, path)
        and (m.method is None or m.method == method)
        and headers_match(m.headers, headers)
        and query_match(m.query_params, query)
    )


def grpc_parts(path: str) -> tuple[str, str] | None:
    """``/pkg.Service/Method`` -> (``pkg.Service``, ``Method``); None if not that shape."""
    parts = path.split("/")
    if len(parts) != 3 or parts[0] or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def grpc_match(
    m: RouteMatch, service: str, method: str, headers: Sequence[tuple[str, str]]
) -> bool:
    regex = m.grpc_type == "RegularExpression"
    for want, got in ((m.grpc_service, service), (m.grpc_method, method)):
        if not want:
            continue  # omitted: any service, or any method
        if not (_fullmatch(want, got) if regex else want == got):
            return False
    return headers_match(m.headers, headers)
