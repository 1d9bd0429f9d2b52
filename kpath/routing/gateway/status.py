"""Gateway API findings: what the spec says, read as the specification defines it, and where
the controller's status says otherwise. Pure rules; codes are registered in `findings.RULES`.

Spec readings come in as `ParentReading`s (one per route parentRef: which listeners it
attaches to, or why none) and as the Gateway paths (one per backend of a rule, with the
problem that makes it answer 500; those problems are findings of `gateway.findings`,
KP430-KP435). Status is read straight from the records. Where both exist and agree, one
finding says so; where they differ, `KP428`/`KP429` say that too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import NamedTuple

from kpath.cluster.gatewayapi import (
    Condition,
    Gateway,
    ListenerStatus,
    ParentRef,
    Route,
    RouteParentStatus,
)
from kpath.cluster.gatewaykinds import GatewayObjects
from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import Snapshot
from kpath.routing.findings import Finding, Severity, finding
from kpath.routing.gateway.attach import UNREAD, GatewayTable
from kpath.routing.gateway.backends import certificate_problems
from kpath.routing.gateway.infra import InfraRef
from kpath.routing.gateway.unread import services_unread
from kpath.routing.paths import Path

#: Why a route does not attach to a parent, as the spec names it -> kpath's code.
NOT_ATTACHED_CODES = {
    "NoMatchingParent": "KP416",
    "NotAllowedByListeners": "KP417",
    "NoMatchingListenerHostname": "KP418",
}


class ParentReading(NamedTuple):
    """kpath's reading of one parentRef of one route, from spec."""

    route: Route
    parent: ParentRef
    gateway: ObjectKey  # the Gateway the parentRef names (it may not exist)
    listeners: tuple[str, ...]  # the listeners it attaches to; empty: not attached
    reason: str | None  # when not attached: NoMatchingParent, NotAllowedByListeners, ...
    detail: str  # one clause saying why, for the message


class ListenerConflict(NamedTuple):
    gateway: ObjectKey
    listeners: tuple[str, ...]
    reason: str  # ProtocolConflict, HostnameConflict
    detail: str


def condition(conditions: Iterable[Condition], type_: str) -> Condition | None:
    return next((c for c in conditions if c.type == type_), None)


def _quoted(c: Condition) -> str:
    msg = f": {c.message!r}" if c.message else ""
    return f"{c.reason or 'no reason'}{msg}"


def _parent_label(p: ParentRef, route_ns: str) -> str:
    ns = p.namespace or route_ns
    where = f"{p.kind} {ns}/{p.name}"
    if p.section_name:
        where += f" listener {p.section_name}"
    if p.port is not None:
        where += f" port {p.port}"
    return where


