"""The ``kpath.paths/v1`` JSON document (documented in docs/json.md). Headless: no textual."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kpath.routing.findings import RULES, Finding, Severity
from kpath.routing.summary import path_summary

if TYPE_CHECKING:  # annotations only, so `finding_json` costs no routing imports
    from kpath.cluster.gatewayapi import HeaderMatch, RouteMatch
    from kpath.cluster.records import Service, ServicePort
    from kpath.routing.analysis import Analysis
    from kpath.routing.kubeproxy import Choice, Target
    from kpath.routing.nodegroups import NodeGroup
    from kpath.routing.paths import GatewayHop, Path
    from kpath.routing.policy.onpaths import HopPolicy, PathPolicy
    from kpath.routing.policy.verdict import Reach

SCHEMA = "kpath.paths/v1"


def _target(t: Target) -> dict[str, Any]:
    return {
        "address": t.endpoint,
        "pod": str(t.pod) if t.pod else None,
        "node": t.node,
        "zone": t.zone,
        "ready": t.ready,
        "serving": t.serving,
        "terminating": t.terminating,
    }


class _Memo:
    """One document's endpoints, written once each: paths share their targets (a port's
    LoadBalancer, NodePort and ClusterIP paths hold the same node groups, and a service's
    groups mostly one choice). Each use gets its own copy, as
    `kpath.export.probejson.add_observed` sets fields on them per hop."""

    __slots__ = ("lists", "reaches", "targets")

    def __init__(self) -> None:
        self.targets: dict[int, dict[str, Any]] = {}  # id(Target): the path holds it alive
        #: id(a choice's targets): that tuple (held, so its id stays its) and their dicts.
        self.lists: dict[int, tuple[tuple[Target, ...], list[dict[str, Any]]]] = {}
        #: id(Reach): its denying policies and every policy it names (`_reach_words`).
        self.reaches: dict[int, tuple[list[str], list[str]]] = {}

    def endpoints(self, targets: tuple[Target, ...]) -> list[dict[str, Any]]:
        held = self.lists.get(id(targets))
        if held is None or held[0] is not targets:
            memo = self.targets
            made = []
            for t in targets:
                d = memo.get(id(t))
                if d is None:
                    d = memo[id(t)] = _target(t)
                made.append(d)
            held = self.lists[id(targets)] = (targets, made)
        return list(map(dict.copy, held[1]))  # copied in C: 25,000 uses at 1/10 scale


def _share(x: float) -> float:
    """A share in [0, 1], rounded to four places: the only floats of the document (so that
    `kpath.export.jsontext` may encode it with msgspec)."""
    if not 0.0 <= x <= 1.0:  # never, by construction (NaN included); kept so the claim holds
        x = 1.0 if x > 1.0 else 0.0
    return round(x, 4)


def _choice(c: Choice, memo: _Memo | None = None) -> dict[str, Any]:
    return {
        "verdict": c.verdict.value,
        "rule": c.rule,
        "fallback": c.fallback,
        "topology": c.topology,
        "endpoints": [_target(t) for t in c.targets] if memo is None else memo.endpoints(c.targets),
    }


def _group(p: Path, g: NodeGroup, memo: _Memo | None = None) -> dict[str, Any]:
    from kpath.routing.paths import skipped_by_load_balancer

    return {
        "nodes": list(g.nodes),
        "nodeCount": len(g.nodes),
        "zone": g.zone,
        "ready": g.ready,
        "localEndpoints": g.local,
        "crossNode": g.cross_node,
        "crossShare": _share(g.cross_share),
        **_choice(g.choice, memo),
        "skippedByLoadBalancer": skipped_by_load_balancer(p, g),
    }


def _reach_words(r: Reach) -> tuple[list[str], list[str]]:
    """A verdict's denying policies and every policy it names, as the document spells them."""
    from kpath.routing.policy.onpaths import denying

    return (
        [str(k) for k in denying(r)],
        sorted({str(k) for k in (*r.egress.policies, *r.ingress.policies)}),
    )


def policy_json(
    pp: PathPolicy | None, hp: HopPolicy | None, memo: _Memo | None = None
) -> dict[str, Any] | None:
    """A hop's NetworkPolicy verdict (None: the input carries no NetworkPolicies)."""
    if pp is None:
        return None
    src = pp.source
    out: dict[str, Any] = {
        "evaluated": hp is not None,
        "client": pp.client.address,
        "source": {
            "kind": src.kind,
            "note": src.note,
            "addresses": [s.address for s in src.sources],
        },
    }
    if hp is None:
        return out
    words = memo.reaches if memo is not None else {}  # id(Reach): the hop holds it alive
    endpoints = []
    for t in hp.targets:
        r = t.reach
        blocked_by: list[str] = []
        policies: list[str] = []
        if r is not None:
            said = words.get(id(r))
            if said is None:
                said = words[id(r)] = _reach_words(r)
            if not t.allowed:
                blocked_by = list(said[0])
            policies = list(said[1])
        endpoints.append(
            {
                "address": t.endpoint,
                "pod": str(t.pod) if t.pod else None,
                "allowed": t.allowed,
                "sources": t.sources,
                "blockedFrom": t.blocked,
                "blockedNodes": list(t.blocked_nodes),
                # The hop's own deciding source: `r.source` may be another node of its ipBlock
                # class (verdicts are shared within a class), whichever group was judged first.
                "source": (
                    t.source.address
                    if t.source is not None
                    else r.source.address
                    if r is not None
                    else None
                ),
                "blockedBy": blocked_by,
                "policies": policies,
            }
        )
    return {
        **out,
        "state": hp.state,
        "allowed": hp.allowed,
        "blockedBy": [str(k) for k in hp.blocked_by],
        "blockedEndpoints": len(hp.blocked),
        "endpoints": endpoints,
    }


