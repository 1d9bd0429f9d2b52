"""Findings: what is wrong, or worth knowing, about the ways in. Pure rules with stable codes.

Each rule reads the snapshot and the computed paths and yields `Finding`s whose message is
one line naming the objects. Codes never change meaning; new rules get new codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple, TypedDict, Unpack

from kpath.cluster.records import ObjectKey, Service
from kpath.cluster.snapshot import FROM_PODS, Snapshot
from kpath.routing.affinity import applies
from kpath.routing.closest import Candidate
from kpath.routing.kubeproxy import Verdict, has_usable
from kpath.routing.podlabels import PodIndex, closest_sets, selected
from kpath.routing.visibility import not_visible_lines

if TYPE_CHECKING:  # annotations only: `kpath request` needs Finding, not the path machinery
    from kpath.routing.paths import Path, PortRoutes


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


class Finding(NamedTuple):
    code: str
    severity: Severity
    message: str
    service: ObjectKey | None = None
    ingress: ObjectKey | None = None
    nodes: tuple[str, ...] = ()
    port: str | None = None  # the service port's label, when the finding is about one port
    gateway: ObjectKey | None = None  # the Gateway, when the finding is about one
    route: str | None = None  # "HTTPRoute ns/name", when the finding is about a route


#: code -> (short name, severity). docs/findings.md documents each; keep them in step.
RULES: dict[str, tuple[str, Severity]] = {
    "KP101": ("local-policy-black-hole", Severity.ERROR),
    "KP102": ("no-ready-endpoints", Severity.ERROR),
    "KP103": ("selector-matches-no-pod", Severity.ERROR),
    "KP104": ("only-terminating-endpoints", Severity.WARNING),
    "KP105": ("target-port-not-exposed", Severity.ERROR),
    "KP106": ("load-balancer-pending", Severity.WARNING),
    "KP107": ("not-ready-node-in-path", Severity.WARNING),
    "KP108": ("internal-local-policy-drops", Severity.WARNING),
    "KP109": ("cross-node-share", Severity.INFO),
    "KP201": ("ingress-backend-service-missing", Severity.ERROR),
    "KP202": ("ingress-backend-port-missing", Severity.ERROR),
    "KP203": ("ingressclass-missing", Severity.ERROR),
    "KP204": ("ingress-controller-not-found", Severity.WARNING),
    "KP205": ("ingress-backend-not-a-service", Severity.INFO),
    # Ingress rules in conflict (kpath/routing/ingress_conflicts.py); KP208-KP209 free.
    "KP206": ("ingress-rule-conflict", Severity.WARNING),
    "KP207": ("ingress-rule-conflict-undefined", Severity.WARNING),
    "KP301": ("kind-not-visible", Severity.WARNING),
    "KP302": ("endpoints-derived-from-pods", Severity.INFO),
    "KP303": ("cluster-cross-node-share", Severity.INFO),
    "KP304": ("endpoints-unknown", Severity.WARNING),
    # Gateway API (kpath.routing.gateway.status). KP401-KP405 are the probes' (evidence.py).
    "KP410": ("gatewayclass-missing", Severity.ERROR),
    "KP411": ("gatewayclass-not-accepted", Severity.ERROR),
    "KP412": ("gateway-not-accepted", Severity.ERROR),
    "KP413": ("gateway-not-programmed", Severity.ERROR),
    "KP414": ("gateway-no-address", Severity.WARNING),
    "KP415": ("gateway-infra-not-found", Severity.INFO),
    "KP416": ("route-no-matching-parent", Severity.ERROR),
    "KP417": ("route-not-allowed-by-listeners", Severity.ERROR),
    "KP418": ("route-no-matching-listener-hostname", Severity.ERROR),
    "KP419": ("route-not-accepted", Severity.ERROR),
    "KP423": ("route-refs-unresolved", Severity.ERROR),
    "KP424": ("listener-conflict", Severity.ERROR),
    "KP425": ("listener-not-ready", Severity.WARNING),
    "KP427": ("status-not-current", Severity.INFO),
    "KP428": ("spec-status-disagree", Severity.WARNING),
    "KP429": ("attached-routes-differ", Severity.WARNING),
    # Gateway backends (kpath.routing.gateway): what a matched rule's backendRefs answer.
    "KP430": ("gateway-backend-not-permitted", Severity.ERROR),
    "KP431": ("gateway-backend-not-found", Severity.ERROR),
    "KP432": ("gateway-backend-invalid-kind", Severity.ERROR),
    "KP433": ("gateway-backend-no-ready-endpoints", Severity.ERROR),
    "KP434": ("gateway-rule-without-backend", Severity.ERROR),
    "KP435": ("gateway-rule-weights-all-zero", Severity.ERROR),
    "KP436": ("gateway-no-rule-matches", Severity.INFO),
    # kpath request (kpath/routing/answers.py, ingress_request.py)
    "KP450": ("request-not-taken", Severity.WARNING),
    "KP451": ("ingress-path-read-as-prefix", Severity.INFO),
    "KP452": ("ingress-rules-conflict", Severity.WARNING),
    "KP453": ("ingress-tls-host-not-covered", Severity.WARNING),
    "KP454": ("ingress-controller-not-listening", Severity.WARNING),
    "KP455": ("ingress-no-rule-matches", Severity.INFO),
    # NetworkPolicy reading (kpath.routing.policy.unevaluated)
    "KP503": ("policies-not-evaluated", Severity.INFO),
    # NetworkPolicy on the paths (kpath/routing/policy/pathfindings.py); KP524-KP539 free.
    "KP520": ("hop-blocked-by-policy", Severity.ERROR),
    "KP521": ("hop-partly-blocked-by-policy", Severity.WARNING),
    "KP522": ("policy-selects-no-pod", Severity.WARNING),
    "KP523": ("service-unreachable-by-policy", Severity.ERROR),
}


class Place(TypedDict, total=False):
    """What a finding is about: Finding's optional fields, for ``finding(..., **place)``."""

    service: ObjectKey | None
    ingress: ObjectKey | None
    nodes: tuple[str, ...]
    port: str | None
    gateway: ObjectKey | None
    route: str | None


