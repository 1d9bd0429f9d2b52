"""One listener's routes, indexed for requests: by hostname (exact and wildcard buckets,
then routes for every host), then, for HTTPRoutes, by path. Built once per table.

Within a bucket every entry is already in precedence order, and the path index keeps that
order: an Exact path is a dict lookup, regular expressions follow, then each segment prefix
of the request path, longest first. Scanning in that order and stopping at the first entry
that holds gives the same answer as scanning every entry of the sorted list.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from kpath.cluster.gatewayapi import Route
from kpath.routing.gateway.hostnames import wildcard_keys
from kpath.routing.gateway.match import (
    EXACT,
    MATCH_ALL,
    PREFIX,
    MatchEntry,
    entries,
    prefix_of,
    route_key,
)


@dataclass
class PathBucket:
    exact: dict[str, list[MatchEntry]] = field(default_factory=dict)
    regex: list[MatchEntry] = field(default_factory=list)
    prefix: dict[str, list[MatchEntry]] = field(default_factory=dict)

    def add(self, e: MatchEntry) -> None:
        path = e.spec.path or MATCH_ALL.path
        assert path is not None
        cls = e.key[0]
        if cls == EXACT:
            self.exact.setdefault(path.value, []).append(e)
        elif cls == PREFIX:
            self.prefix.setdefault(prefix_of(path.value), []).append(e)
        else:
            self.regex.append(e)

    def candidates(self, path: str) -> Iterator[MatchEntry]:
        """Entries whose path may hold, in precedence order (regexes still to be tested)."""
        yield from self.exact.get(path, ())
        yield from self.regex
        if self.prefix:
            for p in segment_prefixes(path):
                yield from self.prefix.get(p, ())


def segment_prefixes(path: str) -> Iterator[str]:
    """``/a/b/`` -> ``/a/b``, ``/a``, ``/``: every PathPrefix value that holds it."""
    p = path.rstrip("/")
    while p:
        yield p
        p = p[: p.rfind("/")]
    yield "/"


@dataclass
class HostIndex:
    """Entries of one kind of route family (HTTP, gRPC, or one-rule TLS/TCP/UDP) on one
    listener, by the hostname they matched under (None: every host)."""

    buckets: dict[str | None, list[MatchEntry]] = field(default_factory=dict)
    paths: dict[str | None, PathBucket] = field(default_factory=dict)

    def add(self, hostnames: tuple[str, ...], es: Iterable[MatchEntry]) -> None:
        es = list(es)
        for h in hostnames or (None,):
            self.buckets.setdefault(h, []).extend(es)

    def finish(self, by_path: bool) -> None:
        for h, es in self.buckets.items():
            es.sort(key=lambda e: e.key)
            if by_path:
                pb = PathBucket()
                for e in es:
                    pb.add(e)
                self.paths[h] = pb

    def host_keys(self, host: str) -> Iterator[str | None]:
        """The buckets a host falls in, most specific hostname first (the spec gives rules
        of the route with the longest matching exact, then wildcard, hostname precedence)."""
        if host in self.buckets:
            yield host
        for w in wildcard_keys(host):
            if w in self.buckets:
                yield w
        if None in self.buckets:
            yield None

    def ordered(self) -> list[MatchEntry]:
        """Every entry, bucket by bucket in precedence order (for display and paths)."""
        return [e for es in self.buckets.values() for e in es]


def simple_entries(route: Route) -> list[MatchEntry]:
    """TLS, TCP and UDP routes: one entry per route (its first rule), oldest first."""
    return [MatchEntry((*route_key(route), 0), route, 0, 0, MATCH_ALL)] if route.rules else []


def route_entries(route: Route) -> list[MatchEntry]:
    if route.kind in ("HTTPRoute", "GRPCRoute"):
        return entries(route)
    return simple_entries(route)
