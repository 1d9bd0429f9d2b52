"""The whole analysis of a snapshot: routes per service port, every path, every finding."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

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
from kpath.routing.paths import Path, PortRoutes, ingress_paths, port_routes, service_paths


@dataclass(frozen=True)
class Analysis:
    snapshot: Snapshot
    routes: Mapping[ObjectKey, list[PortRoutes]]
    paths: tuple[Path, ...]
    findings: tuple[Finding, ...]

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
    for key in sorted(snapshot.services):
        svc = snapshot.services[key]
        routes[key] = r = port_routes(snapshot, svc)
        paths.extend(service_paths(snapshot, svc, r))
        findings.extend(service_findings(snapshot, svc, r))
    ingress = list(ingress_paths(snapshot, routes))
    paths.extend(ingress)
    findings.extend(ingress_findings(ingress, snapshot))
    findings.extend(cross_node_findings(paths))
    return Analysis(snapshot, routes, tuple(paths), tuple(findings))
