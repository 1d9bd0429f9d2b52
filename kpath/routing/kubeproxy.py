"""kube-proxy's endpoint choice, once, as pure functions.

This mirrors `CategorizeEndpoints` (kubernetes/pkg/proxy/topology.go):

- usable endpoints are the ready ones; when a policy would get none, it falls back to
  endpoints that are serving and terminating;
- Cluster policy: every ready endpoint in the cluster, narrowed by topology hints when every
  ready endpoint carries a hint and at least one hint names this node (``forNodes``) or this
  node's zone (``forZones``); hints are ignored otherwise;
- Local policy: only endpoints on this node; hints never apply;
- verdicts: forward (some endpoint chosen), drop (usable endpoints exist somewhere, none for
  this policy here: the client times out), reject (none anywhere: the client is refused);
  unknown when the input cannot say which endpoints exist (`unknown_choice`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import NamedTuple

from kpath.cluster.records import ObjectKey


class Verdict(StrEnum):
    FORWARD = "forward"
    DROP = "drop"
    REJECT = "reject"
    UNKNOWN = "unknown"  # the input does not carry the endpoints: no prediction
    #: A Gateway rule that answers a redirect itself (3xx and a Location): by design, no
    #: backend is sent anything, and nothing failed. kube-proxy itself never says this.
    REDIRECT = "redirect"


class Target(NamedTuple):
    """One endpoint address resolved for one service port: where a packet may be sent."""

    address: str | None  # None when the dump redacted it
    port: int | None  # None when the target port could not be resolved
    pod: ObjectKey | None
    node: str | None
    zone: str | None
    ready: bool
    serving: bool
    terminating: bool
    hint_zones: tuple[str, ...] = ()
    hint_nodes: tuple[str, ...] = ()

    @property
    def endpoint(self) -> str:
        """``ip:port`` as kube-proxy programs it (``?`` for what is unknown)."""
        host = self.address or "?"
        if ":" in host:
            host = f"[{host}]"
        return f"{host}:{self.port if self.port is not None else '?'}"

    @property
    def usable_as_fallback(self) -> bool:
        return self.serving and self.terminating


class Choice(NamedTuple):
    """What kube-proxy programs on one node for one service port and one policy."""

    verdict: Verdict
    targets: tuple[Target, ...]
    rule: str  # the rule that decided, in words
    fallback: bool = False  # only serving+terminating endpoints are in use
    topology: str | None = None  # "node" or "zone" when hints narrowed the choice


def has_ready(choice: Choice) -> bool:
    """Whether a choice holds a ready endpoint (what kube-proxy's health check counts)."""
    return any(t.ready for t in choice.targets)


def unknown_choice(why: str) -> Choice:
    """No endpoints known, and none can be: a selector-less Service whose Endpoints the input
    does not carry, or an input with no endpoint data at all (KP304)."""
    return Choice(Verdict.UNKNOWN, (), f"endpoints unknown ({why}): no prediction")


def has_usable(targets: Iterable[Target]) -> bool:
    """Whether any endpoint anywhere can take traffic (else every node rejects)."""
    return any(t.ready or t.usable_as_fallback for t in targets)


def topology_mode(targets: Sequence[Target], node: str | None, zone: str | None) -> str | None:
    """Which hints kube-proxy uses on this node: "node", "zone" or None (ignored)."""
    for_node = for_zone = False
    all_node_hints = all_zone_hints = True
    any_ready = False
    for t in targets:
        if not t.ready:
            continue
        any_ready = True
        if not t.hint_nodes:
            all_node_hints = False
        elif node is not None and node in t.hint_nodes:
            for_node = True
        if not t.hint_zones:
            all_zone_hints = False
        elif zone is not None and zone in t.hint_zones:
            for_zone = True
    if not any_ready:
        return None
    if all_node_hints and for_node:
        return "node"
    if all_zone_hints and for_zone:
        return "zone"
    return None


def cluster_choice(targets: Sequence[Target], node: str | None, zone: str | None) -> Choice:
    """Cluster traffic policy, as seen from a node (its name and zone decide the hints)."""
    # Hints name nodes and zones: seen from no node in no zone, none can apply.
    mode = topology_mode(targets, node, zone) if node is not None or zone is not None else None
    if mode == "node":
        chosen = tuple(t for t in targets if t.ready and node in t.hint_nodes)
        rule = f"Cluster policy, topology hints for node {node}"
    elif mode == "zone":
        chosen = tuple(t for t in targets if t.ready and zone in t.hint_zones)
        rule = f"Cluster policy, topology hints for zone {zone}"
    else:
        chosen = tuple(t for t in targets if t.ready)
        rule = "Cluster policy: any ready endpoint"
    if chosen:
        return Choice(Verdict.FORWARD, chosen, rule, topology=mode)
    fallback = tuple(t for t in targets if t.usable_as_fallback)
    if fallback:
        return Choice(
            Verdict.FORWARD,
            fallback,
            "Cluster policy: no ready endpoint, serving terminating ones used",
            True,
        )
    return Choice(Verdict.REJECT, (), "no ready or serving endpoint anywhere: rejected")


def local_choice(local: Sequence[Target], any_usable: bool, node: str | None) -> Choice:
    """Local traffic policy on a node, given the endpoints that live on it."""
    ready = tuple(t for t in local if t.ready)
    if ready:
        return Choice(Verdict.FORWARD, ready, f"Local policy: ready endpoint on {node}")
    fallback = tuple(t for t in local if t.usable_as_fallback)
    if fallback:
        return Choice(
            Verdict.FORWARD,
            fallback,
            f"Local policy: only serving terminating endpoints on {node}",
            True,
        )
    if any_usable:
        return Choice(
            Verdict.DROP, (), f"Local policy: no local endpoint on {node}: dropped (black hole)"
        )
    return Choice(Verdict.REJECT, (), "no ready or serving endpoint anywhere: rejected")


def choose(targets: Sequence[Target], policy: str, node: str | None, zone: str | None) -> Choice:
    """kube-proxy's choice on ``node`` (in ``zone``) for ``policy`` ("Cluster" or "Local")."""
    if policy == "Local":
        local = [t for t in targets if node is not None and t.node == node]
        return local_choice(local, has_usable(targets), node)
    return cluster_choice(targets, node, zone)
