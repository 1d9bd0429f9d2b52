"""Findings about Gateway backends (KP430-KP435): what a rule's backendRefs answer."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from kpath.cluster.gatewayapi import Route
from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import Snapshot
from kpath.routing.findings import Finding, finding
from kpath.routing.gateway.attach import GatewayTable
from kpath.routing.gateway.backends import (
    BACKEND_NOT_FOUND,
    INVALID_KIND,
    REF_NOT_PERMITTED,
    ResolvedBackend,
    rule_backends,
)
from kpath.routing.gateway.filters import rule_filters
from kpath.routing.kubeproxy import Verdict

_CODES = {REF_NOT_PERMITTED: "KP430", BACKEND_NOT_FOUND: "KP431", INVALID_KIND: "KP432"}


def rule_label(route: Route, rule: int) -> str:
    name = route.rules[rule].name if rule < len(route.rules) else None
    return f"{route.label()} rule {rule}" + (f" ({name})" if name else "")


def rule_findings(route: Route, rule: int, backends: Sequence[ResolvedBackend],
                  gateway: ObjectKey | None = None) -> Iterator[Finding]:
    where = rule_label(route, rule)
    kw = {"gateway": gateway, "route": route.label()}
    if not backends:
        if rule_filters(route.rules[rule].filters).redirect is None and route.kind in (
                "HTTPRoute", "GRPCRoute"):
            yield finding("KP434", f"{where}: no backendRefs and no redirect: every request it "
                          "matches answers 500", **kw)
        return
    if all(b.weight <= 0 for b in backends):
        yield finding("KP435", f"{where}: every backendRef has weight 0: the rule sends "
                      "nothing (500)", **kw)
        return
    for b in backends:
        if b.weight <= 0:
            continue
        if b.problem is not None:
            yield finding(_CODES[b.problem], f"{where}: {b.detail} ({b.problem}): "
                          f"{b.share:.0%} of its traffic answers 500", service=b.service, **kw)
        elif b.choice is not None and b.choice.verdict == Verdict.REJECT:
            yield finding("KP433", f"{where}: Service {b.service} port {b.ref.port} has no ready "
                          f"endpoint: {b.share:.0%} of its traffic answers 503",
                          service=b.service, **kw)


def table_findings(snapshot: Snapshot, table: GatewayTable) -> Iterator[Finding]:
    """Findings for every rule of every attached route, each rule once."""
    seen: set[tuple[str, ObjectKey]] = set()
    for lr in table.listeners:
        for a in lr.routes:
            r = a.route
            if (r.kind, r.key) in seen:
                continue
            seen.add((r.kind, r.key))
            for i in range(len(r.rules)):
                yield from rule_findings(r, i, rule_backends(snapshot, r, i))
