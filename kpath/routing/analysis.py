"""The whole analysis of a snapshot: routes per service port, every path, every finding."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING

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
from kpath.routing.ingress_conflicts import conflict_findings
from kpath.routing.paths import (
    Path,
    PortRoutes,
    gateway_infra,
    gateway_paths,
    ingress_paths,
    port_routes,
    service_paths,
)
from kpath.routing.podlabels import PodIndex
from kpath.routing.policy.unevaluated import not_evaluated_findings

if TYPE_CHECKING:
    from kpath.routing.gateway.attach import GatewayTable
    from kpath.routing.gateway.backends import ResolvedRules
    from kpath.routing.gateway.infra import InfraRef
    from kpath.routing.kubeproxy import Target
    from kpath.routing.policy.sources import Client

# The Gateway API machinery and the NetworkPolicy verdicts are imported where a cluster
# has Gateways or policies: without them, a short run never loads either.


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
    #: The outside client NetworkPolicy verdicts were judged from (None: no policies, so
    #: no verdicts; see `kpath.routing.policy.onpaths`).
    client: Client | None = None

    def worst(self, service: ObjectKey | None = None) -> Severity | None:
        """The most severe finding, for one service or for everything."""
        found = [f.severity for f in self.findings if service is None or f.service == service]
        return max(found, key=lambda s: s.rank) if found else None

    def failing(self, threshold: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity.rank >= threshold.rank]


@dataclass(frozen=True)
class GatewayParts:
    """What the Gateway API adds to an analysis; `LiveAnalysis` keeps one and makes it
    again when a Gateway, a route or what they reach changes."""

    table: GatewayTable
    infra: dict[ObjectKey, InfraRef]
    #: infrastructure Service -> the Gateways it is the proxy of, in name order
    marks: dict[ObjectKey, tuple[ObjectKey, ...]]
    paths: tuple[Path, ...]
    findings: tuple[Finding, ...]  # from the spec (table_findings), then from status


def gateway_parts(snapshot: Snapshot) -> GatewayParts | None:
    """The Gateway API's table, infrastructure, paths and findings (None: no Gateway or
    route in ``snapshot``)."""
    if not (snapshot.gateways.gateways or snapshot.gateways.routes):
        return None
    from kpath.routing.gateway.attach import attach
    from kpath.routing.gateway.findings import table_findings
    from kpath.routing.gateway.status import gateway_analysis_findings

    table = attach(snapshot)
    infra = gateway_infra(snapshot)
    marks: dict[ObjectKey, list[ObjectKey]] = {}
    for gw, ref in sorted(infra.items()):
        if ref.service is not None:
            marks.setdefault(ref.service, []).append(gw)
    resolved: ResolvedRules = {}  # each rule's backends, resolved once for both
    paths = tuple(gateway_paths(snapshot, table, infra, resolved))
    findings = (
        *table_findings(snapshot, table, resolved),
        *gateway_analysis_findings(snapshot, table, infra, list(paths)),
    )
    return GatewayParts(table, infra, {k: tuple(v) for k, v in marks.items()}, paths, findings)


def analyse(snapshot: Snapshot, client: str | Client | None = None) -> Analysis:
    """``client``: the outside client's address NetworkPolicies are judged from
    (``--client``, or a `Client` with its own note; None: one outside every ipBlock the
    policies name)."""
    with paused_gc():  # many small acyclic objects; see kpath.gcpause
        return _analyse(snapshot, client)


def _analyse(snapshot: Snapshot, client_address: str | Client | None = None) -> Analysis:
    routes: dict[ObjectKey, list[PortRoutes]] = {}
    paths: list[Path] = []
    findings: list[Finding] = list(snapshot_findings(snapshot))
    findings.extend(not_evaluated_findings(snapshot.other_policies))
    pods = PodIndex(snapshot)  # label sets per namespace, built for the first service asking
    for key in sorted(snapshot.services):
        svc = snapshot.services[key]
        routes[key] = r = port_routes(snapshot, svc)
        paths.extend(service_paths(snapshot, svc, r))
        findings.extend(service_findings(snapshot, svc, r, pods))
    ingress = list(ingress_paths(snapshot, routes))
    paths.extend(ingress)
    findings.extend(ingress_findings(ingress, snapshot))
    findings.extend(
        conflict_findings(p.entry.ingress for p in ingress if p.entry.ingress is not None)
    )
    table, infra = None, {}
    gw = gateway_parts(snapshot)
    if gw is not None:
        table, infra = gw.table, gw.infra
        # The infrastructure Service keeps its own paths, marked as the Gateways' proxies.
        marks = gw.marks
        paths = [p._replace(gateways=marks[p.service]) if p.service in marks else p for p in paths]
        paths.extend(gw.paths)
        findings.extend(gw.findings)
    findings.extend(cross_node_findings(paths, snapshot.services))
    client = None
    policies = snapshot.network_policies
    if policies:  # zero cost without NetworkPolicies: no verdicts, Path.netpol stays None
        from kpath.routing.policy.onpaths import attach_policies
        from kpath.routing.policy.pathfindings import policy_findings
        from kpath.routing.policy.sources import Client, default_client

        pols = list(policies)
        client = (
            client_address
            if isinstance(client_address, Client)
            else default_client(pols, client_address)
        )
        # A Service's endpoints over its ports (most have one port: its tuple as it is).
        targets: dict[ObjectKey, tuple[Target, ...]] = {
            k: rs[0].targets if len(rs) == 1 else tuple(chain.from_iterable(r.targets for r in rs))
            for k, rs in routes.items()
        }
        paths = attach_policies(snapshot, paths, pols, client, targets)
        findings.extend(policy_findings(snapshot, paths, pols, targets))
    return Analysis(snapshot, routes, tuple(paths), tuple(findings), table, infra, client)
