"""An analysis that follows a cluster's events (`kpath.cluster.events`).

`LiveAnalysis` holds the raw objects of the first load and the analysis built from them;
`apply` files a batch of events and recomputes only what they can change, saying which
services that was, so a view repaints only their rows.

What each event recomputes:

- a Pod: the services of its namespace that select it (before or after), and those with no
  endpoints there (their finding counts and names the namespace's pods);
- an EndpointSlice (or legacy Endpoints): the services it belonged to and belongs to;
- a Service: its own paths and findings, then the Ingress routes (a Service may be an
  ingress controller, or a backend that now exists) and the Gateway API's paths;
- a Node: the node buckets, so every service's node groups (``everything``);
- an Ingress or IngressClass: the Ingress paths and findings; a Gateway API kind: the
  Gateway paths and findings;
- after any of these, the Ingress paths whose backend was recomputed, the cross-node
  tally (kept per service), and the cluster-wide findings whose inputs changed.

NetworkPolicy, Namespace and the not-evaluated policy kinds, a ``Replace`` (a kind listed
again), a kind the first load did not carry, and an object without a namespace rebuild
everything with ``build``. So does any event while the input holds NetworkPolicies
(verdicts depend on every pod's labels), though without parsing the raw objects again.

The snapshot's mappings are updated in place: read ``.analysis`` between batches (each
`apply` returns a new `Analysis`; the previous one's snapshot has moved on with it).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from kpath.cluster.events import Change, Event, Health, RawIndex, apply_events, object_key
from kpath.cluster.gatewayapi import GATEWAY_KINDS
from kpath.cluster.livesnap import FOLLOWED, LiveSnapshot
from kpath.cluster.raw import RawCluster
from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import Snapshot
from kpath.gcpause import paused_gc
from kpath.routing.analysis import Analysis
from kpath.routing.findings import (
    CrossTally,
    Finding,
    cross_node_report,
    cross_node_tally,
    ingress_findings,
    service_findings,
    snapshot_findings,
)
from kpath.routing.gateway.attach import GatewayTable, attach
from kpath.routing.gateway.backends import ResolvedRules
from kpath.routing.gateway.findings import table_findings
from kpath.routing.gateway.infra import InfraRef
from kpath.routing.gateway.status import gateway_analysis_findings
from kpath.routing.ingress import IngressRoute, ingress_routes
from kpath.routing.ingress_conflicts import conflict_findings
from kpath.routing.kubeproxy import Target
from kpath.routing.paths import (
    Path,
    PortRoutes,
    gateway_infra,
    gateway_paths,
    ingress_path,
    port_routes,
    service_paths,
)
from kpath.routing.policy.unevaluated import not_evaluated_findings


@dataclass(frozen=True)
class Changed:
    """What a batch of events changed. ``services``: the services whose rows, paths or
    findings may differ (gone ones included); ``everything``: cluster-wide facts changed
    too (node groups, counts, findings not tied to one service), so a view redraws all."""

    services: frozenset[ObjectKey] = frozenset()
    everything: bool = False

    @property
    def nothing(self) -> bool:
        return not self.everything and not self.services


@dataclass(frozen=True)
class _Part:
    """One service's share of the analysis, as `analyse` makes it."""

    routes: list[PortRoutes]
    paths: tuple[Path, ...]
    findings: tuple[Finding, ...]
    tally: tuple[float, float] | None  # its own paths' cross-node tally (None: none)
    pinned: bool
    empty: bool  # no endpoint at all: its findings read the namespace's pods


@dataclass
class _Gateways:
    table: GatewayTable
    infra: dict[ObjectKey, InfraRef]
    marks: dict[ObjectKey, tuple[ObjectKey, ...]]
    paths: tuple[Path, ...]
    findings: tuple[Finding, ...]


#: Kinds whose events rebuild everything.
REBUILD_KINDS = frozenset({"NetworkPolicy", "Namespace"})


