"""One listener's routes, indexed for requests: by hostname (exact and wildcard buckets,
then routes for every host), then, for HTTPRoutes, by path. Built once per table.

Within a bucket every entry is already in precedence order, and the path index keeps that
order: an Exact path is a dict lookup, regular expressions follow, then each segment prefix
of the request path, longest first. Scanning in that order and stopping at the first entry
that holds gives the same answer as scanning every entry of the sorted list. Each of those
lists is split once more by a guard, one exact condition of the match (a method, a header
or a query parameter value): a request visits only the entries whose guard it carries and
those without one, merged back into precedence order, so 10,000 routes told apart by a
header cost what the few that can match cost.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from kpath.cluster.gatewayapi import Route, RouteMatch
from kpath.routing.gateway.hostnames import wildcard_keys
from kpath.routing.gateway.match import (
    EXACT,
    MATCH_ALL,
    PREFIX,
    MatchEntry,
    entries,
    route_key,
)

Guard = tuple[str, ...]


def guard_of(m: RouteMatch) -> Guard | None:
    """One exact condition a match cannot hold without: a method, the first exact header, or
    the first exact query parameter (after the spec's first-of-a-name rule). None: none."""
    if m.method:
        return ("m", m.method)
    seen: set[str] = set()
    for h in m.headers:
        name = h.name.lower()
        if name in seen:
            continue
        seen.add(name)
        if h.type != "RegularExpression":
            return ("h", name, h.value)
    seen.clear()
    for q in m.query_params:
        if q.name in seen:
            continue
        seen.add(q.name)
        if q.type != "RegularExpression":
            return ("q", q.name, q.value)
    return None


def request_guards(
    method: str, headers: Sequence[tuple[str, str]], query: Sequence[tuple[str, str]]
) -> list[Guard]:
    """Every guard a request can satisfy."""
    return [
        ("m", method),
        *(("h", k.lower(), v) for k, v in headers),
        *(("q", k, v) for k, v in query),
    ]


class Candidates:
    """Entries in precedence order, split by guard so that a request visits only those
    whose guard it satisfies (and those without one), still in precedence order."""

    __slots__ = ("everything", "guarded", "open")

    def __init__(self, ordered: list[MatchEntry]) -> None:
        self.everything = ordered
        self.open: list[MatchEntry] = []
        self.guarded: dict[Guard, list[MatchEntry]] = {}
        for e in ordered:
            m = e.spec
            g = guard_of(m) if (m.method or m.headers or m.query_params) else None
            if g is None:
                self.open.append(e)
            else:
                self.guarded.setdefault(g, []).append(e)

    def visit(self, guards: Sequence[Guard]) -> Iterable[MatchEntry]:
        if not self.guarded:
            return self.open
        lists = [self.open] if self.open else []
        lists += [x for g in dict.fromkeys(guards) if (x := self.guarded.get(g))]
        if len(lists) == 1:
            return lists[0]
        return heapq.merge(*lists, key=_key)


def _key(e: MatchEntry) -> tuple[object, ...]:
    return e.key


@dataclass
class PathBucket:
    exact: dict[str, Candidates] = field(default_factory=dict)
    regex: Candidates | None = None
    prefix: dict[str, Candidates] = field(default_factory=dict)

    @classmethod
    def of(cls, ordered: list[MatchEntry]) -> PathBucket:
        exact: dict[str, list[MatchEntry]] = {}
        prefix: dict[str, list[MatchEntry]] = {}
        regex: list[MatchEntry] = []
        for e in ordered:
            cls_ = e.key[0]
            if cls_ == EXACT:
                exact.setdefault(e.path, []).append(e)
            elif cls_ == PREFIX:
                prefix.setdefault(e.path, []).append(e)
            else:
                regex.append(e)
        return cls(
            {k: Candidates(v) for k, v in exact.items()},
            Candidates(regex) if regex else None,
            {k: Candidates(v) for k, v in prefix.items()},
        )

    def path_candidates(self, path: str) -> Iterator[MatchEntry]:
        """Entries whose path may hold, whatever else they want, in precedence order."""
        c = self.exact.get(path)
        if c is not None:
            yield from c.everything
        if self.regex is not None:
            yield from self.regex.everything
        for p in segment_prefixes(path):
            c = self.prefix.get(p)
            if c is not None:
                yield from c.everything

    def candidates(self, path: str, guards: Sequence[Guard]) -> Iterator[MatchEntry]:
        """Entries whose path may hold and whose guard the request satisfies, in precedence
        order (the rest of each match is still to be tested)."""
        c = self.exact.get(path)
        if c is not None:
            yield from c.visit(guards)
        if self.regex is not None:
            yield from self.regex.visit(guards)
        if self.prefix:
            for p in segment_prefixes(path):
                c = self.prefix.get(p)
                if c is not None:
                    yield from c.visit(guards)


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
                self.paths[h] = PathBucket.of(es)

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
