"""Findings about NetworkPolicy on the paths (KP520–KP523). Pure.

- KP520: a hop whose every endpoint a policy denies from the hop's real source; the message
  names the policy, what its rules allow (the rule that would have to change) and the
  source address used;
- KP521: a hop some of whose endpoints, or entry nodes, are denied;
- KP522: a policy that selects no pod (it isolates nothing, often a typo in a label);
- KP523: a Service every evaluated hop of which is blocked: unreachable from every source
  kpath considers (said once instead of a KP520 per hop).
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from itertools import compress
from operator import attrgetter, not_

from kpath.cluster.labels import LabelsIndex, selects
from kpath.cluster.netpol import IPBlock, NetworkPolicy, PolicyPeer, PolicyRule
from kpath.cluster.records import LabelSelector, ObjectKey, Pod
from kpath.cluster.snapshot import Snapshot
from kpath.routing.findings import Finding, Severity
from kpath.routing.kubeproxy import Target
from kpath.routing.paths import Path
from kpath.routing.policy.index import INGRESS, PolicyIndex, policy_index
from kpath.routing.policy.onpaths import HopPolicy, TargetPolicy


def selector_text(sel: LabelSelector) -> str:
    parts = [f"{k}={v}" for k, v in sel.match_labels]
    for req in sel.match_expressions:
        values = f" ({','.join(req.values)})" if req.values else ""
        parts.append(f"{req.key} {req.operator}{values}")
    return ",".join(parts)


def peer_text(peer: PolicyPeer, namespace: str) -> str:
    if peer.ip_block is not None:
        b = peer.ip_block
        return b.cidr + (f" except {', '.join(b.excepts)}" if b.excepts else "")
    pods = ns = ""
    if peer.pod_selector is not None:
        sel = selector_text(peer.pod_selector)
        pods = f"pods {sel}" if sel else "all pods"
    if peer.namespace_selector is not None:
        sel = selector_text(peer.namespace_selector)
        ns = f"namespaces {sel}" if sel else "all namespaces"
        return f"{pods} in {ns}" if pods else f"pods in {ns}"
    return f"{pods or 'all pods'} of {namespace}"


def rule_text(rule: PolicyRule, namespace: str) -> str:
    peers = ", ".join(peer_text(p, namespace) for p in rule.peers) or "every source"
    if not rule.ports:
        return peers
    ports = ", ".join(
        f"{p.protocol} {p.port if p.port is not None else 'any'}"
        + (f"-{p.end_port}" if p.end_port is not None else "")
        for p in rule.ports
    )
    return f"{peers} on {ports}"


def policy_allows(pol: NetworkPolicy, direction: str) -> str:
    """What one direction of a policy lets through, in words: the rule to change."""
    rules = pol.ingress if direction == "ingress" else pol.egress
    if not rules:
        return f"{pol.key} allows no {direction} (deny all)"
    return f"{pol.key} allows only " + "; ".join(rule_text(r, pol.namespace) for r in rules)


def _why(t: TargetPolicy, by_key: dict[ObjectKey, NetworkPolicy]) -> str:
    r = t.reach
    if r is None:
        return "denied"
    parts = []
    for direction, v in (("egress", r.egress), ("ingress", r.ingress)):
        if v.allowed:
            continue
        texts = [policy_allows(by_key[k], direction) if k in by_key else str(k) for k in v.policies]
        parts.append("; ".join(texts) if texts else v.reason)
    return "; ".join(parts)


def _source_text(hop: HopPolicy, t: TargetPolicy) -> str:
    src = t.source
    addr = src.address if src is not None and src.address else "?"
    if hop.source.kind == "node":
        where = f"at {src.node} " if src is not None and src.node else ""
        nodes = ""
        if t.partial:
            nodes = f" ({t.blocked} of {t.sources} entry nodes)"
        return f"{where}traffic arrives SNATed to {addr}{nodes} ({hop.source.note})"
    if hop.source.kind == "pods" and src is not None:
        return f"traffic comes from {src.label()} at {addr} ({hop.source.note})"
    return f"traffic comes from {addr} ({hop.source.note})"


def _from_some(hp: HopPolicy) -> str:
    if not hp.partial:
        return ""
    return " from some entry nodes" if hp.source.kind == "node" else " from some sources"


def _hop_where(path: Path, index: int | None, ways: int) -> str:
    port = path.port.label() if path.port else "?"
    more = f" (and {ways - 1} more way{'s' if ways > 2 else ''} in)" if ways > 1 else ""
    where = f"{path.service} {port} via {path.entry.label()}{more}"
    if index is not None and index < len(path.groups):
        g = path.groups[index]
        names = f" ({', '.join(g.nodes)})" if 1 < len(g.nodes) <= 3 else ""
        where += f" at {g.label()}{names}"
    return where


def policy_findings(
    snapshot: Snapshot,
    paths: Sequence[Path],
    policies: Sequence[NetworkPolicy],
    targets: Mapping[ObjectKey, Sequence[Target]] | None = None,
) -> Iterator[Finding]:
    by_key = {p.key: p for p in policies}
    _BLOCKS.clear()
    _RULES.clear()
    _POD_IPS.clear()
    _SORTED_IPS.clear()
    _ALIKE.clear()
    _OPEN.clear()
    _REACHED.clear()
    _WHY.clear()
    _SAME.clear()
    _LABEL_SETS.clear()
    _NAMESPACES.clear()
    _HAS_POD.clear()
    yield from unselecting_findings(snapshot, policies)
    # Each hop once: a LoadBalancer, its NodePort and externalIPs share their node groups.
    hops: dict[int, tuple[Path, int | None, HopPolicy]] = {}
    ways: dict[int, int] = {}
    per_service: dict[ObjectKey, list[HopPolicy]] = {}
    for p in paths:
        netpol = p.netpol
        if netpol is None or not netpol.evaluated:
            continue
        # The direct hop (index -1 here, None in `hops`), then each node group's.
        for at, hp in enumerate((netpol.direct, *netpol.groups), -1):
            if hp is None or not hp.targets:
                continue
            k = id(hp)
            n = ways.get(k)
            if n is None:  # its first path: the one its findings name
                ways[k] = 1
                hops[k] = (p, at if at >= 0 else None, hp)
            else:
                ways[k] = n + 1
            per_service.setdefault(p.service, []).append(hp)
    # The Services with some evaluated hop that has endpoints: those `per_service` holds.
    judged = per_service.keys()
    # Unreachable from everywhere: every judged hop blocked, and no pod of the cluster
    # admitted either (an internal client may still reach it otherwise).
    index = policy_index(snapshot)
    dead = {
        svc
        for svc, hps in per_service.items()
        if all(h.all_blocked for h in hps)
        and not _admits_a_pod(snapshot, index, (targets or {}).get(svc, ()))
    }
    # Internal Services: one finding each, or one per namespace and reason when many share
    # it (a namespace's default deny with no allow for them).
    internal: dict[tuple[str, str], list[ObjectKey]] = {}
    for svc, why in _internal_dead(snapshot, targets or {}, judged, by_key):
        internal.setdefault((svc.namespace, why), []).append(svc)
    for (ns, why), svcs in internal.items():
        if len(svcs) <= 3:
            for svc in svcs:
                yield Finding(
                    "KP523",
                    Severity.ERROR,
                    f"{svc} is unreachable from every source kpath considers: {why}",
                    service=svc,
                )
            continue
        shown = ", ".join(str(k) for k in svcs[:3])
        yield Finding(
            "KP523",
            Severity.ERROR,
            f"{len(svcs)} Services in {ns} are unreachable from every source kpath "
            f"considers ({shown} and {len(svcs) - 3} more): {why}",
        )
    for svc in sorted(dead):
        hps = per_service[svc]
        names = ", ".join(str(k) for k in dict.fromkeys(k for h in hps for k in h.blocked_by))
        first = hps[0].blocked[0]
        yield Finding(
            "KP523",
            Severity.ERROR,
            f"{svc} is unreachable from every source kpath considers: blocked by "
            f"policy {names}: {_why(first, by_key)}; {_source_text(hps[0], first)}",
            service=svc,
        )
    # One finding per service port, source and policies, however many node groups share
    # it: a Service blocked under Cluster policy is blocked at every zone's group at once.
    merged: dict[
        tuple[ObjectKey, str | None, int, tuple[ObjectKey, ...]],
        list[tuple[Path, int | None, HopPolicy]],
    ] = {}
    for p, i, hp in hops.values():
        if hp.allowed or p.service in dead:
            continue
        key = (p.service, p.port.label() if p.port else None, id(hp.source), hp.blocked_by)
        merged.setdefault(key, []).append((p, i, hp))
    for (svc, port, _, by), items in merged.items():
        # Blocked hops first: a KP520 also counts the hops blocked only in part.
        whole = [x for x in items if x[2].all_blocked]
        part = [x for x in items if not x[2].all_blocked]
        p, i, hp = (whole or part)[0]
        t = hp.blocked[0]
        nodes = _first_nodes(whole or part, 8)
        names = ", ".join(str(k) for k in by)
        if whole:
            also = ""
            if part:
                groups = sum(1 for _, j, _ in part if j is not None)
                also = f" (and partly at {groups} more node group{'s' if groups != 1 else ''})"
            yield Finding(
                "KP520",
                Severity.ERROR,
                f"{_where_all(whole, ways[id(hp)])}{also}: blocked by policy {names}: "
                f"{_why(t, by_key)}; {_source_text(hp, t)}",
                service=svc,
                nodes=nodes,
                port=port,
            )
        else:
            counts = f"{len(hp.blocked)} of {len(hp.targets)} endpoints"
            if len(part) > 1:
                counts = "endpoints"
            yield Finding(
                "KP521",
                Severity.WARNING,
                f"{_where_all(part, ways[id(hp)])}: {counts} blocked{_from_some(hp)} "
                f"by policy {names}: {_why(t, by_key)}; {_source_text(hp, t)}",
                service=svc,
                nodes=nodes,
                port=port,
            )


def _first_nodes(
    items: Sequence[tuple[Path, int | None, HopPolicy]], limit: int
) -> tuple[str, ...]:
    """The first ``limit`` distinct nodes the hops' blocked endpoints were denied at."""
    found: dict[str, None] = {}
    for _, _, h in items:
        # A hop's first ``limit`` are enough: the rest come after them in the merged order.
        found.update(dict.fromkeys(h.denied_at(limit)))
        if len(found) >= limit:
            return tuple(found)[:limit]
    return tuple(found)


