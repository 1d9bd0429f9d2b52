"""`kpath reach` on the live lab: a scenario with NetworkPolicies, read through the lab's API
server (kpath's live reader, its namespace scoping), and the same cluster read by kubectl
into a dump: both answers agree, and each is the one the policies define."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kpath.cli import main
from kpath.lab.runner import LabThread

KUBECTL = shutil.which("kubectl")

SCENARIO = """\
kind: LabScenario
name: reach-live
description: two namespaces behind a default deny, one allow by namespace and pod
nodes:
  - {name: node-a, zone: zone-a}
  - {name: node-b, zone: zone-a}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Namespace
metadata: {name: tools, labels: {team: ops}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: ghcr.io/example/web:1
          ports: [{name: http, containerPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: tools}
spec:
  replicas: 1
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec:
      containers:
        - name: client
          image: ghcr.io/example/client:1
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: other, namespace: tools}
spec:
  replicas: 1
  selector: {matchLabels: {app: other}}
  template:
    metadata: {labels: {app: other}}
    spec:
      containers:
        - name: other
          image: ghcr.io/example/other:1
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-ops-client, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
    - from:
        - namespaceSelector: {matchLabels: {team: ops}}
          podSelector: {matchLabels: {app: client}}
      ports: [{port: http}]
"""


@pytest.fixture(scope="module")
def lab(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, dict[str, str], dict[str, str]]]:
    """The running lab's kubeconfig, the pods' names by app (the lab names them), and the
    node each runs on."""
    tmp = tmp_path_factory.mktemp("reach")
    scenario = tmp / "reach-live.yaml"
    scenario.write_text(SCENARIO)
    with LabThread(scenario) as running:
        kubeconfig = Path(running.write_kubeconfig(tmp / "kubeconfig"))
        from kpath.cluster.live import LiveOptions, load_live
        from kpath.cluster.snapshot import build_snapshot

        snap = build_snapshot(
            load_live(LiveOptions(kubeconfig=str(kubeconfig), all_namespaces=True))
        )
        apps = [p for p in snap.pods.values() if "app" in p.labels]
        yield (
            kubeconfig,
            {p.labels["app"]: str(p.key) for p in apps},
            {p.labels["app"]: p.node or "" for p in apps},
        )


def ask(capsys, *argv: str) -> dict:
    code = main(["reach", *argv, "-o", "json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


@pytest.mark.parametrize(
    ("source", "port", "allowed", "by"),
    [
        ("client", "http", True, ["shop/allow-ops-client spec.ingress[0]"]),
        ("client", "9090", False, []),  # the allow names one port
        ("other", "http", False, []),  # the namespace matches, the pod does not
    ],
)
def test_live_verdicts(lab, capsys, source, port, allowed, by):
    kubeconfig, pods, _ = lab
    doc = ask(capsys, pods[source], pods["web"], "--port", port, "--kubeconfig", str(kubeconfig))
    assert doc["allowed"] is allowed
    assert doc["ingress"]["policies"] == ["shop/allow-ops-client", "shop/default-deny"]
    assert [r["ref"] for r in doc["ingress"]["allowedBy"]] == by
    assert doc["egress"] == {
        "allowed": True,
        "policies": [],
        "allowedBy": [],
        "reason": doc["egress"]["reason"],
    }
    assert doc["notes"] == []  # policies and namespaces were read


def test_live_node_sources(lab, capsys):
    kubeconfig, pods, nodes = lab
    own = nodes["web"]
    other = "node-b" if own == "node-a" else "node-a"
    mine = ask(
        capsys, f"node/{own}", pods["web"], "--port", "8080", "--kubeconfig", str(kubeconfig)
    )
    assert mine["allowed"] is True and mine["ingress"]["allowedBy"] == []
    theirs = ask(
        capsys, f"node/{other}", pods["web"], "--port", "8080", "--kubeconfig", str(kubeconfig)
    )
    assert theirs["allowed"] is False


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_kubectl_dump_gives_the_same_answers(lab, capsys, tmp_path, monkeypatch):
    kubeconfig, pods, _ = lab
    monkeypatch.setenv("KPATH_CACHE_DIR", "")
    monkeypatch.setenv("KUBECACHEDIR", str(tmp_path / "kubectl-cache"))
    dump = tmp_path / "dump.json"
    assert KUBECTL is not None
    dump.write_text(
        subprocess.run(
            [
                KUBECTL,
                "--kubeconfig",
                str(kubeconfig),
                "get",
                "nodes,namespaces,pods,networkpolicies",
                "-A",
                "-o",
                "json",
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
    )
    for source in ("client", "other"):
        for port in ("http", "9090"):
            live = ask(
                capsys, pods[source], pods["web"], "--port", port, "--kubeconfig", str(kubeconfig)
            )
            dumped = ask(capsys, pods[source], pods["web"], "--port", port, "--dump", str(dump))
            assert dumped == live
