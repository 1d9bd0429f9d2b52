"""The lab's data plane, through real loopback sockets: policies, health checks, LBs, ingress,
faults. Plus plain unit tests of its own (independent) forwarding rules."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kpath.lab.dataplane import (
    LabEndpoint,
    choose_endpoints,
    route_ingress,
    slice_endpoints,
)
from kpath.lab.runner import LabThread
from kpath.lab.scenario import parse_scenario

try:
    from tests.lab.fixtures_dataplane import MiniStore
except ImportError:
    from fixtures_dataplane import MiniStore  # type: ignore[no-redef]

pytestmark = pytest.mark.lab

TIMEOUT = 0.5  # a client that gives up after half a second

SCENARIO = """
kind: LabScenario
name: dataplane-test
nodes: [{name: n1, zone: z1}, {name: n2, zone: z1}, {name: n3, zone: z2}]
ingressController: {namespace: default, service: ctl}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: one}
spec:
  replicas: 1
  selector: {matchLabels: {app: one}}
  template:
    metadata: {labels: {app: one}}
    spec:
      nodeSelector: {kubernetes.io/hostname: n1}
      containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: local-np}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  selector: {app: one}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: lb-local}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  selector: {app: one}
  ports: [{name: http, port: 18080, targetPort: http}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: far}
spec:
  replicas: 1
  selector: {matchLabels: {app: far}}
  template:
    metadata: {labels: {app: far}}
    spec:
      nodeSelector: {kubernetes.io/hostname: n3}
      containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: cluster-np}
spec:
  type: NodePort
  selector: {app: far}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: empty-np}
spec:
  type: NodePort
  selector: {app: nothing-has-this}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: spread}
spec:
  replicas: 3
  selector: {matchLabels: {app: spread}}
  template:
    metadata: {labels: {app: spread}}
    spec:
      containers:
        - name: c
          ports: [{name: http, containerPort: 8080}, {name: tcp-echo, containerPort: 6000}]
---
apiVersion: v1
kind: Service
metadata: {name: spread}
spec:
  type: LoadBalancer
  selector: {app: spread}
  ports: [{name: http, port: 18081, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: direct}
spec:
  type: LoadBalancer
  loadBalancerClass: example.com/ip-target
  allocateLoadBalancerNodePorts: false
  selector: {app: spread}
  ports: [{name: http, port: 18082, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: dead-port}
spec:
  selector: {app: spread}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: bare}
spec:
  replicas: 1
  selector: {matchLabels: {app: bare}}
  template:
    metadata: {labels: {app: bare}}
    spec:
      containers: [{name: c}]
---
apiVersion: v1
kind: Service
metadata: {name: bare}
spec:
  selector: {app: bare}
  ports: [{name: web, port: 80, targetPort: 7000}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ctl}
spec:
  replicas: 1
  selector: {matchLabels: {app: ctl}}
  template:
    metadata: {labels: {app: ctl}}
    spec:
      containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: ctl}
spec:
  type: LoadBalancer
  selector: {app: ctl}
  ports: [{name: http, port: 18090, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
    - host: a.example
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: spread, port: {number: 18081}}}}
          - path: /far
            pathType: Prefix
            backend: {service: {name: cluster-np, port: {name: http}}}
    - host: b.example
      http:
        paths:
          - path: /exact
            pathType: Exact
            backend: {service: {name: local-np, port: {number: 80}}}
