"""A lab started from a Gateway scenario answers real requests through the Gateway's address:
HTTP by host, path, header, method and query, redirects, rewrites, weights, HTTPS, TLS
passthrough by SNI, TCP; its Local Service drops at a node without a proxy pod; faults."""

from __future__ import annotations

import socket
import ssl
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kpath.lab.runner import LabThread
from kpath.lab.scenario import parse_scenario

try:
    from tests.lab.conftest import KUBECTL, run_kubectl
except ImportError:
    from conftest import KUBECTL, run_kubectl  # type: ignore[no-redef]

pytestmark = pytest.mark.lab

TIMEOUT = 1.0

SCENARIO = """
kind: LabScenario
name: gateway-dataplane-test
nodes: [{name: n1, zone: z1}, {name: n2, zone: z1}, {name: n3, zone: z2}]
gatewayInfrastructure:
  default/eg: {replicas: 1, nodes: [n1]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: eg}
spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg}
spec:
  gatewayClassName: eg
  listeners:
  - {name: http, protocol: HTTP, port: 80}
  - name: https
    protocol: HTTPS
    port: 443
    hostname: secure.example.com
    tls: {mode: Terminate, certificateRefs: [{name: secure-cert}]}
  - {name: tls, protocol: TLS, port: 8443, tls: {mode: Passthrough}}
  - {name: tcp, protocol: TCP, port: 9000}
  - name: mixed-https
    protocol: HTTPS
    port: 7443
    hostname: secure.example.com
    tls: {certificateRefs: [{name: secure-cert}]}
  - {name: mixed-tls, protocol: TLS, port: 7443, hostname: foo.example.com,
     tls: {mode: Passthrough}}
  - name: term
    protocol: TLS
    port: 6443
    hostname: term.example.com
    tls: {mode: Terminate, certificateRefs: [{name: term-cert}]}
---
apiVersion: v1
kind: Namespace
metadata: {name: other}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: v1}
spec:
  replicas: 1
  selector: {matchLabels: {app: v1}}
  template:
    metadata: {labels: {app: v1}}
    spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: v2}
spec:
  replicas: 1
  selector: {matchLabels: {app: v2}}
  template:
    metadata: {labels: {app: v2}}
    spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: tls-foo}
spec:
  replicas: 1
  selector: {matchLabels: {app: tls-foo}}
  template:
    metadata: {labels: {app: tls-foo}}
    spec: {containers: [{name: c, ports: [{name: https, containerPort: 8443}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: tls-bar}
spec:
  replicas: 1
  selector: {matchLabels: {app: tls-bar}}
  template:
    metadata: {labels: {app: tls-bar}}
    spec: {containers: [{name: c, ports: [{name: https, containerPort: 8443}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: remote, namespace: other}
spec:
  replicas: 1
  selector: {matchLabels: {app: remote}}
  template:
    metadata: {labels: {app: remote}}
    spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: v1}
spec: {selector: {app: v1}, ports: [{name: http, port: 8080, targetPort: http}]}
---
apiVersion: v1
kind: Service
metadata: {name: v2}
spec: {selector: {app: v2}, ports: [{name: http, port: 8080, targetPort: http}]}
---
apiVersion: v1
kind: Service
metadata: {name: empty}
spec: {selector: {app: nothing}, ports: [{name: http, port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: tls-foo}
spec: {selector: {app: tls-foo}, ports: [{name: https, port: 443, targetPort: https}]}
---
apiVersion: v1
kind: Service
metadata: {name: tls-bar}
spec: {selector: {app: tls-bar}, ports: [{name: https, port: 443, targetPort: https}]}
---
apiVersion: v1
kind: Service
metadata: {name: remote, namespace: other}
spec: {selector: {app: remote}, ports: [{name: http, port: 8080, targetPort: http}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop}
spec:
  parentRefs: [{name: eg, sectionName: http}]
  hostnames: [shop.example.com]
  rules:
  - matches: [{path: {type: Exact, value: /exact}}]
    backendRefs: [{name: v2, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /api}, headers: [{name: x-env, value: canary}]}]
    backendRefs: [{name: v2, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /api}}]
    backendRefs: [{name: v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /submit}, method: POST}]
    backendRefs: [{name: v2, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /q}, queryParams: [{name: ver, value: "2"}]}]
    backendRefs: [{name: v2, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /q}}]
    backendRefs: [{name: v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /old}}]
    filters:
    - type: RequestRedirect
      requestRedirect:
        path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}
        statusCode: 301
  - matches: [{path: {type: PathPrefix, value: /rewrite}}]
    filters:
    - type: URLRewrite
      urlRewrite:
        hostname: internal.example
        path: {type: ReplacePrefixMatch, replacePrefixMatch: /backend}
    backendRefs: [{name: v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /split}}]
    backendRefs: [{name: v1, port: 8080, weight: 80}, {name: v2, port: 8080, weight: 20}]
  - matches: [{path: {type: PathPrefix, value: /empty}}]
    backendRefs: [{name: empty, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /cross}}]
    backendRefs: [{name: remote, namespace: other, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: secure}
spec:
  parentRefs: [{name: eg, sectionName: https}]
  rules:
  - backendRefs: [{name: v2, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: foo}
spec:
  parentRefs: [{name: eg, sectionName: tls}]
  hostnames: [foo.example.com]
  rules:
  - backendRefs: [{name: tls-foo, port: 443}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: bar}
spec:
  parentRefs: [{name: eg, sectionName: tls}]
  hostnames: [bar.example.com]
  rules:
  - backendRefs: [{name: tls-bar, port: 443}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: mixed}
spec:
  parentRefs: [{name: eg, sectionName: mixed-https}]
  rules:
  - backendRefs: [{name: v1, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: mixed-foo}
spec:
  parentRefs: [{name: eg, sectionName: mixed-tls}]
  rules:
  - backendRefs: [{name: tls-foo, port: 443}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: terminated}
spec:
  parentRefs: [{name: eg, sectionName: term}]
  rules:
  - backendRefs: [{name: v2, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: {name: raw}
spec:
  parentRefs: [{name: eg, sectionName: tcp}]
  rules:
  - backendRefs: [{name: v1, port: 8080}]
"""


