"""Small builders of API-shaped dicts for unit tests: just the fields that matter."""

from __future__ import annotations

from typing import Any

from kpath.cluster.raw import RawCluster
from kpath.cluster.snapshot import Snapshot, build_snapshot

Obj = dict[str, Any]


def node(name: str, zone: str | None = "z1", ready: bool = True, ip: str | None = None) -> Obj:
    labels = {"kubernetes.io/hostname": name}
    if zone:
        labels["topology.kubernetes.io/zone"] = zone
    return {
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "status": {
            "addresses": [{"type": "InternalIP", "address": ip or f"10.0.0.{hash(name) % 250}"}],
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def pod(name: str, node_name: str | None, ip: str, labels: dict[str, str] | None = None,
        ns: str = "shop", ready: bool = True, ports: list[Obj] | None = None,
        phase: str = "Running", terminating: bool = False) -> Obj:
    meta: Obj = {"name": name, "namespace": ns, "labels": labels or {"app": "web"}}
    if terminating:
        meta["deletionTimestamp"] = "2026-11-28T00:00:00Z"
    return {
        "kind": "Pod",
        "metadata": meta,
        "spec": {"nodeName": node_name,
                 "containers": [{"name": "c", "ports": ports or []}]},
        "status": {"phase": phase, "podIP": ip,
                   "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
    }


def service(name: str, type_: str = "ClusterIP", ns: str = "shop",
            selector: dict[str, str] | None = None, ports: list[Obj] | None = None,
            etp: str | None = None, itp: str | None = None, lb_ip: str | None = None,
            **spec: Any) -> Obj:
    body: Obj = {"type": type_, "clusterIP": "10.96.0.10",
                 "selector": {"app": "web"} if selector is None else selector,
                 "ports": ports or [{"port": 80, "targetPort": 8080, "protocol": "TCP",
                                     **({"nodePort": 30080} if type_ != "ClusterIP" else {})}]}
    if etp:
        body["externalTrafficPolicy"] = etp
    if itp:
        body["internalTrafficPolicy"] = itp
    body.update(spec)
    status: Obj = {}
    if lb_ip:
        status = {"loadBalancer": {"ingress": [{"ip": lb_ip}]}}
    return {"kind": "Service", "metadata": {"name": name, "namespace": ns}, "spec": body,
            "status": status}


def endpoint(ip: str, node_name: str | None, pod_name: str | None = None, *,
             ready: bool | None = True, serving: bool | None = None,
             terminating: bool | None = None, zone: str | None = None,
             hint_zones: list[str] | None = None, hint_nodes: list[str] | None = None,
             ns: str = "shop") -> Obj:
    cond: Obj = {}
    if ready is not None:
        cond["ready"] = ready
    if serving is not None:
        cond["serving"] = serving
    if terminating is not None:
        cond["terminating"] = terminating
    ep: Obj = {"addresses": [ip], "conditions": cond, "nodeName": node_name}
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


def endpointslice(service_name: str, endpoints: list[Obj], ns: str = "shop",
                  port: int = 8080, port_name: str | None = None, suffix: str = "abc") -> Obj:
    return {
        "kind": "EndpointSlice",
        "metadata": {"name": f"{service_name}-{suffix}", "namespace": ns,
                     "labels": {"kubernetes.io/service-name": service_name}},
        "addressType": "IPv4",
        "ports": [{"name": port_name, "port": port, "protocol": "TCP"}],
        "endpoints": endpoints,
    }


def snapshot(*objects: Obj, kinds: tuple[str, ...] = ("Node", "Pod", "Service",
                                                     "EndpointSlice")) -> Snapshot:
    raw = RawCluster(origin="test")
    for k in kinds:
        raw.saw(k)
    for o in objects:
        raw.add(o["kind"], o)
    return build_snapshot(raw)
