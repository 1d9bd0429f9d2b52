"""The NetworkPolicy verdict on every path hop into pods, from that hop's real source. Pure.

Each path gets a `PathPolicy` (``Path.netpol``): for each node group (and for a direct
choice) a `HopPolicy` holding one `TargetPolicy` per chosen endpoint, in the choice's
order, so every output reads the verdict beside the endpoint without recomputing it.

Computed only when the snapshot carries NetworkPolicies: otherwise ``Path.netpol`` stays
None and nothing here runs. Verdicts are memoised per (source class, pod, port, protocol):
a LoadBalancer and its NodePort share their groups, and a Cluster-policy group's nodes are
judged once per ipBlock signature (`sources.node_classes`), and a proxy's replicas alike
for every policy once per class (`podclass.PodClasses`); where no egress policy judges a
hop's sources, each endpoint takes the verdict its workload's pods share
(`evaluate.alike`), remade with its own key. Traffic from a pod's own node
is always allowed, as the API reference says, so a Cluster group's node that hosts the
endpoint counts as allowed for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import NamedTuple, cast, overload

from kpath.cluster.netpol import NetworkPolicy
from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import Snapshot
from kpath.routing.kubeproxy import Choice, Target
from kpath.routing.nodegroups import NodeGroup
from kpath.routing.paths import EntryKind, Path
from kpath.routing.policy.evaluate import alike, judged
from kpath.routing.policy.index import INGRESS, policy_index, snapshot_policies
from kpath.routing.policy.podclass import PodClasses
from kpath.routing.policy.ports import PROTOCOLS
from kpath.routing.policy.sources import (
    Client,
    HopSource,
    NodeClass,
    Signatures,
    hop_source,
    node_classes,
    policy_nets,
)
from kpath.routing.policy.verdict import Reach, Source

#: A verdict not looked up yet (None is an answer: no policy applies).
_UNSET: object = object()


class TargetPolicy(NamedTuple):
    """One endpoint of a hop, judged from every source of the hop."""

    endpoint: str  # Target.endpoint, "ip:port" (the probe hops' key)
    pod: ObjectKey | None
    #: The deciding verdict: a denying one when any source is denied; None when no
    #: policy can apply (no policy in the pod's namespace, or no pod to judge).
    reach: Reach | None
    sources: int  # the sources judged (nodes of a Cluster group, proxy pods; 1 for a client)
    blocked: int  # of which denied
    blocked_nodes: tuple[str, ...] = ()  # node sources denied (a few), for the message
    #: The source the deciding verdict is for (``reach.source`` may be another node of the
    #: same ipBlock class: verdicts are shared within a class).
    source: Source | None = None

    @property
    def allowed(self) -> bool:
        return self.blocked == 0

    @property
    def partial(self) -> bool:
        """Denied from some sources only (some entry nodes, some proxy pods)."""
        return 0 < self.blocked < self.sources


class Records(Sequence[TargetPolicy]):
    """A hop's endpoint records, made when first read. A Cluster-policy node group of one
    node class is judged from its class's verdicts, which say its counts and policies
    (all the table and most findings read); 12,000 such groups at 10,000 Services would
    otherwise make 200,000 records that only ``-o json`` and the UI's details show.

    ``one``: the record at an index, made alone (a finding reads a hop's first blocked
    endpoint); ``nodes``: every record's ``blocked_nodes`` when the maker knows them all
    alike (None: read from the records)."""

    __slots__ = ("_items", "_length", "_make", "_one", "nodes")

    def __init__(
        self,
        length: int,
        make: Callable[[], tuple[TargetPolicy, ...]],
        one: Callable[[int], TargetPolicy] | None = None,
        nodes: tuple[str, ...] | None = None,
    ) -> None:
        self._length = length
        self._make: Callable[[], tuple[TargetPolicy, ...]] | None = make
        self._one = one
        self._items: tuple[TargetPolicy, ...] | None = None
        self.nodes = nodes

    def _all(self) -> tuple[TargetPolicy, ...]:
        items = self._items
        if items is None:
            assert self._make is not None
            items = self._items = self._make()
            self._make = self._one = None  # (and what they held)
        return items

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, i: int) -> TargetPolicy: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[TargetPolicy, ...]: ...
    def __getitem__(self, i: int | slice) -> TargetPolicy | tuple[TargetPolicy, ...]:
        if self._items is None and self._one is not None and isinstance(i, int):
            if not -self._length <= i < self._length:
                raise IndexError("record index out of range")
            return self._one(i % self._length)
        return self._all()[i]

    def __iter__(self) -> Iterator[TargetPolicy]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Records | tuple):
            return self._all() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._all())

    def __repr__(self) -> str:
        return f"Records({self._all()!r})"


class HopPolicy(NamedTuple):
    """The policy verdict of one hop into pods (a node group, or a direct choice). Made by
    `hop_policy`, which derives the last three fields from ``targets`` once (every output
    asks for them, hop after hop), or by `_Judge` from a node class's verdicts."""

    source: HopSource
    targets: Sequence[TargetPolicy]  # the choice's targets, same order (maybe `Records`)
    #: The targets denied from some source.
    blocked: Sequence[TargetPolicy]
    #: The policies that deny (those selecting the pod for the denied direction).
    blocked_by: tuple[ObjectKey, ...]
    #: Every endpoint denied from every source: the hop's own verdict.
    all_blocked: bool
    #: Some endpoint denied from some of its sources only (some entry nodes, proxy pods).
    partial: bool = False

    @property
    def allowed(self) -> bool:
        return not self.blocked

    def denied_at(self, limit: int) -> tuple[str, ...]:
        """The first ``limit`` distinct nodes its blocked endpoints were denied at, in
        their order (without making records that all say the same nodes)."""
        blocked = self.blocked
        if isinstance(blocked, Records) and blocked.nodes is not None:
            return blocked.nodes[:limit] if blocked else ()
        found: dict[str, None] = {}
        for t in blocked:
            found.update(dict.fromkeys(t.blocked_nodes))
            if len(found) >= limit:
                break
        return tuple(found)[:limit]

    @property
    def state(self) -> str:
        """``allowed``, ``blocked`` (every endpoint, from every source) or ``partial``."""
        if self.allowed:
            return "allowed"
        return "blocked" if self.all_blocked else "partial"

    def summary(self) -> str:
        """A few words: ``blocked by policy shop/deny-all``, ``1/5 endpoints blocked by
        policy shop/x``, ``2/2 endpoints blocked by policy shop/x (at node-b)``."""
        if self.allowed:
            return "allowed by policy"
        names = ", ".join(str(k) for k in self.blocked_by) or "?"
        if self.all_blocked:
            return f"blocked by policy {names}"
        where = ""
        if self.partial:
            nodes = list(self.denied_at(4))
            where = (
                f" (at {', '.join(nodes[:3])}{' …' if len(nodes) > 3 else ''})"
                if nodes
                else " (from some sources)"
            )
        return f"{len(self.blocked)}/{len(self.targets)} endpoints blocked by policy {names}{where}"


