"""What the terminal UI shows, computed from an `Analysis`. Pure: no Textual, no Rich.

Two shapes come out of here:

- `ServiceRow`: one line of the services list (`Rows`: the words the filter reads made for
  every service once per analysis, the rest of a row when it is drawn);
- `Diagram`: one path drawn left to right (client → entry → node group or direct → pods),
  built only for the service the user selected, so 10,000 services cost nothing here.

Every string is raw cluster text; the widgets make it literal before drawing it.

A hop's identity is the probe plan's `HopRef` (`kpath.probe.plan`), with the path index
into ``analysis.paths``: the JSON, the UI and its SVG name the same hop the same way. Two
places no probe tests (the client, "straight to pods") have a `PlaceRef` of their own.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from operator import attrgetter
from typing import NamedTuple, TypeVar, overload

from kpath.cluster.records import ObjectKey, Service, ServicePort
from kpath.probe.plan import HopKind, HopRef
from kpath.routing.analysis import Analysis
from kpath.routing.findings import Finding, Severity
from kpath.routing.kubeproxy import Choice, Target, Verdict
from kpath.routing.nodegroups import NodeGroup
from kpath.routing.paths import (
    EXTERNAL_KINDS,
    EntryKind,
    GatewayHop,
    Path,
    PortRoutes,
    names_no_service,
)
from kpath.routing.policy.onpaths import HopPolicy, denying
from kpath.routing.scope import service_words, shown_policy, ways_of_kinds
from kpath.tui import gateway_view as gv
from kpath.tui.styles import HopState, ProbeState, glyphs

#: Short names for the ways in, in the order the list shows them.
#: A redirect is the gateway answering by design: above "no decision", below any forward.
_STATE_RANK = {
    HopState.INFO: 0,
    HopState.REDIRECT: 1,
    HopState.FORWARD: 2,
    HopState.CROSS: 3,
    HopState.PENDING: 4,
    HopState.REJECT: 5,
    HopState.DROP: 6,
    HopState.BLOCKED: 7,
}
SORTS = ("name", "worst", "type")
ARROW = glyphs("→")
T = TypeVar("T")

MAX_PODS = 4  # pods drawn per branch; the rest are counted
MAX_BRANCHES = 8  # node groups drawn per path (grouping keeps real clusters well below)
MAX_NODE_NAMES = 8  # node names listed in a group's details


class ServiceRow(NamedTuple):
    """One line of the services list."""

    key: ObjectKey
    type: str
    policy: str
    ready: int
    total: int
    ways: str
    external: bool
    worst: Severity | None
    state: HopState  # the worst verdict over the paths the row stands for
    search: str  # lower-case text the filter matches against


def group_paths(analysis: Analysis) -> dict[ObjectKey, list[int]]:
    """Indexes into ``analysis.paths`` for each service, in analysis order. A Gateway rule
    that sends to no Service (a redirect, no backends) is listed under the gateway's own
    Service, which answers it; not as a service of its own."""
    out: dict[ObjectKey, list[int]] = defaultdict(list)
    for i, p in enumerate(analysis.paths):
        # `list_key` inlined for the paths of no Gateway: every followed batch reads all.
        out[p.service if p.entry.gateway is None else list_key(p)].append(i)
    return out


def list_key(p: Path) -> ObjectKey:
    """The service-list row a path belongs to."""
    gw = p.entry.gateway
    if names_no_service(p.service) and gw is not None and gw.infra is not None:
        return gw.infra
    return p.service


def group_findings(findings: Iterable[Finding]) -> dict[ObjectKey | None, list[Finding]]:
    out: dict[ObjectKey | None, list[Finding]] = defaultdict(list)
    for f in findings:
        out[f.service].append(f)
    return out


def verdict_state(verdict: Verdict, cross: bool = False) -> HopState:
    if verdict == Verdict.UNKNOWN:
        return HopState.INFO  # endpoints unknown: no decision to show
    if verdict == Verdict.DROP:
        return HopState.DROP
    if verdict == Verdict.REJECT:
        return HopState.REJECT
    if verdict == Verdict.REDIRECT:
        return HopState.REDIRECT
    return HopState.CROSS if cross else HopState.FORWARD


def worst_state(states: Iterable[HopState]) -> HopState:
    return max(states, key=_STATE_RANK.__getitem__, default=HopState.INFO)


def path_state(p: Path) -> HopState:
    """The worst thing that happens to traffic entering by this path (on a Gateway path:
    at the backend; the gateway's own Service has its own paths and states)."""
    if p.entry.pending:
        return HopState.PENDING
    if p.direct is not None:
        return policy_state(_direct_policy(p), verdict_state(p.direct.verdict))
    return groups_state(p)


def _direct_policy(p: Path) -> HopPolicy | None:
    return p.netpol.direct if p.netpol is not None else None


def _group_policy(p: Path, gi: int) -> HopPolicy | None:
    if p.netpol is None or gi >= len(p.netpol.groups):
        return None
    return p.netpol.groups[gi]


def policy_state(hp: HopPolicy | None, state: HopState) -> HopState:
    """A hop whose every endpoint a NetworkPolicy denies is a state of its own."""
    return HopState.BLOCKED if hp is not None and hp.all_blocked else state


def groups_state(p: Path) -> HopState:
    """The worst verdict over the node groups, as a client of the load balancer meets it."""
    states = [
        policy_state(_group_policy(p, gi), verdict_state(g.choice.verdict, g.cross_node))
        for gi, g in enumerate(p.groups)
    ]
    if lb_skips_drops(p) and any(s in (HopState.FORWARD, HopState.CROSS) for s in states):
        # The load balancer's health check keeps traffic off the nodes that would drop it.
        states = [s for s in states if s != HopState.DROP]
    return worst_state(states)


def lb_skips_drops(p: Path) -> bool:
    """A LoadBalancer with Local policy health-checks nodes and skips those without pods."""
    return p.entry.kind == EntryKind.LOAD_BALANCER and p.policy == "Local" and not p.direct


class _Columns:
    """Every service of an analysis, sorted by namespace/name: what the list filters on
    (name, words, exposure) for all of them in one pass; the rest of each row on demand."""

    def __init__(
        self, analysis: Analysis | None, by_service: Mapping[ObjectKey, Sequence[int]]
    ) -> None:
        self.analysis, self.by_service = analysis, by_service
        self.keys = sorted(analysis.snapshot.services) if analysis is not None else []
        self.policies: list[str] = []
        self.ways: list[str] = []
        self.external: list[bool] = []
        self.search: list[str] = []
        # What the words were made from (and the TYPE column's): a followed event that
        # changes neither makes none.
        self.records: list[Service] = []
        self.kinds: list[frozenset[EntryKind]] = []
        # (ways, external) by the set of ways in: a handful of sets for 100,000 services.
        self._seen: dict[frozenset[EntryKind], tuple[str, bool]] = {}
        paths = analysis.paths if analysis is not None else ()
        services = analysis.snapshot.services if analysis is not None else {}
        for key in self.keys:
            svc = services[key]
            kinds = frozenset([paths[i].entry.kind for i in by_service.get(key, ())])
            ways, external, policy, search = self._words(key, svc, kinds)
            self.policies.append(policy)
            self.ways.append(ways)
            self.external.append(external)
            self.search.append(search)
            self.records.append(svc)
            self.kinds.append(kinds)
        self.built: list[ServiceRow | None] = [None] * len(self.keys)
        self._worst: dict[ObjectKey, Severity] | None = None

    def _words(
        self, key: ObjectKey, svc: Service, kinds: frozenset[EntryKind]
    ) -> tuple[str, bool, str, str]:
        """A row's ways in, exposure, policy and the words the filter reads."""
        known = self._seen.get(kinds)
        if known is None:
            known = self._seen[kinds] = (ways_of_kinds(kinds), bool(kinds & EXTERNAL_KINDS))
        ways, external = known
        policy = shown_policy(svc, external)
        return ways, external, policy, service_words(key, svc.type, policy, ways)

    def position(self, key: ObjectKey) -> int | None:
        """Where ``key`` is among the columns (None: not a service of the analysis)."""
        j = bisect_left(self.keys, key)
        return j if j < len(self.keys) and self.keys[j] == key else None

    def update(
        self,
        analysis: Analysis,
        by_service: Mapping[ObjectKey, Sequence[int]],
        findings: Mapping[ObjectKey | None, Sequence[Finding]],
        at: Mapping[ObjectKey, int],
        regrouped: Collection[ObjectKey] = (),
    ) -> set[int]:
        """Followed events: the analysis is ``analysis`` now, and the services at ``at``
        (key → column) changed; their words are made again and their rows built again when
        next read. The other rows stay as built: the events changed nothing of theirs, so
        built or not they read the same from either analysis. The services ``regrouped``
        changed too, but only their node groups (`Changed.regrouped`): the same words,
        their rows built again. Returns the columns whose words or exposure changed (what
        the filter reads)."""
        self.analysis, self.by_service = analysis, by_service
        services, paths = analysis.snapshot.services, analysis.paths
        if len(regrouped) * 2 > len(self.keys):
            # A node event regroups about every service: every row is built again when
            # drawn, and the worst findings are counted again when asked (one pass over
            # the findings, not a lookup and a max per service).
            self.built = [None] * len(self.keys)
            self._worst = None
        else:
            at = {**{k: j for k in regrouped if (j := self.position(k)) is not None}, **at}
        moved: set[int] = set()
        for key, j in at.items():
            self.built[j] = None
            if key in regrouped:
                kinds = self.kinds[j]  # the same record and ways in: the same words
            else:
                kinds = frozenset([paths[i].entry.kind for i in by_service.get(key, ())])
            svc = services[key]
            if svc is not self.records[j] or kinds != self.kinds[j]:
                ways, external, policy, search = self._words(key, svc, kinds)
                if search != self.search[j] or external != self.external[j]:
                    moved.add(j)
                self.policies[j], self.ways[j] = policy, ways
                self.external[j], self.search[j] = external, search
                self.records[j], self.kinds[j] = svc, kinds
            if self._worst is not None:  # the worst finding of these services alone
                found = findings.get(key, ())
                worst = max((f.severity for f in found), key=lambda s: s.rank, default=None)
                if worst is None:
                    self._worst.pop(key, None)
                else:
                    self._worst[key] = worst
        return moved

    def worst(self) -> dict[ObjectKey, Severity]:
        if self._worst is None:
            worst: dict[ObjectKey, Severity] = {}
            for f in self.analysis.findings if self.analysis is not None else ():
                if f.service is not None and (
                    f.service not in worst or f.severity.rank > worst[f.service].rank
                ):
                    worst[f.service] = f.severity
            self._worst = worst
        return self._worst

    def row(self, j: int) -> ServiceRow:
        row = self.built[j]
        if row is None:
            row = self.built[j] = self._build(j)
        return row

    def _build(self, j: int) -> ServiceRow:
        # The costly part of a row (every node group's verdict, every endpoint's pod):
        # paid for the rows drawn, not for all 100,000.
        key, analysis = self.keys[j], self.analysis
        assert analysis is not None  # a row exists only for a service of the analysis
        paths = [analysis.paths[i] for i in self.by_service.get(key, ())]
        shown = [p for p in paths if p.external] or paths
        ready, total = pod_counts(analysis.routes.get(key, ()))
        return ServiceRow(
            key,
            self.records[j].type,
            self.policies[j],
            ready,
            total,
            self.ways[j],
            self.external[j],
            self.worst().get(key),
            worst_state(path_state(p) for p in shown),
            self.search[j],
        )


class Rows(Sequence[ServiceRow]):
    """The services list's rows in list order: a `Sequence[ServiceRow]` whose rows are built
    when first read. The filter reads `keys`, `search`, `external` and `namespaces`, made
    for every row at once; READY, PATH and FINDING are worked out for the rows drawn (or
    sorted by), so a first screen of 100,000 services costs their words, not their states."""

    def __init__(self, columns: _Columns, order: Sequence[int]) -> None:
        self._columns, self._order = columns, order
        if isinstance(order, range) and order == range(len(columns.keys)):
            self.keys, self.search, self.external = columns.keys, columns.search, columns.external
        else:
            self.keys = [columns.keys[j] for j in order]
            self.search = [columns.search[j] for j in order]
            self.external = [columns.external[j] for j in order]
        self.namespaces = [k.namespace for k in self.keys]
        self._index: dict[ObjectKey, int] | None = None
        self._longest: int | None = None

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, i: int) -> ServiceRow: ...
    @overload
    def __getitem__(self, i: slice) -> list[ServiceRow]: ...
    def __getitem__(self, i: int | slice) -> ServiceRow | list[ServiceRow]:
        if isinstance(i, slice):
            return [self._columns.row(j) for j in self._order[i]]
        return self._columns.row(self._order[i])

    def __iter__(self) -> Iterator[ServiceRow]:
        row = self._columns.row
        return (row(j) for j in self._order)

    @property
    def built(self) -> int:
        """How many of the analysis's rows have been built so far (what drawing cost)."""
        return sum(r is not None for r in self._columns.built)

    def index_of(self, key: ObjectKey) -> int | None:
        """Where ``key``'s row is (None: not a row), without reading every row."""
        if self._index is None:
            self._index = {k: n for n, k in enumerate(self.keys)}
        return self._index.get(key)

    def longest_name(self) -> int:
        """The longest namespace/name, in characters."""
        if self._longest is None:
            self._longest = max((len(k.namespace) + 1 + len(k.name) for k in self.keys), default=0)
        return self._longest

    def _sort_key(self, by: str) -> Callable[[int], tuple[object, ...]]:
        """The sort key of column ``j`` in ``by`` order ("worst" builds the row)."""
        c = self._columns
        if by == "worst":

            def worst_first(j: int) -> tuple[object, ...]:
                r = c.row(j)
                return (-(r.worst.rank if r.worst else -1), -_STATE_RANK[r.state], r.key)

            return worst_first
        if by == "type":
            return lambda j: (c.records[j].type, c.keys[j])
        return lambda j: (c.keys[j],)

    def sorted(self, by: str) -> Rows:
        c = self._columns
        if by not in ("worst", "type") and isinstance(self._order, range):
            return self  # every service, in name order already
        if by in ("worst", "type"):  # worst needs every row's states: the cost of this order
            order = sorted(self._order, key=self._sort_key(by))
        else:  # the columns are in name order already
            order = sorted(self._order)
            if len(order) == len(c.keys):
                return Rows(c, range(len(c.keys)))
        return Rows(c, order)

    def update(
        self,
        analysis: Analysis,
        by_service: Mapping[ObjectKey, Sequence[int]],
        findings: Mapping[ObjectKey | None, Sequence[Finding]],
        keys: Collection[ObjectKey],
        keep: Callable[[ObjectKey], bool] | None = None,
        regrouped: frozenset[ObjectKey] = frozenset(),
    ) -> bool | None:
        """Followed events changed the services ``keys``: their rows made again from
        ``analysis`` in place (``by_service``, ``findings``: its `group_paths` and
        `group_findings`; ``keep``: as `service_rows` was given), every other row kept as
        built or unbuilt, so a batch costs its own services, not 100,000. Of ``keys``,
        those ``regrouped`` only moved between node groups (`Changed.regrouped`): their
        rows stay rows with the same words. Returns None, changing nothing, when ``keys``
        add or remove rows (make them with `service_rows`); else whether a changed row's
        words or exposure changed (filter again). The order may no longer hold: see
        `in_order`."""
        c = self._columns
        if c.analysis is None:
            return None  # no analysis yet (`NO_ROWS`, shared): nothing to update in place
        services = analysis.snapshot.services
        at: dict[ObjectKey, int] = {}
        for key in keys:
            if key in regrouped:
                continue
            row = key in services and (keep is None or keep(key))
            j = c.position(key)
            if row != (self.index_of(key) is not None) or (key in services) != (j is not None):
                return None  # a row comes or goes, or the columns lack a service
            if j is not None:
                at[key] = j
        moved = c.update(analysis, by_service, findings, at, regrouped.intersection(keys))
        if moved and self.search is not c.search:  # this order's copies of what moved
            for key in keys:
                n = self.index_of(key)
                if n is not None and self._order[n] in moved:
                    j = self._order[n]
                    self.search[n], self.external[n] = c.search[j], c.external[j]
        return any(self.index_of(key) is not None and at[key] in moved for key in at)

    def in_order(self, keys: Iterable[ObjectKey], by: str) -> bool:
        """Whether the rows of ``keys`` still sit in ``by`` order between their neighbours
        (after `update`; a "worst" order builds those rows and their neighbours)."""
        if by not in ("worst", "type"):
            return True  # name order: a service's name does not change
        sort_key, order = self._sort_key(by), self._order
        for key in keys:
            n = self.index_of(key)
            if n is None:
                continue
            window = [sort_key(order[m]) for m in range(max(0, n - 1), min(len(order), n + 2))]
            if window != sorted(window):
                return False
        return True


