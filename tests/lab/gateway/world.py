"""A small world of raw API objects for the lab gateway controller's tests: the conformance
suite's base (namespaces, the `same-namespace`, `all-namespaces` and `backend-namespaces`
Gateways, the infra backends with ready endpoints) plus whatever a test adds."""

from __future__ import annotations

from typing import Any

import yaml

from kpath.lab.gateway.controller import ControllerState, reconcile
from kpath.lab.gateway.decide import Decision, LabRequest, decide

INFRA = "gateway-conformance-infra"
WEB = "gateway-conformance-web-backend"
APP = "gateway-conformance-app-backend"
CLASS = "lab"
CONTROLLER = "lab.kpath.dev/gateway"

BASE = f"""
kind: Namespace
metadata: {{name: {INFRA}, labels: {{gateway-conformance: infra}}}}
---
kind: Namespace
metadata: {{name: {WEB}, labels: {{gateway-conformance: web-backend}}}}
---
kind: Namespace
metadata: {{name: {APP}, labels: {{gateway-conformance: backend}}}}
---
kind: GatewayClass
metadata: {{name: {CLASS}}}
spec: {{controllerName: {CONTROLLER}}}
---
kind: Gateway
metadata: {{name: same-namespace, namespace: {INFRA}}}
spec:
  gatewayClassName: {CLASS}
  listeners:
  - {{name: http, port: 80, protocol: HTTP, allowedRoutes: {{namespaces: {{from: Same}}}}}}
---
kind: Gateway
metadata: {{name: all-namespaces, namespace: {INFRA}}}
spec:
  gatewayClassName: {CLASS}
  listeners:
  - {{name: http, port: 80, protocol: HTTP, allowedRoutes: {{namespaces: {{from: All}}}}}}
---
kind: Gateway
metadata: {{name: backend-namespaces, namespace: {INFRA}}}
spec:
  gatewayClassName: {CLASS}
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes:
      namespaces: {{from: Selector, selector: {{matchLabels: {{gateway-conformance: backend}}}}}}
"""

#: (namespace, name, ready endpoint address or None for a Service with no ready endpoint)
BACKENDS = [
    (INFRA, "infra-backend-v1", "10.1.0.1"),
    (INFRA, "infra-backend-v2", "10.1.0.2"),
    (INFRA, "infra-backend-v3", "10.1.0.3"),
    (WEB, "web-backend", "10.2.0.1"),
    (APP, "app-backend-v1", "10.3.0.1"),
    (APP, "app-backend-v2", "10.3.0.2"),
    (INFRA, "tls-backend", "10.1.0.9"),
    (INFRA, "tls-backend-2", "10.1.0.10"),
    (INFRA, "grpc-infra-backend-v1", "10.1.1.1"),
    (INFRA, "grpc-infra-backend-v2", "10.1.1.2"),
    (INFRA, "idle-backend", None),
]


def service(ns: str, name: str, address: str | None) -> list[dict[str, Any]]:
    svc = {
        "kind": "Service",
        "metadata": {"namespace": ns, "name": name},
        "spec": {
            "ports": [
                {"name": "first-port", "port": 8080, "targetPort": 3000},
                {"name": "https", "port": 443, "targetPort": 8443},
            ]
        },
    }
    endpoints = (
        [{"addresses": [address], "conditions": {"ready": True}}]
        if address
        else [{"addresses": ["10.9.9.9"], "conditions": {"ready": False}}]
    )
    sl = {
        "kind": "EndpointSlice",
        "metadata": {
            "namespace": ns,
            "name": f"{name}-abc",
            "labels": {"kubernetes.io/service-name": name},
        },
        "ports": [{"name": "first-port", "port": 3000}, {"name": "https", "port": 8443}],
        "endpoints": endpoints,
    }
    return [svc, sl]


def objects(*extra: str, base: bool = True) -> dict[str, list[dict[str, Any]]]:
    by_kind: dict[str, list[dict[str, Any]]] = {}
    docs: list[dict[str, Any]] = []
    for text in ((BASE,) if base else ()) + extra:
        docs += [d for d in yaml.safe_load_all(text) if d]
    for ns, name, addr in BACKENDS:
        docs += service(ns, name, addr)
    for doc in docs:
        doc.setdefault("metadata", {}).setdefault("creationTimestamp", "2026-01-01T00:00:00Z")
        by_kind.setdefault(doc["kind"], []).append(doc)
    return by_kind


def world(*extra: str, base: bool = True) -> ControllerState:
    objs = objects(*extra, base=base)
    addrs = {
        (g["metadata"].get("namespace", "default"), g["metadata"]["name"]): ["127.0.0.10"]
        for g in objs.get("Gateway", [])
    }
    return reconcile(objs, addrs)


def ask(
    state: ControllerState,
    path: str = "/",
    *,
    gateway: str = "same-namespace",
    host: str = "example.com",
    method: str = "GET",
    headers: dict[str, str] | None = None,
    port: int = 80,
    protocol: str = "http",
    ns: str = INFRA,
) -> Decision:
    path, _, query = path.partition("?")
    return decide(
        state,
        (ns, gateway),
        port,
        LabRequest(
            protocol,
            host,
            path,
            query,
            method,  # type: ignore[arg-type]
            tuple((headers or {}).items()),
        ),
    )


def answer(decision: Decision) -> str | int:
    """The backend name a single-backend forward reaches, else the status code."""
    if decision.kind == "forward":
        live = [b for b in decision.backends if b.weight]
        assert len(live) == 1, decision
        return live[0].name
    if decision.kind == "redirect":
        return decision.status
    if decision.kind == "respond":
        return decision.status
    return "refused"


def cond(status: dict[str, Any], ctype: str) -> tuple[str, str]:
    found = [c for c in status["conditions"] if c["type"] == ctype]
    assert len(found) == 1, status
    return found[0]["status"], found[0]["reason"]