#: One client for the module (building one costs more than a request); no kept-alive
#: connections, so each request is a fresh connection through every hop.
CLIENT = httpx.Client(timeout=TIMEOUT, limits=httpx.Limits(max_keepalive_connections=0))


@pytest.fixture(scope="module")
def lab() -> Iterator[LabThread]:
    with LabThread(parse_scenario(SCENARIO, origin="inline")) as running:
        yield running


@pytest.fixture(autouse=True)
def no_faults_left(lab: LabThread) -> Iterator[None]:
    yield
    lab.clear()


async def _get(lab: LabThread, kind: str, ns: str | None, name: str) -> Any:
    return lab.lab.store.get(kind, ns, name)


def obj(lab: LabThread, kind: str, name: str, ns: str | None = "default") -> dict[str, Any]:
    found = lab.call(_get(lab, kind, ns, name))
    assert found is not None, f"no {kind} {ns}/{name}"
    return found


def address(lab: LabThread) -> str:
    return str(obj(lab, "Gateway", "eg")["status"]["addresses"][0]["value"])


def ask(
    lab: LabThread,
    path: str,
    *,
    host: str = "shop.example.com",
    method: str = "GET",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return CLIENT.request(
        method, f"http://{address(lab)}:80{path}", headers={"Host": host, **(headers or {})}
    )


def served_by(response: httpx.Response) -> str:
    """The workload (Deployment) whose pod answered, from the pod name."""
    return response.headers["X-Pod-Name"].rsplit("-", 2)[0]


def gateway_service(lab: LabThread) -> dict[str, Any]:
    services = [s for s in lab.store.list("Service", "envoy-gateway-system")]
    assert len(services) == 1
    return services[0]


# ---------------------------------------------------------------- HTTP matching
def test_routes_by_host_path_header_method_and_query(lab: LabThread) -> None:
    assert served_by(ask(lab, "/exact")) == "v2"
    assert ask(lab, "/exact/more").status_code == 404  # Exact is not a prefix
    assert served_by(ask(lab, "/api/cart")) == "v1"
    assert served_by(ask(lab, "/api/cart", headers={"x-env": "canary"})) == "v2"
    assert served_by(ask(lab, "/submit", method="POST")) == "v2"
    assert served_by(ask(lab, "/q?ver=2")) == "v2"
    assert served_by(ask(lab, "/q?ver=1")) == "v1"
    # The answer relays the backend's own and names the proxy pod that routed it.
    answer = ask(lab, "/api/cart")
    assert answer.headers["X-Gateway-Pod"].startswith("envoy-gateway-system/envoy-default-eg-")


def test_no_rule_no_host_answers_404_from_the_gateway_pod(lab: LabThread) -> None:
    for response in (
        ask(lab, "/submit"),  # GET: the rule wants POST
        ask(lab, "/nowhere"),
        ask(lab, "/api", host="other.example.com"),
    ):
        assert response.status_code == 404
        assert response.headers["X-Pod-Namespace"] == "envoy-gateway-system"
        assert response.json()["gateway"] == "default/eg"


def test_prefix_matches_whole_path_segments(lab: LabThread) -> None:
    assert ask(lab, "/apix").status_code == 404
    assert served_by(ask(lab, "/api/")) == "v1"


def test_redirect_answers_3xx_with_location(lab: LabThread) -> None:
    response = ask(lab, "/old/page?x=1")
    assert response.status_code == 301
    assert response.headers["Location"] == "http://shop.example.com/new/page?x=1"


def test_rewrite_as_the_backend_sees_it(lab: LabThread) -> None:
    seen = ask(lab, "/rewrite/item?id=7").json()
    assert seen["host"] == "internal.example"
    assert seen["path"] == "/backend/item?id=7"
    # Without a rewrite the Host (port and all) and the target pass on unchanged.
    plain = ask(lab, "/api/a%20b?x=1", host="Shop.example.com:80").json()
    assert (plain["host"], plain["path"]) == ("Shop.example.com:80", "/api/a%20b?x=1")
    # The proxy dials the pod from its own address, as a real proxy does.
    proxy = next(p for p in lab.store.list("Pod", "envoy-gateway-system"))
    assert seen["client"].split(":")[0] == proxy["status"]["podIP"]


def test_weights_over_many_requests(lab: LabThread) -> None:
    counts = Counter(served_by(ask(lab, "/split")) for _ in range(100))
    assert set(counts) == {"v1", "v2"}
    assert 70 <= counts["v1"] <= 90


def test_backend_without_ready_endpoints_is_503_and_a_refused_ref_500(lab: LabThread) -> None:
    assert ask(lab, "/empty").status_code == 503
    assert ask(lab, "/cross").status_code == 500  # no ReferenceGrant in namespace other


def test_scaling_a_backend_to_zero_answers_503(lab: LabThread) -> None:
    lab.scale("default", "v2", 0)
    try:
        assert ask(lab, "/exact").status_code == 503
    finally:
        lab.scale("default", "v2", 1)
    assert served_by(ask(lab, "/exact")) == "v2"


# ---------------------------------------------------------------- TLS, TCP
def tls_exchange(
    ip: str, port: int, sni: str, payload: bytes, cafile: str | None = None
) -> tuple[bytes, bytes]:
    """Send ``payload`` inside TLS (SNI ``sni``); the answer and the server's certificate."""
    if cafile:
        context = ssl.create_default_context(cafile=cafile)
    else:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((ip, port), timeout=TIMEOUT) as raw,
        context.wrap_socket(raw, server_hostname=sni) as tls,
    ):
        tls.sendall(payload)
        data = b""
        while chunk := tls.recv(65536):
            data += chunk
        return data, tls.getpeercert(binary_form=True) or b""