class PathPolicy(NamedTuple):
    """A path's policy verdicts: one per group (same order), or for the direct choice."""

    client: Client
    source: HopSource
    groups: tuple[HopPolicy | None, ...]
    direct: HopPolicy | None

    @property
    def evaluated(self) -> bool:
        return self.source.kind != "none"

    def hops(self) -> list[HopPolicy]:
        return [h for h in (self.direct, *self.groups) if h is not None]


def hop_policy(source: HopSource, targets: tuple[TargetPolicy, ...]) -> HopPolicy:
    blocked = tuple([t for t in targets if t.blocked])  # a list first: no generator frames
    by: dict[ObjectKey, None] = {}
    merged: set[int] = set()  # policies tuples already in ``by`` (the evaluator shares them)
    for t in blocked:
        r = t.reach
        if r is None:
            continue
        for v in (r.egress, r.ingress):  # as `denying`, in its order
            if not v.allowed and id(v.policies) not in merged:
                merged.add(id(v.policies))
                by.update(dict.fromkeys(v.policies))
    whole = bool(blocked) and len(blocked) == len(targets)
    if whole:
        whole = all(t.blocked == t.sources for t in targets)
    partial = not whole and any(t.partial for t in blocked)
    return HopPolicy(source, targets, blocked, tuple(by), whole, partial)