def _where_all(items: Sequence[tuple[Path, int | None, HopPolicy]], ways: int) -> str:
    """The hops of one finding: one node group by name, several counted."""
    p, i, _ = items[0]
    if len(items) == 1:
        return _hop_where(p, i, ways)
    where = _hop_where(p, None, ways)
    groups = [p.groups[j] for p, j, _ in items if j is not None and j < len(p.groups)]
    total = sum(len(g.nodes) for g in groups)
    return f"{where} at {len(groups)} node groups ({total} nodes)"


def _internal_dead(
    snapshot: Snapshot,
    targets: Mapping[ObjectKey, Sequence[Target]],
    judged: Container[ObjectKey],
    by_key: Mapping[ObjectKey, NetworkPolicy],
) -> Iterator[tuple[ObjectKey, str]]:
    """Services with no judged way in whose every pod denies every pod of the cluster (and
    every address: no rule names an ipBlock or allows every source). Traffic from a pod's
    own node still enters, as it always does."""
    index = policy_index(snapshot)
    for svc in sorted(targets):
        if svc in judged:
            continue
        # None also when some answer has a rule open to every source or to some address
        # outside the cluster: the Service is passed over either way.
        selecting = _selecting(snapshot, index, targets[svc], skip_open=True)
        if selecting is None:
            continue  # some pod is open to everyone, or cannot be judged
        if _some_pod_reaches(snapshot, selecting):
            continue
        yield svc, _no_pod_why(selecting, by_key)