#: The list before any analysis: no rows.
NO_ROWS = Rows(_Columns(None, {}), range(0))


def service_rows(
    analysis: Analysis,
    keep: Callable[[ObjectKey], bool] | None = None,
    by_service: Mapping[ObjectKey, Sequence[int]] | None = None,
) -> Rows:
    """Every service of the snapshot (those ``keep`` holds) as list rows, sorted by
    namespace/name. ``by_service``: `group_paths` of the analysis, when already made."""
    columns = _Columns(analysis, group_paths(analysis) if by_service is None else by_service)
    if keep is None:
        return Rows(columns, range(len(columns.keys)))
    return Rows(columns, [j for j, k in enumerate(columns.keys) if keep(k)])


def pod_counts(routes: Iterable[PortRoutes]) -> tuple[int, int]:
    """READY as kubectl counts it: (ready, total) backends, each pod once however many ports
    it serves (2 pods with 2 ports are 2/2, not 4/4). A backend is its pod, else its address;
    one known by neither (a redacted dump) is counted per port and the largest port wins."""
    ready: dict[object, bool] = {}
    anonymous: list[tuple[int, int]] = []
    for r in routes:
        unnamed = unnamed_ready = 0
        for t in r.targets:
            who = t.pod if t.pod is not None else t.address
            if who is None:
                unnamed += 1
                unnamed_ready += t.ready
            else:
                # kube-proxy reads readiness per endpoint; a pod is ready if any port says so
                ready[who] = ready.get(who, False) or t.ready
        anonymous.append((unnamed, unnamed_ready))
    extra, extra_ready = max(anonymous, default=(0, 0))
    return sum(ready.values()) + extra_ready, len(ready) + extra


