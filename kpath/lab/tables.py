"""Server-side Tables, so `kubectl get` and `-o wide` show real columns against the lab.

Gateway API kinds get the columns their CRDs' additionalPrinterColumns declare (a list
such as ``spec.hostnames`` shows as JSON, as the API server prints a CRD column).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Obj = dict[str, Any]
Column = tuple[str, int, Callable[[Obj], Any]]  # name, priority (1 = -o wide only), cell


def _age(obj: Obj) -> str:
    stamp = obj.get("metadata", {}).get("creationTimestamp")
    if not stamp:
        return "<unknown>"
    try:
        then = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return "<unknown>"
    seconds = int((datetime.now(UTC) - then).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def _name(o: Obj) -> str:
    return str(o["metadata"]["name"])


def _condition(o: Obj, kind: str) -> str | None:
    for c in o.get("status", {}).get("conditions") or []:
        if c.get("type") == kind:
            return str(c.get("status"))
    return None


def _node_status(o: Obj) -> str:
    ready = {"True": "Ready", "False": "NotReady"}.get(_condition(o, "Ready") or "", "Unknown")
    return ready + (",SchedulingDisabled" if o.get("spec", {}).get("unschedulable") else "")


def _node_addr(kind: str) -> Callable[[Obj], str]:
    def cell(o: Obj) -> str:
        for a in o.get("status", {}).get("addresses") or []:
            if a.get("type") == kind:
                return str(a.get("address"))
        return "<none>"

    return cell


def _pod_ready(o: Obj) -> str:
    statuses = o.get("status", {}).get("containerStatuses") or []
    total = len(o.get("spec", {}).get("containers") or [])
    ready = sum(1 for s in statuses if s.get("ready"))
    if not statuses and _condition(o, "Ready") == "True":
        ready = total
    return f"{ready}/{total}"


def _pod_status(o: Obj) -> str:
    if o.get("metadata", {}).get("deletionTimestamp"):
        return "Terminating"
    return str(o.get("status", {}).get("phase") or "Unknown")


def _svc_external(o: Obj) -> str:
    spec = o.get("spec", {})
    if spec.get("type") == "ExternalName":
        return str(spec.get("externalName"))
    ips = [
        i.get("ip") or i.get("hostname")
        for i in o.get("status", {}).get("loadBalancer", {}).get("ingress") or []
    ]
    ips += spec.get("externalIPs") or []
    if ips:
        return ",".join(str(i) for i in ips)
    return "<pending>" if spec.get("type") == "LoadBalancer" else "<none>"


def _svc_ports(o: Obj) -> str:
    out = []
    for p in o.get("spec", {}).get("ports") or []:
        text = f"{p.get('port')}"
        if p.get("nodePort"):
            text += f":{p['nodePort']}"
        out.append(f"{text}/{p.get('protocol', 'TCP')}")
    return ",".join(out) or "<none>"


def _selector(o: Obj) -> str:
    sel = o.get("spec", {}).get("selector") or {}
    return ",".join(f"{k}={v}" for k, v in sel.items()) or "<none>"


def _slice_endpoints(o: Obj) -> str:
    addrs = [a for e in o.get("endpoints") or [] for a in e.get("addresses") or []]
    if not addrs:
        return "<unset>"
    return ",".join(addrs[:3]) + (f" + {len(addrs) - 3} more..." if len(addrs) > 3 else "")


def _ingress_hosts(o: Obj) -> str:
    return ",".join(r.get("host") or "*" for r in o.get("spec", {}).get("rules") or []) or "*"


def _ingress_address(o: Obj) -> str:
    lb = o.get("status", {}).get("loadBalancer", {}).get("ingress") or []
    return ",".join(str(i.get("ip") or i.get("hostname")) for i in lb)


def _endpoints(o: Obj) -> str:
    out = [
        f"{a.get('ip')}:{p.get('port')}"
        for s in o.get("subsets") or []
        for a in s.get("addresses") or []
        for p in s.get("ports") or [{}]
    ]
    return ",".join(out) or "<none>"


def _gw_condition(kind: str) -> Callable[[Obj], str]:
    """A status condition's status, "" without one (what a CRD column shows for a missing
    value)."""

    def cell(o: Obj) -> str:
        return _condition(o, kind) or ""

    return cell


def _gw_addresses(o: Obj) -> str:
    return ",".join(str(a.get("value")) for a in o.get("status", {}).get("addresses") or [])


def _hostnames(o: Obj) -> str:
    names = o.get("spec", {}).get("hostnames")
    return json.dumps(names, separators=(",", ":")) if names else ""


def _pod_selector(o: Obj) -> str:
    """kubectl's POD-SELECTOR (metav1.FormatLabelSelector): requirements sorted by key,
    ``k=v``, ``k in (a,b)``, ``k notin (a,b)``, ``k``, ``!k``; ``<none>`` when empty."""
    sel = (o.get("spec") or {}).get("podSelector") or {}
    parts = [(str(k), f"{k}={v}") for k, v in (sel.get("matchLabels") or {}).items()]
    for e in sel.get("matchExpressions") or []:
        key, op = str(e.get("key")), str(e.get("operator"))
        values = ",".join(sorted(str(v) for v in e.get("values") or []))
        text = {"Exists": key, "DoesNotExist": f"!{key}"}.get(op, f"{key} {op.lower()} ({values})")
        parts.append((key, text))
    return ",".join(text for _, text in sorted(parts)) or "<none>"


_GW_NAME_AGE: list[Column] = [("Name", 0, _name), ("Age", 0, _age)]
_ROUTE_HOSTS: list[Column] = [("Name", 0, _name), ("Hostnames", 0, _hostnames), ("Age", 0, _age)]

COLUMNS: dict[str, list[Column]] = {
    "Node": [
        ("Name", 0, _name),
        ("Status", 0, _node_status),
        ("Roles", 0, lambda o: "<none>"),
        ("Age", 0, _age),
        ("Version", 0, lambda o: "v1.32.0-kpath-lab"),
        ("Internal-IP", 1, _node_addr("InternalIP")),
        ("External-IP", 1, _node_addr("ExternalIP")),
        (
            "Zone",
            1,
            lambda o: o["metadata"].get("labels", {}).get("topology.kubernetes.io/zone", "<none>"),
        ),
    ],
    "Pod": [
        ("Name", 0, _name),
        ("Ready", 0, _pod_ready),
        ("Status", 0, _pod_status),
        ("Restarts", 0, lambda o: 0),
        ("Age", 0, _age),
        ("IP", 1, lambda o: o.get("status", {}).get("podIP") or "<none>"),
        ("Node", 1, lambda o: o.get("spec", {}).get("nodeName") or "<none>"),
        ("Nominated Node", 1, lambda o: "<none>"),
        ("Readiness Gates", 1, lambda o: "<none>"),
    ],
    "Service": [
        ("Name", 0, _name),
        ("Type", 0, lambda o: o["spec"].get("type", "ClusterIP")),
        ("Cluster-IP", 0, lambda o: o["spec"].get("clusterIP") or "<none>"),
        ("External-IP", 0, _svc_external),
        ("Port(s)", 0, _svc_ports),
        ("Age", 0, _age),
        ("Selector", 1, _selector),
    ],
    "EndpointSlice": [
        ("Name", 0, _name),
        ("AddressType", 0, lambda o: o.get("addressType", "IPv4")),
        (
            "Ports",
            0,
            lambda o: ",".join(str(p.get("port")) for p in o.get("ports") or []) or "<unset>",
        ),
        ("Endpoints", 0, _slice_endpoints),
        ("Age", 0, _age),
    ],
    "Endpoints": [("Name", 0, _name), ("Endpoints", 0, _endpoints), ("Age", 0, _age)],
    "Ingress": [
        ("Name", 0, _name),
        ("Class", 0, lambda o: o.get("spec", {}).get("ingressClassName") or "<none>"),
        ("Hosts", 0, _ingress_hosts),
        ("Address", 0, _ingress_address),
        ("Ports", 0, lambda o: "80, 443" if o.get("spec", {}).get("tls") else "80"),
        ("Age", 0, _age),
    ],
    "IngressClass": [
        ("Name", 0, _name),
        ("Controller", 0, lambda o: o.get("spec", {}).get("controller", "")),
        ("Parameters", 0, lambda o: "<none>"),
        ("Age", 0, _age),
    ],
    "NetworkPolicy": [("Name", 0, _name), ("Pod-Selector", 0, _pod_selector), ("Age", 0, _age)],
    "Namespace": [
        ("Name", 0, _name),
        ("Status", 0, lambda o: o.get("status", {}).get("phase", "Active")),
        ("Age", 0, _age),
    ],
    "GatewayClass": [
        ("Name", 0, _name),
        ("Controller", 0, lambda o: o.get("spec", {}).get("controllerName", "")),
        ("Accepted", 0, _gw_condition("Accepted")),
        ("Age", 0, _age),
        ("Description", 1, lambda o: o.get("spec", {}).get("description", "")),
    ],
    "Gateway": [
        ("Name", 0, _name),
        ("Class", 0, lambda o: o.get("spec", {}).get("gatewayClassName", "")),
        ("Address", 0, _gw_addresses),
        ("Programmed", 0, _gw_condition("Programmed")),
        ("Age", 0, _age),
    ],
    "ListenerSet": [
        ("Name", 0, _name),
        ("Accepted", 0, _gw_condition("Accepted")),
        ("Programmed", 0, _gw_condition("Programmed")),
        ("Age", 0, _age),
    ],
    "HTTPRoute": _ROUTE_HOSTS,
    "GRPCRoute": _ROUTE_HOSTS,
    "TLSRoute": _ROUTE_HOSTS,
    "TCPRoute": _GW_NAME_AGE,
    "UDPRoute": _GW_NAME_AGE,
    "ReferenceGrant": _GW_NAME_AGE,
    "BackendTLSPolicy": _GW_NAME_AGE,
}


def table_for(kind: str, objects: list[Obj], resource_version: int) -> dict[str, Any]:
    columns = COLUMNS.get(kind, [("Name", 0, _name), ("Age", 0, _age)])
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": str(resource_version)},
        "columnDefinitions": [
            {
                "name": name,
                "type": "string",
                "format": "name" if name == "Name" else "",
                "description": name,
                "priority": priority,
            }
            for name, priority, _ in columns
        ],
        "rows": [
            {
                "cells": [cell(o) for _, _, cell in columns],
                "object": {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": o.get("metadata", {}),
                },
            }
            for o in objects
        ],
    }