def _no_pod_why(selecting: Selected, by_key: Mapping[ObjectKey, NetworkPolicy]) -> str:
    """Why no pod may connect: the policies of the distinct answers, and what the first
    endpoint's first policy allows. Services selected alike share it: made once per call."""
    # Pods labelled alike share one answer of the index: each answer once.
    distinct = list({id(sel): sel for sel, _, _ in selecting}.values())
    key = tuple(map(id, distinct))  # the index keeps its answers alive
    hit = _WHY.get(key)
    if hit is None:
        names = sorted({str(pol.key) for sel in distinct for pol in sel})
        first_policies, _, _ = selecting[0]  # the first endpoint's
        first = by_key.get(first_policies[0].key)
        allows = policy_allows(first, "ingress") if first is not None else ""
        hit = f"no pod of the cluster may connect (policies {', '.join(names)}): {allows}"
        _WHY[key] = hit
    return hit


#: What `_selecting` gives: each distinct (ingress policies selecting an endpoint's pod,
#: port) of a Service's endpoints, with the first such endpoint's pod, in their order.
Selected = list[tuple[tuple[NetworkPolicy, ...], int, Pod]]

#: Per `policy_findings` call (cleared at its start): id of an ingress answer of the index
#: -> (that answer, the first answer holding just its policies); answer id -> (answer,
#: whether some rule of it allows every source or names an ipBlock); (answer id, port) ->
#: whether some pod reaches it; distinct answers' ids -> `_no_pod_why`'s text. The index
#: keeps its answers alive, so their ids name them for the call.
_ALIKE: dict[int, tuple[tuple[NetworkPolicy, ...], tuple[NetworkPolicy, ...]]] = {}
_OPEN: dict[int, tuple[tuple[NetworkPolicy, ...], bool]] = {}
_REACHED: dict[tuple[int, int], bool] = {}
_WHY: dict[tuple[int, ...], str] = {}
#: Per call: the ids of an answer's policies -> the first answer holding just those.
_SAME: dict[tuple[int, ...], tuple[NetworkPolicy, ...]] = {}