def sort_rows(rows: Rows, by: str) -> Rows:
    return rows.sorted(by)


def visible(
    rows: Rows,
    *,
    text: str = "",
    namespace: str | None = None,
    internal: bool = False,
    within: Sequence[int] | None = None,
) -> list[int]:
    """Indexes of the rows to show, ascending: filter words (all must match), namespace,
    exposure. Reads the rows' words only, never builds a row.

    ``within``: only these candidates (a previous result this one `narrows`), so typing
    one more letter scans what was shown, not all 100,000 rows.
    """
    words = text.lower().split()
    search, external, spaces = rows.search, rows.external, rows.namespaces
    # Comprehensions over plain lists: this runs on every keystroke.
    if internal and namespace is None:
        if within is None and words:  # the first word scans every row's words at once
            out = [i for i, s in enumerate(search) if words[0] in s]
            words = words[1:]
        else:
            out = list(range(len(rows)) if within is None else within)
    else:
        candidates = range(len(rows)) if within is None else within
        out = [
            i
            for i in candidates
            if (internal or external[i]) and (namespace is None or spaces[i] == namespace)
        ]
    for w in words:
        out = [i for i in out if w in search[i]]
    return out


def narrows(old: str, new: str) -> bool:
    """Whether filter ``new`` can only show rows that ``old`` shows: each old word sits
    inside some new word (a row holding the longer word holds the shorter one)."""
    new_words = new.lower().split()
    return all(any(w in n for n in new_words) for w in old.lower().split())