def gateway_findings(
    objects: GatewayObjects,
    infra: Mapping[ObjectKey, InfraRef],
    kinds_seen: frozenset[str],
    services_lb: Mapping[ObjectKey, tuple[str, ...]],
    conflicted: frozenset[tuple[ObjectKey, str]] = frozenset(),
    unresolved: Mapping[tuple[ObjectKey, str], tuple[str, ...]] | None = None,
    unread: Mapping[str, str] | None = None,
) -> Iterator[Finding]:
    """Findings about GatewayClasses and Gateways themselves (spec and status).

    ``services_lb``: the load-balancer addresses of each Service (to name the infrastructure
    Service's own address when the Gateway publishes none); ``conflicted``: the (Gateway,
    listener) pairs kpath reads as conflicted from spec (their own KP424 says so);
    ``unresolved``: the ResolvedRefs reasons kpath reads from spec per (Gateway, listener)
    (their own KP425 says so); ``unread``: namespace -> why its Services were not all read
    (KP415 then says its search was partial)."""
    by_class: dict[str, list[Gateway]] = defaultdict(list)
    for gw in objects.gateways.values():
        by_class[gw.class_name].append(gw)
    for class_name, gws in sorted(by_class.items()):
        cls = objects.classes.get(class_name)
        names = ", ".join(str(g.key) for g in sorted(gws, key=lambda g: g.key))
        if cls is None:
            if "GatewayClass" in kinds_seen:
                for gw in gws:
                    yield finding(
                        "KP410",
                        f"Gateway {gw.key}: GatewayClass {class_name!r} does "
                        "not exist; no controller serves it",
                        gateway=gw.key,
                    )
            continue
        accepted = condition(cls.conditions, "Accepted")
        if accepted is not None and accepted.status == "False":
            yield finding(
                "KP411",
                f"GatewayClass {class_name}: not Accepted by its controller "
                f"({_quoted(accepted)}); Gateway(s) {names} are not served",
            )
        elif accepted is not None and accepted.status == "Unknown":
            # The CRD's default status, left as it was: no controller has claimed the class.
            yield finding(
                "KP411",
                f"GatewayClass {class_name}: not Accepted yet "
                f"({_quoted(accepted)}): no controller {cls.controller!r} has claimed "
                f"it; Gateway(s) {names} are not served",
            )
    for key in sorted(objects.gateways):
        gw = objects.gateways[key]
        yield from _gateway_status(gw, conflicted, unresolved or {})
        ref = infra.get(key)
        if not gw.addresses:
            infra_svc = ref.service if ref is not None else None
            lb = services_lb.get(infra_svc, ()) if infra_svc else ()
            extra = (
                f"; its Service {infra_svc} has {', '.join(lb)}"
                if lb
                else f"; its Service {infra_svc} has no address either"
                if infra_svc
                else ""
            )
            yield finding(
                "KP414", f"Gateway {key}: no address in status.addresses{extra}", gateway=key
            )
        if ref is not None and ref.service is None:
            partial = (unread or {}).get(key.namespace)
            yield finding(
                "KP415",
                f"Gateway {key}: {ref.note}"
                + (f" (among the Services read: {partial})" if partial else ""),
                gateway=key,
            )


def _gateway_status(
    gw: Gateway,
    conflicted: frozenset[tuple[ObjectKey, str]],
    unresolved: Mapping[tuple[ObjectKey, str], tuple[str, ...]],
) -> Iterator[Finding]:
    key = gw.key
    for type_, code in (("Accepted", "KP412"), ("Programmed", "KP413")):
        c = condition(gw.conditions, type_)
        if c is not None and c.status == "False":
            yield finding(code, f"Gateway {key}: not {type_} ({_quoted(c)})", gateway=key)
        elif c is not None and c.status == "Unknown":
            # e.g. the CRD's default "Pending: Waiting for controller": nothing serves it yet.
            yield finding(code, f"Gateway {key}: not {type_} yet ({_quoted(c)})", gateway=key)
    stale = [
        c
        for c in gw.conditions
        if c.observed_generation is not None
        and gw.generation is not None
        and c.observed_generation < gw.generation
    ]
    if stale:
        yield finding(
            "KP427",
            f"Gateway {key}: status is for generation "
            f"{stale[0].observed_generation}, the spec is at {gw.generation}",
            gateway=key,
        )
    for ls in gw.listener_status:
        yield from _listener_status(
            key, ls, (key, ls.name) in conflicted, unresolved.get((key, ls.name), ())
        )


def _listener_status(
    key: ObjectKey, ls: ListenerStatus, spec_conflict: bool, spec_unresolved: tuple[str, ...]
) -> Iterator[Finding]:
    where = f"Gateway {key} listener {ls.name}"
    conflicted = condition(ls.conditions, "Conflicted")
    if conflicted is not None and conflicted.status == "True" and not spec_conflict:
        yield finding(
            "KP424", f"{where}: the controller says Conflicted ({_quoted(conflicted)})", gateway=key
        )
        yield finding(
            "KP428",
            f"{where}: the controller says Conflicted, kpath reads no conflict in the spec",
            gateway=key,
        )
    elif conflicted is not None and conflicted.status == "False" and spec_conflict:
        yield finding(
            "KP428",
            f"{where}: kpath reads a conflict in the spec, the controller says not Conflicted",
            gateway=key,
        )
    for type_ in ("Accepted", "Programmed"):
        c = condition(ls.conditions, type_)
        if c is not None and c.status == "False":
            yield finding("KP425", f"{where}: not {type_} ({_quoted(c)})", gateway=key)
    c = condition(ls.conditions, "ResolvedRefs")
    if c is not None and c.status == "False" and not spec_unresolved:
        yield finding("KP425", f"{where}: not ResolvedRefs ({_quoted(c)})", gateway=key)
        yield finding(
            "KP428",
            f"{where}: the controller says ResolvedRefs False "
            f"({c.reason}), kpath resolves its refs from spec",
            gateway=key,
        )
    elif c is not None and c.status == "True" and spec_unresolved:
        yield finding(
            "KP428",
            f"{where}: kpath finds {', '.join(spec_unresolved)} from spec, "
            "the controller says ResolvedRefs True",
            gateway=key,
        )