def http_get(host: str, path: str = "/") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()


def test_https_listener_terminates_with_a_certificate_for_its_hostname(lab: LabThread) -> None:
    host = "secure.example.com"
    answer, cert = tls_exchange(address(lab), 443, host, http_get(host, "/hi"))
    assert b" 200 " in answer.split(b"\r\n", 1)[0]
    assert b"X-Pod-Name: v2-" in answer
    with tempfile.TemporaryDirectory() as tmp:
        ca = Path(tmp) / "gw.pem"
        ca.write_text(ssl.DER_cert_to_PEM_cert(cert))
        # The certificate names the listener's hostname: a client trusting it verifies.
        verified, _ = tls_exchange(address(lab), 443, host, http_get(host), cafile=str(ca))
        assert b" 200 " in verified.split(b"\r\n", 1)[0]


def test_tls_passthrough_routes_by_sni(lab: LabThread) -> None:
    for sni, workload in (("foo.example.com", "tls-foo"), ("bar.example.com", "tls-bar")):
        answer, _ = tls_exchange(address(lab), 8443, sni, http_get(sni))
        # The backend pod terminated TLS itself: the gateway passed the bytes through.
        assert f"X-Pod-Name: {workload}-".encode() in answer
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        tls_exchange(address(lab), 8443, "nobody.example.com", http_get("x"))