class FilterMemo:
    """The recent filters of one list view (the same rows, namespace and exposure) and
    what each showed: erasing a letter shows again what that text showed, and a narrower
    text scans the smallest result it narrows, so a keystroke rarely reads every row."""

    SIZE = 64  # filters remembered: several words typed and erased

    def __init__(self, rows: Rows, namespace: str | None, internal: bool) -> None:
        self.rows, self.namespace, self.internal = rows, namespace, internal
        self._shown: dict[str, list[int]] = {}

    def same_view(self, rows: Rows, namespace: str | None, internal: bool) -> bool:
        return self.rows is rows and self.namespace == namespace and self.internal == internal

    def shown(self, text: str) -> list[int]:
        key = " ".join(text.lower().split())
        hit = self._shown.pop(key, None)
        if hit is None:
            within = min(
                (v for k, v in self._shown.items() if narrows(k, key)), key=len, default=None
            )
            hit = visible(
                self.rows,
                text=key,
                namespace=self.namespace,
                internal=self.internal,
                within=within,
            )
            if len(self._shown) >= self.SIZE:
                del self._shown[next(iter(self._shown))]  # the least recently used
        self._shown[key] = hit  # last: the most recently used
        return hit


# --- the path diagram -----------------------------------------------------------------------


class PlaceRef(NamedTuple):
    """A drawn place that is not a probed hop: the client, "straight to pods", and on a
    Gateway path the route rule and the backend Service."""

    path: int  # index into analysis.paths
    level: str  # "client", "direct", "route" or "backend"


#: Where a drawn box sits: a probe plan hop (entry, node group, pod) or a place.
Ref = HopRef | PlaceRef


def is_entry(ref: Ref) -> bool:
    return isinstance(ref, HopRef) and ref.hop == HopKind.ENTRY


class ProbeMark(NamedTuple):
    """A hop's probe verdict as shown: `evidence`'s proof and reason, never a rule of ours."""

    state: ProbeState
    reason: str = ""
    stale: bool = False  # probed on paths that changed since: the verdict may be outdated


class Hop(NamedTuple):
    ref: Ref
    title: str
    lines: tuple[str, ...]
    state: HopState
    details: tuple[tuple[str, str], ...]
    #: Whether probes test this hop itself (a Gateway's route rule and backend Service are
    #: tested at the Gateway's address and at the backend's pods, not on their own).
    probed: bool = True


class Branch(NamedTuple):
    """One decision point (a node group, or traffic sent straight to pods) and its pods."""

    via: Hop
    pods: tuple[Hop, ...]
    more_pods: int
    title: str = "pods"  # the pods box's name ("gateway pods" behind a Gateway)


class Leg(NamedTuple):
    """A second stretch of a path, drawn below the first: a Gateway's route rule (``head``)
    and the backend it sends to (``branches``: the backend Service and its pods)."""

    head: Hop
    branches: tuple[Branch, ...]


class Diagram(NamedTuple):
    path: int  # index into analysis.paths (a field named `index` would hide tuple.index)
    title: str
    client: Hop
    entry: Hop
    branches: tuple[Branch, ...]
    more_branches: int
    legs: tuple[Leg, ...] = ()

    def hops(self) -> list[Hop]:
        """Every hop in reading order: left to right, then top to bottom."""
        out = [self.client, self.entry]
        for b in self.branches:
            out.append(b.via)
            out.extend(b.pods)
        for leg in self.legs:
            out.append(leg.head)
            for b in leg.branches:
                out.append(b.via)
                out.extend(b.pods)
        return out


