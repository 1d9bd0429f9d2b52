"""The whole analysis of a snapshot: routes per service port, every path, every finding."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import Snapshot
from kpath.gcpause import paused_gc
from kpath.routing.findings import (
    Finding,
    Severity,
    cross_node_findings,
    ingress_findings,
    service_findings,
    snapshot_findings,
)
from kpath.routing.gateway.attach import GatewayTable, attach
from kpath.routing.gateway.findings import table_findings
from kpath.routing.gateway.infra import InfraRef
from kpath.routing.gateway.status import gateway_analysis_findings
from kpath.routing.paths import (
    Path,
    PortRoutes,
    gateway_infra,
    gateway_paths,
    ingress_paths,
    port_routes,
    service_paths,
)
from kpath.routing.policy.unevaluated import not_evaluated_findings


@dataclass(frozen=True)
class Analysis:
    snapshot: Snapshot
    routes: Mapping[ObjectKey, list[PortRoutes]]
    paths: tuple[Path, ...]
    findings: tuple[Finding, ...]
    #: The Gateway API as kpath reads its spec (None: the input carries no Gateway API).
    gateways: GatewayTable | None = None
    #: Gateway -> its infrastructure Service (or why none was recognised).
    infra: Mapping[ObjectKey, InfraRef] = field(default_factory=dict)

    def worst(self, service: ObjectKey | None = None) -> Severity | None:
        """The most severe finding, for one service or for everything."""
        found = [f.severity for f in self.findings if service is None or f.service == service]
        return max(found, key=lambda s: s.rank) if found else None

    def failing(self, threshold: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity.rank >= threshold.rank]


def analyse(snapshot: Snapshot) -> Analysis:
    with paused_gc():  # many small acyclic objects; see kpath.gcpause
        return _analyse(snapshot)


def _analyse(snapshot: Snapshot) -> Analysis:
    routes: dict[ObjectKey, list[PortRoutes]] = {}
    paths: list[Path] = []
    findings: list[Finding] = list(snapshot_findings(snapshot))
    findings.extend(not_evaluated_findings(snapshot.other_policies))
    for key in sorted(snapshot.services):
        svc = snapshot.services[key]
        routes[key] = r = port_routes(snapshot, svc)
        paths.extend(service_paths(snapshot, svc, r))
        findings.extend(service_findings(snapshot, svc, r))
    ingress = list(ingress_paths(snapshot, routes))
    paths.extend(ingress)
    findings.extend(ingress_findings(ingress, snapshot))
    table, infra = None, {}
    if snapshot.gateways.gateways or snapshot.gateways.routes:
        table = attach(snapshot)
        infra = gateway_infra(snapshot)
        marks: dict[ObjectKey, list[ObjectKey]] = {}
        for gw, ref in sorted(infra.items()):
            if ref.service is not None:
                marks.setdefault(ref.service, []).append(gw)
        # The infrastructure Service keeps its own paths, marked as the Gateways' proxies.
        paths = [p._replace(gateways=tuple(marks[p.service])) if p.service in marks else p
                 for p in paths]
        gw_paths = list(gateway_paths(snapshot, table, infra))
        paths.extend(gw_paths)
        findings.extend(table_findings(snapshot, table))  # each rule's backends, from spec
        findings.extend(gateway_analysis_findings(snapshot, table, infra, gw_paths))
    findings.extend(cross_node_findings(paths))
    return Analysis(snapshot, routes, tuple(paths), tuple(findings), table, infra)