def denying(r: Reach) -> tuple[ObjectKey, ...]:
    """The policies behind a denial: the destination's for ingress, the source's for egress."""
    out: list[ObjectKey] = []
    if not r.egress.allowed:
        out.extend(r.egress.policies)
    if not r.ingress.allowed:
        out.extend(r.ingress.policies)
    return tuple(out)


class _Judge:
    """Memoised verdicts for one snapshot and one client."""

    def __init__(
        self, snapshot: Snapshot, policies: Sequence[NetworkPolicy], client: Client
    ) -> None:
        self.snapshot = snapshot
        self.client = client
        pols = list(policies)
        self.index = policy_index(snapshot)
        self.egress_ns = {p.namespace for p in pols if "Egress" in p.policy_types}
        self.sigs = Signatures(snapshot, policy_nets(pols))
        # Of the policies the evaluator reads (the snapshot's): proxy replicas alike for
        # them share their verdicts as sources.
        self.pod_classes = PodClasses(snapshot, snapshot_policies(snapshot))
        self._host_net: dict[ObjectKey | None, bool] = {}
        self._memo: dict[tuple[object, ...], Reach | None] = {}
        self._ingress: dict[ObjectKey | None, bool] = {}
        self._hops: dict[tuple[int, int], HopPolicy] = {}
        #: id(Choice) -> whether no policy selects any of its endpoints' pods for ingress
        #: (choices are shared by a port's node groups, and live as long as the paths).
        self._open: dict[int, bool] = {}
        #: (id(Choice), sources) -> its endpoints allowed from that many sources (shared by
        #: the hops of the choice's node groups alike in size).
        self._allowed: dict[tuple[int, int], tuple[TargetPolicy, ...]] = {}
        #: (id(Choice), named port, protocol, class memo key) -> each target's verdict
        #: (`_UNSET` until a group first asks), shared by the port's groups of that class.
        self._class_rs: dict[tuple[int, int | str | None, str, tuple[str, int]], list[object]] = {}
        #: The same key -> (each target's verdict, how many deny, the denying policies).
        self._class_sums: dict[
            tuple[int, int | str | None, str, tuple[str, int]],
            tuple[list[object], tuple[int, ...], tuple[ObjectKey, ...]],
        ] = {}
        self._hosts_of: dict[int, frozenset[str | None]] = {}
        self._row_cache: dict[
            tuple[int, int | str | None],
            tuple[tuple[str, ObjectKey | None, int | str | None, str | None], ...],
        ] = {}

    def _isolated(self, key: ObjectKey | None) -> bool:
        """Whether a policy selects this pod for ingress (memoised per pod)."""
        hit = self._ingress.get(key)
        if hit is None:
            pod = self.snapshot.pod(key)
            hit = self._ingress[key] = pod is not None and bool(self.index.selecting(pod, INGRESS))
        return hit

    def _applies(self, src: Source, t: Target) -> bool:
        """Whether any policy can judge this connection (else: allowed, nothing to call):
        one selects the pod for ingress, or the source pod's namespace has egress ones."""
        if t.pod is None:
            return False
        if self._isolated(t.pod):
            return True
        return (
            src.kind == "pod"
            and src.pod is not None
            and src.pod.namespace in self.egress_ns
            and self.snapshot.pod(t.pod) is not None
        )

    def verdict(
        self, src: Source, memo_src: object, t: Target, port: int | str, protocol: str
    ) -> Reach | None:
        # ``memo_src`` says all `_applies` reads of the source (its kind, its pod), so the
        # memo holds the "no policy applies" answers too.
        key = (memo_src, t.pod, port, protocol)
        memo = self._memo
        if key in memo:
            return memo[key]
        r = None
        dst = t.pod
        pod = self.snapshot.pod(dst) if dst is not None else None
        # (A protocol NetworkPolicy does not know: nothing to judge.)
        if dst is not None and pod is not None and protocol in PROTOCOLS and self._applies(src, t):
            try:
                # A workload's replicas share their verdict but for the words naming them.
                shared = alike(self.index, src, pod, port, protocol)
                r = (
                    shared.made(self.index, src, dst, protocol)
                    if shared is not None
                    else judged(self.index, src, pod, port, protocol)
                )
            except ValueError:
                r = None  # a named port the pod does not declare: nothing to judge
        memo[key] = r
        return r

    def hop(
        self, path: Path, source: HopSource, group: NodeGroup | None, choice: Choice
    ) -> HopPolicy:
        cache_key = (id(group if group is not None else choice), id(source))
        hit = self._hops.get(cache_key)
        if hit is not None:
            return hit
        protocol = path.port.protocol if path.port else "TCP"
        named = path.port.target_port if path.port else None
        out = []
        classes = (
            node_classes(self.snapshot, group, self.sigs)
            if source.kind == "node" and group is not None
            else ()
        )
        # Only a group listed node by node can hold an endpoint's own node (a `Members`
        # bucket excludes every node that hosts one).
        listed = isinstance(group.nodes, tuple) if group is not None else False
        egress = any(
            src.kind == "pod" and src.pod is not None and src.pod.namespace in self.egress_ns
            for src in source.sources
        )
        targets = choice.targets
        if not egress:
            open_ = self._open.get(id(choice))
            if open_ is None:
                open_ = self._open[id(choice)] = not any(
                    self._isolated(t.pod) for t in targets if t.pod
                )
            if open_:
                # No policy can judge any of these endpoints: allowed from every source.
                n = sum(len(c.nodes) or 1 for c in classes) if classes else len(source.sources) or 1
                tps = self._allowed.get((id(choice), n))
                if tps is None:
                    tps = self._allowed[(id(choice), n)] = tuple(
                        TargetPolicy(t.endpoint, t.pod, None, n, 0) for t in targets
                    )
                hp = self._hops[cache_key] = hop_policy(source, tps)
                return hp
        members = _members(classes, listed)
        by_nodes = source.kind == "node" and group is not None
        if by_nodes and len(members) == 1:
            hp = self._hops[cache_key] = self._one_class_hop(
                source, members[0], choice, named, protocol
            )
            return hp
        else:
            # Each source's memo key and own node, once per hop (not once per endpoint).
            keyed = [] if by_nodes else [self._keyed(src) for src in source.sources]
            one = None if by_nodes else _one_class(keyed)
            # With no egress policy to judge the sources, a pod's verdict is its workload's.
            alike_ok = one is not None and not egress and protocol in PROTOCOLS
            for t in targets:
                port = t.port if t.port is not None else named
                if port is None:
                    out.append(TargetPolicy(t.endpoint, t.pod, None, 0, 0))
                elif by_nodes:
                    out.append(self._by_nodes(members, t, port, protocol))
                elif one is not None and not self._host_network(t.pod):
                    tp = self._by_alike(one, t, port, protocol) if alike_ok else None
                    out.append(tp or self._by_one_source_class(one, t, port, protocol))
                else:
                    out.append(self._by_sources(keyed, t, port, protocol))
        hp = self._hops[cache_key] = hop_policy(source, tuple(out))
        return hp

    def _rows(
        self, choice: Choice, named: int | str | None
    ) -> tuple[tuple[str, ObjectKey | None, int | str | None, str | None], ...]:
        """Each target's endpoint, pod, port (the path's named port when it has none) and
        node, once per choice: a choice is shared by the node groups of its port, and its
        endpoint text would otherwise be made again for each of them."""
        key = (id(choice), named)
        hit = self._row_cache.get(key)
        if hit is None:
            hit = self._row_cache[key] = tuple(
                (t.endpoint, t.pod, t.port if t.port is not None else named, t.node)
                for t in choice.targets
            )
        return hit

    def _one_class_hop(
        self,
        source: HopSource,
        member: Member,
        choice: Choice,
        named: int | str | None,
        protocol: str,
    ) -> HopPolicy:
        """The hop of a group whose nodes are one class. When none of them hosts an
        endpoint (every endpoint judged from the class's first node, and none of them its
        own node), its counts and policies are the class's, shared by every such group
        of the choice, and its records are made when read (`Records`)."""
        cls, names, _, memo_key, first3 = member
        first = cls.sources[0] if cls.sources else None
        hosts = self._hosts(choice)
        if (
            first is None
            or first.node is None
            or first.node in hosts
            or not names.isdisjoint(hosts)
            or not hosts.isdisjoint(first3)
        ):
            return hop_policy(source, tuple(self._by_one_class(member, choice, named, protocol)))
        rows = self._rows(choice, named)
        rs, at, by = self._class_verdicts(choice, named, protocol, memo_key, first)
        targets = Records(
            len(rows),
            lambda: _class_records(member, first, rows, rs),
            lambda i: _class_record(member, first, rows[i], rs[i]),
        )
        blocked = Records(
            len(at),
            lambda: tuple([t for t in targets if t.blocked]),
            lambda j: targets[at[j]],
            first3,  # each denied from every node of the group: its first three say so
        )
        return HopPolicy(source, targets, blocked, by, 0 < len(at) == len(rows), False)

    def _hosts(self, choice: Choice) -> frozenset[str | None]:
        """The nodes of a choice's endpoints (once per choice)."""
        hit = self._hosts_of.get(id(choice))
        if hit is None:
            hit = self._hosts_of[id(choice)] = frozenset(t.node for t in choice.targets)
        return hit

    def _class_verdicts(
        self,
        choice: Choice,
        named: int | str | None,
        protocol: str,
        memo_key: tuple[str, int],
        src: Source,
    ) -> tuple[list[object], tuple[int, ...], tuple[ObjectKey, ...]]:
        """Each target's verdict from a node class (asked from ``src`` where not known yet,
        in the targets' order, as `_by_one_class` asks), the indices of those that deny,
        and the denying policies in `hop_policy`'s order: once per (choice, port,
        protocol, class)."""
        k = (id(choice), named, protocol, memo_key)
        hit = self._class_sums.get(k)
        if hit is not None:
            return hit
        rs = self._class_rs.get(k)
        if rs is None:
            rs = self._class_rs[k] = [_UNSET] * len(choice.targets)
        memo = self._memo
        targets = choice.targets
        denied: list[int] = []
        by: dict[ObjectKey, None] = {}
        merged: set[int] = set()
        for i, (_, pod, port, _) in enumerate(self._rows(choice, named)):
            if port is None:
                continue
            r = rs[i]
            if r is _UNSET:
                key = (memo_key, pod, port, protocol)
                r = rs[i] = (
                    memo[key]
                    if key in memo
                    else self.verdict(src, memo_key, targets[i], port, protocol)
                )
            r = cast("Reach | None", r)
            if r is None or r.allowed:
                continue
            denied.append(i)
            for v in (r.egress, r.ingress):  # as `hop_policy` merges them
                if not v.allowed and id(v.policies) not in merged:
                    merged.add(id(v.policies))
                    by.update(dict.fromkeys(v.policies))
        hit = self._class_sums[k] = (rs, tuple(denied), tuple(by))
        return hit

    def _by_one_class(
        self,
        member: Member,
        choice: Choice,
        named: int | str | None,
        protocol: str,
    ) -> list[TargetPolicy]:
        """`_by_nodes` for each target of a group whose nodes are one class (every node
        when no ipBlock tells node addresses apart): the same answers, one loop."""
        cls, names, size, memo_key, first3 = member
        sources = cls.sources
        first = sources[0] if sources else None
        first_node = first.node if first is not None else None
        memo = self._memo
        out: list[TargetPolicy] = []
        append = out.append
        new = tuple.__new__  # TargetPolicy's fields in order, without its keyword defaults
        targets = choice.targets
        # The port's node groups of one ipBlock class share the choice and so each
        # endpoint's verdict: looked up once per (choice, class), not once per group.
        rs = self._class_rs.get((id(choice), named, protocol, memo_key))
        if rs is None:
            rs = self._class_rs[(id(choice), named, protocol, memo_key)] = [_UNSET] * len(targets)
        allowed_all = (None, size, 0, (), None)
        for i, (endpoint, pod, port, node) in enumerate(self._rows(choice, named)):
            if port is None:
                append(new(TargetPolicy, (endpoint, pod, None, 0, 0, (), None)))
                continue
            own = 1 if names and node in names else 0
            src = None
            if size != own and first is not None:
                src = (
                    first
                    if first_node != node
                    else next((s for s in sources if s.node != node), None)
                )
            if src is None:  # only the pod's own node: allowed
                append(new(TargetPolicy, (endpoint, pod, *allowed_all)))
                continue
            got = rs[i]
            if got is _UNSET:
                key = (memo_key, pod, port, protocol)
                if key in memo:
                    r = memo[key]
                else:
                    r = self.verdict(src, memo_key, targets[i], port, protocol)
                rs[i] = r
            else:
                r = cast("Reach | None", got)
            if r is None:
                append(new(TargetPolicy, (endpoint, pod, *allowed_all)))
            elif r.allowed:
                append(new(TargetPolicy, (endpoint, pod, r, size, 0, (), src)))
            else:
                nodes = first3 if node not in first3 else tuple(x for x in first3 if x != node)
                append(new(TargetPolicy, (endpoint, pod, r, size, size - own, nodes, src)))
        return out

    def _keyed(
        self, src: Source
    ) -> tuple[Source, tuple[object, ...], tuple[object, ...], str | None]:
        """A source, the key its own verdicts are memoised by (what `verdict` reads of it),
        the key of its class (`PodClasses`: verdicts its class shares) and, for a node
        source, its node (traffic from a pod's own node always enters)."""
        memo = ("pod", src.pod) if src.kind == "pod" else (src.kind, src.address)
        return src, memo, self.pod_classes.of(src), src.node if src.kind == "node" else None

    def _host_network(self, key: ObjectKey | None) -> bool:
        hit = self._host_net.get(key)
        if hit is None:
            pod = self.snapshot.pod(key)
            hit = self._host_net[key] = pod is not None and pod.host_network
        return hit

    def _by_alike(
        self, one: OneClass, t: Target, port: int | str, protocol: str
    ) -> TargetPolicy | None:
        """`_by_one_source_class` from the verdict the pod shares with its workload
        (`evaluate.alike`), when the hop's sources have no egress policy to judge them (so
        a policy applies only when one selects the pod): the first source's own words,
        with no memo entry per pod. None where that verdict is not shared (the pod on a
        source's node, a named port it does not declare, a pod not in the input)."""
        src, _, _, n, nodes = one
        dst = t.pod
        pod = self.snapshot.pod(dst) if dst is not None else None
        if dst is None or pod is None:
            return None
        try:
            shared = alike(self.index, src, pod, port, protocol)
        except ValueError:
            return None
        if shared is None:
            return None
        if shared.answer is None:  # no policy selects the pod for ingress: none applies
            return TargetPolicy(t.endpoint, dst, None, n, 0, (), None)
        r = shared.made(self.index, src, dst, protocol)
        if r.allowed:
            return TargetPolicy(t.endpoint, dst, r, n, 0, (), src)
        return TargetPolicy(t.endpoint, dst, r, n, n, nodes, src)

    def _by_one_source_class(
        self, one: OneClass, t: Target, port: int | str, protocol: str
    ) -> TargetPolicy:
        """`_by_sources` when every source is of one class and none is a node (so none is
        the pod's own), toward a pod not on the host network: every source gets the
        class's verdict, asked once."""
        src, memo_src, cls, n, nodes = one
        pod = t.pod
        key = (cls, pod, port, protocol)
        memo = self._memo
        r = memo[key] if key in memo else self.verdict(src, cls, t, port, protocol)
        if r is None:
            return TargetPolicy(t.endpoint, pod, None, n, 0, (), None)
        denied = not r.allowed
        decided = r if r.source == src else self.verdict(src, memo_src, t, port, protocol)
        if denied:  # (``decided``: the first source's own words)
            return TargetPolicy(t.endpoint, pod, decided, n, n, nodes, src)
        return TargetPolicy(t.endpoint, pod, decided, n, 0, (), src)

    def _by_sources(
        self,
        keyed: Sequence[tuple[Source, tuple[object, ...], tuple[object, ...], str | None]],
        t: Target,
        port: int | str,
        protocol: str,
    ) -> TargetPolicy:
        """``keyed``: as `_keyed` gives. Each source is judged by its class's verdict (one
        evaluation per class); the deciding source's own verdict is then asked for, so its
        words (which name the source) are its own."""
        decided: Reach | None = None
        decided_src: Source | None = None
        decided_key: tuple[object, ...] = ()
        n = blocked = 0
        nodes: list[str] = []
        memo = self._memo
        pod, node = t.pod, t.node
        # Toward a hostNetwork pod the source's node matters (egress to one's own node).
        shared = not self._host_network(pod)
        for src, memo_src, cls, own in keyed:
            n += 1
            if own is not None and own == node:
                continue  # from the pod's own node: always allowed
            mkey = cls if shared else memo_src
            key = (mkey, pod, port, protocol)
            r = memo[key] if key in memo else self.verdict(src, mkey, t, port, protocol)
            if r is None:
                continue
            if not r.allowed:
                blocked += 1
                if src.node and len(nodes) < 3:
                    nodes.append(src.node)
                if decided is None or decided.allowed:
                    decided, decided_src, decided_key = r, src, memo_src
            elif decided is None:
                decided, decided_src, decided_key = r, src, memo_src
        if decided is not None and decided.source != decided_src:
            assert decided_src is not None
            decided = self.verdict(decided_src, decided_key, t, port, protocol)
        return TargetPolicy(t.endpoint, pod, decided, n, blocked, tuple(nodes), decided_src)

    def _by_nodes(
        self,
        classes: Sequence[Member],
        t: Target,
        port: int | str,
        protocol: str,
    ) -> TargetPolicy:
        """``classes``: each node class, its nodes as a set when the group lists them (else
        empty: a `Members` bucket holds no endpoint's node), its size, its memo key and its
        first three nodes."""
        decided: Reach | None = None
        decided_src: Source | None = None
        n = blocked = 0
        nodes: list[str] = []
        node = t.node
        for cls, names, size, memo, first3 in classes:
            own = 1 if node is not None and node in names else 0
            n += size
            if size == own or not cls.sources:
                continue  # only the pod's own node: allowed
            first = cls.sources[0]
            src = (
                first
                if first.node != node
                else next((s for s in cls.sources if s.node != node), None)
            )
            if src is None:
                continue
            r = self.verdict(src, memo, t, port, protocol)
            if r is None:
                continue
            if not r.allowed:
                blocked += size - own
                nodes.extend(first3 if node not in first3 else [x for x in first3 if x != node])
                if decided is None or decided.allowed:
                    decided, decided_src = r, src
            elif decided is None:
                decided, decided_src = r, src
        return TargetPolicy(t.endpoint, t.pod, decided, n, blocked, tuple(nodes[:3]), decided_src)