def diagrams(analysis: Analysis, indexes: Sequence[int]) -> list[Diagram]:
    return [diagram(analysis, i) for i in indexes]


def diagram(analysis: Analysis, index: int) -> Diagram:
    p = analysis.paths[index]
    if p.entry.kind == EntryKind.GATEWAY and p.entry.gateway is not None:
        return _gateway_diagram(analysis, index, p, p.entry.gateway)
    svc = analysis.snapshot.services.get(p.service)
    port = p.port.label() if p.port else "?"
    title = f"{port} via {p.entry.kind.value}" + (f", {p.policy} policy" if p.policy else "")
    client = Hop(
        PlaceRef(index, "client"),
        "client",
        ("outside the cluster",) if p.external else ("a pod in the cluster",),
        HopState.INFO,
        (("from", "outside" if p.external else "inside the cluster"),),
    )
    entry = _entry_hop(index, p, svc.health_check_node_port if svc else None)
    branches: list[Branch] = []
    if p.direct is not None:
        via = "ingress controller" if p.via == "controller" else "straight to pods"
        hp = _direct_policy(p)
        hop = Hop(
            PlaceRef(index, "direct"),
            via,
            (_verdict_line(p.direct.verdict, False), *_policy_lines(hp)),
            policy_state(hp, verdict_state(p.direct.verdict)),
            (*_choice_details(p.direct), *_policy_details(hp)),
        )
        branches.append(_branch(index, None, hop, p.direct, None, hp))
    for gi, g in enumerate(p.groups[:MAX_BRANCHES]):
        branches.append(
            _branch(index, gi, _group_hop(index, gi, p, g), g.choice, g, _group_policy(p, gi))
        )
    return Diagram(
        index, title, client, entry, tuple(branches), max(0, len(p.groups) - MAX_BRANCHES)
    )


def _entry_hop(index: int, p: Path, health_port: int | None) -> Hop:
    e = p.entry
    ref = HopRef(index, HopKind.ENTRY)
    details: list[tuple[str, str]] = [("way in", e.kind.value)]
    if p.port is not None:
        sp = p.port
        details.append(("service port", f"{sp.label()} {ARROW} targetPort {sp.target_port}"))
        if sp.node_port:
            details.append(("nodePort", str(sp.node_port)))
    if p.policy:
        details.append(("traffic policy", p.policy))
    if p.gateways:  # this Service's pods are these Gateways' proxies
        details.append(("gateway Service of", ", ".join(str(g) for g in p.gateways)))
    if e.kind == EntryKind.INGRESS and e.ingress is not None:
        r = e.ingress
        title = f"Ingress {r.ingress.key}"
        lines = [r.label(), f"{ARROW} {r.backend.label()}"]
        details += [
            ("rule", r.label()),
            ("path type", r.path_type or "-"),
            ("tls", "yes" if r.tls else "no"),
            ("backend", r.backend.label()),
            (
                "controller",
                f"{r.controller.class_name or '?'} ({r.controller.kind}, {r.controller.mode} mode)",
            ),
            ("controller note", r.controller.note),
        ]
        if r.addresses:
            details.append(("addresses", ", ".join(r.addresses)))
        if r.problem:
            details.append(("problem", r.problem))
        state = HopState.REJECT if r.problem else path_state(p)
        return Hop(ref, title, tuple(lines), state, tuple(details))
    if e.kind == EntryKind.EXTERNAL_NAME:
        name = e.addresses[0] if e.addresses else "?"
        return Hop(
            ref, "ExternalName", (f"CNAME {name}",), HopState.INFO, (*details, ("DNS name", name))
        )
    titles = {
        EntryKind.LOAD_BALANCER: "LoadBalancer",
        EntryKind.NODE_PORT: "NodePort",
        EntryKind.EXTERNAL_IP: "externalIP",
        EntryKind.CLUSTER_IP: "ClusterIP",
        EntryKind.HEADLESS: "headless",
    }
    if e.kind == EntryKind.NODE_PORT:
        lines = [f"any node :{e.port}"]
    elif e.kind == EntryKind.HEADLESS:
        lines = [f"DNS {ARROW} pod IPs"]
    elif e.pending:
        lines = [f"<pending> :{e.port}"]
    else:
        lines = [f"{a}:{e.port}" for a in e.addresses[:2]]
        if len(e.addresses) > 2:
            lines.append(f"+{len(e.addresses) - 2} more")
    if e.addresses:
        details.append(("addresses", ", ".join(e.addresses)))
    if e.pending:
        details.append(("status", "no address yet (<pending>)"))
    if e.kind == EntryKind.LOAD_BALANCER and p.policy == "Local" and health_port:
        details.append(
            (
                "health check",
                f"nodes :{health_port}/healthz; passes only where a local endpoint runs",
            )
        )
    state = HopState.PENDING if e.pending else path_state(p)
    return Hop(ref, titles.get(e.kind, e.kind.value), tuple(lines), state, tuple(details))


#: The infrastructure Service's way in a Gateway's address stands for, best first.
_INFRA_KINDS = (
    EntryKind.LOAD_BALANCER,
    EntryKind.NODE_PORT,
    EntryKind.EXTERNAL_IP,
    EntryKind.CLUSTER_IP,
)


def infra_path(analysis: Analysis, gw: GatewayHop) -> int | None:
    """The index of the gateway's own Service's path for the listener's port: its load
    balancer where it has one (the Gateway's address is that load balancer's)."""
    if gw.infra is None:
        return None
    svc = analysis.snapshot.services.get(gw.infra)
    sp = gv.infra_port(svc, gw)
    if sp is None:
        return None
    found = _infra_ways(analysis).get((gw.infra, sp), {})
    return next((found[k] for k in _INFRA_KINDS if k in found), None)