def test_https_and_passthrough_share_a_port_by_sni(lab: LabThread) -> None:
    # HTTPS: the gateway terminates and routes the HTTP inside (to v1).
    answer, _ = tls_exchange(
        address(lab), 7443, "secure.example.com", http_get("secure.example.com", "/in")
    )
    assert b"X-Pod-Name: v1-" in answer and b"X-Gateway-Pod: " in answer
    # Passthrough: the backend pod itself terminates (no X-Gateway-Pod: bytes untouched).
    answer, _ = tls_exchange(address(lab), 7443, "foo.example.com", http_get("foo.example.com"))
    assert b"X-Pod-Name: tls-foo-" in answer and b"X-Gateway-Pod" not in answer


def test_tls_terminate_listener_sends_plain_bytes_to_its_backend(lab: LabThread) -> None:
    answer, cert = tls_exchange(
        address(lab), 6443, "term.example.com", http_get("term.example.com", "/plain")
    )
    assert b"X-Pod-Name: v2-" in answer  # v2 speaks plain HTTP: TLS ended at the gateway
    assert b'"path": "/plain"' in answer
    assert cert


def test_tcp_listener_splices_to_its_route_backend(lab: LabThread) -> None:
    with socket.create_connection((address(lab), 9000), timeout=TIMEOUT) as sock:
        sock.sendall(http_get("anything", "/raw"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert b"X-Pod-Name: v1-" in data
    assert b'"path": "/raw"' in data


# ---------------------------------------------------------------- infrastructure and faults
def test_local_gateway_service_drops_at_a_node_without_a_proxy_pod(lab: LabThread) -> None:
    svc = gateway_service(lab)
    assert svc["spec"]["externalTrafficPolicy"] == "Local"
    node_port = next(p["nodePort"] for p in svc["spec"]["ports"] if p["port"] == 80)
    ips = {n.name: n.address for n in lab.nodes}
    reply = httpx.get(
        f"http://{ips['n1']}:{node_port}/api", headers={"Host": "shop.example.com"}, timeout=TIMEOUT
    )
    assert served_by(reply) == "v1"
    for node in ("n2", "n3"):
        with pytest.raises(httpx.TimeoutException):
            httpx.get(
                f"http://{ips[node]}:{node_port}/api",
                headers={"Host": "shop.example.com"},
                timeout=0.5,
            )


def test_proxy_pod_fault_answers_from_the_gateway(lab: LabThread) -> None:
    proxy = lab.pods("envoy-gateway-system", gateway_service(lab)["metadata"]["name"])[0]
    lab.inject(
        {
            "kind": "pod-error",
            "pod": f"envoy-gateway-system/{proxy['metadata']['name']}",
            "status": 503,
        }
    )
    response = ask(lab, "/api")
    assert response.status_code == 503
    assert response.headers["X-Pod-Name"] == proxy["metadata"]["name"]
    lab.clear()
    assert ask(lab, "/api").status_code == 200


def test_dead_target_port_on_the_gateway_service_refuses(lab: LabThread) -> None:
    svc = gateway_service(lab)
    lab.inject(
        {"kind": "target-port-dead", "service": f"envoy-gateway-system/{svc['metadata']['name']}"}
    )
    with pytest.raises(httpx.TransportError):
        ask(lab, "/api")
    lab.clear()
    assert ask(lab, "/api").status_code == 200


def test_status_is_written_on_the_store_objects(lab: LabThread) -> None:
    gw = obj(lab, "Gateway", "eg")
    svc = gateway_service(lab)
    assert gw["status"]["addresses"] == [
        {"type": "IPAddress", "value": svc["status"]["loadBalancer"]["ingress"][0]["ip"]}
    ]
    conditions = {c["type"]: c["status"] for c in gw["status"]["conditions"]}
    assert conditions == {"Accepted": "True", "Programmed": "True"}
    attached = {li["name"]: li["attachedRoutes"] for li in gw["status"]["listeners"]}
    assert attached == {
        "http": 1,
        "https": 1,
        "tls": 2,
        "tcp": 1,
        "mixed-https": 1,
        "mixed-tls": 1,
        "term": 1,
    }
    shop = obj(lab, "HTTPRoute", "shop")["status"]["parents"][0]
    refs = {c["type"]: (c["status"], c["reason"]) for c in shop["conditions"]}
    assert refs["Accepted"] == ("True", "Accepted")
    assert refs["ResolvedRefs"] == ("False", "RefNotPermitted")


# ---------------------------------------------------------------- through the API server
GW_API = "/apis/gateway.networking.k8s.io/v1"


def test_status_is_visible_through_the_api_server(lab: LabThread) -> None:
    gw = httpx.get(f"{lab.api_url}{GW_API}/namespaces/default/gateways/eg", timeout=5).json()
    assert gw["status"]["addresses"][0]["value"] == address(lab)
    assert {c["type"]: c["status"] for c in gw["status"]["conditions"]}["Programmed"] == "True"
    routes = httpx.get(f"{lab.api_url}{GW_API}/namespaces/default/httproutes", timeout=5).json()
    parents = {
        r["metadata"]["name"]: r["status"]["parents"][0]["controllerName"] for r in routes["items"]
    }
    assert parents == {
        "shop": "gateway.envoyproxy.io/gatewayclass-controller",
        "secure": "gateway.envoyproxy.io/gatewayclass-controller",
        "mixed": "gateway.envoyproxy.io/gatewayclass-controller",
    }


def test_a_change_elsewhere_does_not_rewrite_unchanged_status(lab: LabThread) -> None:
    before = {
        k: obj(lab, k, n)["metadata"]["resourceVersion"]
        for k, n in (("Gateway", "eg"), ("HTTPRoute", "shop"))
    }
    lab.scale("default", "v2", 2)
    lab.scale("default", "v2", 1)
    after = {
        k: obj(lab, k, n)["metadata"]["resourceVersion"]
        for k, n in (("Gateway", "eg"), ("HTTPRoute", "shop"))
    }
    assert after == before  # a watch sees no event for status that did not change
    assert served_by(ask(lab, "/exact")) == "v2"


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (not on PATH)")
def test_kubectl_gets_gateways_and_httproutes(lab: LabThread, tmp_path: Path) -> None:
    config = lab.write_kubeconfig(tmp_path / "kubeconfig")
    done = run_kubectl(config, "get", "gateways,httproutes", "-A", cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    gateway_row = next(line.split() for line in lines if "gateway.networking.k8s.io/eg" in line)
    assert gateway_row[:5] == [
        "default",
        "gateway.gateway.networking.k8s.io/eg",
        "eg",
        address(lab),
        "True",
    ]
    assert any(
        "httproute.gateway.networking.k8s.io/shop" in line and "shop.example.com" in line
        for line in lines
    )
