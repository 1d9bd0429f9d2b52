"""The lab's own reading of NetworkPolicy (networking.k8s.io/v1): may this connection pass?

Pure functions over the API's raw objects (policies, namespaces, pods as dicts). This is a
deliberately separate implementation from kpath's: it must not import kpath's routing
package, so that a probe through the lab can catch a wrong prediction.

What it implements, as the API reference defines it and Kubernetes' e2e NetworkPolicy
tests check it:

- a pod is isolated for a direction when any policy of its namespace selects it and has
  that type; `policyTypes` defaults to ``[Ingress]``, plus ``Egress`` when the policy has
  egress rules;
- an isolated pod accepts a connection when some selecting policy has a rule whose peers
  and ports both match (no peers: every peer; no ports: every port); a connection passes
  when the source's egress and the destination's ingress both allow it;
- peers: podSelector (pods of the policy's namespace), namespaceSelector (pods of the
  namespaces whose labels match, ``kubernetes.io/metadata.name`` included), both (pods
  matching both), ipBlock with except; CIDRs are read as the API server stored them,
  host bits masked (``10.1.2.3/8`` is 10.0.0.0/8);
- ports by number (with endPort ranges), by name (the destination pod's container port of
  that name and protocol), by protocol only; the protocol defaults to TCP.

Where the API leaves the choice to the network plugin, the lab does what upstream's tests
expect and most plugins do:

- traffic from a pod's own node (its status.hostIP) is always allowed in, and a pod may
  always reach its own node;
- an ipBlock matches pod IPs too;
- hostNetwork pods are node traffic: policies do not select them, pod selectors do not
  match them (only an ipBlock holding their node's address does);
- a peer with no field set (which the API rejects) and an unknown selector operator match
  nothing; an unparsable CIDR matches nothing.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Obj = Mapping[str, Any]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

NAME_LABEL = "kubernetes.io/metadata.name"


# ------------------------------------------------------------------------- selectors
def selector_matches(selector: Obj | None, labels: Mapping[str, str]) -> bool:
    """A LabelSelector against labels: matchLabels and matchExpressions all hold; the
    empty selector matches everything. None (a selector not given) matches nothing."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op = expr.get("key"), expr.get("operator")
        values = expr.get("values") or []
        have = labels.get(key) if isinstance(key, str) else None
        if op == "In":
            ok = have is not None and have in values
        elif op == "NotIn":
            ok = have is None or have not in values  # an absent key is "not in"
        elif op == "Exists":
            ok = have is not None
        elif op == "DoesNotExist":
            ok = have is None
        else:
            ok = False  # the API rejects other operators; match nothing rather than all
        if not ok:
            return False
    return True


def _labels(obj: Obj | None) -> dict[str, str]:
    return dict(((obj or {}).get("metadata") or {}).get("labels") or {})


def _ns(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("namespace") or "default")


def host_network(pod: Obj) -> bool:
    return bool((pod.get("spec") or {}).get("hostNetwork"))


def pod_ip(pod: Obj) -> str | None:
    ip = (pod.get("status") or {}).get("podIP")
    return str(ip) if ip else None


def _host_ip(pod: Obj) -> str | None:
    ip = (pod.get("status") or {}).get("hostIP")
    return str(ip) if ip else None


# ------------------------------------------------------------------------- addresses
def network(cidr: Any) -> Network | None:
    """A CIDR as the API server stored it, host bits masked; None when unparsable."""
    if not isinstance(cidr, str):
        return None
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return None


@functools.lru_cache(maxsize=1 << 16)
def _address(ip: str | None) -> Address | None:
    if not ip:
        return None
    try:
        return ipaddress.ip_address(ip)
    except ValueError:
        return None


@dataclass(frozen=True)
class _Block:
    cidr: Network
    excepts: tuple[Network, ...]

    def holds(self, ip: Address | None) -> bool:
        if ip is None or ip.version != self.cidr.version or ip not in self.cidr:
            return False
        return not any(ip.version == e.version and ip in e for e in self.excepts)


# ------------------------------------------------------------------------- policies
@dataclass(frozen=True)
class _Peer:
    pods: Obj | None  # podSelector, or None
    namespaces: Obj | None  # namespaceSelector, or None
    block: _Block | None
    broken: bool = False  # no field set, or an unparsable CIDR: matches nothing


@dataclass(frozen=True)
class _Port:
    protocol: str
    port: int | str | None
    end_port: int | None


@dataclass(frozen=True)
class _Rule:
    peers: tuple[_Peer, ...]  # empty: every peer
    ports: tuple[_Port, ...]  # empty: every port