# Pod fields read of every pod at C speed (`_pod_ips`, `_label_sets`).
_POD_IP = attrgetter("ip")
_POD_LABELS = attrgetter("labels")
_POD_HOST_NETWORK = attrgetter("host_network")


def _is_open(sel: tuple[NetworkPolicy, ...]) -> bool:
    """Whether some ingress rule of the policies allows every source or names an ipBlock."""
    hit = _OPEN.get(id(sel))
    if hit is None:
        hit = _OPEN[id(sel)] = (
            sel,
            any(
                not r.peers or any(x.ip_block is not None for x in r.peers)
                for pol in sel
                for r in pol.ingress
            ),
        )
    return hit[1]


def _selecting(
    snapshot: Snapshot, index: PolicyIndex, targets: Sequence[Target], skip_open: bool = False
) -> Selected | None:
    """The ingress policies selecting the endpoints' pods, once per (policies, port) with
    the first pod asking; None when no target has a pod and a port, or some pod is open
    (no policy selects it), uses the host network, or is not known, or (``skip_open``)
    some answer has a rule that `_is_open`. Targets without a pod or a port are left out.
    ``index``: the snapshot's `policy_index`, fetched once by the caller."""
    get = snapshot.pods.get
    out: Selected = []
    # Which policies select a pod depends on its namespace and labels only, and replicas
    # share one labels mapping: asked once per mapping and call. Endpoints come in runs of
    # one workload and port: a run asks nothing again. Every endpoint is still looked at:
    # any may be unknown or on the host network, which makes the answer None.
    labels: object = None
    ns = ""
    sel: tuple[NetworkPolicy, ...] = ()
    last: tuple[NetworkPolicy, ...] | None = None
    last_port = -1
    for t in targets:
        key, port = t.pod, t.port
        if key is None or port is None:
            continue
        pod = get(key)
        if pod is None or pod.host_network:
            return None
        if pod.labels is not labels or pod.namespace != ns:
            labels, ns = pod.labels, pod.namespace
            raw = index.selecting(pod, INGRESS)  # (asked once per labels mapping)
            held = _ALIKE.get(id(raw))
            if held is None:
                # Answers holding the same policies are one: the index keeps one per
                # label values its selectors read, and many carry just a namespace's
                # default deny. Walking such an answer twice would say nothing new.
                held = _ALIKE[id(raw)] = (raw, _SAME.setdefault(tuple(map(id, raw)), raw))
            hit = held[1]
            if not hit or (skip_open and _is_open(hit)):
                return None
            sel = hit
        if sel is last and port == last_port:
            continue
        last, last_port = sel, port
        # A Service's endpoints make one or two such pairs: a scan of them, not a set.
        for seen, seen_port, _ in out:
            if seen is sel and seen_port == port:
                break
        else:
            out.append((sel, port, pod))
    return out or None