def _class_records(
    member: Member,
    src: Source,
    rows: Sequence[tuple[str, ObjectKey | None, int | str | None, str | None]],
    rs: Sequence[object],
) -> tuple[TargetPolicy, ...]:
    """`_Judge._by_one_class`'s records for a group none of whose nodes hosts an endpoint,
    from the class's verdicts (every one known): each endpoint judged from ``src``, the
    class's first node, and denied (if at all) from every node of the group."""
    _, _, size, _, first3 = member
    new = tuple.__new__  # TargetPolicy's fields in order, without its keyword defaults
    out: list[TargetPolicy] = []
    append = out.append
    for (endpoint, pod, port, _), got in zip(rows, rs, strict=True):
        r = cast("Reach | None", got)
        if port is None:
            append(new(TargetPolicy, (endpoint, pod, None, 0, 0, (), None)))
        elif r is None:
            append(new(TargetPolicy, (endpoint, pod, None, size, 0, (), None)))
        elif r.allowed:
            append(new(TargetPolicy, (endpoint, pod, r, size, 0, (), src)))
        else:
            append(new(TargetPolicy, (endpoint, pod, r, size, size, first3, src)))
    return tuple(out)


def _class_record(
    member: Member,
    src: Source,
    row: tuple[str, ObjectKey | None, int | str | None, str | None],
    got: object,
) -> TargetPolicy:
    """One of `_class_records`' records, made alone."""
    return _class_records(member, src, (row,), (got,))[0]