@dataclass(frozen=True)
class Policy:
    """One NetworkPolicy as the lab enforces it."""

    namespace: str
    name: str
    selector: Obj
    types: frozenset[str]
    ingress: tuple[_Rule, ...]
    egress: tuple[_Rule, ...]

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


def policy_types(spec: Obj) -> frozenset[str]:
    """`policyTypes` after the API server's defaulting."""
    given = spec.get("policyTypes")
    if given:
        return frozenset(str(t) for t in given)
    return frozenset({"Ingress", *(("Egress",) if spec.get("egress") else ())})


def _peer(raw: Obj) -> _Peer:
    block_raw = raw.get("ipBlock")
    if block_raw is not None:
        cidr = network((block_raw or {}).get("cidr"))
        excepts = tuple(
            n for n in (network(e) for e in (block_raw or {}).get("except") or []) if n is not None
        )
        if cidr is None:
            return _Peer(None, None, None, broken=True)
        return _Peer(None, None, _Block(cidr, excepts))
    pods, namespaces = raw.get("podSelector"), raw.get("namespaceSelector")
    if pods is None and namespaces is None:
        return _Peer(None, None, None, broken=True)
    return _Peer(pods, namespaces, None)


def _port(raw: Obj) -> _Port:
    port = raw.get("port")
    end = raw.get("endPort")
    return _Port(
        str(raw.get("protocol") or "TCP").upper(),
        port if isinstance(port, int | str) else None,
        end if isinstance(end, int) and isinstance(port, int) else None,
    )


def _rules(raw: Any, peers_key: str) -> tuple[_Rule, ...]:
    out = []
    for rule in raw or []:
        rule = rule or {}
        out.append(
            _Rule(
                tuple(_peer(p or {}) for p in rule.get(peers_key) or []),
                tuple(_port(p or {}) for p in rule.get("ports") or []),
            )
        )
    return tuple(out)


def parse_policy(obj: Obj) -> Policy:
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    return Policy(
        namespace=str(meta.get("namespace") or "default"),
        name=str(meta.get("name") or ""),
        selector=spec.get("podSelector") or {},
        types=policy_types(spec),
        ingress=_rules(spec.get("ingress"), "from"),
        egress=_rules(spec.get("egress"), "to"),
    )


def _container_ports(pod: Obj) -> list[Obj]:
    spec = pod.get("spec") or {}
    containers = list(spec.get("containers") or [])
    # Sidecars (restartable init containers) serve ports like any container.
    containers += [
        c for c in spec.get("initContainers") or [] if (c or {}).get("restartPolicy") == "Always"
    ]
    return [p for c in containers for p in (c or {}).get("ports") or [] if p]


def _port_matches(rule_port: _Port, dst_pod: Obj, port: int, protocol: str) -> bool:
    if rule_port.protocol != protocol:
        return False
    if rule_port.port is None:
        return True
    if isinstance(rule_port.port, int):
        top = rule_port.end_port if rule_port.end_port is not None else rule_port.port
        return rule_port.port <= port <= top
    # A named port: the destination pod's container port of that name and protocol.
    return any(
        p.get("name") == rule_port.port
        and str(p.get("protocol") or "TCP").upper() == protocol
        and p.get("containerPort") == port
        for p in _container_ports(dst_pod)
    )


