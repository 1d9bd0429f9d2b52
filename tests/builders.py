"""Small builders of API-shaped dicts for unit tests: just the fields that matter.

Each builder returns a dict shaped like the API server's JSON, so a test snapshot goes
through the same parser as a live cluster or a dump. `snapshot` builds a `Snapshot` from
them; `kinds` says which lists the pretend source carried (absent kinds mean "not in the
input", which changes how endpoints are found).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

from kpath.cluster.raw import RawCluster
from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import Snapshot, build_snapshot
from kpath.routing.analysis import Analysis, analyse
from kpath.routing.kubeproxy import Choice
from kpath.routing.nodegroups import NodeGroup
from kpath.routing.route import route

Obj = dict[str, Any]

#: The kinds a live cluster carries (no legacy Endpoints: kube-proxy reads slices).
SLICE_KINDS = ("Node", "Pod", "Service", "EndpointSlice")


def node_ip(name: str) -> str:
    """A stable address per node name (``hash`` is salted per process; crc32 is not)."""
    n = zlib.crc32(name.encode())
    return f"10.0.{n % 250}.{(n >> 8) % 250 + 1}"


def node(
    name: str,
    zone: str | None = "z1",
    ready: bool = True,
    ip: str | None = None,
    labels: dict[str, str] | None = None,
) -> Obj:
    all_labels = {"kubernetes.io/hostname": name, **(labels or {})}
    if zone:
        all_labels["topology.kubernetes.io/zone"] = zone
    return {
        "kind": "Node",
        "metadata": {"name": name, "labels": all_labels},
        "status": {
            "addresses": [{"type": "InternalIP", "address": ip or node_ip(name)}],
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def pod(
    name: str,
    node_name: str | None,
    ip: str,
    labels: dict[str, str] | None = None,
    ns: str = "shop",
    ready: bool = True,
    ports: list[Obj] | None = None,
    phase: str = "Running",
    terminating: bool = False,
) -> Obj:
    meta: Obj = {"name": name, "namespace": ns, "labels": labels or {"app": "web"}}
    if terminating:
        meta["deletionTimestamp"] = "2026-11-28T00:00:00Z"
    return {
        "kind": "Pod",
        "metadata": meta,
        "spec": {"nodeName": node_name, "containers": [{"name": "c", "ports": ports or []}]},
        "status": {
            "phase": phase,
            "podIP": ip,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def service(
    name: str,
    type_: str = "ClusterIP",
    ns: str = "shop",
    selector: dict[str, str] | None = None,
    ports: list[Obj] | None = None,
    etp: str | None = None,
    itp: str | None = None,
    lb_ip: str | None = None,
    lb_hostname: str | None = None,
    labels: dict[str, str] | None = None,
    **spec: Any,
) -> Obj:
    body: Obj = {
        "type": type_,
        "clusterIP": "10.96.0.10",
        "selector": {"app": "web"} if selector is None else selector,
        "ports": ports
        or [
            {
                "port": 80,
                "targetPort": 8080,
                "protocol": "TCP",
                **({"nodePort": 30080} if type_ != "ClusterIP" else {}),
            }
        ],
    }
    if etp:
        body["externalTrafficPolicy"] = etp
    if itp:
        body["internalTrafficPolicy"] = itp
    body.update(spec)
    status: Obj = {}
    if lb_ip or lb_hostname:
        status = {
            "loadBalancer": {"ingress": [{"ip": lb_ip} if lb_ip else {"hostname": lb_hostname}]}
        }
    meta: Obj = {"name": name, "namespace": ns}
    if labels:
        meta["labels"] = labels
    return {"kind": "Service", "metadata": meta, "spec": body, "status": status}


def endpoint(
    ip: str | list[str],
    node_name: str | None,
    pod_name: str | None = None,
    *,
    ready: bool | None = True,
    serving: bool | None = None,
    terminating: bool | None = None,
    zone: str | None = None,
    hint_zones: list[str] | None = None,
    hint_nodes: list[str] | None = None,
    ns: str = "shop",
) -> Obj:
    cond: Obj = {}
    if ready is not None:
        cond["ready"] = ready
    if serving is not None:
        cond["serving"] = serving
    if terminating is not None:
        cond["terminating"] = terminating
    addresses = [ip] if isinstance(ip, str) else list(ip)
    ep: Obj = {"addresses": addresses, "conditions": cond, "nodeName": node_name}
    if zone:
        ep["zone"] = zone
    if pod_name:
        ep["targetRef"] = {"kind": "Pod", "name": pod_name, "namespace": ns}
    hints: Obj = {}
    if hint_zones is not None:
        hints["forZones"] = [{"name": z} for z in hint_zones]
    if hint_nodes is not None:
        hints["forNodes"] = [{"name": n} for n in hint_nodes]
    if hints:
        ep["hints"] = hints
    return ep


def endpointslice(
    service_name: str,
    endpoints: list[Obj],
    ns: str = "shop",
    port: int | None = 8080,
    port_name: str | None = None,
    suffix: str = "abc",
    ports: list[Obj] | None = None,
) -> Obj:
    # The EndpointSlice controller writes an unnamed port as name "" (never omitted).
    slice_ports = (
        ports if ports is not None else [{"name": port_name or "", "port": port, "protocol": "TCP"}]
    )
    return {
        "kind": "EndpointSlice",
        "metadata": {
            "name": f"{service_name}-{suffix}",
            "namespace": ns,
            "labels": {"kubernetes.io/service-name": service_name},
        },
        "addressType": "IPv4",
        "ports": slice_ports,
        "endpoints": endpoints,
    }


def endpoints_legacy(
    service_name: str,
    ready: Sequence[tuple[str, str | None]] = (),
    not_ready: Sequence[tuple[str, str | None]] = (),
    ns: str = "shop",
    port: int = 8080,
) -> Obj:
    """A legacy ``Endpoints`` object: (ip, node) pairs in addresses and notReadyAddresses."""

    def addr(ip: str, node_name: str | None) -> Obj:
        out: Obj = {"ip": ip}
        if node_name:
            out["nodeName"] = node_name
        return out

    subset: Obj = {"ports": [{"port": port, "protocol": "TCP"}]}
    if ready:
        subset["addresses"] = [addr(*a) for a in ready]
    if not_ready:
        subset["notReadyAddresses"] = [addr(*a) for a in not_ready]
    return {
        "kind": "Endpoints",
        "metadata": {"name": service_name, "namespace": ns},
        "subsets": [subset],
    }


def backend(service_name: str, port: int | str) -> Obj:
    """An Ingress backend (networking.k8s.io/v1) by port number or port name."""
    key = "number" if isinstance(port, int) else "name"
    return {"service": {"name": service_name, "port": {key: port}}}


def ingress(
    name: str,
    rules: list[Obj] | None = None,
    ns: str = "shop",
    class_name: str | None = None,
    default_backend: Obj | None = None,
    tls_hosts: list[str] | None = None,
    lb_ip: str | None = None,
    annotations: dict[str, str] | None = None,
) -> Obj:
    spec: Obj = {}
    if class_name:
        spec["ingressClassName"] = class_name
    if rules is not None:
        spec["rules"] = rules
    if default_backend is not None:
        spec["defaultBackend"] = default_backend
    if tls_hosts:
        spec["tls"] = [{"hosts": tls_hosts, "secretName": f"{name}-tls"}]
    status: Obj = {"loadBalancer": {"ingress": [{"ip": lb_ip}]}} if lb_ip else {}
    meta: Obj = {"name": name, "namespace": ns}
    if annotations:
        meta["annotations"] = annotations
    return {"kind": "Ingress", "metadata": meta, "spec": spec, "status": status}


def rule(host: str | None, *paths: tuple[str, str, Obj]) -> Obj:
    """An Ingress rule: (path, pathType, backend) triples under one host (None: any host)."""
    out: Obj = {"http": {"paths": [{"path": p, "pathType": t, "backend": b} for p, t, b in paths]}}
    if host:
        out["host"] = host
    return out


def ingress_class(name: str, controller: str, default: bool = False) -> Obj:
    meta: Obj = {"name": name}
    if default:
        meta["annotations"] = {"ingressclass.kubernetes.io/is-default-class": "true"}
    return {"kind": "IngressClass", "metadata": meta, "spec": {"controller": controller}}


def snapshot(*objects: Obj, kinds: tuple[str, ...] = SLICE_KINDS) -> Snapshot:
    raw = RawCluster(origin="test")
    for k in kinds:
        raw.saw(k)
    for o in objects:
        raw.add(o["kind"], o)
    return build_snapshot(raw)


def analysed(*objects: Obj, kinds: tuple[str, ...] = SLICE_KINDS) -> Analysis:
    return analyse(snapshot(*objects, kinds=kinds))


def key(name: str, ns: str = "shop") -> ObjectKey:
    return ObjectKey(ns, name)


def group_of(groups: Sequence[NodeGroup], node_name: str) -> NodeGroup:
    """The one group a node belongs to (fails the test if it is in none or several)."""
    found = [g for g in groups if node_name in g.nodes]
    assert len(found) == 1, f"{node_name} is in {len(found)} groups"
    return found[0]


def choice_at(
    a: Analysis,
    svc: str,
    node_name: str,
    *,
    external: bool = True,
    port: str | None = None,
    ns: str = "shop",
) -> Choice:
    """kube-proxy's choice for a service port when traffic enters at one node.

    Also checks that the node's group in the analysis agrees with it: same verdict, same
    number of endpoints and of local ones, and the node's endpoints among the group's.
    """
    r = route(a.snapshot, f"{ns}/{svc}", node_name, port)
    c = r.external if external else r.internal
    assert c is not None, f"{svc} has no external way in"
    routes = a.routes[ObjectKey(ns, svc)]
    pr = next(p for p in routes if p.port == r.port)
    groups = pr.external if external else pr.internal
    assert groups is not None
    g = group_of(groups, node_name)
    assert g.choice.verdict == c.verdict, (g.choice, c)
    assert g.per_node == len(c.targets)
    assert g.local == sum(1 for t in c.targets if t.node == node_name)
    assert set(c.targets) <= set(g.choice.targets)
    return c


def addresses(c: Choice) -> list[str]:
    """The chosen ``ip:port`` endpoints, sorted."""
    return sorted(t.endpoint for t in c.targets)
