"""Gateway ways in on a live cluster (the lab): the lab implements an Envoy Gateway class as
Envoy Gateway does (a Local-policy proxy Service in envoy-gateway-system, one proxy pod), in
front of a backend, read through the API server, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kpath.cli import main
from kpath.lab.runner import LabThread

SCENARIO = """\
kind: LabScenario
name: gw-paths-test
description: an Envoy Gateway class in front of one backend
gatewayInfrastructure: {default/eg: {replicas: 1}}
maxReplicas: 2
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: backend, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: backend}}
  template:
    metadata: {labels: {app: backend}}
    spec:
      containers: [{name: backend, image: echo, ports: [{containerPort: 3000}]}]
---
apiVersion: v1
kind: Service
metadata: {name: backend, namespace: default}
spec:
  selector: {app: backend}
  ports: [{name: http, port: 3000, targetPort: 3000}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: eg}
spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg, namespace: default}
spec:
  gatewayClassName: eg
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: backend, namespace: default}
spec:
  parentRefs: [{name: eg}]
  hostnames: [www.example.com]
  rules:
  - backendRefs: [{group: "", kind: Service, name: backend, port: 3000, weight: 1}]
"""


@pytest.fixture(scope="module")
def gateway_kubeconfig(tmp_path_factory: pytest.TempPathFactory):
    d = tmp_path_factory.mktemp("gw")
    (d / "scenario.yaml").write_text(SCENARIO)
    with LabThread(d / "scenario.yaml") as lab:
        yield Path(lab.write_kubeconfig(d / "kubeconfig"))


def test_gateway_path_and_its_infrastructure_service_live(gateway_kubeconfig, capsys):
    assert main(["paths", "-A", "-o", "json", "--kubeconfig", str(gateway_kubeconfig)]) == 0
    doc = json.loads(capsys.readouterr().out)
    infra = "envoy-gateway-system/envoy-default-eg-e41e7b31"
    (gw,) = [p for p in doc["paths"] if p["entry"]["kind"] == "gateway"]
    hop = gw["entry"]["gateway"]
    assert hop["gateway"] == "default/eg" and hop["infra"] == infra
    assert hop["route"] == {"kind": "HTTPRoute", "name": "default/backend", "rule": 0}
    assert hop["hostnames"] == ["www.example.com"]
    # Straight to both backend pods, wherever they run: no node hop on the gateway's side.
    assert gw["groups"] == [] and gw["direct"]["verdict"] == "forward"
    assert len({e["pod"] for e in gw["direct"]["endpoints"]}) == 2
    own = [p for p in doc["paths"] if p["service"] == infra]
    assert {p["entry"]["kind"] for p in own} >= {"loadbalancer", "nodeport"}
    assert all(p["gatewayInfra"] == ["default/eg"] for p in own)
    # One proxy pod, Local policy: the other two nodes drop what reaches their NodePort.
    (drop,) = [f for f in doc["findings"] if f["code"] == "KP101" and f["service"] == infra]
    assert len(drop["nodes"]) == 2
    # Whatever status the lab's own controller writes, it must agree with kpath's reading.
    assert not {f["code"] for f in doc["findings"]} & {"KP419", "KP423", "KP428", "KP429"}