def _admits_a_pod(snapshot: Snapshot, index: PolicyIndex, targets: Sequence[Target]) -> bool:
    selecting = _selecting(snapshot, index, targets)
    return selecting is None or _some_pod_reaches(snapshot, selecting)


#: (snapshot id, block) -> whether the block holds some pod's IP: computed once per block
#: per `policy_findings` call (the dict is cleared at its start).
_BLOCKS: dict[tuple[int, IPBlock], bool] = {}


def _block_holds_a_pod(snapshot: Snapshot, block: IPBlock, dest: object) -> bool:
    key = (id(snapshot), block)
    if key not in _BLOCKS:
        _BLOCKS[key] = _scan_block(snapshot, block)
    return _BLOCKS[key]


def _scan_block(snapshot: Snapshot, block: IPBlock) -> bool:
    """Whether some pod's IPv4 address (not a hostNetwork one) lies in the block. (The
    destination pod itself may be the one: it then reaches itself, which a Service also
    allows.) Other address families: cannot tell, so yes."""
    import ipaddress
    from bisect import bisect_left

    try:
        net = ipaddress.ip_network(block.cidr, strict=False)
        excepts = [ipaddress.ip_network(e, strict=False) for e in block.excepts]
    except ValueError:
        return True  # cannot tell
    if net.version != 4:
        return True
    base, mask = int(net.network_address), int(net.netmask)
    outs = [(int(e.network_address), int(e.netmask)) for e in excepts if e.version == 4]
    found = _packed_holds(_pod_ips(snapshot), base, mask, net.prefixlen, outs)
    if found is not None:
        return found
    ips = _sorted_pod_ips(snapshot)  # sorted: the block's addresses are one run of them
    last = int(net.broadcast_address)
    for i in range(bisect_left(ips, base), len(ips)):
        ip = ips[i]
        if ip > last:
            return False
        if ip & mask == base and not any(ip & m == b for b, m in outs):
            return True
    return False


