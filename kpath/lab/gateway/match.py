"""The lab gateway's own matcher: hostnames, HTTP/gRPC matches, precedence, redirects, rewrites.

Pure functions on raw Gateway API dicts, written from the specification's text
(apis/v1/httproute_types.go, grpcroute_types.go) and not from kpath's routing code, so that
probing kpath against the lab compares two independent readings of the spec.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any


# ---------------------------------------------------------------- hostnames
def host_only(host: str) -> str:
    """The Host header without its port, lower-cased (DNS names are case-insensitive)."""
    host = host.strip().lower()
    if host.startswith("["):  # an IPv6 literal keeps its colons
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_matches(pattern: str, host: str) -> bool:
    """A hostname (maybe `*.` wildcard) against a concrete host: the wildcard stands for one
    or more whole labels, so `*.example.com` takes `a.b.example.com` but not `example.com`."""
    pattern, host = pattern.lower(), host.lower()
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return pattern == host


def intersect(listener_host: str | None, route_hosts: Sequence[str]) -> list[str] | None:
    """The hostnames a route answers on a listener: None means every host; [] means the two
    have nothing in common (the route cannot attach there)."""
    if not route_hosts:
        return None if not listener_host else [listener_host.lower()]
    if not listener_host:
        return [h.lower() for h in route_hosts]
    out = [x for x in (_meet(listener_host.lower(), h.lower()) for h in route_hosts) if x]
    return list(dict.fromkeys(out))


def _meet(listener: str, route: str) -> str | None:
    """The more specific of two hostnames when one contains the other."""
    if listener == route:
        return route
    lw, rw = listener.startswith("*."), route.startswith("*.")
    if lw and not rw:
        return route if host_matches(listener, route) else None
    if rw and not lw:
        return listener if host_matches(route, listener) else None
    if lw and rw:
        if route.endswith(listener[1:]):
            return route
        if listener.endswith(route[1:]):
            return listener
    return None


def hostname_rank(patterns: Sequence[str] | None, host: str) -> tuple[int, int] | None:
    """How specifically `patterns` take `host`: (characters of a matching exact hostname,
    characters of the matching hostname), the spec's precedence across routes; None: no match."""
    if patterns is None:
        return (0, 0)
    best: tuple[int, int] | None = None
    for p in patterns:
        if host_matches(p, host):
            rank = (0 if p.startswith("*") else len(p), len(p))
            best = rank if best is None or rank > best else best
    return best


# ---------------------------------------------------------------- HTTP matches
DEFAULT_MATCH: Mapping[str, Any] = {"path": {"type": "PathPrefix", "value": "/"}}


def path_of(match: Mapping[str, Any]) -> tuple[str, str]:
    """A match's path (type, value) with the defaults applied (PathPrefix, "/")."""
    path = match.get("path") or {}
    return str(path.get("type") or "PathPrefix"), str(path.get("value") or "/")


def prefix_matches(prefix: str, path: str) -> bool:
    """PathPrefix on whole path segments: `/abc` takes `/abc`, `/abc/` and `/abc/d`, not `/abcd`;
    a trailing `/` on the prefix is ignored."""
    stem = prefix.rstrip("/")
    return not stem or path == stem or path.startswith(stem + "/")


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def regex_matches(pattern: str, value: str) -> bool:
    """Regular expressions match the whole value (as Envoy and NGINX anchor them)."""
    compiled = _regex(pattern)
    return compiled is not None and compiled.fullmatch(value) is not None


def value_matches(kind: str, expected: str, actual: str | None) -> bool:
    if actual is None:
        return False
    if kind == "RegularExpression":
        return regex_matches(expected, actual)
    return expected == actual