def _port(p: ServicePort | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {
        "name": p.name,
        "port": p.port,
        "protocol": p.protocol,
        "targetPort": p.target_port,
        "nodePort": p.node_port,
        "appProtocol": p.app_protocol,
    }


def _match(m: RouteMatch) -> dict[str, Any]:
    def pairs(items: tuple[HeaderMatch, ...]) -> list[dict[str, str]]:
        return [{"type": h.type, "name": h.name, "value": h.value} for h in items]

    grpc = None
    if m.grpc_service is not None or m.grpc_method is not None:
        grpc = {"type": m.grpc_type, "service": m.grpc_service, "method": m.grpc_method}
    return {
        "path": {"type": m.path.type, "value": m.path.value} if m.path else None,
        "method": m.method,
        "headers": pairs(m.headers),
        "queryParams": pairs(m.query_params),
        "grpc": grpc,
    }


def gateway_json(h: GatewayHop) -> dict[str, Any]:
    b = h.backend
    backend = (
        None
        if b is None
        else {
            "group": b.group,
            "kind": b.kind,
            "name": f"{b.namespace or h.route.namespace}/{b.name}",
            "port": b.port,
            "weight": b.weight,
        }
    )
    return {
        "gateway": str(h.gateway),
        "listener": h.listener,
        "protocol": h.protocol,
        "hostnames": list(h.hostnames),
        "addresses": list(h.addresses),
        "port": h.port,
        "route": {"kind": h.route_kind, "name": str(h.route), "rule": h.rule},
        "matches": [_match(m) for m in h.matches],
        "backend": backend,
        "share": _share(h.share),
        "problem": h.problem,
        "infra": str(h.infra) if h.infra else None,
        "infraNote": h.infra_note,
    }


def path_json(p: Path, svc: Service | None = None, memo: _Memo | None = None) -> dict[str, Any]:
    """One path; ``svc``: its Service (for the session affinity kube-proxy applies)."""
    from kpath.routing.affinity import affinity_json

    e = p.entry
    ingress = None
    if e.ingress is not None:
        r, c = e.ingress, e.ingress.controller
        ingress = {
            "ingress": str(r.ingress.key),
            "host": r.host,
            "path": r.path,
            "pathType": r.path_type,
            "tls": r.tls,
            "backend": r.backend.label(),
            "problem": r.problem,
            "controller": {
                "kind": c.kind,
                "class": c.class_name,
                "controller": c.controller,
                "service": str(c.service) if c.service else None,
                "mode": c.mode,
                "note": c.note,
            },
        }
    groups = [_group(p, g, memo) for g in p.groups]
    direct = _choice(p.direct, memo) if p.direct is not None else None
    if p.netpol is not None:
        for g, hp in zip(groups, p.netpol.groups, strict=False):
            g["policy"] = policy_json(p.netpol, hp, memo)
        if direct is not None:
            direct["policy"] = policy_json(p.netpol, p.netpol.direct, memo)
    return {
        "service": str(p.service),
        "port": _port(p.port),
        "entry": {
            "kind": e.kind.value,
            "addresses": list(e.addresses),
            "port": e.port,
            "pending": e.pending,
            "label": e.label(),
            "external": p.external,
            "ingress": ingress,
            "gateway": gateway_json(e.gateway) if e.gateway is not None else None,
        },
        "policy": p.policy,
        "via": p.via,
        "sessionAffinity": affinity_json(svc, p.via),
        "groups": groups,
        "direct": direct,
        "gatewayInfra": [str(g) for g in p.gateways],
    }


def finding_json(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "name": RULES[f.code][0],
        "severity": f.severity.value,
        "message": f.message,
        "service": str(f.service) if f.service else None,
        "ingress": str(f.ingress) if f.ingress else None,
        "nodes": list(f.nodes),
        "port": f.port,
        "gateway": str(f.gateway) if f.gateway else None,
        "route": f.route,
    }


#: `paths_json`'s ``namespaces`` when not given: the namespaces the snapshot read.
READ = frozenset({"\0read"})


def paths_json(
    analysis: Analysis,
    paths: list[Path] | None = None,
    findings: list[Finding] | None = None,
    namespaces: frozenset[str] | None = READ,
) -> dict[str, Any]:
    """``namespaces``: those the view holds (None: all), by default those read."""
    snap = analysis.snapshot
    spaces = snap.namespaces_read if namespaces is READ else namespaces
    chosen = list(analysis.paths) if paths is None else paths
    shown = list(analysis.findings) if findings is None else findings
    counts = {s.value: 0 for s in Severity}
    for f in shown:
        counts[f.severity.value] += 1
    # Services of other namespaces read only to find ingress controllers are not counted.
    services = sum(1 for k in snap.services if spaces is None or k.namespace in spaces)
    memo = _Memo()
    return {
        "schema": SCHEMA,
        # Which namespaces this document is about: null is every namespace.
        "namespaces": None if spaces is None else sorted(spaces),
        "allNamespaces": spaces is None,
        "source": {
            "origin": snap.origin,
            "notVisible": dict(snap.not_visible),
            "skipped": dict(snap.skipped),
            "warnings": list(snap.warnings),
        },
        "summary": {
            "nodes": len(snap.nodes),
            "services": services,
            "paths": len(chosen),
            "findings": counts,
        },
        # The outside client NetworkPolicy verdicts were judged from (null: no policies).
        "policyClient": None
        if analysis.client is None
        else {"address": analysis.client.address, "note": analysis.client.note},
        "paths": [
            {
                **path_json(p, snap.services.get(p.service), memo),
                "summary": path_summary(analysis, p),
            }
            for p in chosen
        ],
        "findings": [finding_json(f) for f in shown],
    }
