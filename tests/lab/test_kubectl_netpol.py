"""The real kubectl against the lab's NetworkPolicies (and AdminNetworkPolicies), served
from a scenario's manifests: list, get, selectors, paging and kubectl's own columns."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kpath.lab.runner import LabThread
from kpath.lab.scenario import parse_scenario
from tests.lab.conftest import KUBECTL, run_kubectl

Kubectl = Callable[..., subprocess.CompletedProcess[str]]

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (not on PATH)"),
]

SCENARIO = """
kind: LabScenario
name: policies
nodes: [{name: node-a, zone: zone-a}]
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop, labels: {tier: base}}
spec: {podSelector: {}, policyTypes: [Ingress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-fe, namespace: shop}
spec:
  podSelector:
    matchLabels: {app: web}
    matchExpressions:
      - {key: tier, operator: In, values: [b, a]}
      - {key: canary, operator: DoesNotExist}
  ingress: [{from: [{namespaceSelector: {matchLabels: {team: fe}}}], ports: [{port: http}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: office, namespace: default}
spec:
  podSelector: {matchLabels: {app: admin}}
  ingress: [{from: [{ipBlock: {cidr: 203.0.113.7/24}}]}]
---
apiVersion: crd.projectcalico.org/v1
kind: NetworkPolicy
metadata: {name: default.calico, namespace: shop}
spec: {selector: all(), types: [Ingress]}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: cluster-deny}
spec: {priority: 10, subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {}}]}]}
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LabThread, Path]]:
    with LabThread(parse_scenario(SCENARIO, origin="policies.yaml")) as running:
        yield running, running.write_kubeconfig(tmp_path_factory.mktemp("np") / "kc")


@pytest.fixture
def kubectl(lab: tuple[LabThread, Path], tmp_path: Path) -> Kubectl:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_kubectl(lab[1], *args, cache=tmp_path / "kube-cache")

    return run


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.strip().splitlines() if line.strip()]


def test_get_networkpolicies_across_namespaces(kubectl: Kubectl) -> None:
    table = rows(ok(kubectl("get", "networkpolicies", "-A")))
    assert table[0] == ["NAMESPACE", "NAME", "POD-SELECTOR", "AGE"]
    # Calico's NetworkPolicy is another group's kind: not among networking.k8s.io's.
    assert [r[:-1] for r in table[1:]] == [
        ["default", "office", "app=admin"],
        ["shop", "allow-fe", "app=web,!canary,tier", "in", "(a,b)"],  # kubectl's selector text
        ["shop", "default-deny", "<none>"],
    ]
    assert all(r[-1].endswith(("s", "m")) for r in table[1:])  # AGE


def test_get_one_policy_as_stored(kubectl: Kubectl) -> None:
    doc = json.loads(ok(kubectl("get", "networkpolicy", "office", "-o", "json")))
    assert doc["kind"] == "NetworkPolicy" and doc["apiVersion"] == "networking.k8s.io/v1"
    # Host bits kept, as an older server stored them.
    assert doc["spec"]["ingress"][0]["from"][0]["ipBlock"]["cidr"] == "203.0.113.7/24"


def test_label_selector_and_chunks(kubectl: Kubectl) -> None:
    names = rows(ok(kubectl("get", "netpol", "-A", "-l", "tier=base", "-o", "name")))
    assert names == [["networkpolicy.networking.k8s.io/default-deny"]]
    chunked = rows(ok(kubectl("get", "netpol", "-A", "--chunk-size=1", "-o", "name")))
    assert len(chunked) == 3


def test_admin_network_policies_are_served_when_the_scenario_holds_some(kubectl: Kubectl) -> None:
    table = rows(ok(kubectl("get", "adminnetworkpolicies")))
    assert table[0][:1] == ["NAME"] and [r[0] for r in table[1:]] == ["cluster-deny"]
    assert ok(kubectl("get", "anp", "-o", "name")).split() == [
        "adminnetworkpolicy.policy.networking.k8s.io/cluster-deny"
    ]
    empty = kubectl("get", "baselineadminnetworkpolicies")
    assert empty.returncode == 0 and "No resources found" in empty.stderr


def test_without_such_objects_no_admin_network_policy_is_served(tmp_path: Path) -> None:
    text = SCENARIO.split("---\napiVersion: policy.networking.k8s.io")[0]
    with LabThread(parse_scenario(text, origin="plain.yaml")) as running:
        kc = running.write_kubeconfig(tmp_path / "kc")
        result = run_kubectl(kc, "get", "adminnetworkpolicies", cache=tmp_path / "cache")
        assert result.returncode != 0
        assert "doesn't have a resource type" in result.stderr
        assert (
            ok(
                run_kubectl(kc, "get", "netpol", "-A", "-o", "name", cache=tmp_path / "cache")
            ).count("networkpolicy")
            == 3
        )