def first_by_name(items: Sequence[Mapping[str, Any]], fold: bool) -> list[Mapping[str, Any]]:
    """The spec: of entries with equivalent names only the first counts."""
    seen: set[str] = set()
    out = []
    for item in items:
        name = str(item.get("name", ""))
        key = name.lower() if fold else name
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def header_value(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    """All values of one header, joined as a proxy joins repeated headers."""
    values = [v for k, v in headers if k.lower() == name.lower()]
    return ",".join(values) if values else None


def query_value(query: Sequence[tuple[str, str]], name: str) -> str | None:
    """The first value of a query parameter (names are case-sensitive)."""
    return next((v for k, v in query if k == name), None)


def http_match(
    match: Mapping[str, Any],
    path: str,
    method: str,
    headers: Sequence[tuple[str, str]],
    query: Sequence[tuple[str, str]],
) -> bool:
    """Every condition of one HTTPRouteMatch holds (they are ANDed)."""
    kind, value = path_of(match)
    if kind == "Exact" and path != value:
        return False
    if kind == "PathPrefix" and not prefix_matches(value, path):
        return False
    if kind == "RegularExpression" and not regex_matches(value, path):
        return False
    if kind not in ("Exact", "PathPrefix", "RegularExpression"):
        return False
    if match.get("method") and str(match["method"]).upper() != method.upper():
        return False
    if not headers_match(match, headers):
        return False
    for q in first_by_name(match.get("queryParams") or [], fold=False):
        if not value_matches(
            str(q.get("type") or "Exact"),
            str(q.get("value", "")),
            query_value(query, str(q.get("name", ""))),
        ):
            return False
    return True


def headers_match(match: Mapping[str, Any], headers: Sequence[tuple[str, str]]) -> bool:
    """Every header match of an HTTP or gRPC route's match holds (the first of a name counts,
    names folded as HTTP folds them)."""
    for h in first_by_name(match.get("headers") or [], fold=True):
        if not value_matches(
            str(h.get("type") or "Exact"),
            str(h.get("value", "")),
            header_value(headers, str(h.get("name", ""))),
        ):
            return False
    return True


def http_rank(match: Mapping[str, Any]) -> tuple[int, ...]:
    """Sort key of one match (smaller first): Exact path, then the longest prefix, then a
    method, then the most headers, then the most query parameters. Regular expressions are
    implementation-specific: here they rank after every prefix, longest pattern first."""
    kind, value = path_of(match)
    kind_rank = {"Exact": 0, "PathPrefix": 1}.get(kind, 2)
    return (
        kind_rank,
        -len(value),
        0 if match.get("method") else 1,
        -len(match.get("headers") or []),
        -len(match.get("queryParams") or []),
    )


# ---------------------------------------------------------------- gRPC matches
def grpc_service_method(path: str) -> tuple[str, str] | None:
    """`/pkg.Service/Method` -> ("pkg.Service", "Method"); None for any other path."""
    parts = path.split("/")
    if len(parts) != 3 or parts[0] or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def grpc_match(match: Mapping[str, Any], path: str, headers: Sequence[tuple[str, str]]) -> bool:
    sm = grpc_service_method(path)
    method = match.get("method") or {}
    if method:
        if sm is None:
            return False
        kind = str(method.get("type") or "Exact")
        for want, got in ((method.get("service"), sm[0]), (method.get("method"), sm[1])):
            if want and not value_matches(kind, str(want), got):
                return False
    return headers_match(match, headers)


def grpc_rank(match: Mapping[str, Any]) -> tuple[int, ...]:
    """The longest matching service, then the longest method, then the most header matches."""
    method = match.get("method") or {}
    return (
        -len(str(method.get("service") or "")),
        -len(str(method.get("method") or "")),
        -len(match.get("headers") or []),
    )


# ---------------------------------------------------------------- filters
def replace_prefix(path: str, prefix: str, replacement: str) -> str:
    """ReplacePrefixMatch as the spec's table gives it (whole segments, trailing `/` ignored)."""
    stem = prefix.rstrip("/")
    rest = path[len(stem) :]  # "" or "/..." since the prefix matched on a segment boundary
    base = replacement.rstrip("/")
    if not base:
        return rest or "/"
    return base + rest


def modified_path(spec: Mapping[str, Any] | None, path: str, match: Mapping[str, Any]) -> str:
    """The path after a RequestRedirect or URLRewrite `path` stanza."""
    if not spec:
        return path
    kind = spec.get("type")
    if kind == "ReplaceFullPath":
        return str(spec.get("replaceFullPath") or "/")
    if kind == "ReplacePrefixMatch":
        mtype, value = path_of(match)
        if mtype == "PathPrefix":
            return replace_prefix(path, value, str(spec.get("replacePrefixMatch") or ""))
    return path


_WELL_KNOWN = {"http": 80, "https": 443}


def location(
    redirect: Mapping[str, Any],
    *,
    scheme: str,
    host: str,
    path: str,
    query: str,
    listener_port: int,
    match: Mapping[str, Any],
) -> str:
    """The `Location` of a RequestRedirect: scheme, host, port and path as the spec derives
    them (a given port; else the new scheme's well-known port; else the listener's port),
    leaving out :80 on http and :443 on https."""
    new_scheme = str(redirect.get("scheme") or scheme).lower()
    new_host = str(redirect.get("hostname") or host_only(host))
    if redirect.get("port"):
        port = int(redirect["port"])
    elif redirect.get("scheme"):
        port = _WELL_KNOWN.get(new_scheme, listener_port)
    else:
        port = listener_port
    new_path = modified_path(redirect.get("path"), path, match)
    netloc = new_host if _WELL_KNOWN.get(new_scheme) == port else f"{new_host}:{port}"
    return f"{new_scheme}://{netloc}{new_path}" + (f"?{query}" if query else "")