#: `_Judge._by_one_source_class`'s sources: the first, its own memo key, the class's key,
#: how many and the first three's nodes.
OneClass = tuple[Source, tuple[object, ...], tuple[object, ...], int, tuple[str, ...]]


def _one_class(
    keyed: Sequence[tuple[Source, tuple[object, ...], tuple[object, ...], str | None]],
) -> OneClass | None:
    """The hop's sources as one class, when they are (else None)."""
    if not keyed or any(own is not None for *_, own in keyed):
        return None
    src, memo_src, cls, _ = keyed[0]
    if any(c != cls for _, _, c, _ in keyed):
        return None
    nodes = tuple([s.node for s, *_ in keyed if s.node][:3])
    return src, memo_src, cls, len(keyed), nodes


#: A node class as the node-source loops read it: the class, its nodes as a set when the
#: group lists them (else empty: a `Members` bucket holds no endpoint's node), its size,
#: its memo key and its first three nodes.
Member = tuple[NodeClass, frozenset[str], int, tuple[str, int], tuple[str, ...]]


def _members(classes: Sequence[NodeClass], listed: bool) -> list[Member]:
    """Each class's nodes as a set, once per hop (not once per endpoint): whether an
    endpoint's own node is among them; its memo key and first few names too."""
    return [
        (
            c,
            frozenset(c.nodes) if listed else frozenset(),
            len(c.nodes) or 1,  # "other nodes (not in the input)": one source
            ("sig", c.signature),
            tuple(c.nodes[:3]),  # (a `Members` bucket is not listed for them)
        )
        for c in classes
    ]


