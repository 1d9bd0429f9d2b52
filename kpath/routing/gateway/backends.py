"""A rule's backendRefs resolved to Services: shares, problems, and the pods the gateway
reaches (pure functions).

A backendRef is a core Service by port (``port`` is required for one). One in another
namespace is permitted only by a ReferenceGrant in that namespace naming the route's kind
and namespace, and the Service (or every Service). A backend that is not permitted
(RefNotPermitted), missing (BackendNotFound) or not a Service (InvalidKind) answers 500
for its share; one without ready endpoints answers 503 (verdict ``reject``). The gateway
sends straight to pod IPs, so kube-proxy's traffic policies do not apply on this hop.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from kpath.cluster.gatewayapi import BackendRef, ReferenceGrant, Route, SecretRef
from kpath.cluster.gatewaykinds import GROUP
from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import Snapshot
from kpath.routing.gateway.attach import gateway_objects
from kpath.routing.gateway.unread import outside_read
from kpath.routing.kubeproxy import Choice, Verdict, unknown_choice
from kpath.routing.targets import endpoints_unknown, service_targets

REF_NOT_PERMITTED = "RefNotPermitted"
BACKEND_NOT_FOUND = "BackendNotFound"
INVALID_KIND = "InvalidKind"


class ResolvedBackend(NamedTuple):
    ref: BackendRef
    service: ObjectKey  # the namespace resolved (the route's when the ref names none)
    weight: int
    share: float  # weight / the rule's total weight, 0..1
    problem: str | None  # RefNotPermitted, BackendNotFound, InvalidKind; None when valid
    detail: str  # the problem in words, or how the pods are reached
    choice: Choice | None  # the endpoints the gateway sends to (None when invalid)

    @property
    def verdict(self) -> str:
        """forward, reject (no ready endpoint: 503), invalid (500), or unknown."""
        if self.problem is not None or self.choice is None:
            return "invalid"
        return str(self.choice.verdict)

    @property
    def endpoints(self) -> int:
        return sum(1 for t in self.choice.targets if t.ready) if self.choice else 0


def grant_permits(
    grants: Iterable[ReferenceGrant],
    from_kind: str,
    from_namespace: str,
    to_group: str,
    to_kind: str,
    namespace: str,
    name: str,
) -> bool:
    """Whether a ReferenceGrant in ``namespace`` lets objects of ``from_kind`` (of the
    Gateway API group) in ``from_namespace`` refer to that object."""
    for g in grants:
        if g.namespace != namespace:
            continue
        if not any(
            f.group == GROUP and f.kind == from_kind and f.namespace == from_namespace
            for f in g.from_
        ):
            continue
        if any(t.group == to_group and t.kind == to_kind and t.name in (None, name) for t in g.to):
            return True
    return False


def is_service(ref: BackendRef) -> bool:
    return ref.group in ("", "core") and ref.kind == "Service"


def resolve_backend(
    snapshot: Snapshot, route: Route, ref: BackendRef, share: float
) -> ResolvedBackend:
    ns = ref.namespace or route.namespace
    key = ObjectKey(ns, ref.name)

    def bad(problem: str, detail: str) -> ResolvedBackend:
        return ResolvedBackend(ref, key, ref.weight, share, problem, detail, None)

    if not is_service(ref):
        kind = f"{ref.group}/{ref.kind}" if ref.group else ref.kind
        return bad(INVALID_KIND, f"backend {kind} {key} is not a Service")
    unread = outside_read(snapshot, ns) if ns != route.namespace else None
    if unread is not None:
        # Its ReferenceGrants (and, unless it is a LoadBalancer or NodePort, the Service)
        # were not read: neither RefNotPermitted nor BackendNotFound can be told.
        choice = unknown_choice(
            f"Service {key} is outside what was read ({unread}): "
            "whether a ReferenceGrant permits it is unknown"
        )
        return ResolvedBackend(ref, key, ref.weight, share, None, choice.rule, choice)
    if ns != route.namespace and not grant_permits(
        gateway_objects(snapshot).grants, route.kind, route.namespace, "", "Service", ns, ref.name
    ):
        return bad(
            REF_NOT_PERMITTED,
            f"no ReferenceGrant in namespace {ns} lets "
            f"{route.kind}s from {route.namespace} refer to Service {key}",
        )
    svc = snapshot.services.get(key)
    if svc is None:
        return bad(BACKEND_NOT_FOUND, f"Service {key} does not exist")
    if ref.port is None:
        return bad(
            BACKEND_NOT_FOUND, f"Service {key}: backendRef names no port (required for a Service)"
        )
    protocol = "UDP" if route.kind == "UDPRoute" else "TCP"
    port = next((p for p in svc.ports if p.port == ref.port and p.protocol == protocol), None)
    if port is None:
        return bad(BACKEND_NOT_FOUND, f"Service {key} has no port {ref.port}/{protocol}")
    if svc.type == "ExternalName":
        choice = unknown_choice(f"ExternalName {svc.external_name}: the gateway resolves it")
        return ResolvedBackend(ref, key, ref.weight, share, None, choice.rule, choice)
    # Imported here: kpath.routing.paths imports this module for its Gateway ways in.
    from kpath.routing.paths import pods_direct

    targets = service_targets(snapshot, snapshot.service_slices(key), port)
    why = None if targets else endpoints_unknown(snapshot, svc.selector)
    choice = unknown_choice(why) if why else pods_direct(targets)
    return ResolvedBackend(ref, key, ref.weight, share, None, choice.rule, choice)


def rule_backends(snapshot: Snapshot, route: Route, rule_index: int) -> tuple[ResolvedBackend, ...]:
    """Every backendRef of one rule, resolved, with its share of the rule's traffic
    (weight 0 has share 0 and is kept, so a caller can say it sends nothing)."""
    refs = route.rules[rule_index].backends
    total = sum(max(r.weight, 0) for r in refs)
    return tuple(
        resolve_backend(snapshot, route, r, max(r.weight, 0) / total if total else 0.0)
        for r in refs
    )


#: Rules already resolved, by (route kind, route, rule index): one analysis resolves each
#: rule once, however many listeners the route attaches to and whoever asks.
ResolvedRules = dict[tuple[str, ObjectKey, int], tuple[ResolvedBackend, ...]]


def rule_backends_once(
    snapshot: Snapshot, resolved: ResolvedRules, route: Route, rule_index: int
) -> tuple[ResolvedBackend, ...]:
    """`rule_backends`, kept in ``resolved`` for the next caller of the same analysis."""
    key = (route.kind, route.key, rule_index)
    found = resolved.get(key)
    if found is None:
        found = resolved[key] = rule_backends(snapshot, route, rule_index)
    return found


def valid_share(backends: Iterable[ResolvedBackend]) -> float:
    """The share of a rule's traffic that reaches a valid backend (the rest answers 500)."""
    return sum(b.share for b in backends if b.problem is None)