def listener_problems(
    snapshot: Snapshot,
    table: GatewayTable,
) -> dict[tuple[ObjectKey, str], tuple[tuple[str, str], ...]]:
    """(Gateway, listener) -> [(reason, why)] from spec: certificateRefs it may not use,
    allowedRoutes kinds its protocol cannot carry (what ResolvedRefs=False would say)."""
    out: dict[tuple[ObjectKey, str], tuple[tuple[str, str], ...]] = {}
    for lr in table.listeners:
        lst = lr.bound.listener
        found: list[tuple[str, str]] = []
        for reason in certificate_problems(snapshot, lr.bound.namespace, lst.certificate_refs):
            refs = ", ".join(
                f"{r.kind} {r.namespace or lr.bound.namespace}/{r.name}"
                for r in lst.certificate_refs
            )
            found.append(
                (
                    reason,
                    f"certificateRefs {refs}: "
                    + (
                        "a Secret in another namespace needs a ReferenceGrant there from "
                        f"Gateways in {lr.bound.namespace}"
                        if reason == "RefNotPermitted"
                        else "not a core Secret"
                    ),
                )
            )
        if lr.invalid_kinds:
            found.append(
                (
                    "InvalidRouteKinds",
                    f"allowedRoutes.kinds {', '.join(lr.invalid_kinds)}"
                    f" cannot be carried by a {lst.protocol} listener",
                )
            )
        if found:
            out[(lr.ref.gateway, lr.ref.label())] = tuple(found)
    return out


def listener_problem_findings(
    problems: Mapping[tuple[ObjectKey, str], tuple[tuple[str, str], ...]],
    objects: GatewayObjects,
) -> Iterator[Finding]:
    for (gw, name), found in sorted(problems.items()):
        gateway = objects.gateways.get(gw)
        ls = next((x for x in gateway.listener_status if x.name == name), None) if gateway else None
        resolved = condition(ls.conditions, "ResolvedRefs") if ls is not None else None
        for reason, why in found:
            note = ""
            if resolved is not None and resolved.status == "False":
                note = (
                    f" (the controller's status agrees: {_quoted(resolved)})"
                    if resolved.reason == reason
                    else f" (the controller says {_quoted(resolved)})"
                )
            yield finding(
                "KP425", f"Gateway {gw} listener {name}: {reason} ({why}){note}", gateway=gw
            )


def conflict_findings(conflicts: Iterable[ListenerConflict]) -> Iterator[Finding]:
    for c in conflicts:
        yield finding(
            "KP424",
            f"Gateway {c.gateway} listeners {', '.join(c.listeners)}: {c.reason} ({c.detail})",
            gateway=c.gateway,
        )


def _status_for(
    route: Route, reading: ParentReading, objects: GatewayObjects
) -> RouteParentStatus | None:
    """The status the Gateway's own controller wrote for this parentRef (another
    implementation may write one for the same parent); any, when the class is unknown."""
    ref = reading.parent  # the parent as the route names it (a Gateway or a ListenerSet)
    want = (ref.namespace or route.namespace, ref.name, ref.section_name, ref.port, ref.kind)
    mine = [
        st
        for st in route.status
        if (
            st.parent.namespace or route.namespace,
            st.parent.name,
            st.parent.section_name,
            st.parent.port,
            st.parent.kind,
        )
        == want
    ]
    gw = objects.gateways.get(reading.gateway)
    cls = objects.classes.get(gw.class_name) if gw is not None else None
    if cls is not None:
        return next((st for st in mine if st.controller == cls.controller), None)
    return mine[0] if mine else None