_last_ways: list[tuple[Analysis, dict[tuple[ObjectKey, ServicePort], dict[EntryKind, int]]]] = []


def _infra_ways(analysis: Analysis) -> dict[tuple[ObjectKey, ServicePort], dict[EntryKind, int]]:
    """The ways in of every gateway Service port, by kind, for the last analysis asked
    (one scan of the paths, not one per Gateway path drawn)."""
    if _last_ways and _last_ways[0][0] is analysis:
        return _last_ways[0][1]
    infra = {
        p.entry.gateway.infra
        for p in analysis.paths
        if p.entry.gateway is not None and p.entry.gateway.infra is not None
    }
    ways: dict[tuple[ObjectKey, ServicePort], dict[EntryKind, int]] = {}
    for i, p in enumerate(analysis.paths):
        if p.service in infra and p.port is not None and p.entry.kind in _INFRA_KINDS:
            ways.setdefault((p.service, p.port), {}).setdefault(p.entry.kind, i)
    _last_ways[:] = [(analysis, ways)]
    return ways


def _gateway_diagram(analysis: Analysis, index: int, p: Path, gw: GatewayHop) -> Diagram:
    """client → Gateway → its own Service's node groups and proxy pods (that Service's
    hops, drawn and referenced as on its own path); then route rule → backend Service →
    its pods, straight by pod IP."""
    snapshot = analysis.snapshot
    infra = snapshot.services.get(gw.infra) if gw.infra is not None else None
    ii = infra_path(analysis, gw)
    ip = analysis.paths[ii] if ii is not None else None
    port = p.port.label() if p.port else f"{gw.route_kind} rule {gw.rule}"  # no Service port
    title = f"{port} via gateway {gw.gateway} ({gw.listener})" + (
        f", its Service {ip.policy} policy" if ip is not None and ip.policy else ""
    )
    client = Hop(
        PlaceRef(index, "client"),
        "client",
        ("outside the cluster",),
        HopState.INFO,
        (("from", "outside"),),
    )
    details = gv.entry_details(gw, infra)
    branches: list[Branch] = []
    entry_state = HopState.INFO
    more = 0
    if ip is not None and ii is not None:
        if lb_skips_drops(ip) and infra is not None and infra.health_check_node_port:
            details.append(
                (
                    "health check",
                    f"nodes :{infra.health_check_node_port}/healthz; "
                    "passes only where a gateway pod runs",
                )
            )
        if ip.groups:
            entry_state = groups_state(ip)
        branches = [
            _branch(ii, gi, _group_hop(ii, gi, ip, g), g.choice, g, _group_policy(ip, gi))._replace(
                title="gateway pods"
            )
            for gi, g in enumerate(ip.groups[:MAX_BRANCHES])
        ]
        more = max(0, len(ip.groups) - MAX_BRANCHES)
    entry = Hop(
        HopRef(index, HopKind.ENTRY),
        f"Gateway {gw.gateway}",
        tuple(gv.entry_lines(gw)),
        entry_state,
        tuple(details),
    )
    route = gv.find_route(snapshot.gateways.routes, gw.route_kind, gw.route)
    direct = p.direct
    redirect = (
        gv.rule_redirect(gw, route)
        if direct is not None and direct.verdict == Verdict.REDIRECT
        else None
    )
    if redirect is not None and direct is not None:
        # The gateway answers by design: drawn as its own state, never as a refusal.
        head = Hop(
            PlaceRef(index, "route"),
            gv.route_title(gw),
            tuple(gv.route_lines(gw, route)),
            HopState.REDIRECT,
            tuple(gv.route_details(gw, route)),
            probed=False,
        )
        backend = Hop(
            PlaceRef(index, "backend"),
            "redirect",
            tuple(gv.redirect_lines(gw, redirect)),
            HopState.REDIRECT,
            tuple(gv.redirect_details(gw, redirect)),
            probed=False,
        )
        leg = Leg(head, (_branch(index, None, backend, direct, None),))
        return Diagram(index, title, client, entry, tuple(branches), more, (leg,))
    if gw.problem or direct is None:
        state = HopState.REJECT
        choice = Choice(Verdict.REJECT, (), gw.problem or "no backend")
    else:
        state, choice = verdict_state(direct.verdict), direct
    lines = gv.backend_lines(gw)
    if not gw.problem and gw.backend is not None:
        lines.append(_verdict_line(choice.verdict, False))
    rule_state = HopState.REJECT if gw.backend is None or gw.problem else HopState.FORWARD
    head = Hop(
        PlaceRef(index, "route"),
        gv.route_title(gw),
        tuple(gv.route_lines(gw, route)),
        rule_state,
        tuple(gv.route_details(gw, route)),
        probed=False,
    )
    hp = _direct_policy(p)
    backend = Hop(
        PlaceRef(index, "backend"),
        gv.backend_title(gw),
        (*lines, *_policy_lines(hp)),
        policy_state(hp, state),
        (*gv.backend_details(gw, p), *_choice_details(choice), *_policy_details(hp)),
        probed=False,
    )
    leg = Leg(head, (_branch(index, None, backend, choice, None, hp),))
    return Diagram(index, title, client, entry, tuple(branches), more, (leg,))


def _node_port_label(p: Path) -> str:
    if p.port is None:
        return ""
    if p.port.node_port and p.entry.kind in (
        EntryKind.LOAD_BALANCER,
        EntryKind.NODE_PORT,
        EntryKind.INGRESS,
    ):
        return f":{p.port.node_port}"
    return f":{p.port.port}"


def _verdict_line(verdict: Verdict, cross: bool, share: float = 0.0) -> str:
    if verdict == Verdict.UNKNOWN:
        return "unknown (endpoints not in the input)"
    if verdict == Verdict.DROP:
        return "drop (black hole)"
    if verdict == Verdict.REJECT:
        return "reject (refused)"
    if verdict == Verdict.REDIRECT:
        return "redirect (the gateway answers)"
    return f"cross-node {share:.0%}" if cross else "forward"


