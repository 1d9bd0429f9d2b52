"""NetworkPolicy on the lab's other ways in, through real loopback sockets: load balancers
straight to pods and over NodePorts, hostPorts, egress at a source pod, and a Gateway's proxy
pods opening the second hop."""

from __future__ import annotations

import copy
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kpath.lab.runner import LabThread
from kpath.lab.scenario import parse_scenario
from kpath.lab.store import Store

pytestmark = pytest.mark.lab

TIMEOUT = 0.5
OUTSIDE_OFFICE = "127.1.0.1"  # outside 127.0.0.0/16 and every lab block (127.10+.x.x)

SCENARIO = """
kind: LabScenario
name: netpol-forwarding
nodes: [{name: n1}, {name: n2}]
---
apiVersion: v1
kind: Namespace
metadata: {name: app}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: solo, namespace: app}
spec:
  replicas: 1
  selector: {matchLabels: {app: solo}}
  template:
    metadata: {labels: {app: solo}}
    spec:
      nodeSelector: {kubernetes.io/hostname: n1}
      containers: [{name: c, ports: [{name: http, containerPort: 8080, hostPort: 18080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: direct, namespace: app}
spec:
  type: LoadBalancer
  allocateLoadBalancerNodePorts: false
  selector: {app: solo}
  ports: [{name: http, port: 18081, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: spread, namespace: app}
spec:
  type: LoadBalancer
  selector: {app: solo}
  ports: [{name: http, port: 18082, targetPort: http}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: app}
spec:
  replicas: 1
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec:
      containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: pair, namespace: app}
spec:
  replicas: 2
  selector: {matchLabels: {app: pair}}
  template:
    metadata: {labels: {app: pair}}
    spec:
      containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: pair, namespace: app}
spec:
  type: NodePort
  selector: {app: pair}
  ports: [{name: http, port: 80, targetPort: http, nodePort: 30090}]
---
apiVersion: v1
kind: Namespace
metadata: {name: other}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: open, namespace: other}
spec:
  replicas: 1
  selector: {matchLabels: {app: open}}
  template:
    metadata: {labels: {app: open}}
    spec:
      containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: office, namespace: app}
spec:
  podSelector: {matchExpressions: [{key: app, operator: In, values: [solo, pair]}]}
  ingress: [{from: [{ipBlock: {cidr: 127.0.0.0/16}}, {podSelector: {}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: client-stays-home, namespace: app}
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress: [{to: [{podSelector: {}}]}]
"""


@pytest.fixture(scope="module")
def lab() -> Iterator[LabThread]:
    with LabThread(
        parse_scenario(SCENARIO, origin="test"), serve_api=False, store=Store()
    ) as running:
        assert running.lab.warnings == []
        yield running


def _handshakes(address: tuple[str, int], source: str | None = None) -> bool:
    with socket.socket() as sock:
        if source is not None:
            sock.bind((source, 0))
        sock.settimeout(TIMEOUT)
        try:
            sock.connect(address)
        except TimeoutError:
            return False
        return True


def _lb(lab: LabThread, name: str) -> str:
    svc = lab.store.get("Service", "app", name)
    assert svc is not None
    return str(svc["status"]["loadBalancer"]["ingress"][0]["ip"])


def _ip(lab: LabThread, ns: str, workload: str) -> str:
    return str(lab.pods(ns, workload)[0]["status"]["podIP"])


def _client(source: str | None = None) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=source) if source else None
    return httpx.Client(transport=transport, timeout=TIMEOUT * 2)


def test_a_load_balancer_straight_to_pods_keeps_the_client_address(lab: LabThread) -> None:
    address = (_lb(lab, "direct"), 18081)
    with _client() as client:
        body = client.get(f"http://{address[0]}:{address[1]}/").json()
    assert body["client"].split(":")[0] == "127.0.0.1"
    assert not _handshakes(address, OUTSIDE_OFFICE)  # every pod it could pick denies


def test_a_host_port_keeps_the_client_address(lab: LabThread) -> None:
    node = next(n.address for n in lab.nodes if n.name == "n1")
    with _client() as client:
        body = client.get(f"http://{node}:18080/").json()
    assert body["client"].split(":")[0] == "127.0.0.1"
    assert not _handshakes((node, 18080), OUTSIDE_OFFICE)