# ------------------------------------------------------------------------- the index
@dataclass
class PolicySet:
    """Policies, namespaces and pods indexed once (per change to the store)."""

    policies: list[Policy]
    namespace_labels: dict[str, dict[str, str]]
    pods_by_ip: dict[str, Obj] = field(default_factory=dict)
    _selecting: dict[tuple[str, str, str], list[Policy]] = field(default_factory=dict)

    @classmethod
    def build(
        cls, policies: Iterable[Obj], namespaces: Iterable[Obj], pods: Iterable[Obj] = ()
    ) -> PolicySet:
        ns_labels: dict[str, dict[str, str]] = {}
        for ns in namespaces:
            name = str((ns.get("metadata") or {}).get("name") or "")
            # The API server sets this label on every namespace (and keeps it set).
            ns_labels[name] = {**_labels(ns), NAME_LABEL: name}
        by_ip = {}
        for pod in pods:
            ip = pod_ip(pod)
            if ip and not host_network(pod):
                by_ip[ip] = pod
        return cls([parse_policy(p) for p in policies], ns_labels, by_ip)

    def __bool__(self) -> bool:
        return bool(self.policies)

    def pod_at(self, ip: str) -> Obj | None:
        """The (non-hostNetwork) pod holding this address, if any."""
        return self.pods_by_ip.get(ip)

    def networks(self) -> list[Network]:
        """Every CIDR the policies name (excepts included): where verdicts can change."""
        out: list[Network] = []
        for pol in self.policies:
            for rule in pol.ingress + pol.egress:
                for peer in rule.peers:
                    if peer.block is not None:
                        out += [peer.block.cidr, *peer.block.excepts]
        return out

    def _ns_labels(self, name: str) -> dict[str, str]:
        return self.namespace_labels.get(name) or {NAME_LABEL: name}

    def selecting(self, pod: Obj, direction: str) -> list[Policy]:
        """The policies that isolate this pod for "Ingress" or "Egress"."""
        if host_network(pod):
            return []
        ns = _ns(pod)
        key = (ns, str((pod.get("metadata") or {}).get("name") or ""), direction)
        if key not in self._selecting:  # asked once per pod: the set is rebuilt on change
            labels = _labels(pod)
            self._selecting[key] = [
                p
                for p in self.policies
                if p.namespace == ns
                and direction in p.types
                and selector_matches(p.selector, labels)
            ]
        return self._selecting[key]

    def _peer_matches(
        self, peer: _Peer, policy_ns: str, ip: Address | None, pod: Obj | None
    ) -> bool:
        if peer.broken:
            return False
        if peer.block is not None:
            return peer.block.holds(ip)
        if pod is None or host_network(pod):
            return False
        ns = _ns(pod)
        if peer.namespaces is None:
            in_ns = ns == policy_ns  # a podSelector alone: the policy's own namespace
        else:
            in_ns = selector_matches(peer.namespaces, self._ns_labels(ns))
        if not in_ns:
            return False
        return peer.pods is None or selector_matches(peer.pods, _labels(pod))

    def _rule_allows(
        self,
        rule: _Rule,
        policy_ns: str,
        peer_ip: Address | None,
        peer_pod: Obj | None,
        dst_pod: Obj,
        port: int,
        protocol: str,
    ) -> bool:
        if rule.ports and not any(_port_matches(p, dst_pod, port, protocol) for p in rule.ports):
            return False
        return not rule.peers or any(
            self._peer_matches(peer, policy_ns, peer_ip, peer_pod) for peer in rule.peers
        )

    def ingress_allowed(
        self, src_ip: str, src_pod: Obj | None, dst_pod: Obj, port: int, protocol: str = "TCP"
    ) -> bool:
        protocol = protocol.upper()
        if src_ip and src_ip == _host_ip(dst_pod):
            return True  # from the pod's own node: always allowed
        selecting = self.selecting(dst_pod, "Ingress")
        if not selecting:
            return True
        ip = _address(src_ip)
        return any(
            self._rule_allows(rule, pol.namespace, ip, src_pod, dst_pod, port, protocol)
            for pol in selecting
            for rule in pol.ingress
        )

    def egress_allowed(
        self, src_pod: Obj | None, dst_pod: Obj, port: int, protocol: str = "TCP"
    ) -> bool:
        protocol = protocol.upper()
        if src_pod is None:
            return True  # not a pod of the cluster: no egress policy applies
        dst_ip = pod_ip(dst_pod)
        if dst_ip and dst_ip == _host_ip(src_pod):
            return True  # to the pod's own node
        selecting = self.selecting(src_pod, "Egress")
        if not selecting:
            return True
        ip = _address(dst_ip)
        return any(
            self._rule_allows(rule, pol.namespace, ip, dst_pod, dst_pod, port, protocol)
            for pol in selecting
            for rule in pol.egress
        )

    def allowed(
        self, src_ip: str, src_pod: Obj | None, dst_pod: Obj, port: int, protocol: str = "TCP"
    ) -> bool:
        """Whether a connection from ``src_ip`` (the pod ``src_pod``, or None for anything
        that is not a pod) to ``dst_pod``'s ``port`` passes both ends' policies."""
        return self.egress_allowed(src_pod, dst_pod, port, protocol) and self.ingress_allowed(
            src_ip, src_pod, dst_pod, port, protocol
        )


def allowed(
    policies: Iterable[Obj],
    namespaces: Iterable[Obj],
    pods: Iterable[Obj],
    src_ip: str,
    src_pod: Obj | None,
    dst_pod: Obj,
    port: int,
    protocol: str = "TCP",
) -> bool:
    """One verdict from raw API objects (build a `PolicySet` once to ask many)."""
    return PolicySet.build(policies, namespaces, pods).allowed(
        src_ip, src_pod, dst_pod, port, protocol
    )