def _group_hop(index: int, gi: int, p: Path, g: NodeGroup) -> Hop:
    lines = [_verdict_line(g.choice.verdict, g.cross_node, g.cross_share)]
    if g.choice.verdict == Verdict.FORWARD:
        lines.append(f"local {g.local}/{g.per_node}")
    if g.ready is False:
        lines.append("NotReady")
    if g.choice.verdict == Verdict.DROP and lb_skips_drops(p):
        lines.append("LB skips it (health check)")
    names = list(g.nodes[:MAX_NODE_NAMES])
    more = len(g.nodes) - len(names)
    details = [
        (
            "nodes",
            ", ".join(names) + (f" and {more} more" if more else "")
            if names
            else "(not in the input)",
        ),
        ("node count", str(len(g.nodes))),
        ("zone", g.zone or "-"),
        ("node ready", {True: "yes", False: "NotReady", None: "unknown"}[g.ready]),
        ("listens on", _node_port_label(p) or "-"),
        ("local endpoints", f"{g.local} of {g.per_node} chosen per node"),
        ("cross-node share", f"{g.cross_share:.0%}"),
    ]
    details += _choice_details(g.choice)
    hp = _group_policy(p, gi)
    lines += _policy_lines(hp)
    details += _policy_details(hp)
    return Hop(
        HopRef(index, HopKind.NODE, gi),
        f"{g.label()} {_node_port_label(p)}".strip(),
        tuple(lines),
        policy_state(hp, verdict_state(g.choice.verdict, g.cross_node)),
        tuple(details),
    )


def _policy_lines(hp: HopPolicy | None) -> list[str]:
    """A hop's NetworkPolicy verdict in a line, when some endpoint is denied."""
    if hp is None or hp.allowed:
        return []
    return [hp.summary()]


def _policy_details(hp: HopPolicy | None) -> list[tuple[str, str]]:
    if hp is None:
        return []
    out = [
        ("network policy", hp.summary() if hp.targets else "no endpoint to judge"),
        ("policy source", hp.source.note),
    ]
    addrs = [s.address or "?" for s in hp.source.sources[:3]]
    if addrs:
        out.append(("source address", ", ".join(addrs)))
    return out


def _choice_details(c: Choice) -> list[tuple[str, str]]:
    out = [("verdict", c.verdict.value), ("rule", c.rule)]
    if c.fallback:
        out.append(("fallback", "only serving terminating endpoints are used"))
    if c.topology:
        out.append(("topology hints", c.topology))
    out.append(("endpoints", str(len(c.targets))))
    return out


def _branch(
    index: int,
    group: int | None,
    via: Hop,
    c: Choice,
    g: NodeGroup | None,
    hp: HopPolicy | None = None,
) -> Branch:
    members = frozenset(g.nodes) if g is not None and g.local else frozenset()
    pods = []
    verdicts = hp.targets if hp is not None and len(hp.targets) == len(c.targets) else None
    for i, t in enumerate(c.targets[:MAX_PODS]):
        # A group's own endpoints are local only when its nodes send to themselves.
        cross = g is not None and t.node is not None and t.node not in members
        pod = _pod_hop(HopRef(index, HopKind.POD, group, t.endpoint), t, cross)
        tp = verdicts[i] if verdicts is not None else None
        if tp is not None and not tp.allowed:
            names = ", ".join(str(k) for k in (denying(tp.reach) if tp.reach else ()))
            if tp.partial:  # still reached from some sources: keep its state, say where not
                where = (
                    f"at {', '.join(tp.blocked_nodes)}"
                    if tp.blocked_nodes
                    else f"from {tp.blocked} of {tp.sources} sources"
                )
                why = f"blocked {where} by policy {names or '?'}"
                pod = pod._replace(
                    lines=(*pod.lines, why), details=(*pod.details, ("network policy", why))
                )
            else:
                why = f"by policy {names or '?'}"
                pod = pod._replace(
                    state=HopState.BLOCKED,
                    lines=(*pod.lines, why),
                    details=(*pod.details, ("network policy", f"blocked {why}")),
                )
        pods.append(pod)
    return Branch(via, tuple(pods), max(0, len(c.targets) - MAX_PODS))


def _pod_hop(ref: HopRef, t: Target, cross: bool) -> Hop:
    name = t.pod.name if t.pod else t.endpoint
    lines = [t.node or "?", t.endpoint]
    if t.terminating:
        lines.append("terminating")
    details = (
        ("pod", str(t.pod) if t.pod else "-"),
        ("node", t.node or "-"),
        ("zone", t.zone or "-"),
        ("endpoint", t.endpoint),
        ("ready", "yes" if t.ready else "no"),
        ("serving", "yes" if t.serving else "no"),
        ("terminating", "yes" if t.terminating else "no"),
        ("cross-node", "yes: the pod sees a node address, not the client" if cross else "no"),
    )
    return Hop(ref, name, tuple(lines), HopState.CROSS if cross else HopState.FORWARD, details)


def drawn_paths(diagrams: Iterable[Diagram]) -> set[int]:
    """The analysis paths whose hops these diagrams draw (a Gateway path also draws its
    gateway's own Service's node groups and proxy pods, which belong to that Service's path)."""
    return {h.ref.path for d in diagrams for h in d.hops()}


def infra_paths(analysis: Analysis, indexes: Iterable[int]) -> list[int]:
    """The gateway Service paths the Gateway paths among ``indexes`` draw."""
    out: list[int] = []
    for i in indexes:
        gw = analysis.paths[i].entry.gateway
        if gw is not None and (j := infra_path(analysis, gw)) is not None and j not in out:
            out.append(j)
    return out