#: Entry kinds whose source differs from the other ways in from outside.
_OWN_SOURCE = frozenset(
    {EntryKind.CLUSTER_IP, EntryKind.HEADLESS, EntryKind.EXTERNAL_NAME, EntryKind.INGRESS}
)


def attach_policies(
    snapshot: Snapshot,
    paths: Iterable[Path],
    policies: Sequence[NetworkPolicy],
    client: Client,
    targets: Mapping[ObjectKey, Sequence[Target]],
) -> list[Path]:
    """Every path with its `PathPolicy` (``Path.netpol``). ``targets``: each Service's
    endpoints (for the proxy pods of ingress controllers and gateways)."""
    judge = _Judge(snapshot, policies, client)
    sources: dict[tuple[object, ...], HopSource] = {}
    out = []
    for p in paths:
        kind = p.entry.kind if p.entry.kind in _OWN_SOURCE else "outside"
        key = (
            kind,
            p.via,
            p.policy,
            p.entry.ingress.controller.service if p.entry.ingress else None,
            p.entry.gateway.infra if p.entry.gateway else None,
        )
        src = sources.get(key)
        if src is None:
            src = sources[key] = hop_source(snapshot, p, client, targets)
        if src.kind == "none":
            out.append(p._replace(netpol=PathPolicy(client, src, (None,) * len(p.groups), None)))
            continue
        direct = judge.hop(p, src, None, p.direct) if p.direct is not None else None
        groups = tuple(judge.hop(p, src, g, g.choice) for g in p.groups)
        out.append(p._replace(netpol=PathPolicy(client, src, groups, direct)))
    return out
