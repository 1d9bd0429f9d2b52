"""An analysis that follows a cluster's events (`kpath.cluster.events`).

`LiveAnalysis` holds the raw objects of the first load and the analysis built from them;
`apply` files a batch of events and recomputes only what they can change, saying which
services that was, so a view repaints only their rows.

What each event recomputes:

- a Pod: its record only, for services whose endpoints come from EndpointSlices (the
  slice's own event moves them); of the services of its namespace, those with no endpoint
  at all whose findings it may change (KP102 counts the pods they select, KP103 names the
  pods nearest their selector); with endpoints derived from pods, those that select it;
- an EndpointSlice (or legacy Endpoints): the services it belonged to and belongs to;
- a Service: its own paths and findings; the Ingress routes only when what they read of
  it changed (`ingress_facts`: a backend's ports, a controller's type, address, labels);
  the Gateway API's paths, when there are Gateways;
- a Node: the two node buckets it leaves and joins, then every service's node groups:
  where the node hosts none of its endpoints, only the plain groups of those buckets,
  made again around the unchanged ones (`livegroups.moved_groups`), its paths the same
  with their groups swapped and its findings made again only if they read groups; from
  its endpoints again where it does. Only services whose groups moved are named (not
  ``everything``), and the Ingress routes are read again only if the node's addresses
  changed (controllers are found by node address);
- an Ingress or IngressClass: the Ingress paths and findings; a Gateway API kind: the
  Gateway paths and findings (all of them, as after any change while Gateways exist);
- after any of these, the Ingress paths whose backend was recomputed, the cross-node
  tally (kept per service, KP109 and KP303), and the cluster-wide findings whose inputs
  changed.

NetworkPolicy, Namespace and the not-evaluated policy kinds, a ``Replace`` (a kind listed
again), a kind the first load did not carry, and an object without a namespace rebuild
everything with ``build``. So does any event while the input holds NetworkPolicies
(verdicts depend on every pod's labels), though without parsing the raw objects again.

The snapshot's mappings are updated in place: read ``.analysis`` between batches (each
`apply` returns a new `Analysis`; the previous one's snapshot has moved on with it).
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

from kpath.cluster.events import Change, Event, Health, RawIndex, apply_events, object_key
from kpath.cluster.gatewaykinds import GATEWAY_KINDS
from kpath.cluster.livesnap import FOLLOWED, Bucket, LiveSnapshot, selects
from kpath.cluster.raw import RawCluster, RawObject
from kpath.cluster.records import Labels, ObjectKey, Pod
from kpath.cluster.snapshot import Snapshot
from kpath.gcpause import paused_gc
from kpath.routing.analysis import Analysis, GatewayParts, gateway_parts
from kpath.routing.closest import candidates
from kpath.routing.findings import (
    CrossTally,
    Finding,
    cross_node_report,
    cross_node_tally,
    ingress_findings,
    service_findings,
    snapshot_findings,
)
from kpath.routing.ingress import IngressRoute, ingress_facts, ingress_routes
from kpath.routing.ingress_conflicts import conflict_findings
from kpath.routing.kubeproxy import Target
from kpath.routing.livegroups import moved_groups
from kpath.routing.nodegroups import NodeGroup
from kpath.routing.paths import (
    Path,
    PortRoutes,
    ingress_path,
    port_routes,
    service_paths,
)
from kpath.routing.policy.unevaluated import not_evaluated_findings


@dataclass(frozen=True)
class Changed:
    """What a batch of events changed. ``services``: the services whose rows, paths or
    findings may differ (gone ones included); ``everything``: what every row shows may
    differ (a rebuild, NetworkPolicy verdicts), so a view redraws all; ``nodes``: a
    node's record changed (the summary counts nodes), whether or not any service did. The
    header's counts and the findings of no one service follow from these: a view recounts
    them from `LiveAnalysis.analysis` whenever anything changed."""

    services: frozenset[ObjectKey] = frozenset()
    everything: bool = False
    nodes: bool = False
    #: Of ``services``, those whose change is only that nodes moved between their node
    #: groups: the same Service record and endpoints, the same paths in number, order and
    #: ways in (only their groups, and so their states and findings, may differ). When
    #: these are all of ``services``, every path of the analysis is at the index it was.
    regrouped: frozenset[ObjectKey] = frozenset()

    @property
    def nothing(self) -> bool:
        return not self.everything and not self.services and not self.nodes

    def __or__(self, other: Changed) -> Changed:
        """What two batches changed, taken together (regrouped: in each batch that named
        it)."""
        everything = self.everything or other.everything
        regrouped: frozenset[ObjectKey] = frozenset()
        if not everything and (self.regrouped or other.regrouped):
            otherwise = (self.services - self.regrouped) | (other.services - other.regrouped)
            regrouped = (self.regrouped | other.regrouped) - otherwise
        return Changed(
            self.services | other.services, everything, self.nodes or other.nodes, regrouped
        )


class _Part(NamedTuple):
    """One service's share of the analysis, as `analyse` makes it. (A tuple: a node event
    makes one for every service.)"""

    routes: list[PortRoutes]
    paths: tuple[Path, ...]
    findings: tuple[Finding, ...]
    tally: tuple[float, float] | None  # its own paths' cross-node tally (None: none)
    pinned: bool
    empty: bool  # no endpoint at all: its findings read the namespace's pods
    #: The nodes its endpoints live on or its hints name: only these route it their own way.
    nodes: frozenset[str]
    unknown: bool  # some port's endpoints cannot be known: its groups carry no choice
    #: Whether its findings read its node groups (KP101, KP107 the external ones, KP108 the
    #: internal ones under Local policy), so that moving nodes may change them.
    grouped: bool


#: Where `_regrouped` puts new node groups: a route's external (and next to it internal)
#: groups, a path's groups.
_EXTERNAL = PortRoutes._fields.index("external")
_GROUPS = Path._fields.index("groups")
_T = TypeVar("_T", PortRoutes, Path, _Part)
assert PortRoutes._fields[_EXTERNAL + 1] == "internal"
assert _Part._fields[:4] == ("routes", "paths", "findings", "tally")


def _with(t: _T, at: int, *values: object) -> _T:
    """``t`` with the fields from ``at`` on replaced by ``values``: `_replace` by position,
    without its keywords' cost (this runs for every path of every service on a node
    event)."""
    return type(t)._make((*t[:at], *values, *t[at + len(values) :]))


#: A KP103 rank (letters off, terms off) past every candidate's.
_NO_RANK = (1 << 62, 1 << 62)


class LiveAnalysis:
    """The analysis of a followed cluster. ``build``: raw objects to an analysis, as the
    source's first load made it (snapshot, scope facts, NetworkPolicy client). Events are
    followed as `build_snapshot` then `analyse` would see them, with the snapshot's scope
    facts and the analysis's NetworkPolicy client kept from ``build``'s result: a
    ``build`` that drops or rewrites raw objects first is only applied on a rebuild."""

    def __init__(self, raw: RawCluster, build: Callable[[RawCluster], Analysis]) -> None:
        self.raw = raw
        self._build = build
        self._index = RawIndex()
        self._broken = False
        self._start(build(raw))

    # The state, from a whole analysis ---------------------------------------------------

    def _start(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self._live = LiveSnapshot(analysis.snapshot, self.raw)
        self._client = analysis.client
        snap = self._live.snapshot
        self._order: list[ObjectKey] = sorted(snap.services)
        self._routes: dict[ObjectKey, list[PortRoutes]] = {}
        self._parts: dict[ObjectKey, _Part] = {
            k: self._part(snap, k, analysis.routes.get(k)) for k in self._order
        }
        # In step with _order, so that joining them is one pass in C.
        self._own_paths = [self._parts[k].paths for k in self._order]
        self._own_findings = [self._parts[k].findings for k in self._order]
        self._best: dict[ObjectKey, tuple[int, int]] = {}
        self._head = (*snapshot_findings(snap), *not_evaluated_findings(snap.other_policies))
        self._ing_routes: list[IngressRoute] = []
        self._ing_paths: list[Path] = []
        self._ing_findings: tuple[Finding, ...] = ()
        self._reroute_ingresses(snap, set())
        self._gw: GatewayParts | None = gateway_parts(snap)
        self._extra: dict[ObjectKey, list[Path]] = {}
        #: Each service's cross-node tally, over all its paths: (crossing, counted, pinned).
        self._cross: dict[ObjectKey, tuple[float, float, bool]] = {}
        self._cross_findings: tuple[Finding, ...] | None = None  # of `_cross`, when made
        self._tally(snap, set(self._order))
        # The same analysis over the records this object owns from now on.
        self.analysis = dataclasses.replace(analysis, snapshot=snap, routes=self._routes)

    def _part(
        self,
        snap: Snapshot,
        key: ObjectKey,
        routes: list[PortRoutes] | None = None,
        findings: tuple[Finding, ...] | None = None,
        nodes: frozenset[str] | None = None,
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
            tuple(service_findings(snap, svc, r)) if findings is None else findings,
            (own[0], own[1]) if own else None,
            key in pinned,
            not any(p.targets for p in r),
            frozenset(
                n for p in r for t in p.targets for n in (t.node, *t.hint_nodes) if n is not None
            )
            if nodes is None
            else nodes,
            any(p.unknown for p in r),
            svc.internal_traffic_policy == "Local" or any(p.external is not None for p in r),
        )

    def _regrouped(
        self, snap: Snapshot, key: ObjectKey, nodes: set[str], moved: set[Bucket]
    ) -> tuple[_Part, bool]:
        """A service again after ``nodes`` changed, whose buckets ``moved``: where they host
        none of its endpoints and no hint names them, only bucket membership moved
        (`livegroups.moved_groups`), so its endpoints are not resolved again, its paths
        are the same with their groups swapped, and its findings stand unless they read
        node groups. The very part when none of its groups moved. With it, whether only
        its groups were swapped (False: it was analysed again in full)."""
        part = self._parts[key]
        if part.unknown or self._live.derived or not nodes.isdisjoint(part.nodes):
            return self._part(snap, key), False
        buckets = snap.node_buckets
        routes: list[PortRoutes] = []
        swapped: dict[int, tuple[tuple[NodeGroup, ...], tuple[NodeGroup, ...]]] = {}
        for r in part.routes:
            was_ext, was_int = r.external, r.internal
            ext = moved_groups(buckets, was_ext, moved) if was_ext is not None else None
            internal = ext if was_int is was_ext else moved_groups(buckets, was_int, moved)
            if internal is None or (was_ext is not None and ext is None):
                return self._part(snap, key), False
            if ext is not was_ext and was_ext is not None and ext is not None:
                swapped[id(was_ext)] = (was_ext, ext)
            if internal is not was_int:
                swapped[id(was_int)] = (was_int, internal)
            routes.append(_with(r, _EXTERNAL, ext, internal))
        if not swapped:
            return part, True
        self._routes[key] = routes
        # `service_paths` puts a route's very groups into its paths: swapped by identity.
        paths = []
        for p in part.paths:
            swap = swapped.get(id(p.groups))
            if swap is not None and swap[0] is p.groups:
                p = _with(p, _GROUPS, swap[1])
            paths.append(p)
        tally = part.tally
        if tally is not None:
            counted: CrossTally = {}
            cross_node_tally(paths, None, counted, set())  # pinned: the same paths, as before
            own = counted.get(key)
            tally = (own[0], own[1]) if own else None
        findings = part.findings
        if part.grouped and not part.empty:
            findings = tuple(service_findings(snap, snap.services[key], routes))
        return _with(part, 0, routes, tuple(paths), findings, tally), True

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
        changed |= {p.service for p in old_paths[len(routes) :]}
        self._ing_routes, self._ing_paths = routes, paths
        findings = (
            *ingress_findings(paths, snap),
            *conflict_findings(p.entry.ingress for p in paths if p.entry.ingress is not None),
        )
        if findings != self._ing_findings:
            before = set(self._ing_findings)
            changed |= {f.service for f in set(findings) ^ before if f.service is not None}
        self._ing_findings = findings
        return changed

    def _repath_ingresses(
        self, snap: Snapshot, dirty: set[ObjectKey], regrouped: set[ObjectKey]
    ) -> None:
        """Only the Ingress paths whose backend was recomputed; of those whose backend was
        only regrouped (the same endpoints), only those through its node groups."""
        for i, r in enumerate(self._ing_routes):
            backend = r.backend_service
            if backend in dirty or (backend in regrouped and self._ing_paths[i].groups):
                self._ing_paths[i] = ingress_path(snap, r, self._routes)

    def _tally(self, snap: Snapshot, keys: set[ObjectKey]) -> None:
        """The cross-node tally of ``keys`` again: each service's own, continued with its
        Ingress and Gateway paths in the order one pass over all paths meets them."""
        for k in keys:
            part = self._parts.get(k)
            tally: CrossTally = {}
            pinned: set[ObjectKey] = set()
            if part is not None and part.tally is not None:
                tally[k] = list(part.tally)
            if part is not None and part.pinned:
                pinned.add(k)
            extra = self._extra.get(k)
            if extra:
                cross_node_tally(extra, snap.services, tally, pinned)
            found = tally.get(k)
            now = None if found is None else (found[0], found[1], k in pinned)
            if self._cross.get(k) != now:
                self._cross_findings = None  # KP109 and KP303 made again
                if now is None:
                    del self._cross[k]
                else:
                    self._cross[k] = now

    def _regroup_extra(self) -> set[ObjectKey]:
        """The Ingress and Gateway paths by service; the services that have any, before and
        after."""
        before = set(self._extra)
        extra: dict[ObjectKey, list[Path]] = {}
        for p in (*self._ing_paths, *(self._gw.paths if self._gw is not None else ())):
            if p.groups and p.external:  # the only ones a tally counts
                extra.setdefault(p.service, []).append(p)
        self._extra = extra
        return before | set(extra)

    # Events -----------------------------------------------------------------------------

    def apply(self, events: Sequence[Event]) -> Changed:
        """File ``events`` and re-analyse what they change. A bad object raises InputError
        (one line naming it), as a rebuild would; the state is then rebuilt in full on the
        next call, which raises again while the raw objects still hold it."""
        with paused_gc():
            if self._broken:
                self._index = RawIndex()  # counted afresh: the last batch stopped half way
                apply_events(self.raw, events, self._index)
                before = frozenset(self._order)
                self._start(self._build(self.raw))
                self._broken = False
                return Changed(before | frozenset(self._order), everything=True)
            try:
                return self._apply(events)
            except Exception:
                self._broken = True  # half filed: only a rebuild is sure
                raise

    def _apply(self, events: Sequence[Event]) -> Changed:
        live = self._live
        rebuild = False
        dirty: set[ObjectKey] = set()
        regrouped: set[str] = set()  # nodes changed
        moved: set[Bucket] = set()  # the node buckets whose names they changed
        reroute = regateway = head = False
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
                dirty |= self._pod(key, now, dirty)
            elif kind == "EndpointSlice":
                dirty |= live.set_slice(key, now)
            elif kind == "Endpoints":
                dirty |= live.set_endpoints(key, now)
            elif kind == "Service":
                was, svc = live.set_service(key, now)
                dirty.add(key)
                regateway = True
                # A selector edit changes no Ingress route: only its paths, as a dirty backend.
                if was is None or svc is None or ingress_facts(was) != ingress_facts(svc):
                    reroute = head = True
                head |= live.derived
            elif kind == "Node":
                old = live.nodes.get(name)
                buckets = live.set_node(name, now)
                if buckets is not None:  # a heartbeat changes no record: nothing
                    regrouped.add(name)  # every service, most without resolving endpoints
                    moved |= buckets
                    new = live.nodes.get(name)
                    # Ingress controllers are found by node address (NodePort, hostPort).
                    reroute |= (old and old.addresses) != (new and new.addresses)
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
        quiet = not (rebuild or dirty or regrouped or reroute or regateway or head)
        if quiet and not self._live.snapshot.network_policies:
            # A pod no endpoint-less service looks at: its record is filed, nothing shown moves.
            return Changed()
        if rebuild:
            before = frozenset(self._order)  # the live snapshot's own keys have moved on
            self._start(self._build(self.raw))
            return Changed(before | frozenset(self.analysis.snapshot.services), everything=True)
        return self._reanalyse(dirty, regrouped, moved, reroute, regateway, head)

    def _pod(self, key: ObjectKey, now: RawObject | None, dirty: set[ObjectKey]) -> set[ObjectKey]:
        """File a pod; the services it may change. Endpoints come from EndpointSlices, so
        a service with any reads no pod: only services with no endpoint at all do (KP102
        counts the pods they select, KP103 names the namespace's pods nearest their
        selector). Endpoints derived from pods (no slices in the input) change with every
        pod a service selects."""
        live = self._live
        old, new = live.set_pod(key, now)
        out: set[ObjectKey] = set()
        if old == new:  # a status post that moves only what kpath does not read
            return out
        if live.derived:
            out = live.selecting(key.namespace, old, new)
            for k in out:
                live.derive(k)
        same_labels = old is not None and new is not None and old.labels == new.labels
        for k in live.services_in.get(key.namespace, ()):
            part = self._parts.get(k)
            if k in out or k in dirty or part is None or not part.empty:
                continue
            selector = live.services[k].selector
            if selector is None:
                continue
            if (
                selects(selector, old)
                or selects(selector, new)
                or (not same_labels and self._near(k, selector, old, new))
            ):
                out.add(k)
        return out

    def _near(self, key: ObjectKey, selector: Labels, *pods: Pod | None) -> bool:
        """Whether any of ``pods`` ranks with the nearest to ``key``'s selector (KP103):
        a pod farther than the nearest changes nothing, coming or going."""
        ranks = [(c.cost, len(c.differ)) for c in candidates([p for p in pods if p], selector)]
        if not ranks:
            return False
        best = self._best.get(key)
        if best is None:  # ranked after the change: still the nearest of the others
            ranked = candidates(self._live.by_ns.get(key.namespace, ()), selector)
            best = (ranked[0].cost, len(ranked[0].differ)) if ranked else _NO_RANK
            self._best[key] = best
        return min(ranks) <= best

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
        regrouped: set[str],
        moved: set[Bucket],
        reroute: bool,
        regateway: bool,
        head: bool,
    ) -> Changed:
        snap = self._live.snapshot
        # With NetworkPolicies, verdicts read every pod's labels: every row may change.
        everything = self._client is not None or bool(snap.network_policies)
        # Every service is named only then (hashing them all is not free).
        before = frozenset(self._order) if everything else frozenset()
        for key in dirty:  # by events of their own: endpoints, selector, ...
            self._best.pop(key, None)
            at = bisect.bisect_left(self._order, key)
            present = at < len(self._order) and self._order[at] == key
            if key in snap.services:
                part = self._parts[key] = self._part(snap, key)
                if present:
                    self._own_paths[at], self._own_findings[at] = part.paths, part.findings
                else:
                    self._order.insert(at, key)
                    self._own_paths.insert(at, part.paths)
                    self._own_findings.insert(at, part.findings)
            elif present:
                del self._parts[key], self._routes[key]
                del self._order[at], self._own_paths[at], self._own_findings[at]
        touched = dirty
        others: set[ObjectKey] = set()
        swapped: set[ObjectKey] = set()  # of those, the ones whose groups alone moved
        retally = set(dirty)
        if regrouped:  # every other service: its node groups, where a bucket moved
            parts, own_paths, own_findings = self._parts, self._own_paths, self._own_findings
            for at, key in enumerate(self._order):
                if key in dirty:
                    continue
                was = parts[key]
                part, alone = self._regrouped(snap, key, regrouped, moved)
                if part is not was:
                    parts[key] = part
                    own_paths[at], own_findings[at] = part.paths, part.findings
                    others.add(key)
                    if alone:
                        swapped.add(key)
                    # A tally reads the part's own and its Ingress and Gateway paths (those
                    # are tallied again below if any moved): only a changed one is redone.
                    if part.tally != was.tally or part.pinned is not was.pinned:
                        retally.add(key)
            dirty = dirty | others
        changed = set(dirty)
        beyond: set[ObjectKey] = set()  # named for their Ingress or Gateway paths
        if reroute:
            beyond |= self._reroute_ingresses(snap, dirty)
        elif self._live.derived:  # derived endpoints carry their node's zone
            self._repath_ingresses(snap, dirty, set())
        elif dirty:  # regrouped services kept their endpoints: only node hops move
            self._repath_ingresses(snap, touched, others)
        if head:
            self._head = (*snapshot_findings(snap), *not_evaluated_findings(snap.other_policies))
        if (self._gw is not None or regateway) and (regateway or dirty):
            old_gw = self._gw
            self._gw = gateway_parts(snap)
            for gw in (old_gw, self._gw):
                if gw is not None:
                    beyond |= {p.service for p in gw.paths} | set(gw.marks)
                    beyond |= {f.service for f in gw.findings if f.service is not None}
        changed |= beyond
        if reroute or regateway or not self._extra.keys().isdisjoint(dirty):
            retally |= self._regroup_extra()
        self._tally(snap, retally)
        self.analysis = self._assemble(snap)
        if everything:
            changed |= before | set(snap.services)
            swapped.clear()
        return Changed(frozenset(changed), everything, bool(regrouped), frozenset(swapped - beyond))

    def _assemble(self, snap: Snapshot) -> Analysis:
        gw = self._gw
        marks = gw.marks if gw is not None else {}
        own: Iterable[Path] = itertools.chain.from_iterable(self._own_paths)
        ing: Iterable[Path] = self._ing_paths
        if marks:
            own = (p._replace(gateways=marks[p.service]) if p.service in marks else p for p in own)
            ing = (p._replace(gateways=marks[p.service]) if p.service in marks else p for p in ing)
        paths: Sequence[Path] = tuple(itertools.chain(own, ing, gw.paths if gw is not None else ()))
        if self._cross_findings is None:
            tally: CrossTally = {k: [cross, n] for k, (cross, n, _) in self._cross.items()}
            pinned = {k for k, (_, _, pin) in self._cross.items() if pin}
            self._cross_findings = tuple(cross_node_report(tally, pinned))
        findings: Sequence[Finding] = tuple(
            itertools.chain(
                self._head,
                itertools.chain.from_iterable(self._own_findings),
                self._ing_findings,
                gw.findings if gw is not None else (),
                self._cross_findings,  # KP109 per service, then KP303
            )
        )
        client = self._client
        policies = snap.network_policies
        if policies and client is not None:
            from kpath.routing.policy.onpaths import attach_policies
            from kpath.routing.policy.pathfindings import policy_findings

            pols = list(policies)
            targets: dict[ObjectKey, tuple[Target, ...]] = {
                k: tuple(t for r in self._routes[k] for t in r.targets) for k in self._order
            }
            judged = attach_policies(snap, list(paths), pols, client, targets)
            findings = (*findings, *policy_findings(snap, judged, pols, targets))
            paths = judged
        # Routes are looked up by service, never walked in order: the live dict serves.
        return Analysis(
            snap,
            self._routes,
            tuple(paths),
            tuple(findings),
            gw.table if gw is not None else None,
            gw.infra if gw is not None else {},
            client,
        )
