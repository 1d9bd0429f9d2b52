"""NetworkPolicy predictions probed live against the lab, which enforces policies on its
own data plane (kpath/lab/netpolicy.py, not kpath's evaluator): blocked hops time out as
predicted, allowed ones answer, and kpath's judgement agrees with both.

The client is this machine (127.0.0.1 on loopback): a probe run judges from this machine's
address by default (or ``--client``), since pod hops are probed straight from here and
Local-policy hops keep this address. Under Cluster policy the lab SNATs to the entry node's
address (127.B.0.N), which `allow-host` does not allow: those node hops are blocked except
at the pod's own node.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kpath.lab.runner import LabThread
from kpath.lab.scenario import parse_scenario
from tests.integration.scenario_probe import contradicted, hops, probe_lab

pytestmark = [pytest.mark.lab]

SCENARIO = """
kind: LabScenario
name: netpol-paths
nodes:
  - {name: node-a, zone: zone-a}
  - {name: node-b, zone: zone-a}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: vault, namespace: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: vault}}
  template:
    metadata: {labels: {app: vault}}
    spec:
      nodeName: node-a
      containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: vault, namespace: shop}
spec:
  type: NodePort
  selector: {app: vault}
  ports: [{name: http, port: 80, targetPort: http, nodePort: 31081}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: sealed, namespace: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: sealed}}
  template:
    metadata: {labels: {app: sealed}}
    spec:
      containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: sealed, namespace: shop}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  selector: {app: sealed}
  ports: [{name: http, port: 80, targetPort: http, nodePort: 31082}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-host, namespace: shop}
spec:
  podSelector: {matchLabels: {app: vault}}
  ingress: [{from: [{ipBlock: {cidr: 127.0.0.1/32}}], ports: [{port: 8080}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-sealed, namespace: shop}
spec:
  podSelector: {matchLabels: {app: sealed}}
  policyTypes: [Ingress]
"""


def test_policy_verdicts_probe_clean_and_blocked_hops_time_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = parse_scenario(SCENARIO, origin="netpol-paths")
    with LabThread(scenario) as lab:
        kubeconfig = lab.write_kubeconfig(tmp_path / "kubeconfig")
        doc = probe_lab(kubeconfig, capsys, "--client", "127.0.0.1")
        here = probe_lab(kubeconfig, capsys)  # probing: this machine's own address
        wrong = probe_lab(kubeconfig, capsys, "--client", "203.0.113.1")  # not this machine
    bad = [f"{h.label()}: {h.reason}" for h in contradicted(doc)]
    assert not bad, "\n".join(bad)
    assert doc["policyClient"]["address"] == "127.0.0.1"
    assert here["policyClient"]["address"] == "127.0.0.1"
    assert "this machine" in here["policyClient"]["note"] and not contradicted(here)
    by = {(h.service, h.kind, h.nodes): h for h in hops(doc)}
    # vault under Cluster policy: SNAT to node-b's address is denied; node-a is its own node.
    blocked = by[("shop/vault", "node", ("node-b",))]
    assert blocked.verdict == "confirmed" and "blocked by policy shop/allow-host" in blocked.reason
    assert "silence" in blocked.reason
    own = by[("shop/vault", "node", ("node-a",))]
    assert own.verdict == "confirmed" and "an answer" in own.reason
    # sealed denies every ingress: its pod hop (from here) is silent, and predicted so.
    sealed_pods = [h for h in hops(doc) if h.service == "shop/sealed" and h.kind == "pod"]
    assert sealed_pods and all(
        h.verdict == "confirmed" and "silence" in h.reason for h in sealed_pods
    )
    codes = {f["code"] for f in doc["findings"]}
    assert {"KP520", "KP523"} <= codes
    # Judged from 203.0.113.1, vault's pod looks blocked but answers this machine:
    # the probe says the prediction does not hold for the source that really sent.
    assert any(h.service == "shop/vault" and h.kind == "pod" for h in contradicted(wrong))