class LiveAnalysis:
    """The analysis of a followed cluster. ``build``: raw objects to an analysis, as the
    source's first load made it (snapshot, scope facts, NetworkPolicy client)."""

    def __init__(self, raw: RawCluster, build: Callable[[RawCluster], Analysis]) -> None:
        self.raw = raw
        self._build = build
        self._index = RawIndex()
        self._start(build(raw))

    # The state, from a whole analysis ---------------------------------------------------

    def _start(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self._live = LiveSnapshot(analysis.snapshot, self.raw)
        self._client = analysis.client
        snap = self._live.snapshot
        self._order: list[ObjectKey] = sorted(snap.services)
        self._routes: dict[ObjectKey, list[PortRoutes]] = {}
        self._parts: dict[ObjectKey, _Part] = {}
        for key in self._order:
            self._parts[key] = self._part(snap, key, analysis.routes.get(key))
        self._head = (
            *snapshot_findings(snap),
            *not_evaluated_findings(snap.other_policies),
        )
        self._ing_routes: list[IngressRoute] = []
        self._ing_paths: list[Path] = []
        self._ing_findings: tuple[Finding, ...] = ()
        self._reroute_ingresses(snap, set())
        self._gw: _Gateways | None = self._gateways(snap)
        self._cluster_wide = tuple(f for f in analysis.findings if f.service is None)

    def _part(
        self, snap: Snapshot, key: ObjectKey, routes: list[PortRoutes] | None = None
    ) -> _Part:
        svc = snap.services[key]
        r = port_routes(snap, svc) if routes is None else routes
        self._routes[key] = r
        paths = tuple(service_paths(snap, svc, r))
        tally: CrossTally = {}
        pinned: set[ObjectKey] = set()
        cross_node_tally(paths, snap.services, tally, pinned)
        own = tally.get(key)
        return _Part(
            r,
            paths,
            tuple(service_findings(snap, svc, r)),
            (own[0], own[1]) if own else None,
            key in pinned,
            not any(p.targets for p in r),
        )

    def _reroute_ingresses(self, snap: Snapshot, dirty: set[ObjectKey]) -> set[ObjectKey]:
        """Every Ingress route again; the paths of those that changed or whose backend is in
        ``dirty`` made again. Returns the services whose Ingress paths or findings changed."""
        old_routes, old_paths = self._ing_routes, self._ing_paths
        routes = list(ingress_routes(snap))
        paths = []
        changed: set[ObjectKey] = set()
        for i, r in enumerate(routes):
            # Routes are few and unhashable (annotations): the same place, an equal route.
            same = i < len(old_routes) and old_routes[i] == r
            if same and r.backend_service not in dirty:
                paths.append(old_paths[i])
                continue
            p = ingress_path(snap, r, self._routes)
            paths.append(p)
            changed.add(p.service)
            if i < len(old_paths):
                changed.add(old_paths[i].service)
        gone = {p.service for p in self._ing_paths} - {p.service for p in paths}
        self._ing_routes, self._ing_paths = routes, paths
        findings = (
            *ingress_findings(paths, snap),
            *conflict_findings(p.entry.ingress for p in paths if p.entry.ingress is not None),
        )
        before = set(self._ing_findings)
        changed |= {f.service for f in set(findings) ^ before if f.service is not None}
        self._ing_findings = findings
        return changed | gone

    def _repath_ingresses(self, snap: Snapshot, dirty: set[ObjectKey]) -> None:
        """Only the Ingress paths whose backend was recomputed."""
        for i, r in enumerate(self._ing_routes):
            if r.backend_service in dirty:
                self._ing_paths[i] = ingress_path(snap, r, self._routes)

    def _gateways(self, snap: Snapshot) -> _Gateways | None:
        if not (snap.gateways.gateways or snap.gateways.routes):
            return None
        table = attach(snap)
        infra = gateway_infra(snap)
        marks: dict[ObjectKey, list[ObjectKey]] = {}
        for gw, ref in sorted(infra.items()):
            if ref.service is not None:
                marks.setdefault(ref.service, []).append(gw)
        resolved: ResolvedRules = {}
        paths = tuple(gateway_paths(snap, table, infra, resolved))
        findings = (
            *table_findings(snap, table, resolved),
            *gateway_analysis_findings(snap, table, infra, list(paths)),
        )
        return _Gateways(table, infra, {k: tuple(v) for k, v in marks.items()}, paths, findings)

    # Events -----------------------------------------------------------------------------

    def apply(self, events: Sequence[Event]) -> Changed:
        with paused_gc():
            return self._apply(events)

    def _apply(self, events: Sequence[Event]) -> Changed:
        live = self._live
        rebuild = False
        dirty: set[ObjectKey] = set()
        reroute = regateway = head = everything = False
        changed_any = False
        for event in events:
            if isinstance(event, Health):
                continue
            changed_any = True
            if rebuild or not self._followed(event):
                rebuild = True
                apply_events(self.raw, [event], self._index)
                continue
            assert isinstance(event, Change)
            kind, obj = event.kind, event.obj
            ns, name = object_key(obj)
            key = ObjectKey(ns, name)
            self._index.apply(self.raw, event)
            now = None if event.type == "DELETED" else obj
            if kind == "Pod":
                old, new = live.set_pod(key, now)
                selecting = live.selecting(ns, old, new)
                if live.derived:
                    for k in selecting:
                        live.derive(k)
                dirty |= selecting
                dirty |= {
                    k
                    for k in live.services_in.get(ns, ())
                    if k in self._parts
                    and self._parts[k].empty
                    and live.services[k].selector is not None
                }
            elif kind == "EndpointSlice":
                dirty |= live.set_slice(key, now)
            elif kind == "Endpoints":
                dirty |= live.set_endpoints(key, now)
            elif kind == "Service":
                live.set_service(key, now)
                dirty.add(key)
                reroute = regateway = head = True
            elif kind == "Node":
                live.set_node(name, now)
                dirty |= live.services.keys()
                reroute = regateway = everything = True
            elif kind == "Ingress":
                live.reread_ingresses()
                reroute = True
            elif kind == "IngressClass":
                live.reread_classes()
                reroute = True
            else:  # the Gateway API
                live.reread_gateways()
                regateway = True
        if not changed_any:
            return Changed()
        before = frozenset(self.analysis.snapshot.services)
        if rebuild:
            self._start(self._build(self.raw))
            return Changed(before | frozenset(self.analysis.snapshot.services), everything=True)
        return self._reanalyse(dirty, reroute, regateway, head, everything, before)

    def _followed(self, event: Event) -> bool:
        """Whether this event is one `LiveSnapshot` files by itself."""
        if not isinstance(event, Change) or event.kind not in self.raw.objects:
            return False  # a kind listed again, or one the first load never carried
        if event.kind not in FOLLOWED and event.kind not in GATEWAY_KINDS:
            return False
        ns, name = object_key(event.obj)
        cluster_scoped = event.kind in ("Node", "IngressClass", "GatewayClass")
        return bool(name) and (cluster_scoped or bool(ns))

    def _reanalyse(
        self,
        dirty: set[ObjectKey],
        reroute: bool,
        regateway: bool,
        head: bool,
        everything: bool,
        before: frozenset[ObjectKey],
    ) -> Changed:
        live = self._live
        snap = live.snapshot
        for key in dirty:
            if key in snap.services:
                if key not in self._parts:
                    bisect.insort(self._order, key)
                self._parts[key] = self._part(snap, key)
            elif key in self._parts:
                del self._parts[key]
                del self._routes[key]
                self._order.pop(bisect.bisect_left(self._order, key))
        changed = set(dirty)
        if reroute:
            changed |= self._reroute_ingresses(snap, dirty)
        elif dirty:
            self._repath_ingresses(snap, dirty)
        if head:
            old_head = self._head
            self._head = (
                *snapshot_findings(snap),
                *not_evaluated_findings(snap.other_policies),
            )
            # The header counts services; the head findings are the cluster's own.
            everything |= old_head != self._head or before != snap.services.keys()
        cluster_wide = self._cluster_wide
        if (self._gw is not None or regateway) and (regateway or dirty):
            old_gw = self._gw
            self._gw = self._gateways(snap)
            for gw in (old_gw, self._gw):
                if gw is not None:
                    changed |= {p.service for p in gw.paths} | set(gw.marks)
                    changed |= {f.service for f in gw.findings if f.service is not None}
        self.analysis = self._assemble(snap)
        everything |= cluster_wide != self._cluster_wide
        if self._client is not None or snap.network_policies:
            everything = True  # verdicts read every pod's labels
            changed |= before | set(snap.services)
        if everything:
            changed |= before | set(snap.services)
        return Changed(frozenset(changed), everything=everything)

    def _assemble(self, snap: Snapshot) -> Analysis:
        parts = self._parts
        gw = self._gw
        marks = gw.marks if gw is not None else {}
        own: Iterable[Path] = itertools.chain.from_iterable(parts[k].paths for k in self._order)
        ing: Iterable[Path] = self._ing_paths
        if marks:
            own = (p._replace(gateways=marks[p.service]) if p.service in marks else p for p in own)
            ing = (p._replace(gateways=marks[p.service]) if p.service in marks else p for p in ing)
        paths = [*own, *ing, *(gw.paths if gw is not None else ())]
        # The cross-node tally: each service's own, continued with its Ingress and Gateway
        # paths in the order a whole pass meets them.
        tally: CrossTally = {}
        pinned: set[ObjectKey] = set()
        for k in self._order:
            part = parts[k]
            if part.tally is not None:
                tally[k] = list(part.tally)
            if part.pinned:
                pinned.add(k)
        cross_node_tally(self._ing_paths, snap.services, tally, pinned)
        if gw is not None:
            cross_node_tally(gw.paths, snap.services, tally, pinned)
        findings = [
            *self._head,
            *itertools.chain.from_iterable(parts[k].findings for k in self._order),
            *self._ing_findings,
            *(gw.findings if gw is not None else ()),
            *cross_node_report(tally, pinned),
        ]
        self._cluster_wide = tuple(f for f in findings if f.service is None)
        client = self._client
        policies = snap.network_policies
        routes = {k: self._routes[k] for k in self._order}
        if policies and client is not None:
            from kpath.routing.policy.evaluate import reach
            from kpath.routing.policy.onpaths import attach_policies
            from kpath.routing.policy.pathfindings import policy_findings

            pols = list(policies)
            targets: dict[ObjectKey, tuple[Target, ...]] = {
                k: tuple(t for r in rs for t in r.targets) for k, rs in routes.items()
            }
            paths = attach_policies(snap, paths, pols, client, reach, targets)
            findings.extend(policy_findings(snap, paths, pols, targets))
        return Analysis(
            snap,
            routes,
            tuple(paths),
            tuple(findings),
            gw.table if gw is not None else None,
            gw.infra if gw is not None else {},
            client,
        )