def path_signature(analysis: Analysis, indexes: Sequence[int]) -> tuple[object, ...]:
    """What a service's paths look like to a user; a change between refreshes flashes.
    (`moved_services` compares two of them without making them.)"""
    sig: list[object] = []
    for i in indexes:
        p = analysis.paths[i]
        sig.append(_face(p, path_state(p)))
        sig.append(_sizes(p))
        sig.append(_reached(p))
    return tuple(sig)


def _face(p: Path, state: HopState) -> tuple[object, ...]:
    return (p.entry.label(), p.policy, p.via, state)


def _sizes(p: Path) -> tuple[tuple[int, bool], ...]:
    return tuple((len(g.nodes), g.cross_node) for g in p.groups)


def _choices(p: Path) -> list[Choice]:
    """The kube-proxy choices a path reaches its endpoints by: its own, or its groups'."""
    return [p.direct] if p.direct is not None else [g.choice for g in p.groups]


def _reached(p: Path) -> tuple[tuple[tuple[str | None, int | None], ...], ...]:
    # (address, port): what `Target.endpoint` prints, read in C.
    return tuple(tuple(map(_ADDRESS_PORT, c.targets)) for c in _choices(p) if c)


_ADDRESS_PORT = attrgetter("address", "port")


def _path_moved(a: Path, b: Path) -> bool:
    """Whether two paths' parts of `path_signature` differ, the cheapest part first: a
    node event moves every service's node groups, and is told by a group's size."""
    if a is b:
        return False
    ga, gb = a.groups, b.groups
    if ga is not gb:
        if len(ga) != len(gb):
            return True
        for x, y in zip(ga, gb, strict=True):
            if x is not y and (len(x.nodes) != len(y.nodes) or x.cross_node != y.cross_node):
                return True
    if _face(a, path_state(a)) != _face(b, path_state(b)):
        return True
    ca, cb = _choices(a), _choices(b)
    if len(ca) == len(cb) and all(x is y for x, y in zip(ca, cb, strict=True)):
        return False  # the very choices (the groups moved around them)
    return _reached(a) != _reached(b)


def moved_services(
    old: Analysis,
    before: Mapping[ObjectKey, Sequence[int]],
    new: Analysis,
    after: Mapping[ObjectKey, Sequence[int]],
    keys: Iterable[ObjectKey] | None = None,
) -> frozenset[ObjectKey]:
    """Of ``keys`` (default: every service with paths in ``new``), those whose paths look
    different to a user in ``new`` than in ``old``: new ones, and those whose
    `path_signature` differs (gone ones are not). ``before``, ``after``: `group_paths` of
    each. Each pair of paths is read only as far as its first difference."""
    out = []
    for k in after if keys is None else keys:
        now = after.get(k)
        if now is None:
            continue
        was = before.get(k)
        if was is None or len(was) != len(now):
            out.append(k)
            continue
        olds, news = old.paths, new.paths
        if any(_path_moved(olds[i], news[j]) for i, j in zip(was, now, strict=True)):
            out.append(k)
    return frozenset(out)


def carry_probes(
    before: Mapping[ObjectKey, Sequence[int]],
    after: Mapping[ObjectKey, Sequence[int]],
    probes: Mapping[HopRef, T],
    changed: Collection[ObjectKey],
) -> dict[HopRef, T]:
    """Probe results of the services whose paths did not change, moved to the new analysis.

    ``before`` and ``after`` are `group_paths` of the two analyses. An unchanged service has
    the same paths in the same order, so only the path indexes move; a watched cluster that
    reloads every few seconds keeps what was probed where nothing changed.
    """
    moved = moved_paths(before, after, changed)
    return {
        ref._replace(path=moved[ref.path]): value
        for ref, value in probes.items()
        if ref.path in moved
    }


def moved_paths(
    before: Mapping[ObjectKey, Sequence[int]],
    after: Mapping[ObjectKey, Sequence[int]],
    changed: Collection[ObjectKey],
) -> dict[int, int]:
    """Old path index → new one, for the paths of services that did not change."""
    moved: dict[int, int] = {}
    for key, old in before.items():
        new = after.get(key)
        if key not in changed and new is not None and len(new) == len(old):
            moved.update(zip(old, new, strict=True))
    return moved


def _way(p: Path) -> tuple[object, ...]:
    """A path's way in, as a user names it: it survives the service changing behind it."""
    return (p.service, p.entry.kind, p.entry.label(), p.port.label() if p.port else None)


def renamed_paths(old: Analysis, new: Analysis, changed: Collection[ObjectKey]) -> dict[int, int]:
    """Old path index → new one, for the changed services' ways in that still exist."""
    now = {_way(p): i for i, p in enumerate(new.paths) if list_key(p) in changed}
    return {
        i: now[w]
        for i, p in enumerate(old.paths)
        if list_key(p) in changed and (w := _way(p)) in now
    }


def carry_marks(
    old: Analysis | None,
    new: Analysis,
    marks: Mapping[HopRef, ProbeMark],
    changed: Collection[ObjectKey],
) -> dict[HopRef, ProbeMark]:
    """The probe marks after a reload: unchanged services keep theirs as they are; a changed
    service's marks stay on the hops that still exist, marked stale (probed on the paths as
    they were), so the user sees what was seen and that it may be outdated."""
    if old is None:
        return {}
    before, after = group_paths(old), group_paths(new)
    out = carry_probes(before, after, marks, changed)
    renamed = renamed_paths(old, new, changed)
    for ref, mark in marks.items():
        if ref.path in renamed:
            out[ref._replace(path=renamed[ref.path])] = mark._replace(stale=True)
    return out


def namespaces(analysis: Analysis) -> list[str]:
    return sorted({k.namespace for k in analysis.snapshot.services})


def service_findings(
    by_service: Mapping[ObjectKey | None, list[Finding]], key: ObjectKey | None
) -> list[Finding]:
    return sorted(by_service.get(key, ()), key=lambda f: (-f.severity.rank, f.code))