"""


# ---------------------------------------------------------------- fixtures and helpers
@pytest.fixture(scope="module")
def lab() -> Iterator[LabThread]:
    scenario = parse_scenario(SCENARIO, origin="test")
    with LabThread(scenario, serve_api=False, store=MiniStore()) as running:
        assert running.lab.warnings == []
        yield running


@pytest.fixture(autouse=True)
def no_faults_left(lab: LabThread) -> Iterator[None]:
    yield
    lab.clear()


async def _get(lab: LabThread, kind: str, ns: str | None, name: str) -> Any:
    return lab.lab.store.get(kind, ns, name)


def obj(lab: LabThread, kind: str, name: str, ns: str | None = "default") -> dict[str, Any]:
    found = lab.call(_get(lab, kind, ns, name))
    assert found is not None, f"{kind} {name} missing"
    return found  # type: ignore[no-any-return]


def node_ip(lab: LabThread, name: str) -> str:
    return next(n.address for n in lab.nodes if n.name == name)


def node_port(lab: LabThread, service: str) -> int:
    return int(obj(lab, "Service", service)["spec"]["ports"][0]["nodePort"])


def lb_address(lab: LabThread, service: str) -> str:
    svc = obj(lab, "Service", service)
    return f"{svc['status']['loadBalancer']['ingress'][0]['ip']}:{svc['spec']['ports'][0]['port']}"


def get(url: str, **kw: Any) -> httpx.Response:
    """A fresh connection per request (a new client each time), half-second timeout."""
    return httpx.get(url, timeout=TIMEOUT, **kw)


def pod_ips(lab: LabThread, workload: str) -> dict[str, str]:
    return {p["metadata"]["name"]: p["status"]["podIP"] for p in lab.pods("default", workload)}


# ---------------------------------------------------------------- policies
def test_local_policy_node_port_without_local_pod_times_out(lab: LabThread) -> None:
    port = node_port(lab, "local-np")
    for node in ("n2", "n3"):
        with pytest.raises(httpx.TimeoutException):
            get(f"http://{node_ip(lab, node)}:{port}/")


def test_local_policy_node_port_with_local_pod_keeps_the_client_address(lab: LabThread) -> None:
    reply = get(f"http://{node_ip(lab, 'n1')}:{node_port(lab, 'local-np')}/hello").json()
    assert reply["node"] == "n1"
    assert reply["client"].split(":")[0] == "127.0.0.1"  # not SNATed
    assert reply["path"] == "/hello"


def test_cluster_policy_crosses_nodes_and_the_pod_sees_the_node(lab: LabThread) -> None:
    port = node_port(lab, "cluster-np")
    for node in ("n1", "n2", "n1", "n2"):
        response = get(f"http://{node_ip(lab, node)}:{port}/")
        reply = response.json()
        assert reply["node"] == "n3"  # the only pod lives on n3: a cross-node hop
        assert reply["client"].split(":")[0] == node_ip(lab, node)
        assert response.headers["X-Node-Name"] == "n3"
        assert response.headers["X-Pod-Namespace"] == "default"
        assert response.headers["X-Pod-Name"] == reply["pod"]


def test_cluster_policy_spreads_over_pods_on_every_node(lab: LabThread) -> None:
    svc = obj(lab, "Service", "spread")
    port = svc["spec"]["ports"][0]["nodePort"]
    seen = {get(f"http://{node_ip(lab, 'n1')}:{port}/").json()["node"] for _ in range(6)}
    assert seen == {"n1", "n2", "n3"}


def test_service_without_endpoints_is_refused_not_timed_out(lab: LabThread) -> None:
    with pytest.raises(httpx.TransportError) as caught:
        get(f"http://{node_ip(lab, 'n1')}:{node_port(lab, 'empty-np')}/")
    assert not isinstance(caught.value, httpx.TimeoutException)


def test_health_check_node_port(lab: LabThread) -> None:
    hc = obj(lab, "Service", "lb-local")["spec"]["healthCheckNodePort"]
    ok = get(f"http://{node_ip(lab, 'n1')}:{hc}/healthz")
    assert ok.status_code == 200 and ok.json()["localEndpoints"] == 1
    for node in ("n2", "n3"):
        bad = get(f"http://{node_ip(lab, node)}:{hc}/healthz")
        assert bad.status_code == 503 and bad.json()["localEndpoints"] == 0


# ---------------------------------------------------------------- load balancers, ingress
def test_load_balancer_spreads_over_nodes_and_pods(lab: LabThread) -> None:
    address = lb_address(lab, "spread")
    replies = [get(f"http://{address}/").json() for _ in range(6)]
    assert len({r["pod"] for r in replies}) == 3
    # through a node with Cluster policy: the pod sees some node's address
    assert {r["client"].split(":")[0] for r in replies} <= {n.address for n in lab.nodes}


def test_local_load_balancer_only_uses_nodes_that_pass_the_health_check(lab: LabThread) -> None:
    address = lb_address(lab, "lb-local")
    for _ in range(4):
        reply = get(f"http://{address}/").json()
        assert reply["node"] == "n1"
        assert reply["client"].split(":")[0] == "127.0.0.1"


def test_pod_target_load_balancer_goes_straight_to_pods(lab: LabThread) -> None:
    address = lb_address(lab, "direct")
    replies = [get(f"http://{address}/").json() for _ in range(6)]
    assert {r["podIP"] for r in replies} == set(pod_ips(lab, "spread").values())
    assert {r["client"].split(":")[0] for r in replies} == {"127.0.0.1"}


def test_ingress_routes_by_host_and_path(lab: LabThread) -> None:
    address = lb_address(lab, "ctl")
    ctl_ip = next(iter(pod_ips(lab, "ctl").values()))
    root = get(f"http://{address}/shop", headers={"Host": "a.example"}).json()
    assert root["pod"] in pod_ips(lab, "spread")
    assert root["host"] == "a.example"
    assert root["client"].split(":")[0] == ctl_ip  # the controller pod opens the second leg
    far = get(f"http://{address}/far/x", headers={"Host": "a.example"}).json()
    assert far["node"] == "n3"
    assert get(f"http://{address}/farther", headers={"Host": "a.example"}).json()["pod"] in pod_ips(
        lab, "spread"
    )  # Prefix matches whole path elements only
    exact = get(f"http://{address}/exact", headers={"Host": "b.example"}).json()
    assert exact["node"] == "n1"
    assert get(f"http://{address}/exact/more", headers={"Host": "b.example"}).status_code == 404
    assert get(f"http://{address}/", headers={"Host": "c.example"}).status_code == 404
    ingress = obj(lab, "Ingress", "web")
    assert ingress["status"]["loadBalancer"]["ingress"][0]["ip"] == address.split(":")[0]


# ---------------------------------------------------------------- pods
def test_non_http_port_is_a_tcp_echo(lab: LabThread) -> None:
    ip = next(iter(pod_ips(lab, "spread").values()))
    with socket.create_connection((ip, 6000), timeout=2) as sock:
        sock.sendall(b"ping\n")
        assert sock.recv(100) == b"ping\n"


def test_pod_without_container_ports_listens_on_the_service_target_port(lab: LabThread) -> None:
    ip = next(iter(pod_ips(lab, "bare").values()))
    assert get(f"http://{ip}:7000/").json()["port"] == 7000


# ---------------------------------------------------------------- faults
def test_fault_node_down(lab: LabThread) -> None:
    lab.stop_node("n3")
    node = obj(lab, "Node", "n3", None)
    assert next(c for c in node["status"]["conditions"] if c["type"] == "Ready")["status"] != "True"
    with pytest.raises(httpx.TimeoutException):  # a dead machine does not answer
        get(f"http://{node_ip(lab, 'n3')}:{node_port(lab, 'cluster-np')}/")
    # its only endpoint turned unready: elsewhere the service now has none and refuses
    with pytest.raises(httpx.TransportError) as caught:
        get(f"http://{node_ip(lab, 'n1')}:{node_port(lab, 'cluster-np')}/")
    assert not isinstance(caught.value, httpx.TimeoutException)
    lab.start_node("n3")
    assert get(f"http://{node_ip(lab, 'n1')}:{node_port(lab, 'cluster-np')}/").status_code == 200


def test_fault_pod_hang_refuse_and_error(lab: LabThread) -> None:
    name, ip = next(iter(pod_ips(lab, "spread").items()))
    assert get(f"http://{ip}:8080/").status_code == 200
    lab.inject({"kind": "pod-hang", "pod": f"default/{name}"})
    with pytest.raises(httpx.TimeoutException):
        get(f"http://{ip}:8080/")
    lab.clear()
    lab.inject({"kind": "pod-refuse", "pod": f"default/{name}"})
    with pytest.raises(httpx.ConnectError):
        get(f"http://{ip}:8080/")
    lab.clear()
    lab.inject({"kind": "pod-error", "pod": "default/spread", "replica": 0, "status": 503})
    first = lab.pods("default", "spread")[0]
    assert get(f"http://{first['status']['podIP']}:8080/").status_code == 503
    lab.clear()
    assert get(f"http://{ip}:8080/").status_code == 200


def test_fault_target_port_with_nothing_listening(lab: LabThread) -> None:
    ip = next(iter(pod_ips(lab, "spread").values()))
    lab.inject({"kind": "target-port-dead", "service": "default/dead-port"})
    with pytest.raises(httpx.ConnectError):
        get(f"http://{ip}:8080/")
    with socket.create_connection((ip, 6000), timeout=2):  # other ports still listen
        pass


def test_fault_slow_hop(lab: LabThread) -> None:
    ip = pod_ips(lab, "one")
    name, address = next(iter(ip.items()))
    lab.inject({"kind": "slow", "pod": f"default/{name}", "delay": 5})
    with pytest.raises(httpx.TimeoutException):
        get(f"http://{address}:8080/")
    lab.clear()
    lab.inject({"kind": "slow", "node": "n1", "delay": 5})
    with pytest.raises(httpx.TimeoutException):
        get(f"http://{node_ip(lab, 'n1')}:{node_port(lab, 'local-np')}/")


def test_scale_and_kill_change_the_data_plane(lab: LabThread) -> None:
    ((old_name, old_ip),) = pod_ips(lab, "far").items()
    new_name = lab.kill_pod("default", old_name)
    assert new_name and new_name != old_name
    with pytest.raises(httpx.ConnectError):
        get(f"http://{old_ip}:8080/")
    reply = get(f"http://{node_ip(lab, 'n1')}:{node_port(lab, 'cluster-np')}/").json()
    assert reply["pod"] == new_name
    lab.scale("default", "far", 2)
    assert len(pod_ips(lab, "far")) == 2
    lab.scale("default", "far", 1)
    assert len(pod_ips(lab, "far")) == 1


# ---------------------------------------------------------------- pure rules
def ep(
    ip: str,
    node: str,
    *,
    ready: bool = True,
    serving: bool = True,
    term: bool = False,
    zones: tuple[str, ...] = (),
) -> LabEndpoint:
    return LabEndpoint(ip, 80, node, ready, serving, term, zones)


def test_choose_endpoints_policies() -> None:
    eps = [ep("a", "n1"), ep("b", "n2")]
    assert choose_endpoints(eps, local=True, node="n1", zone="z") == ("forward", [eps[0]])
    assert choose_endpoints(eps, local=True, node="n3", zone="z") == ("drop", [])
    assert choose_endpoints(eps, local=False, node="n3", zone="z") == ("forward", eps)
    assert choose_endpoints([], local=False, node="n1", zone="z") == ("reject", [])
    unready = [ep("a", "n1", ready=False, serving=False)]
    assert choose_endpoints(unready, local=False, node="n1", zone=None)[0] == "reject"


def test_choose_endpoints_falls_back_to_serving_terminating() -> None:
    eps = [
        ep("a", "n1", ready=False, serving=True, term=True),
        ep("b", "n2", ready=False, serving=False, term=True),
    ]
    assert choose_endpoints(eps, local=False, node="n2", zone=None) == ("forward", [eps[0]])
    assert choose_endpoints(eps, local=True, node="n2", zone=None) == ("drop", [])


def test_choose_endpoints_uses_zone_hints_only_when_all_ready_have_them() -> None:
    hinted = [ep("a", "n1", zones=("z1",)), ep("b", "n3", zones=("z2",))]
    assert choose_endpoints(hinted, local=False, node="n2", zone="z1")[1] == [hinted[0]]
    assert choose_endpoints(hinted, local=False, node="n9", zone="z9")[1] == hinted
    partial = [hinted[0], ep("c", "n3")]
    assert choose_endpoints(partial, local=False, node="n2", zone="z1")[1] == partial


def test_slice_endpoints_reads_named_ports() -> None:
    slices = [
        {
            "ports": [{"name": "http", "port": 8080}],
            "endpoints": [
                {"addresses": ["1"], "conditions": {"ready": True}, "nodeName": "n1"},
                {"addresses": ["2"], "conditions": {}, "nodeName": "n2"},
            ],
        },
        {"ports": [{"name": "other", "port": 1}], "endpoints": [{"addresses": ["3"]}]},
    ]
    got = slice_endpoints(slices, "http")
    assert [(e.ip, e.port, e.ready) for e in got] == [("1", 8080, True), ("2", 8080, True)]


def test_route_ingress_rules() -> None:
    def backend(name: str) -> dict[str, Any]:
        return {"service": {"name": name, "port": {"number": 80}}}

    ingresses = [
        {
            "metadata": {"namespace": "ns"},
            "spec": {
                "defaultBackend": backend("default"),
                "rules": [
                    {
                        "host": "a.example",
                        "http": {
                            "paths": [
                                {"path": "/", "pathType": "Prefix", "backend": backend("root")},
                                {"path": "/api", "pathType": "Prefix", "backend": backend("api")},
                                {
                                    "path": "/api",
                                    "pathType": "Exact",
                                    "backend": backend("api-exact"),
                                },
                            ]
                        },
                    },
                    {
                        "host": "*.wild.example",
                        "http": {
                            "paths": [
                                {
                                    "path": "/*",
                                    "pathType": "ImplementationSpecific",
                                    "backend": backend("wild"),
                                }
                            ]
                        },
                    },
                    {
                        "http": {
                            "paths": [
                                {
                                    "path": "/any",
                                    "pathType": "Prefix",
                                    "backend": backend("hostless"),
                                }
                            ]
                        }
                    },
                ],
            },
        }
    ]

    def svc(host: str, path: str) -> str | None:
        found = route_ingress(ingresses, host, path)
        return found["service"] if found else None

    assert svc("a.example", "/") == "root"
    assert svc("a.example:80", "/api/v1") == "api"
    assert svc("A.EXAMPLE", "/api") == "api-exact"
    assert svc("a.example", "/apiary") == "root"
    assert svc("x.wild.example", "/q") == "wild"
    assert svc("wild.example", "/q") == "default"
    assert svc("other", "/any/thing") == "hostless"
    assert svc("other", "/") == "default"
    assert route_ingress([], "a", "/") is None