def test_a_cluster_load_balancer_answers_through_one_node_and_holds_through_the_other(
    lab: LabThread,
) -> None:
    """Over the NodePorts: at n1 (the pod's node) SNAT to n1 passes; at n2 SNAT to n2 is
    dropped at the pod. The load balancer picks nodes in turn, so of two requests one
    answers and the other is held unanswered (its handshake with the load balancer was
    already done)."""
    url = f"http://{_lb(lab, 'spread')}:18082/"
    outcomes = []
    for _ in range(2):
        with _client() as client:
            try:
                outcomes.append(client.get(url).json()["client"].split(":")[0])
            except httpx.ReadTimeout:
                outcomes.append("held")
    n1 = next(n.address for n in lab.nodes if n.name == "n1")
    assert sorted(outcomes) == sorted([n1, "held"])


def test_a_cluster_nodeport_with_endpoints_on_both_sides_answers_or_holds(
    lab: LabThread,
) -> None:
    """At n1 the candidates are the pair's pod on n1 (SNAT to its own node: allowed) and
    on n2 (SNAT to n1: denied). The port takes the SYN, kube-proxy picks in turn, and the
    denied pick is held unanswered, as the dropped packet would leave it."""
    assert {p["spec"]["nodeName"] for p in lab.pods("app", "pair")} == {"n1", "n2"}
    n1 = next(n.address for n in lab.nodes if n.name == "n1")
    assert _handshakes((n1, 30090))  # whichever pod it is for, the node's port answers
    outcomes = []
    for _ in range(2):
        with _client() as client:
            try:
                outcomes.append(client.get(f"http://{n1}:30090/").json()["node"])
            except httpx.ReadTimeout:
                outcomes.append("held")
    assert sorted(outcomes) == ["held", "n1"]


def test_egress_is_enforced_at_the_source_pod(lab: LabThread) -> None:
    client = _ip(lab, "app", "client")
    assert _handshakes((_ip(lab, "app", "solo"), 8080), client)  # same namespace: allowed
    assert not _handshakes((_ip(lab, "other", "open"), 8080), client)  # egress denies
    assert _handshakes((_ip(lab, "other", "open"), 8080))  # the open pod itself is open


# ---------------------------------------------------------------- a Gateway's second hop
DENY_SHOP = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "deny", "namespace": "shop"},
    "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
}


def _allow_from(namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "allow-gateway", "namespace": "shop"},
        "spec": {
            "podSelector": {},
            "ingress": [
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": namespace}
                            }
                        }
                    ]
                }
            ],
        },
    }


async def _apply(lab: LabThread, objs: list[dict[str, Any]], delete: tuple[str, ...] = ()) -> None:
    for obj in objs:
        lab.lab.store.put(copy.deepcopy(obj))
    for name in delete:
        lab.lab.store.delete("NetworkPolicy", "shop", name)
    assert lab.lab.dataplane is not None
    await lab.lab.dataplane.sync()


def test_a_gateway_proxy_pod_is_the_source_of_the_second_hop() -> None:
    with LabThread("gateway-shop", serve_api=False, store=Store()) as lab:
        scheduler = lab.lab.scheduler
        assert scheduler is not None
        address = scheduler.gateway_address(("shop", "shop-gateway"))
        proxies = lab.call(_proxy_pods(lab))
        proxy_ns = {ns for ns, _ in proxies}
        assert address and len(proxy_ns) == 1
        lab.call(_apply(lab, [DENY_SHOP, _allow_from(next(iter(proxy_ns)))]))
        reply = httpx.get(f"http://{address}/", headers={"Host": "shop.example.com"}, timeout=10)
        assert reply.status_code == 200
        ips = {
            str((lab.store.get("Pod", ns, name) or {})["status"]["podIP"]) for ns, name in proxies
        }
        assert reply.json()["client"].split(":")[0] in ips
        lab.call(_apply(lab, [], delete=("allow-gateway",)))
        reply = httpx.get(f"http://{address}/", headers={"Host": "shop.example.com"}, timeout=15)
        assert reply.status_code == 503  # Envoy: upstream connect error (a timeout)


async def _proxy_pods(lab: LabThread) -> list[tuple[str, str]]:
    scheduler = lab.lab.scheduler
    assert scheduler is not None
    return sorted(
        key
        for key, infra in scheduler.gateway_pods().items()
        if infra.gateway == ("shop", "shop-gateway")
    )