def forwarding(b: ResolvedBackend) -> bool:
    return b.problem is None and b.choice is not None and b.choice.verdict != Verdict.REJECT


def route_problems(snapshot: Snapshot, route: Route) -> tuple[str, ...]:
    """The distinct ResolvedRefs reasons of a route's backendRefs, first seen first (empty:
    every ref resolves). What ResolvedRefs=False would carry in the route's status."""
    seen: dict[str, None] = {}
    for i in range(len(route.rules)):
        for b in rule_backends(snapshot, route, i):
            if b.problem is not None:
                seen.setdefault(b.problem)
    return tuple(seen)


def certificate_problems(
    snapshot: Snapshot, gateway_namespace: str, refs: Iterable[SecretRef]
) -> tuple[str, ...]:
    """Listener certificateRefs a Gateway may not use: a Secret in another namespace needs a
    ReferenceGrant there from Gateways of the Gateway's namespace (RefNotPermitted); a ref
    that is not a core Secret is InvalidCertificateRef. (Secrets themselves are not read.)
    A Secret in a namespace that was not read is not judged: its grants were not read."""
    out: dict[str, None] = {}
    grants = gateway_objects(snapshot).grants
    for r in refs:
        if r.group not in ("", "core") or r.kind != "Secret":
            out.setdefault("InvalidCertificateRef")
            continue
        ns = r.namespace or gateway_namespace
        if (
            ns != gateway_namespace
            and outside_read(snapshot, ns) is None
            and not grant_permits(grants, "Gateway", gateway_namespace, "", "Secret", ns, r.name)
        ):
            out.setdefault(REF_NOT_PERMITTED)
    return tuple(out)