def _packed_holds(
    packed: bytes,
    base: int,
    mask: int,
    prefix: int,
    outs: Sequence[tuple[int, int]],
    limit: int = 256,
) -> bool | None:
    """Whether some 4-byte address of ``packed`` lies in the block ``base``/``mask`` (of
    ``prefix`` bits) and in none of ``outs`` (base, mask): its leading whole bytes are
    looked for with bytes.find (C speed, no sort), hits not on an address's first byte
    skipped. None when the prefix is shorter than a byte, or after ``limit`` hits decided
    nothing (misaligned ones, or addresses excepted): the caller then asks the sorted list."""
    if prefix < 8:
        return None
    lead = base.to_bytes(4, "big")[: prefix // 8]
    i = packed.find(lead)
    tries = 0
    while i >= 0:
        tries += 1
        if tries > limit:
            return None
        off = i & 3
        if off:  # inside some address: go on from the next one
            i = packed.find(lead, i - off + 4)
            continue
        ip = int.from_bytes(packed[i : i + 4], "big")
        if ip & mask == base and not any(ip & m == b for b, m in outs):
            return True
        i = packed.find(lead, i + 4)
    return False


#: snapshot id -> its non-hostNetwork pods' IPv4 addresses, packed 4 bytes each in the
#: pods' order; snapshot id -> the same as sorted integers, made only for a block
#: `_packed_holds` does not decide. One snapshot's at a time, cleared per call.
_POD_IPS: dict[int, bytes] = {}
_SORTED_IPS: dict[int, list[int]] = {}


def _pod_ips(snapshot: Snapshot) -> bytes:
    """Every non-hostNetwork pod's IPv4 address, packed, parsed once per call."""
    import socket

    key = id(snapshot)
    if key not in _POD_IPS:
        pods = snapshot.pods.values()
        # The addresses of pods off the host network, empty ones dropped, gathered at C
        # speed (150,000 pods: a comprehension cost as much as parsing them). An IPv6 one
        # fails `inet_aton` like any text that is no IPv4 address.
        texts = list(
            filter(None, compress(map(_POD_IP, pods), map(not_, map(_POD_HOST_NETWORK, pods))))
        )
        try:  # every address at once (150,000 pods: a third of the per-address loop)
            packed = b"".join(map(socket.inet_aton, texts))
        except (OSError, ValueError):  # some text is no address: each one that is
            texts = [text for text in texts if ":" not in text]
            parts = []
            for text in texts:
                try:
                    parts.append(socket.inet_aton(text))
                except OSError:
                    continue
            packed = b"".join(parts)
        _POD_IPS.clear()
        _POD_IPS[key] = packed
    return _POD_IPS[key]


def _sorted_pod_ips(snapshot: Snapshot) -> list[int]:
    """`_pod_ips` as integers, sorted."""
    import struct

    key = id(snapshot)
    if key not in _SORTED_IPS:
        packed = _pod_ips(snapshot)
        _SORTED_IPS.clear()
        _SORTED_IPS[key] = sorted(struct.unpack(f">{len(packed) // 4}I", packed))
    return _SORTED_IPS[key]


def _some_pod_reaches(snapshot: Snapshot, selecting: Selected) -> bool:
    """Whether some pod of the cluster matches a rule (peers and port) of the policies
    selecting some endpoint. Direct, without the evaluator: only namespaces a peer names
    are looked into, once per rule and port. Namespaces not read: cannot tell, so
    reachable (nothing is said)."""
    sid = id(snapshot)
    for pols, port, dest in selecting:
        # Each (answer, port) walked once per call: walking it again would meet only rules
        # this walk answered (up to its first yes), so it would say the same.
        ak = (id(pols), port)
        reached = _REACHED.get(ak)
        if reached is None:
            reached = _REACHED[ak] = _answer_reaches(snapshot, sid, pols, port, dest)
        if reached:
            return True
    return False


def _answer_reaches(
    snapshot: Snapshot, sid: int, pols: tuple[NetworkPolicy, ...], port: int, dest: Pod
) -> bool:
    for pol in pols:
        for ri, rule in enumerate(pol.ingress):
            key = (sid, id(pol), ri, port)  # the snapshot holds the policy
            hit = _RULES.get(key)
            if hit is None:
                hit = _RULES[key] = _rule_admits_a_pod(snapshot, pol, rule, dest, port)
            if hit:
                return True
    return False


#: (snapshot id, policy id, rule index, port) -> whether the rule admits some pod; cleared
#: with `_BLOCKS` at the start of each `policy_findings` call.
_RULES: dict[tuple[object, ...], bool] = {}


def _rule_admits_a_pod(
    snapshot: Snapshot, pol: NetworkPolicy, rule: PolicyRule, dest: Pod, port: int
) -> bool:
    from kpath.routing.policy.ports import PROTOCOLS, ports_match

    if not any(ports_match(rule.ports, dest, port, proto) for proto in PROTOCOLS):
        return False
    for peer in rule.peers:
        if peer.ip_block is not None:
            if _block_holds_a_pod(snapshot, peer.ip_block, dest):
                return True  # ipBlocks match pod IPs, as upstream's tests say
            continue
        if peer.namespace_selector is None:
            names: Sequence[str] = (pol.namespace,)
        elif "Namespace" not in snapshot.kinds_seen:
            return True  # cannot tell
        else:
            names = _selected_namespaces(snapshot, peer.namespace_selector)
        if any(_has_pod(snapshot, name, peer.pod_selector) for name in names):
            return True
    return False


#: (snapshot id, namespace selector) -> the namespaces it selects; (snapshot id, namespace,
#: pod selector) -> whether a pod there matches. Rules repeat their peers across policies
#: (a team's namespaces, the ingress controller's): each is matched once per call. Cleared
#: with `_BLOCKS` at the start of each `policy_findings` call.
_NAMESPACES: dict[tuple[int, LabelSelector], tuple[str, ...]] = {}
_HAS_POD: dict[tuple[int, str, LabelSelector | None], bool] = {}


def _selected_namespaces(snapshot: Snapshot, selector: LabelSelector) -> tuple[str, ...]:
    key = (id(snapshot), selector)
    hit = _NAMESPACES.get(key)
    if hit is None:
        hit = _NAMESPACES[key] = tuple(
            n for n, ns in snapshot.namespaces.items() if selects(selector, ns.labels)
        )
    return hit


def _has_pod(snapshot: Snapshot, namespace: str, selector: LabelSelector | None) -> bool:
    """Whether some non-hostNetwork pod of the namespace matches ``selector`` (None: any)."""
    key = (id(snapshot), namespace, selector)
    hit = _HAS_POD.get(key)
    if hit is None:
        sets = _label_sets(snapshot, namespace)
        hit = _HAS_POD[key] = bool(sets) and (selector is None or sets.any_selected(selector))
    return hit


#: (snapshot id, namespace) -> the distinct label sets of its non-hostNetwork pods; cleared
#: with `_BLOCKS` at the start of each `policy_findings` call.
_LABEL_SETS: dict[tuple[int, str], LabelsIndex] = {}


def _label_sets(snapshot: Snapshot, namespace: str) -> LabelsIndex:
    """A namespace's pods' label sets, each once: a selector matches a pod exactly when it
    matches its labels, and replicas share theirs."""
    key = (id(snapshot), namespace)
    hit = _LABEL_SETS.get(key)
    if hit is None:
        # Keyed by the labels' identity (the decoder shares one mapping between pods
        # labelled alike; the pods keep them alive): a set held twice changes no answer.
        pods = snapshot.pods_by_namespace.get(namespace, ())
        if any(map(_POD_HOST_NETWORK, pods)):
            pods = tuple(compress(pods, map(not_, map(_POD_HOST_NETWORK, pods))))
        sets = list(map(_POD_LABELS, pods))  # at C speed: a namespace may hold 10,000 pods
        hit = _LABEL_SETS[key] = LabelsIndex(
            tuple(dict(zip(map(id, sets), sets, strict=True)).values())
        )
    return hit


def unselecting_findings(
    snapshot: Snapshot, policies: Iterable[NetworkPolicy]
) -> Iterator[Finding]:
    """KP522: policies whose podSelector matches no pod (said only when Pods were read)."""
    if "Pod" not in snapshot.kinds_seen:
        return
    # A selector is matched against each distinct label set of a namespace's pods once
    # (replicas share theirs), and each (namespace, selector) once however many policies
    # carry it.
    seen: dict[tuple[str, object], bool] = {}
    for pol in policies:
        sets = _label_sets(snapshot, pol.namespace)
        k = (pol.namespace, pol.pod_selector)
        hit = seen.get(k)
        if hit is None:
            hit = seen[k] = sets.any_selected(pol.pod_selector)
        if not hit:
            sel = selector_text(pol.pod_selector) or "(every pod)"
            yield Finding(
                "KP522",
                Severity.WARNING,
                f"NetworkPolicy {pol.key} selects no pod (podSelector {sel} in "
                f"{pol.namespace}): it isolates nothing",
            )
