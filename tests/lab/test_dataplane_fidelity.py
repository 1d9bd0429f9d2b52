"""The lab's pods behave as a real cluster's pods would, through real loopback sockets:
HTTPS ports speak TLS (a self-signed certificate), hostPorts and hostNetwork pods answer on
their node's address, and the ingress controller answers only the classes it claims."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kpath.lab.certs import FAKE_CERT_CN
from kpath.lab.runner import LabThread
from kpath.lab.scenario import parse_scenario

try:
    from tests.lab.fixtures_dataplane import MiniStore
except ImportError:
    from fixtures_dataplane import MiniStore  # type: ignore[no-redef]

pytestmark = pytest.mark.lab

TIMEOUT = 1.0

SCENARIO = """
kind: LabScenario
name: fidelity-test
nodes: [{name: n1, zone: z1}, {name: n2, zone: z1}]
ingressController: {namespace: default, service: ctl, classes: [mine]}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: mine}
spec: {controller: example.com/mine}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: sibling}
spec: {controller: example.com/mine}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: foreign}
spec: {controller: example.com/theirs}
---
# The ingress controller, as contour's envoy runs: a DaemonSet with hostPorts.
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ctl}
spec:
  selector: {matchLabels: {app: ctl}}
  template:
    metadata: {labels: {app: ctl}}
    spec:
      containers:
        - name: envoy
          ports:
            - {name: http, containerPort: 8080, hostPort: 18080}
            - {name: https, containerPort: 8443, hostPort: 18443}
            - {name: metrics, containerPort: 8002}
---
apiVersion: v1
kind: Service
metadata: {name: ctl}
spec:
  type: LoadBalancer
  selector: {app: ctl}
  ports:
    - {name: http, port: 18080, targetPort: http}
    - {name: https, port: 18443, targetPort: https}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  replicas: 1
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: app}
spec:
  selector: {app: app}
  ports: [{name: http, port: 80, targetPort: http}]
---
# A webhook: port 8443 named for what it does, not its protocol; TLS by number.
apiVersion: apps/v1
kind: Deployment
metadata: {name: hook}
spec:
  replicas: 1
  selector: {matchLabels: {app: hook}}
  template:
    metadata: {labels: {app: hook}}
    spec:
      containers: [{name: c, ports: [{name: webhook, containerPort: 8443}]}]
---
# appProtocol on the Service declares TLS for an unnamed pod port.
apiVersion: apps/v1
kind: Deployment
metadata: {name: declared}
spec:
  replicas: 1
  selector: {matchLabels: {app: declared}}
  template:
    metadata: {labels: {app: declared}}
    spec:
      containers: [{name: c, ports: [{containerPort: 9000}]}]
---
apiVersion: v1
kind: Service
metadata: {name: declared}
spec:
  selector: {app: declared}
  ports: [{name: api, port: 9000, targetPort: 9000, appProtocol: https}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: pair}
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
metadata: {name: sticky}
spec:
  type: NodePort
  sessionAffinity: ClientIP
  selector: {app: pair}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: spread}
spec:
  type: NodePort
  selector: {app: pair}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: to-tls}
spec:
  ingressClassName: mine
  rules:
    - host: e.example
      http: {paths: [{path: /, pathType: Prefix,
                      backend: {service: {name: declared, port: {number: 9000}}}}]}
---
apiVersion: v1
kind: Pod
metadata: {name: hostnet, labels: {app: hostnet}}
spec:
  nodeName: n2
  hostNetwork: true
  containers: [{name: c, ports: [{name: http, containerPort: 18500}]}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: mine}
