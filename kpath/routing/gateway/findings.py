"""Findings about Gateway backends (KP430-KP435): what a rule's backendRefs answer; and
why no rule took a request (KP436)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import TypedDict

from kpath.cluster.gatewayapi import Route, RouteMatch
from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import Snapshot
from kpath.routing.findings import Finding, finding
from kpath.routing.gateway.attach import GatewayTable, ListenerRoutes
from kpath.routing.gateway.backends import (
    BACKEND_NOT_FOUND,
    INVALID_KIND,
    REF_NOT_PERMITTED,
    ResolvedBackend,
    ResolvedRules,
    rule_backends_once,
)
from kpath.routing.gateway.filters import rule_filters
from kpath.routing.gateway.match import headers_match, path_matches, query_match
from kpath.routing.kubeproxy import Verdict
from kpath.routing.requests import Request

_CODES = {REF_NOT_PERMITTED: "KP430", BACKEND_NOT_FOUND: "KP431", INVALID_KIND: "KP432"}


class _RuleWhere(TypedDict):
    """The finding fields every finding about one rule carries."""

    gateway: ObjectKey | None
    route: str


class _ListenerWhere(TypedDict):
    gateway: ObjectKey


def rule_label(route: Route, rule: int) -> str:
    name = route.rules[rule].name if rule < len(route.rules) else None
    return f"{route.label()} rule {rule}" + (f" ({name})" if name else "")


def rule_findings(
    route: Route, rule: int, backends: Sequence[ResolvedBackend], gateway: ObjectKey | None = None
) -> Iterator[Finding]:
    where = rule_label(route, rule)
    kw = _RuleWhere(gateway=gateway, route=route.label())
    if not backends:
        if rule_filters(route.rules[rule].filters).redirect is None and route.kind in (
            "HTTPRoute",
            "GRPCRoute",
        ):
            yield finding(
                "KP434",
                f"{where}: no backendRefs and no redirect: every request it matches answers 500",
                **kw,
            )
        return
    if all(b.weight <= 0 for b in backends):
        yield finding(
            "KP435", f"{where}: every backendRef has weight 0: the rule sends nothing (500)", **kw
        )
        return
    for b in backends:
        if b.weight <= 0:
            continue
        if b.problem is not None:
            yield finding(
                _CODES[b.problem],
                f"{where}: {b.detail} ({b.problem}): {b.share:.0%} of its traffic answers 500",
                service=b.service,
                **kw,
            )
        elif b.choice is not None and b.choice.verdict == Verdict.REJECT:
            yield finding(
                "KP433",
                f"{where}: Service {b.service} port {b.ref.port} has no ready "
                f"endpoint: {b.share:.0%} of its traffic answers 503",
                service=b.service,
                **kw,
            )


def table_findings(
    snapshot: Snapshot, table: GatewayTable, resolved: ResolvedRules | None = None
) -> Iterator[Finding]:
    """Findings for every rule of every attached route, each rule once (its backends taken
    from ``resolved`` when the paths already resolved them)."""
    resolved = {} if resolved is None else resolved
    seen: set[tuple[str, ObjectKey]] = set()
    for lr in table.listeners:
        for a in lr.routes:
            r = a.route
            if (r.kind, r.key) in seen:
                continue
            seen.add((r.kind, r.key))
            for i in range(len(r.rules)):
                yield from rule_findings(r, i, rule_backends_once(snapshot, resolved, r, i))


def not_found_finding(lr: ListenerRoutes, request: Request) -> Finding:
    """Why no rule on this listener takes the request (KP436): the first match, in
    precedence order, whose hostname and path hold and what else it wants; or the paths
    the routes for this host do serve; or that no route serves the host at all."""
    where = (
        f"{lr.gateway.key} listener {lr.ref.label()}: no rule matches "
        f"{request.method} {request.host}{request.path}"
    )
    kw = _ListenerWhere(gateway=lr.gateway.key)
    index = lr.http
    keys = list(index.host_keys(request.host))
    if request.scheme == "grpc" and any(True for _ in lr.grpc.host_keys(request.host)):
        return finding(
            "KP436",
            f"{where}; no GRPCRoute match takes that service and method "
            "(nor an HTTPRoute that path)",
            **kw,
        )
    if not keys:
        return finding("KP436", f"{where}; no route attached here serves host {request.host}", **kw)
    near = next(
        (
            e
            for h in keys
            for e in index.paths[h].path_candidates(request.path)
            if path_matches(e.spec.path, request.path)
        ),
        None,
    )
    served: list[str] = []
    if near is None:
        # A few of the paths they do serve (bounded: a listener may carry 10,000 routes).
        for e in itertools.islice((e for h in keys for e in index.buckets[h]), 500):
            label = f"{e.spec.path.type} {e.spec.path.value}" if e.spec.path else "any path"
            if label not in served:
                served.append(label)
                if len(served) == 3:
                    break
    if near is None:
        shown = ", ".join(served) + (", ..." if len(served) == 3 else "")
        return finding("KP436", f"{where}; the routes for this host match {shown}", **kw)
    wants = _unmet(near.spec, request)
    return finding(
        "KP436",
        f"{where}; closest: {rule_label(near.route, near.rule)}, whose "
        f"path matches but which wants {wants}",
        route=near.route.label(),
        **kw,
    )


def _unmet(m: RouteMatch, request: Request) -> str:
    out = []
    if m.method is not None and m.method != request.method:
        out.append(f"method {m.method}")
    for h in m.headers:
        if not headers_match((h,), request.headers):
            out.append(
                f"header {h.name}"
                + (f" ~ {h.value}" if h.type == "RegularExpression" else f": {h.value}")
            )
    for q in m.query_params:
        if not query_match((q,), request.query):
            out.append(f"query {q.name}={q.value}")
    return ", ".join(out) or "nothing more (it is shadowed)"
