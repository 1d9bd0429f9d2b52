"""Resolve a service port to the endpoint addresses kube-proxy would program.

kube-proxy matches a service port to an EndpointSlice port by name. Slices derived from pods
(when a dump carried no endpoints) hold no port numbers, so the target port is resolved per
pod here, through the container ports' names, as the endpoints controller would.
"""

from __future__ import annotations

from collections.abc import Sequence

from kpath.cluster.records import EndpointSlice, Pod, ServicePort
from kpath.cluster.snapshot import FROM_PODS, Snapshot
from kpath.routing.kubeproxy import Target


def resolve_port(port: ServicePort, pod: Pod | None) -> int | None:
    """The container port a service port reaches on a pod (None: the pod exposes no such name)."""
    if isinstance(port.target_port, int):
        return port.target_port
    if pod is None:
        return None
    for cp in pod.ports:
        if cp.name == port.target_port and cp.protocol == port.protocol:
            return cp.port
    return None


def service_targets(
    snapshot: Snapshot, slices: Sequence[EndpointSlice], port: ServicePort
) -> tuple[Target, ...]:
    """Every endpoint address for ``port``, each address:port once (first slice wins)."""
    seen: set[tuple[str | None, int | None]] = set()
    out: list[Target] = []
    new = tuple.__new__  # Target's own __new__ is a Python call per endpoint: skipped
    for s in slices:
        slice_port = _slice_port(s, port)
        if slice_port == _NO_PORT:
            continue
        for ep in s.endpoints:
            pod_key = ep.target if ep.target_kind == "Pod" else None
            if slice_port is not None:
                number: int | None = slice_port
            else:  # resolved per pod (slices derived from pods)
                number = resolve_port(port, snapshot.pod(pod_key))
            addr = ep.address  # the first address: the only one kube-proxy programs
            key = (addr, number)
            if addr is not None and key in seen:
                continue
            seen.add(key)
            out.append(
                new(
                    Target,
                    (
                        addr,
                        number,
                        pod_key,
                        ep.node,
                        ep.zone,
                        ep.ready,
                        ep.serving,
                        ep.terminating,
                        ep.hint_zones,
                        ep.hint_nodes,
                    ),
                )
            )
    return tuple(out)


_NO_PORT = -1


def _slice_port(s: EndpointSlice, port: ServicePort) -> int | None:
    """The slice's port number for this service port; None: resolve per pod; -1: not here.

    kube-proxy ignores a slice port without a number (the API's "all ports" is a TODO
    there), so a slice with no usable port gives the service port no endpoints. Only the
    slices kpath derives from pods leave the number open, to resolve per pod.
    """
    for p in s.ports:
        if p.name == port.name and p.protocol == port.protocol:
            if s.origin == FROM_PODS:
                return p.port
            return p.port if p.port else _NO_PORT
    return _NO_PORT


def endpoints_unknown(snapshot: Snapshot, selector: object | None) -> str | None:
    """Why a Service's endpoints cannot be known from this input (None: they can).

    Endpoints come from EndpointSlices or Endpoints, or kpath derives them from Pods through
    the selector. A selector-less Service (``default/kubernetes``, hand-made Endpoints) has
    only the first two; an input with none of the three knows no endpoints at all.
    """
    kinds = snapshot.kinds_seen
    if not {"EndpointSlice", "Endpoints", "Pod"} & kinds:
        return "the input carries no Pods, EndpointSlices or Endpoints"
    if selector is None and not {"EndpointSlice", "Endpoints"} & kinds:
        return "no selector, and the input carries no EndpointSlices or Endpoints"
    return None