spec:
  ingressClassName: mine
  rules:
    - host: a.example
      http: {paths: [{path: /, pathType: Prefix,
                      backend: {service: {name: app, port: {number: 80}}}}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: sibling}
spec:
  ingressClassName: sibling
  rules:
    - host: b.example
      http: {paths: [{path: /, pathType: Prefix,
                      backend: {service: {name: app, port: {number: 80}}}}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: foreign}
spec:
  ingressClassName: foreign
  rules:
    - host: c.example
      http: {paths: [{path: /, pathType: Prefix,
                      backend: {service: {name: app, port: {number: 80}}}}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: legacy
  annotations: {kubernetes.io/ingress.class: foreign}
spec:
  rules:
    - host: d.example
      http: {paths: [{path: /, pathType: Prefix,
                      backend: {service: {name: app, port: {number: 80}}}}]}
"""


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


def pod(lab: LabThread, workload: str, node: str | None = None) -> dict[str, Any]:
    pods = [
        p for p in lab.pods("default", workload) if node is None or p["spec"]["nodeName"] == node
    ]
    assert pods, f"no pod of {workload} on {node}"
    return pods[0]


def node_ip(lab: LabThread, name: str) -> str:
    return next(n.address for n in lab.nodes if n.name == name)


def insecure() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def get(url: str, **kw: Any) -> httpx.Response:
    return httpx.get(url, timeout=TIMEOUT, **kw)


def lb(lab: LabThread, service: str) -> str:
    svc = lab.call(_get_service(lab, service))
    return str(svc["status"]["loadBalancer"]["ingress"][0]["ip"])


async def _get_service(lab: LabThread, name: str) -> Any:
    return lab.lab.store.get("Service", "default", name)


# ---------------------------------------------------------------- TLS
def test_https_port_speaks_tls_with_a_self_signed_certificate(lab: LabThread) -> None:
    ctl = pod(lab, "ctl", "n1")
    ip = ctl["status"]["podIP"]
    with pytest.raises(httpx.ConnectError) as caught:
        get(f"https://{ip}:8443/")  # a client that verifies sees the certificate problem
    assert "certificate" in str(caught.value).lower()
    with (
        socket.create_connection((ip, 8443), timeout=TIMEOUT) as raw,
        insecure().wrap_socket(raw) as tls,
    ):
        cert = tls.getpeercert(binary_form=True)
        assert cert is not None
    pem = ssl.DER_cert_to_PEM_cert(cert)
    verify = ssl.create_default_context()
    verify.load_verify_locations(cadata=pem)  # trust it, to read its subject
    verify.check_hostname = False
    with (
        socket.create_connection((ip, 8443), timeout=TIMEOUT) as raw,
        verify.wrap_socket(raw) as tls,
    ):
        subject = dict(x[0] for x in tls.getpeercert()["subject"])  # type: ignore[index]
    assert subject["commonName"] == FAKE_CERT_CN


def test_a_webhook_port_8443_and_an_https_app_protocol_are_tls(lab: LabThread) -> None:
    hook = pod(lab, "hook")
    reply = get(f"https://{hook['status']['podIP']}:8443/x", verify=insecure())
    assert reply.json()["pod"] == hook["metadata"]["name"] and reply.json()["path"] == "/x"
    declared = pod(lab, "declared")
    reply = get(f"https://{declared['status']['podIP']}:9000/", verify=insecure())
    assert reply.headers["X-Pod-Name"] == declared["metadata"]["name"]
    with pytest.raises(httpx.TransportError):  # plain HTTP to a TLS port gets no answer
        get(f"http://{declared['status']['podIP']}:9000/")


def test_ingress_controller_terminates_tls_and_routes_by_host(lab: LabThread) -> None:
    app = pod(lab, "app")["metadata"]["name"]
    reply = get(
        f"https://{lb(lab, 'ctl')}:18443/", headers={"Host": "a.example"}, verify=insecure()
    )
    assert reply.status_code == 200 and reply.json()["pod"] == app


def test_only_the_ingress_ports_route_other_controller_ports_are_the_pod(lab: LabThread) -> None:
    ctl = pod(lab, "ctl", "n1")
    reply = get(f"http://{ctl['status']['podIP']}:8002/metrics", headers={"Host": "a.example"})
    assert reply.json()["pod"] == ctl["metadata"]["name"]


def test_plain_http_from_the_controller_to_a_tls_backend_is_a_bad_gateway(
    lab: LabThread,
) -> None:
    reply = get(f"http://{lb(lab, 'ctl')}:18080/", headers={"Host": "e.example"})
    assert reply.status_code == 502 and "X-Pod-Name" not in reply.headers


# ---------------------------------------------------------------- session affinity
def node_port(lab: LabThread, service: str) -> int:
    return int(lab.call(_get_service(lab, service))["spec"]["ports"][0]["nodePort"])


def test_client_ip_affinity_keeps_a_client_on_one_pod(lab: LabThread) -> None:
    for service, distinct in (("sticky", 1), ("spread", 2)):
        url = f"http://{node_ip(lab, 'n1')}:{node_port(lab, service)}/"
        assert len({get(url).json()["pod"] for _ in range(6)}) == distinct, service


# ---------------------------------------------------------------- ingress classes
def test_controller_answers_only_its_own_classes(lab: LabThread) -> None:
    app = pod(lab, "app")["metadata"]["name"]
    base = f"http://{lb(lab, 'ctl')}:18080/"
    assert get(base, headers={"Host": "a.example"}).json()["pod"] == app
    # another IngressClass with the same spec.controller is the controller's too
    assert get(base, headers={"Host": "b.example"}).json()["pod"] == app
    for host in ("c.example", "d.example"):  # a foreign class, by field and by annotation
        reply = get(base, headers={"Host": host})
        assert reply.status_code == 404 and "X-Pod-Name" not in reply.headers


# ---------------------------------------------------------------- hostPort, hostNetwork
def test_host_port_forwards_from_the_node_to_its_own_pod(lab: LabThread) -> None:
    app = pod(lab, "app")["metadata"]["name"]
    for node in ("n1", "n2"):
        reply = get(f"http://{node_ip(lab, node)}:18080/", headers={"Host": "a.example"})
        assert reply.json()["pod"] == app
        # TLS passes through the hostPort to the controller's HTTPS port
        reply = get(
            f"https://{node_ip(lab, node)}:18443/", headers={"Host": "a.example"}, verify=insecure()
        )
        assert reply.json()["pod"] == app
        # the controller pod on that node is the one that answers a request it routes itself
        own = pod(lab, "ctl", node)
        hop = get(f"http://{own['status']['podIP']}:8080/", headers={"Host": "a.example"})
        assert hop.json()["client"].split(":")[0] == own["status"]["podIP"]


def test_host_port_on_a_stopped_node_is_silent(lab: LabThread) -> None:
    lab.stop_node("n1")
    with pytest.raises(httpx.TimeoutException):
        get(f"http://{node_ip(lab, 'n1')}:18080/", headers={"Host": "a.example"})


def test_host_network_pod_answers_on_its_node_address(lab: LabThread) -> None:
    hostnet = lab.call(_get_pod(lab, "hostnet"))
    assert hostnet is not None and hostnet["status"]["podIP"] == node_ip(lab, "n2")
    reply = get(f"http://{node_ip(lab, 'n2')}:18500/")
    assert reply.json()["pod"] == "hostnet" and reply.json()["node"] == "n2"


async def _get_pod(lab: LabThread, name: str) -> Any:
    return lab.lab.store.get("Pod", "default", name)


SHADOW = """
kind: LabScenario
name: shadow-test
nodes: [{name: n1, zone: z1}]
---
apiVersion: v1
kind: Pod
metadata: {name: hostnet, labels: {app: hostnet}}
spec:
  hostNetwork: true
  containers: [{name: c, ports: [{name: http, containerPort: 30555}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http, nodePort: 30555}]
"""


def test_a_node_port_wins_over_a_host_network_port_and_says_so() -> None:
    scenario = parse_scenario(SHADOW, origin="test")
    with LabThread(scenario, serve_api=False, store=MiniStore()) as running:
        node = running.nodes[0].address
        assert get(f"http://{node}:30555/").json()["pod"] == "web"
        assert any("shadowed" in w and "default/hostnet" in w for w in running.lab.warnings)