def route_findings(
    readings: Sequence[ParentReading], paths: Iterable[Path], objects: GatewayObjects
) -> Iterator[Finding]:
    """Attachment and backend findings per route parent: spec first, status compared."""
    problems = _backend_problems(paths)
    for r in readings:
        route = r.route
        label = route.label()
        parent = _parent_label(r.parent, route.namespace)
        st = _status_for(route, r, objects)
        accepted = condition(st.conditions, "Accepted") if st else None
        resolved = condition(st.conditions, "ResolvedRefs") if st else None
        gw = r.gateway
        stale = [
            c
            for c in (st.conditions if st else ())
            if c.observed_generation is not None
            and route.generation is not None
            and c.observed_generation < route.generation
        ]
        if stale:
            yield finding(
                "KP427",
                f"{label} on {parent}: status is for generation "
                f"{stale[0].observed_generation}, the spec is at {route.generation}",
                gateway=gw,
                route=label,
            )
        if not r.listeners and r.reason == UNREAD:
            # Not "does not exist": the parent lives where this load did not (or could
            # not) read, so nothing is contradicted either.
            seen = (
                f"; the route's status says Accepted ({_quoted(accepted)})"
                if accepted is not None and accepted.status == "True"
                else ""
            )
            yield finding(
                "KP416",
                f"{label}: where it attaches is unknown: {r.detail}{seen}",
                Severity.WARNING,
                gateway=gw,
                route=label,
            )
            continue
        if not r.listeners:
            code = NOT_ATTACHED_CODES.get(r.reason or "", "KP416")
            note = ""
            if accepted is not None and accepted.status == "False":
                note = (
                    f" (the controller's status agrees: {_quoted(accepted)})"
                    if accepted.reason == r.reason
                    else f" (the controller says {_quoted(accepted)})"
                )
            yield finding(
                code,
                f"{label}: not attached to {parent} ({r.reason}: {r.detail}){note}",
                gateway=gw,
                route=label,
            )
            if accepted is not None and accepted.status == "True":
                yield finding(
                    "KP428",
                    f"{label} on {parent}: kpath reads the spec as not "
                    f"attached ({r.reason}), the controller's status says Accepted",
                    gateway=gw,
                    route=label,
                )
        elif accepted is not None and accepted.status == "False":
            yield finding(
                "KP419",
                f"{label}: the controller did not accept it on {parent} ({_quoted(accepted)})",
                gateway=gw,
                route=label,
            )
            yield finding(
                "KP428",
                f"{label} on {parent}: kpath reads the spec as attached to "
                f"listener(s) {', '.join(r.listeners)}, the controller's status says "
                f"not Accepted ({accepted.reason})",
                gateway=gw,
                route=label,
            )
        if not r.listeners:
            continue
        # Each backend problem kpath finds is a KP430-KP432 of its own (gateway.findings);
        # here only whether the controller's ResolvedRefs agrees.
        mine = problems.get((route.kind, route.key, gw), [])
        if resolved is not None and resolved.status == "False" and not mine:
            yield finding(
                "KP423",
                f"{label} on {parent}: the controller says ResolvedRefs "
                f"False ({_quoted(resolved)})",
                gateway=gw,
                route=label,
            )
            yield finding(
                "KP428",
                f"{label} on {parent}: kpath resolves every backendRef, the "
                f"controller's status says ResolvedRefs False ({resolved.reason})",
                gateway=gw,
                route=label,
            )
        elif resolved is not None and resolved.status == "True" and mine:
            yield finding(
                "KP428",
                f"{label} on {parent}: kpath finds "
                f"{', '.join(sorted(set(mine)))} among its backendRefs, the "
                "controller's status says ResolvedRefs True",
                gateway=gw,
                route=label,
            )


