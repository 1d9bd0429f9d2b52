"""`kpath route`: where traffic for one service port goes when it enters at one node.

Pure: resolves the user's service / port / node words against a snapshot (a usage error
names what exists) and asks kube-proxy's rules for both traffic policies.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from kpath.cluster.records import Node, ObjectKey, Service, ServicePort
from kpath.cluster.snapshot import Snapshot
from kpath.errors import InputError
from kpath.routing.kubeproxy import Choice, choose, unknown_choice
from kpath.routing.targets import endpoints_unknown, service_targets
from kpath.safetext import clean

SCHEMA = "kpath.route/v1"


class Route(NamedTuple):
    service: Service
    port: ServicePort
    node: Node
    external: Choice | None  # None: the service has no external way in
    internal: Choice


def _listing(names: list[str], limit: int = 10) -> str:
    # Names come from the cluster: each is escaped, so none can end the line or fake an entry.
    shown = ", ".join(clean(n) for n in names[:limit])
    return shown + (f", … ({len(names)} in all)" if len(names) > limit else "") or "none"


def find_service(snapshot: Snapshot, ref: str) -> Service:
    namespace, sep, name = ref.partition("/")
    if not sep or not namespace or not name:
        raise InputError(f"service {ref!r}: give it as NAMESPACE/NAME")
    svc = snapshot.services.get(ObjectKey(namespace, name))
    if svc is None:
        same_ns = sorted(k.name for k in snapshot.services if k.namespace == namespace)
        where = (
            f"services in {clean(namespace)}: {_listing(same_ns)}"
            if same_ns
            else (
                f"no services in namespace {clean(namespace)}; namespaces: "
                f"{_listing(sorted({k.namespace for k in snapshot.services}))}"
            )
        )
        raise InputError(f"unknown service {ref!r} ({where})")
    return svc


def find_port(svc: Service, word: str | None) -> ServicePort:
    ports = svc.ports
    have = _listing([p.label() for p in ports])
    if word is None:
        if len(ports) == 1:
            return ports[0]
        raise InputError(
            f"{clean(svc.key)} has {len(ports)} ports; choose one with --port ({have})"
        )
    number, _, protocol = word.partition("/")
    for p in ports:
        if protocol and p.protocol.upper() != protocol.upper():
            continue
        if (number.isdigit() and p.port == int(number)) or p.name == number:
            return p
    raise InputError(f"{clean(svc.key)} has no port {word!r} (ports: {have})")


def find_node(snapshot: Snapshot, name: str) -> Node:
    node = snapshot.nodes.get(name)
    if node is None:
        raise InputError(f"unknown node {name!r} (nodes: {_listing(sorted(snapshot.nodes))})")
    return node


def route(snapshot: Snapshot, service: str, node: str, port: str | None = None) -> Route:
    svc = find_service(snapshot, service)
    if svc.type == "ExternalName":
        raise InputError(
            f"{clean(svc.key)} is an ExternalName service: clients resolve "
            f"{svc.external_name!r} in DNS; kube-proxy does not route it"
        )
    where = find_node(snapshot, node)
    sp = find_port(svc, port)
    targets = service_targets(snapshot, snapshot.service_slices(svc.key), sp)
    external = (
        choose(targets, svc.external_traffic_policy, where.name, where.zone)
        if svc.is_external
        else None
    )
    internal = choose(targets, svc.internal_traffic_policy, where.name, where.zone)
    unknown = None if targets else endpoints_unknown(snapshot, svc.selector)
    if unknown:
        internal = unknown_choice(unknown)
        external = unknown_choice(unknown) if external is not None else None
    return Route(svc, sp, where, external, internal)


def _choice_json(choice: Choice, node: str, policy: str) -> dict[str, Any]:
    seen: set[str] = set()
    endpoints = []
    for t in choice.targets:
        if t.endpoint in seen:
            continue
        seen.add(t.endpoint)
        endpoints.append(
            {
                "address": t.endpoint,
                "pod": str(t.pod) if t.pod else None,
                "node": t.node,
                "crossNode": (t.node != node) if t.node else None,
                "terminating": t.terminating,
            }
        )
    return {
        "verdict": choice.verdict.value,
        "policy": policy,
        "rule": choice.rule,
        "topology": choice.topology,
        "endpoints": endpoints,
    }


def route_json(r: Route) -> dict[str, Any]:
    """The documented ``kpath.route/v1`` document."""
    svc, p = r.service, r.port
    return {
        "schema": SCHEMA,
        "service": str(svc.key),
        "port": {
            "name": p.name,
            "port": p.port,
            "protocol": p.protocol,
            "targetPort": p.target_port,
            "nodePort": p.node_port,
        },
        "node": r.node.name,
        "external": (
            _choice_json(r.external, r.node.name, svc.external_traffic_policy)
            if r.external is not None
            else None
        ),
        "internal": _choice_json(r.internal, r.node.name, svc.internal_traffic_policy),
    }
