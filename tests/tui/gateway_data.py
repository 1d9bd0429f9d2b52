"""Dumps of real-world Gateway API manifests, for the UI tests.

`manifest_dump` schedules a manifest from ``../shared/realworld/manifests/`` the way kpath's
lab does (its own scheduler: Deployments become Pods on three nodes, Services get cluster
IPs and EndpointSlices) and adds what the manifest's implementation would have created: the
GatewayClass, the Gateway's own Service and proxy pods (NGINX Gateway Fabric 2.x: the
Service ``<gateway>-<class>``, labelled ``gateway.networking.k8s.io/gateway-name``,
LoadBalancer with ``externalTrafficPolicy: Local``, one proxy pod) and the Gateway's
``status.addresses``. The result is written as `kubectl get -o json` writes a List, and
read back through kpath's own dump reader.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

from kpath.cluster.dump import load_dump
from kpath.cluster.snapshot import build_snapshot
from kpath.lab.addresses import AddressPlan
from kpath.lab.scenario import DEFAULT_NODES
from kpath.lab.scheduler import Scheduler
from kpath.lab.store import Store
from kpath.routing.analysis import Analysis, analyse

REALWORLD = Path(__file__).resolve().parents[3] / "shared" / "realworld" / "manifests"
CAFE = REALWORLD / "nginx-gateway-fabric-cafe.yaml"
GROUP = "gateway.networking.k8s.io"
NGF = "gateway.nginx.org/nginx-gateway-controller"
CORE_KINDS = ("Namespace", "Node", "Pod", "Service", "EndpointSlice")

Obj = dict[str, Any]


def _ngf_infra(gateway: Obj, class_name: str) -> list[Obj]:
    """NGINX Gateway Fabric's provisioned data plane for one Gateway (one proxy pod)."""
    name = f"{gateway['metadata']['name']}-{class_name}"
    ns = gateway["metadata"].get("namespace", "default")
    labels = {
        "gateway.networking.k8s.io/gateway-name": gateway["metadata"]["name"],
        "app.kubernetes.io/name": name,
    }
    ports = [
        {
            "name": f"port-{lis['port']}",
            "port": lis["port"],
            "targetPort": lis["port"],
            "protocol": "TCP",
        }
        for lis in gateway["spec"]["listeners"]
    ]
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": ns, "labels": labels},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "containers": [
                            {
                                "name": "nginx",
                                "image": "nginx",
                                "ports": [{"containerPort": p["port"]} for p in ports],
                            }
                        ]
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": ns, "labels": labels},
            "spec": {
                "type": "LoadBalancer",
                "externalTrafficPolicy": "Local",
                "selector": labels,
                "ports": ports,
            },
        },
    ]


def manifest_docs(path: Path, edit: Any = None) -> list[Obj]:
    docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    if edit is not None:
        docs = edit(copy.deepcopy(docs))
    return docs


def manifest_dump(path: Path, out: Path, *, edit: Any = None) -> Path:
    """``path`` scheduled as the lab does, plus its implementation's objects, as a dump."""
    docs = manifest_docs(path, edit)
    gateways = [d for d in docs if d.get("apiVersion", "").startswith(GROUP)]
    classes = {g["spec"]["gatewayClassName"] for g in gateways if g["kind"] == "Gateway"}
    extra: list[Obj] = []
    for g in gateways:
        if g["kind"] == "Gateway":
            extra += _ngf_infra(g, g["spec"]["gatewayClassName"])
    store = Store()
    sched = Scheduler(store, AddressPlan(77), DEFAULT_NODES, seed="tui")
    sched.apply([d for d in docs if d not in gateways] + extra)
    items: list[Obj] = [o for kind in CORE_KINDS for o in store.list(kind)]
    services = {
        (s["metadata"]["namespace"], s["metadata"]["name"]): s for s in store.list("Service")
    }
    for name in sorted(classes):
        items.append(
            {
                "apiVersion": f"{GROUP}/v1",
                "kind": "GatewayClass",
                "metadata": {"name": name},
                "spec": {"controllerName": NGF},
            }
        )
    for g in gateways:
        g = copy.deepcopy(g)
        g["metadata"].setdefault("namespace", "default")
        g["metadata"].setdefault("creationTimestamp", "2026-01-01T00:00:00Z")
        if g["kind"] == "Gateway":
            svc = services[
                (
                    g["metadata"]["namespace"],
                    f"{g['metadata']['name']}-{g['spec']['gatewayClassName']}",
                )
            ]
            ips = [
                i["ip"]
                for i in svc.get("status", {}).get("loadBalancer", {}).get("ingress", [])
                if i.get("ip")
            ]
            g["status"] = {"addresses": [{"type": "IPAddress", "value": ip} for ip in ips]}
        items.append(g)
    out.write_text(
        json.dumps({"apiVersion": "v1", "kind": "List", "items": items}), encoding="utf-8"
    )
    return out


def analysed_dump(path: Path) -> Analysis:
    return analyse(build_snapshot(load_dump([path])))