def finding(
    code: str, message: str, severity: Severity | None = None, **place: Unpack[Place]
) -> Finding:
    return Finding(code, severity or RULES[code][1], message, **place)


def _names(nodes: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(nodes[:limit])
    return shown + (f" and {len(nodes) - limit} more" if len(nodes) > limit else "")


def service_findings(
    snapshot: Snapshot,
    svc: Service,
    routes: Sequence[PortRoutes],
    pods: PodIndex | None = None,
) -> Iterator[Finding]:
    """``pods``: the snapshot's pods by label set, shared by one analysis run's services
    (None: made here, for this one service)."""
    key = svc.key
    if svc.type == "ExternalName":
        return
    if svc.type == "LoadBalancer" and not svc.load_balancer_ingress:
        yield finding("KP106", f"{key}: LoadBalancer has no address yet (<pending>)", service=key)
    all_targets = [t for r in routes for t in r.targets]
    if not all_targets and not endpoints_known(snapshot):
        return  # said once for the whole input (KP304)
    if svc.selector is not None and not all_targets:
        yield from _no_endpoints(snapshot, svc, PodIndex(snapshot) if pods is None else pods)
        return
    if svc.selector is None and not all_targets:
        if {"EndpointSlice", "Endpoints"} & snapshot.kinds_seen:
            yield finding(
                "KP102",
                f"{key}: no selector and no endpoints published by hand: "
                "every connection is refused",
                service=key,
            )
        else:
            # Its endpoints live only in Endpoints/EndpointSlices, which the input lacks.
            yield finding(
                "KP304",
                f"{key}: no selector, and the input carries no "
                "EndpointSlices or Endpoints: its endpoints are unknown, so no "
                "verdict is made",
                Severity.INFO,
                service=key,
            )
        return
    for r in routes:
        label = r.port.label()
        where = f"{key} port {label}"
        if not r.targets:
            # Other ports have endpoints: no slice port carries this one's name.
            yield finding(
                "KP102",
                f"{where}: no endpoint carries this port (no EndpointSlice "
                "port by its name): every connection is refused",
                service=key,
                port=label,
            )
        elif not has_usable(r.targets):
            yield finding(
                "KP102",
                f"{where}: no ready endpoint ({len(r.targets)} not ready): "
                "every connection is refused",
                service=key,
                port=label,
            )
        elif any(not t.ready for t in r.targets) and not any(t.ready for t in r.targets):
            yield finding(
                "KP104",
                f"{where}: only terminating endpoints are serving traffic",
                service=key,
                port=label,
            )
        unresolved = sorted({str(t.pod) for t in r.targets if t.port is None and t.pod})
        if unresolved:
            yield finding(
                "KP105",
                f"{where}: targetPort {r.port.target_port!r} is not exposed "
                f"by pod(s) {_names(unresolved)}",
                service=key,
                port=label,
            )
        yield from _policy_findings(svc, r, where, label)


def _policy_findings(svc: Service, r: PortRoutes, where: str, label: str) -> Iterator[Finding]:
    key = svc.key
    if r.external is not None and svc.external_traffic_policy == "Local":
        dropped = [n for g in r.external if g.choice.verdict == Verdict.DROP for n in g.nodes]
        if dropped:
            total = sum(len(g.nodes) for g in r.external)
            lb = svc.type == "LoadBalancer"
            consequence = (
                "the load balancer's health check skips them, but clients of their "
                "NodePort time out"
                if lb
                else "clients that reach them time out"
            )
            yield finding(
                "KP101",
                f"{where}: externalTrafficPolicy Local drops traffic at {len(dropped)} of {total} "
                f"nodes with no local endpoint: {_names(sorted(dropped))} ({consequence})",
                Severity.WARNING if lb else Severity.ERROR,
                service=key,
                nodes=tuple(sorted(dropped)),
                port=label,
            )
    if svc.internal_traffic_policy == "Local":
        dropped = [n for g in r.internal if g.choice.verdict == Verdict.DROP for n in g.nodes]
        if dropped:
            yield finding(
                "KP108",
                f"{where}: internalTrafficPolicy Local: pods on {len(dropped)} node(s) without a "
                f"local endpoint cannot reach it: {_names(sorted(dropped))}",
                service=key,
                nodes=tuple(sorted(dropped)),
                port=label,
            )
    if r.external is not None:
        not_ready = [
            n
            for g in r.external
            if g.ready is False and g.choice.verdict == Verdict.FORWARD
            for n in g.nodes
        ]
        if not_ready:
            yield finding(
                "KP107",
                f"{where}: NotReady node(s) in the path: {_names(sorted(not_ready))}",
                service=key,
                nodes=tuple(sorted(not_ready)),
                port=label,
            )


def _no_endpoints(snapshot: Snapshot, svc: Service, pods: PodIndex) -> Iterator[Finding]:
    key = svc.key
    assert svc.selector is not None
    if "Pod" not in snapshot.kinds_seen:
        # Pods not read (not visible, or not in the dump): no pod counts to give.
        yield finding(
            "KP102",
            f"{key}: no endpoints (pods not read, so not why): every connection is refused",
            service=key,
        )
        return
    sets = pods.sets(svc.namespace)
    chosen = selected(sets, svc.selector)
    if not chosen.pods:
        yield finding(
            "KP103",
            f"{key}: selector {_selector(svc.selector)} matches no pod"
            f"{_closest(closest_sets(sets, svc.selector))}",
            service=key,
        )
    else:
        yield finding(
            "KP102",
            f"{key}: no endpoints ({chosen.pods} pod(s) selected, "
            f"{chosen.ready or 'none'} ready): every connection is refused",
            service=key,
        )


def _selector(selector: Mapping[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in selector.items())


def _closest(near: Sequence[Candidate]) -> str:
    """Name the pods whose labels come closest (fewest letters off), and how they differ."""
    if not near:
        return " (no pod in the namespace carries any of its label keys)"
    names = _names([c.pod.name for c in near], 3)
    # A dash, not parentheses: a far label's own words end in "(wants …)".
    return f"; closest: {names} — {', '.join(t.describe() for t in near[0].differ)}"


def ingress_findings(paths: Iterable[Path], snapshot: Snapshot) -> Iterator[Finding]:
    """What is wrong with each Ingress rule's backend and controller (conflicts between
    Ingresses are `ingress_conflicts`'s)."""
    seen: set[tuple[object, ...]] = set()
    for path in paths:
        route = path.entry.ingress
        if route is None:
            continue
        ing = route.ingress.key
        ctrl = route.controller
        if route.problem and ("problem", ing, route.problem) not in seen:
            seen.add(("problem", ing, route.problem))
            code = (
                "KP205"
                if route.backend_service is None
                else ("KP201" if "does not exist" in route.problem else "KP202")
            )
            yield finding(
                code,
                f"Ingress {ing} ({route.label()}): {route.problem}",
                ingress=ing,
                service=route.backend_service,
            )
        if ("ctrl", ing) in seen:
            continue
        seen.add(("ctrl", ing))
        class_name = ctrl.class_name
        if (
            class_name
            and not route.ingress.class_from_annotation
            and class_name not in snapshot.ingress_classes
            and "IngressClass" in snapshot.kinds_seen
        ):
            yield finding(
                "KP203",
                f"Ingress {ing}: IngressClass {class_name!r} does not exist; "
                "no controller will serve it",
                ingress=ing,
            )
        elif ctrl.kind == "unknown":
            yield finding("KP204", f"Ingress {ing}: {ctrl.note}", ingress=ing)


#: Per service: [the crossing share summed over nodes, the forwarding nodes counted].
CrossTally = dict[ObjectKey, list[float]]


def cross_node_findings(
    paths: Iterable[Path], services: Mapping[ObjectKey, Service] | None = None
) -> Iterator[Finding]:
    """Per service, and for the cluster: the share of node paths whose traffic crosses nodes.
    ``services``: to say what the share means under ClientIP affinity (a share of clients)."""
    tally: CrossTally = {}
    pinned: set[ObjectKey] = set()
    cross_node_tally(paths, services, tally, pinned)
    return cross_node_report(tally, pinned)


def cross_node_tally(
    paths: Iterable[Path],
    services: Mapping[ObjectKey, Service] | None,
    tally: CrossTally,
    pinned: set[ObjectKey],
) -> None:
    """Add ``paths`` to ``tally`` in their order (so a tally kept per service and
    continued with later paths sums exactly as one pass over all of them would)."""
    for p in paths:
        if not p.groups or not p.external:
            continue
        if services is not None and applies(services.get(p.service), p.via):
            pinned.add(p.service)
        acc = tally.setdefault(p.service, [0.0, 0.0])
        for g in p.groups:
            if g.choice.verdict == Verdict.FORWARD:
                acc[0] += len(g.nodes) * g.cross_share
                acc[1] += len(g.nodes)


def cross_node_report(tally: CrossTally, pinned: set[ObjectKey]) -> Iterator[Finding]:
    crossing = total = 0.0
    for key, (cross, n) in sorted(tally.items()):
        crossing, total = crossing + cross, total + n
        found = service_cross_finding(key, cross, n, key in pinned)
        if found is not None:
            yield found
    found = cluster_cross_finding(crossing, total)
    if found is not None:
        yield found


def service_cross_finding(key: ObjectKey, cross: float, n: float, pinned: bool) -> Finding | None:
    """KP109 from one service's tally (None: nothing crosses)."""
    if not (n and cross):
        return None
    per_client = (
        "; ClientIP affinity: that share of clients always lands on another "
        "node's pod, each on the same one"
        if pinned
        else ""
    )
    return finding(
        "KP109",
        f"{key}: {cross / n:.0%} of external traffic crosses to "
        f"another node (SNAT: pods see a node, not the client){per_client}",
        service=key,
    )


def cluster_cross_finding(crossing: float, total: float) -> Finding | None:
    """KP303 from the tallies summed in service order (None: no external node path)."""
    if not total:
        return None
    return finding(
        "KP303",
        f"cluster: {crossing / total:.0%} of external traffic through "
        "nodes crosses to another node",
    )


def endpoints_known(snapshot: Snapshot) -> bool:
    """Whether the input says anything about endpoints (slices, Endpoints, or pods)."""
    return bool({"EndpointSlice", "Endpoints", "Pod"} & snapshot.kinds_seen)


def snapshot_findings(snapshot: Snapshot) -> Iterator[Finding]:
    for line in not_visible_lines(snapshot.not_visible, snapshot.kinds_seen):
        yield finding("KP301", line)
    if snapshot.services and not endpoints_known(snapshot):
        yield finding(
            "KP304",
            "the input carries no Pods, EndpointSlices or Endpoints: "
            "endpoints are unknown, so no verdict is made (unknown)",
        )
    derived = sum(1 for s in snapshot.slices.values() if s and s[0].origin == FROM_PODS)
    if derived:
        yield finding(
            "KP302",
            f"the input carries no EndpointSlices or Endpoints: endpoints of "
            f"{derived} service(s) derived from pod selectors and readiness",
        )