def _backend_problems(paths: Iterable[Path]) -> dict[tuple[str, ObjectKey, ObjectKey], list[str]]:
    """(route kind, route, gateway) -> the reasons its backendRefs answer 500, each once."""
    out: dict[tuple[str, ObjectKey, ObjectKey], list[str]] = defaultdict(list)
    for p in paths:
        hop = p.entry.gateway
        if hop is None or hop.problem is None or hop.backend is None:
            continue
        reason = hop.problem.partition(": ")[0]
        found = out[(hop.route_kind, hop.route, hop.gateway)]
        if reason not in found:
            found.append(reason)
    return out


def attached_count_findings(
    readings: Iterable[ParentReading], objects: GatewayObjects
) -> Iterator[Finding]:
    """status.attachedRoutes per listener against the routes kpath attaches from spec."""
    counts: dict[tuple[ObjectKey, str], set[tuple[str, ObjectKey]]] = defaultdict(set)
    for r in readings:
        for name in r.listeners:
            counts[(r.gateway, name)].add((r.route.kind, r.route.key))
    for key in sorted(objects.gateways):
        gw = objects.gateways[key]
        for ls in gw.listener_status:
            if ls.attached_routes is None:
                continue
            mine = len(counts.get((key, ls.name), ()))
            if mine != ls.attached_routes:
                yield finding(
                    "KP429",
                    f"Gateway {key} listener {ls.name}: status says "
                    f"{ls.attached_routes} attached route(s), kpath attaches {mine} "
                    "from spec",
                    gateway=key,
                )


def readings(table: GatewayTable, objects: GatewayObjects) -> list[ParentReading]:
    """kpath's reading of every parentRef of every route, from the attachment table."""
    attached: dict[tuple[str, ObjectKey, int], list[tuple[ObjectKey, str]]] = defaultdict(list)
    for lr in table.listeners:
        for a in lr.routes:
            attached[(a.route.kind, a.route.key, a.parent)].append((lr.ref.gateway, lr.ref.label()))
    rejected = {(r.route.kind, r.route.key, r.parent): r for r in table.rejected}
    out = []
    for route in objects.routes:
        for pi, ref in enumerate(route.parents):
            key = (route.kind, route.key, pi)
            named = ObjectKey(ref.namespace or route.namespace, ref.name)
            if key in attached:
                gws = attached[key]
                out.append(ParentReading(route, ref, gws[0][0], tuple(n for _, n in gws), None, ""))
            elif key in rejected:
                r = rejected[key]
                out.append(ParentReading(route, ref, named, (), r.reason, r.message))
            # else: a second parentRef to a listener an earlier one already attached to
    return out


def table_conflicts(table: GatewayTable) -> list[ListenerConflict]:
    out = []
    for lr in table.listeners:
        if lr.bound.conflict:
            reason, _, detail = lr.bound.conflict.partition(": ")
            out.append(ListenerConflict(lr.ref.gateway, (lr.ref.label(),), reason, detail))
    return out


def gateway_analysis_findings(
    snapshot: Snapshot,
    table: GatewayTable,
    infra: Mapping[ObjectKey, InfraRef],
    paths: Sequence[Path],
) -> Iterator[Finding]:
    """Every Gateway API finding of a snapshot, given its table and Gateway paths."""
    objects = snapshot.gateways
    lb = {
        k: tuple(a for a in (i.address for i in s.load_balancer_ingress) if a)
        for k, s in snapshot.services.items()
        if s.load_balancer_ingress
    }
    conflicts = table_conflicts(table)
    spec_conflicted = frozenset((c.gateway, name) for c in conflicts for name in c.listeners)
    problems = listener_problems(snapshot, table)
    reasons = {k: tuple(r for r, _ in v) for k, v in problems.items()}
    unread = {
        ns: why
        for ns in {k.namespace for k in objects.gateways}
        if (why := services_unread(snapshot, ns)) is not None
    }
    yield from gateway_findings(
        objects, infra, snapshot.kinds_seen, lb, spec_conflicted, reasons, unread
    )
    yield from conflict_findings(conflicts)
    yield from listener_problem_findings(problems, objects)
    read = readings(table, objects)
    yield from route_findings(read, paths, objects)
    yield from attached_count_findings(read, objects)
