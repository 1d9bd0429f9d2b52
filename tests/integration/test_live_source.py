"""The live source against real HTTP servers on loopback: the lab's API server (through an
ordinary kubeconfig, as kubectl would use it) and, for what the lab never does (404 groups,
HTML replies, 500s, expired continue tokens, silence), a small stdlib server."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from kpath.cli import EXIT_OK, EXIT_USAGE, main
from kpath.cluster.live import LiveOptions, load_live
from kpath.errors import InputError, SourceError
from kpath.lab.apiserver import RecordedRequest, ServerThread, serve_in_thread
from kpath.lab.kubeconfig import make_tls
from kpath.lab.store import Store

pytestmark = pytest.mark.lab

KUBECTL = shutil.which("kubectl")
GW = "/apis/gateway.networking.k8s.io"


def gateway_reads(namespace: str | None) -> set[str]:
    """What kpath reads besides the core kinds on a server that serves the Gateway API (the
    lab's 2026 standard channel) but holds no Gateway API object nor policy: the list of
    groups (one ``/apis`` for all), the Gateway API's preferred version (v1 serves every
    kind, so no other version is asked), then each namespaced kind at v1 (classes and
    Namespaces are not needed then), and NetworkPolicies (none select by namespace, so no
    Namespaces either; no group of the not-evaluated policy kinds is served)."""
    where = f"/namespaces/{namespace}" if namespace else ""
    kinds = (
        "gateways",
        "listenersets",
        "httproutes",
        "grpcroutes",
        "tlsroutes",
        "tcproutes",
        "udproutes",
        "referencegrants",
        "backendtlspolicies",
    )
    return {
        "/apis",
        f"{GW}/v1",
        *(f"{GW}/v1{where}/{k}" for k in kinds),
        f"/apis/networking.k8s.io/v1{where}/networkpolicies",
    }


# -- a small cluster ------------------------------------------------------------------------


def _meta(name: str, ns: str | None = None, **labels: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if ns:
        meta["namespace"] = ns
    if labels:
        meta["labels"] = dict(labels)
    return meta


def _service(ns: str, name: str, **labels: str) -> dict[str, Any]:
    return {
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": _meta(name, ns, **labels),
        "spec": {
            "type": "NodePort",
            "selector": {"app": name},
            "ports": [{"port": 80, "targetPort": 8080, "nodePort": 30080}],
        },
    }


def _pod(ns: str, name: str, app: str, node: str, ip: str) -> dict[str, Any]:
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": _meta(name, ns, app=app),
        "spec": {
            "nodeName": node,
            "containers": [{"name": "c", "ports": [{"containerPort": 8080}]}],
        },
        "status": {"phase": "Running", "podIP": ip},
    }


def _slice(ns: str, service: str, ip: str, node: str) -> dict[str, Any]:
    return {
        "kind": "EndpointSlice",
        "apiVersion": "discovery.k8s.io/v1",
        "metadata": _meta(f"{service}-x1", ns, **{"kubernetes.io/service-name": service}),
        "addressType": "IPv4",
        "ports": [{"port": 8080, "protocol": "TCP"}],
        "endpoints": [{"addresses": [ip], "nodeName": node, "conditions": {"ready": True}}],
    }


def _endpoints(ns: str, service: str, ip: str) -> dict[str, Any]:
    return {
        "kind": "Endpoints",
        "apiVersion": "v1",
        "metadata": _meta(service, ns),
        "subsets": [{"addresses": [{"ip": ip}], "ports": [{"port": 8080}]}],
    }


def _ingress(ns: str, name: str, service: str) -> dict[str, Any]:
    return {
        "kind": "Ingress",
        "apiVersion": "networking.k8s.io/v1",
        "metadata": _meta(name, ns),
        "spec": {
            "ingressClassName": "nginx",
            "rules": [
                {
                    "host": f"{name}.example",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": service, "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ],
        },
    }


def cluster_objects() -> list[dict[str, Any]]:
    objs: list[dict[str, Any]] = [
        {
            "kind": "Node",
            "apiVersion": "v1",
            "metadata": _meta(n),
            "status": {"conditions": [{"type": "Ready", "status": "True"}]},
        }
        for n in ("n1", "n2", "n3")
    ]
    objs.append(
        {
            "kind": "IngressClass",
            "apiVersion": "networking.k8s.io/v1",
            "metadata": _meta("nginx"),
            "spec": {"controller": "k8s.io/ingress-nginx"},
        }
    )
    for ns, name, labels, pods in (
        ("shop", "web", {"app": "web", "tier": "front"}, [("web-1", "n1"), ("web-2", "n2")]),
        ("shop", "api", {"app": "api"}, [("api-1", "n3")]),
        ("other", "db", {"app": "db"}, [("db-1", "n1")]),
    ):
        objs.append(_service(ns, name, **labels))
        for i, (pod, node) in enumerate(pods):
            ip = f"127.0.{len(objs)}.{i + 1}"
            objs.append(_pod(ns, pod, name, node, ip))
        objs.append(_slice(ns, name, ip, node))
        objs.append(_endpoints(ns, name, ip))
        objs.append(_ingress(ns, f"{ns}-{name}", name))
    return objs


def names(raw_objects: list[dict[str, Any]]) -> set[str]:
    return {f"{o['metadata'].get('namespace', '')}/{o['metadata']['name']}" for o in raw_objects}


def expected(kind: str, ns: str | None = None) -> set[str]:
    return names(
        [
            o
            for o in cluster_objects()
            if o["kind"] == kind and (ns is None or o["metadata"].get("namespace") in (ns, None))
        ]
    )


def new_store() -> Store:
    store = Store()
    for obj in cluster_objects():
        store.put(obj)
    return store


@pytest.fixture(scope="module")
def lab_api() -> Iterator[ServerThread]:
    with serve_in_thread(new_store()) as st:
        yield st


@pytest.fixture
def kubeconfig(lab_api: ServerThread, tmp_path: Path) -> Path:
    return lab_api.server.write_kubeconfig(tmp_path / "kubeconfig")


def requests_during(st: ServerThread, fn: Callable[[], Any]) -> tuple[Any, list[RecordedRequest]]:
    before = len(st.server.requests)
    result = fn()
    return result, list(st.server.requests)[before:]


# -- reading --------------------------------------------------------------------------------


def test_reads_every_kind_in_all_namespaces_with_gets_only(
    lab_api: ServerThread, kubeconfig: Path
) -> None:
    raw, requests = requests_during(
        lab_api, lambda: load_live(LiveOptions(kubeconfig=str(kubeconfig), all_namespaces=True))
    )
    assert raw.origin == f"context kpath-lab @ {lab_api.server.url}"
    for kind in ("Node", "Pod", "Service", "EndpointSlice", "Ingress", "IngressClass"):
        assert names(raw.objects[kind]) == expected(kind), kind
    assert "Endpoints" not in raw.objects  # slices are visible: no legacy reads
    assert raw.not_visible == {}
    web = next(o for o in raw.objects["Service"] if o["metadata"]["name"] == "web")
    assert web["spec"]["ports"][0]["nodePort"] == 30080  # the API's own dict, untouched
    assert all(
        o["kind"] == "EndpointSlice" and o["apiVersion"] == "discovery.k8s.io/v1"
        for o in raw.objects["EndpointSlice"]
    )
    assert {r.method for r in requests} == {"GET"}  # kpath never writes
    assert {r.path for r in requests} == {
        "/api/v1/nodes",
        "/apis/networking.k8s.io/v1/ingressclasses",
        "/api/v1/pods",
        "/api/v1/services",
        "/apis/discovery.k8s.io/v1/endpointslices",
        "/apis/networking.k8s.io/v1/ingresses",
    } | gateway_reads(None)


def test_lists_are_paged_with_continue(lab_api: ServerThread, kubeconfig: Path) -> None:
    raw, requests = requests_during(
        lab_api,
        lambda: load_live(
            LiveOptions(kubeconfig=str(kubeconfig), all_namespaces=True, page_size=2)
        ),
    )
    pods = [r for r in requests if r.path == "/api/v1/pods"]
    assert len(pods) == 2 and all("limit=2" in r.query for r in pods)
    assert "continue=" not in pods[0].query and "continue=" in pods[1].query
    assert names(raw.objects["Pod"]) == expected("Pod")
    assert len(raw.objects["Pod"]) == len(expected("Pod"))  # no page read twice


def test_namespace_flag_reads_only_that_namespace(lab_api: ServerThread, kubeconfig: Path) -> None:
    raw, requests = requests_during(
        lab_api, lambda: load_live(LiveOptions(kubeconfig=str(kubeconfig), namespace="other"))
    )
    assert {r.path for r in requests} == {
        "/api/v1/nodes",
        "/apis/networking.k8s.io/v1/ingressclasses",
        "/api/v1/namespaces/other/pods",
        "/api/v1/namespaces/other/services",
        "/apis/discovery.k8s.io/v1/namespaces/other/endpointslices",
        "/apis/networking.k8s.io/v1/namespaces/other/ingresses",
        # An Ingress is there: its controller may be anywhere, so every namespace's
        # Services are listed once and the LoadBalancer/NodePort ones kept, with their
        # slices (`_read_controllers`).
        "/api/v1/services",
        "/apis/discovery.k8s.io/v1/endpointslices",
    } | gateway_reads("other")
    assert raw.namespaces_read == frozenset({"other"})
    assert {n for n in names(raw.objects["Service"]) if n.startswith("other/")} == {"other/db"}
    assert all(
        s["spec"]["type"] in ("LoadBalancer", "NodePort")
        for s in raw.objects["Service"]
        if s["metadata"]["namespace"] != "other"
    )
    assert names(raw.objects["Node"]) == expected("Node")  # nodes are always read


def test_without_a_flag_the_contexts_namespace_is_read(
    lab_api: ServerThread, tmp_path: Path
) -> None:
    kc = lab_api.server.write_kubeconfig(tmp_path / "kc", namespace="shop")
    raw, requests = requests_during(lab_api, lambda: load_live(LiveOptions(kubeconfig=str(kc))))
    assert "/api/v1/namespaces/shop/services" in {r.path for r in requests}
    assert names(raw.objects["Pod"]) == {"shop/web-1", "shop/web-2", "shop/api-1"}
    plain = lab_api.server.write_kubeconfig(tmp_path / "plain")
    raw = load_live(LiveOptions(kubeconfig=str(plain)))
    assert raw.objects["Service"] == []  # "default" holds nothing here


def test_selector_keeps_services_and_what_refers_to_them(
    lab_api: ServerThread, kubeconfig: Path
) -> None:
    raw, requests = requests_during(
        lab_api,
        lambda: load_live(
            LiveOptions(kubeconfig=str(kubeconfig), namespace="shop", selector="tier=front")
        ),
    )
    services = [r for r in requests if r.path.endswith("/services")]
    assert all(
        "labelSelector=tier%3Dfront" in r.query for r in services if r.path != "/api/v1/services"
    )
    # Selected: web. The others are read to find Ingress controllers (LoadBalancer and
    # NodePort Services of any namespace, any label); the view narrows to the selector.
    kept = {
        s["metadata"]["namespace"] + "/" + s["metadata"]["name"]
        for s in raw.objects["Service"]
        if s["spec"]["type"] not in ("LoadBalancer", "NodePort")
    }
    assert "shop/web" in names(raw.objects["Service"]) and kept <= {"shop/web"}
    assert "shop/web-x1" in names(raw.objects["EndpointSlice"])
    assert names(raw.objects["Ingress"]) == {"shop/shop-web"}
    assert names(raw.objects["Pod"]) == {"shop/web-1", "shop/web-2", "shop/api-1"}


def test_a_selector_the_server_cannot_parse_is_an_input_error(
    lab_api: ServerThread, kubeconfig: Path
) -> None:
    with pytest.raises(InputError, match="label selector 'a b c' rejected by the API server"):
        load_live(LiveOptions(kubeconfig=str(kubeconfig), selector="a b c"))


# -- what a user may not see ------------------------------------------------------------------


def test_forbidden_nodes_are_not_visible_and_the_rest_loads(tmp_path: Path) -> None:
    with serve_in_thread(new_store(), deny=("nodes",)) as st:
        kc = st.server.write_kubeconfig(tmp_path / "kc")
        raw = load_live(LiveOptions(kubeconfig=str(kc), all_namespaces=True))
    assert raw.not_visible["Node"].startswith('forbidden: nodes is forbidden: User "')
    assert "Node" not in raw.objects
    assert names(raw.objects["Service"]) == expected("Service")


def test_forbidden_endpointslices_fall_back_to_endpoints(tmp_path: Path) -> None:
    with serve_in_thread(new_store(), deny=("endpointslices",)) as st:
        kc = st.server.write_kubeconfig(tmp_path / "kc")
        raw, requests = requests_during(
            st,
            lambda: load_live(
                LiveOptions(kubeconfig=str(kc), namespace="shop", selector="app=web")
            ),
        )
    assert "forbidden" in raw.not_visible["EndpointSlice"]
    assert "/api/v1/namespaces/shop/endpoints" in {r.path for r in requests}
    assert names(raw.objects["Endpoints"]) == {"shop/web"}  # -l applies to Endpoints too


def test_nothing_about_endpoints_visible_is_said_for_both_kinds(tmp_path: Path) -> None:
    with serve_in_thread(new_store(), deny=("endpointslices", "endpoints")) as st:
        kc = st.server.write_kubeconfig(tmp_path / "kc")
        raw = load_live(LiveOptions(kubeconfig=str(kc), all_namespaces=True))
    assert set(raw.not_visible) == {"EndpointSlice", "Endpoints"}
    assert names(raw.objects["Service"]) == expected("Service")


# -- transport and credentials ------------------------------------------------------------------


def test_a_stopped_server_is_one_clear_source_error(tmp_path: Path) -> None:
    with serve_in_thread(Store()) as st:
        kc = st.server.write_kubeconfig(tmp_path / "kc")
        url = st.server.url
    with pytest.raises(SourceError) as info:
        load_live(LiveOptions(kubeconfig=str(kc)))
    assert str(info.value) == f"cannot reach the API server at {url}: connection refused"


def test_a_server_that_never_answers_times_out(tmp_path: Path) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # the kernel accepts; nobody ever replies
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        kc = _kubeconfig_for(tmp_path, url)
        with pytest.raises(
            SourceError,
            match=rf"^cannot reach the API server at {url}: "
            r"no answer within 0\.3s$",
        ):
            load_live(LiveOptions(kubeconfig=str(kc), timeout=0.3))


def test_tls_and_token(tmp_path: Path) -> None:
    with serve_in_thread(new_store(), tls=True, token="s3cret") as st:
        kc = st.server.write_kubeconfig(tmp_path / "kc")
        raw = load_live(LiveOptions(kubeconfig=str(kc), all_namespaces=True))
        assert raw.origin.startswith("context kpath-lab @ https://127.0.0.1:")
        assert "s3cret" not in raw.origin
        assert names(raw.objects["Service"]) == expected("Service")

        doc = yaml.safe_load(kc.read_text())
        doc["users"][0]["user"]["token"] = "wrong"
        (tmp_path / "wrong-token").write_text(yaml.safe_dump(doc))
        with pytest.raises(
            SourceError,
            match=r"rejected the credentials of context "
            r"kpath-lab \(401 Unauthorized\)",
        ):
            load_live(LiveOptions(kubeconfig=str(tmp_path / "wrong-token")))

        del doc["clusters"][0]["cluster"]["certificate-authority-data"]
        doc["users"][0]["user"]["token"] = "s3cret"
        (tmp_path / "no-ca").write_text(yaml.safe_dump(doc))
        with pytest.raises(
            SourceError,
            match=r"cannot reach the API server at https://.*: "
            r"TLS failure: certificate verify failed",
        ):
            load_live(LiveOptions(kubeconfig=str(tmp_path / "no-ca")))


def test_a_client_certificate_authenticates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A server that takes client certificates from its CA (as kubeadm's do): kpath sends
    the kubeconfig's, as data or as files beside the kubeconfig; without one it is a 401,
    and one from another CA fails the handshake; either way one line and exit 2."""
    with serve_in_thread(new_store(), tls=True, client_certs=True) as st:
        url = st.server.url
        kc = st.server.write_kubeconfig(tmp_path / "kc")
        raw = load_live(LiveOptions(kubeconfig=str(kc), all_namespaces=True))
        assert names(raw.objects["Service"]) == expected("Service")
        assert {r.status for r in st.server.requests} == {200}

        doc = yaml.safe_load(kc.read_text())
        user = doc["users"][0]["user"]
        assert st.server.client_pem is not None
        (tmp_path / "certs").mkdir()
        (tmp_path / "certs" / "me.crt").write_bytes(st.server.client_pem[0])
        (tmp_path / "certs" / "me.key").write_bytes(st.server.client_pem[1])
        as_files = {"client-certificate": "certs/me.crt", "client-key": "certs/me.key"}
        (tmp_path / "as-files").write_text(
            yaml.safe_dump({**doc, "users": [{"name": "kpath-lab", "user": as_files}]})
        )
        raw = load_live(LiveOptions(kubeconfig=str(tmp_path / "as-files"), namespace="shop"))
        assert {n for n in names(raw.objects["Service"]) if n.startswith("shop/")} == {
            "shop/web",
            "shop/api",
        }

        def fails(kubeconfig: Path) -> str:
            code = main(["paths", "--kubeconfig", str(kubeconfig), "-A", "-o", "json"])
            out, err = capsys.readouterr()
            assert (code, out) == (EXIT_USAGE, "")
            assert err.startswith("kpath: error: ") and err.count("\n") == 1, err
            return err.removeprefix("kpath: error: ").rstrip("\n")

        assert main(["paths", "--kubeconfig", str(kc), "-A", "-o", "json"]) == EXIT_OK
        assert json.loads(capsys.readouterr().out)["summary"]["services"] == len(
            expected("Service")
        )

        del user["client-certificate-data"], user["client-key-data"]
        (tmp_path / "no-cert").write_text(yaml.safe_dump(doc))
        assert fails(tmp_path / "no-cert") == (
            f"the API server at {url} rejected the credentials of context kpath-lab "
            "(401 Unauthorized)"
        )

        other = make_tls("127.0.0.1", client_certs=True).client
        assert other is not None
        user["client-certificate-data"] = base64.b64encode(other[0]).decode()
        user["client-key-data"] = base64.b64encode(other[1]).decode()
        (tmp_path / "other-ca").write_text(yaml.safe_dump(doc))
        # TLS 1.3: the client's handshake is done before the server refuses the certificate,
        # so the refusal comes as an alert, a reset or the end of the stream, whichever the
        # client reads first.
        assert re.fullmatch(
            rf"cannot reach the API server at {re.escape(url)}: "
            r"(connection reset|the connection closed before a reply|TLS failure: \S.*)",
            fails(tmp_path / "other-ca"),
        )


@pytest.fixture
def split_kubeconfig(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[ServerThread, ServerThread]]:
    """Two servers, contexts "open" (current) and "secure" (TLS + token), with KUBECONFIG
    naming two files as people keep them: clusters and contexts in one, users in another."""
    with (
        serve_in_thread(new_store()) as open_api,
        serve_in_thread(new_store(), tls=True, token="t0ken") as secure,
    ):
        a = yaml.safe_load(
            open_api.server.write_kubeconfig(tmp_path / "a", context="open").read_text()
        )
        b = yaml.safe_load(
            secure.server.write_kubeconfig(tmp_path / "b", context="secure").read_text()
        )
        contexts = {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "open",
            "clusters": a["clusters"] + b["clusters"],
            "contexts": a["contexts"] + b["contexts"],
        }
        users = {"apiVersion": "v1", "kind": "Config", "users": a["users"] + b["users"]}
        (tmp_path / "contexts").write_text(yaml.safe_dump(contexts))
        (tmp_path / "users").write_text(yaml.safe_dump(users))
        monkeypatch.setenv(
            "KUBECONFIG", os.pathsep.join([str(tmp_path / "contexts"), str(tmp_path / "users")])
        )
        monkeypatch.setenv("KUBECACHEDIR", str(tmp_path / "kubectl-cache"))
        yield open_api, secure


def test_kubeconfig_list_split_across_files_and_context_choice(
    split_kubeconfig: tuple[ServerThread, ServerThread],
) -> None:
    open_api, secure = split_kubeconfig
    raw, requests = requests_during(
        secure, lambda: load_live(LiveOptions(context="secure", namespace="shop"))
    )
    assert raw.origin == f"context secure @ {secure.server.url}"
    assert requests and {r.status for r in requests} == {200}  # the token came along
    raw = load_live(LiveOptions(namespace="shop"))
    assert raw.origin == f"context open @ {open_api.server.url}"
    # (other namespaces' LoadBalancer/NodePort Services are read to find controllers)
    assert {n for n in names(raw.objects["Service"]) if n.startswith("shop/")} == {
        "shop/web",
        "shop/api",
    }


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_kubectl_reads_the_same_kubeconfig_list_the_same_way(
    split_kubeconfig: tuple[ServerThread, ServerThread],
) -> None:
    _, secure = split_kubeconfig
    assert KUBECTL is not None
    for context in ("secure", "open"):
        out, requests = requests_during(
            secure,
            lambda c=context: (
                subprocess.run(
                    [KUBECTL, "--context", c, "get", "services", "-n", "shop", "-o", "name"],
                    check=True,
                    capture_output=True,
                    text=True,
                    timeout=60,
                ).stdout
            ),
        )
        raw = load_live(LiveOptions(context=context, namespace="shop"))
        assert sorted(out.split()) == sorted(
            f"service/{s['metadata']['name']}"
            for s in raw.objects["Service"]
            if s["metadata"]["namespace"] == "shop"
        )
        assert bool(requests) == (context == "secure")  # both reached the same server


# -- what the lab never does: a small stdlib server ---------------------------------------------

Reply = tuple[int, str, bytes]  # status, content type, body


def _list(kind: str, items: list[dict[str, Any]], cont: str | None = None) -> Reply:
    meta = {"resourceVersion": "7", **({"continue": cont} if cont else {})}
    body = {"kind": f"{kind}List", "apiVersion": "v1", "metadata": meta, "items": items}
    return 200, "application/json", json.dumps(body).encode()


class _Old(BaseHTTPRequestHandler):
    """Answers from ``self.server.routes``: path -> callable(query) -> Reply; else 404."""

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        self.server.seen.append((self.command, path, query))  # type: ignore[attr-defined]
        route = self.server.routes.get(path)  # type: ignore[attr-defined]
        status, ctype, body = (
            route(query)
            if route
            else (
                404,
                "application/json",
                b'{"kind":"Status","message":"the server could not '
                b'find the requested resource","code":404}',
            )
        )
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def old_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Old)
    server.routes = {}  # type: ignore[attr-defined]
    server.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _kubeconfig_for(tmp_path: Path, url: str) -> Path:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "old",
        "clusters": [{"name": "old", "cluster": {"server": url}}],
        "contexts": [{"name": "old", "context": {"cluster": "old"}}],
        "users": [{"name": "old", "user": {}}],
    }
    path = tmp_path / "old-kubeconfig"
    path.write_text(yaml.safe_dump(doc))
    return path


def _url(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_old_cluster_without_newer_groups(old_server: ThreadingHTTPServer, tmp_path: Path) -> None:
    objs = cluster_objects()
    for kind, plural in (
        ("Node", "nodes"),
        ("Pod", "pods"),
        ("Service", "services"),
        ("Endpoints", "endpoints"),
    ):
        items = [o for o in objs if o["kind"] == kind]
        old_server.routes[f"/api/v1/{plural}"] = (  # type: ignore[attr-defined]
            lambda q, k=kind, i=items: _list(k, i)
        )
    raw = load_live(
        LiveOptions(
            kubeconfig=str(_kubeconfig_for(tmp_path, _url(old_server))), all_namespaces=True
        )
    )
    for kind in ("EndpointSlice", "Ingress", "IngressClass"):
        assert raw.not_visible[kind].startswith("not served by this API server"), kind
    assert names(raw.objects["Endpoints"]) == expected("Endpoints")
    assert names(raw.objects["Pod"]) == expected("Pod")


def _serve_core(server: ThreadingHTTPServer, **overrides: Callable[[str], Reply]) -> None:
    routes = {
        f"/api/v1/{p}": (lambda q, k=k: _list(k, []))
        for p, k in (
            ("nodes", "Node"),
            ("pods", "Pod"),
            ("services", "Service"),
            ("endpoints", "Endpoints"),
        )
    }
    routes.update({f"/api/v1/{p}": fn for p, fn in overrides.items()})
    server.routes = routes  # type: ignore[attr-defined]


def test_an_html_reply_is_a_source_error(old_server: ThreadingHTTPServer, tmp_path: Path) -> None:
    _serve_core(old_server, nodes=lambda q: (200, "text/html", b"<html>login</html>"))
    with pytest.raises(SourceError, match=r"sent a reply that is not JSON for /api/v1/nodes"):
        load_live(LiveOptions(kubeconfig=str(_kubeconfig_for(tmp_path, _url(old_server)))))


def test_a_server_error_is_a_source_error_with_its_message(
    old_server: ThreadingHTTPServer, tmp_path: Path
) -> None:
    _serve_core(
        old_server,
        pods=lambda q: (500, "application/json", b'{"kind":"Status","message":"etcd timeout"}'),
    )
    with pytest.raises(SourceError, match=r"answered 500 listing pods: etcd timeout$"):
        load_live(
            LiveOptions(
                kubeconfig=str(_kubeconfig_for(tmp_path, _url(old_server))), all_namespaces=True
            )
        )


def test_an_expired_continue_token_lists_again_from_the_start(
    old_server: ThreadingHTTPServer, tmp_path: Path
) -> None:
    pods = [o for o in cluster_objects() if o["kind"] == "Pod"]
    calls: list[str] = []

    def paged(query: str) -> Reply:
        calls.append(query)
        if "continue=" in query and len(calls) == 2:  # the first token has expired
            return 410, "application/json", b'{"kind":"Status","reason":"Expired","code":410}'
        if "continue=" in query:
            return _list("Pod", pods[2:])
        return _list("Pod", pods[:2], cont="tok")

    _serve_core(old_server, pods=paged)
    raw = load_live(
        LiveOptions(
            kubeconfig=str(_kubeconfig_for(tmp_path, _url(old_server))),
            all_namespaces=True,
            page_size=2,
        )
    )
    assert len(calls) == 4  # first page, expired, first page again, second page
    assert [p["metadata"]["name"] for p in raw.objects["Pod"]] == [
        p["metadata"]["name"] for p in pods
    ]


def _gateway_group(versions: list[str]) -> Callable[[str], Reply]:
    """``/apis``: the APIGroupList, holding the Gateway API group at these versions."""
    group = {
        "name": "gateway.networking.k8s.io",
        "versions": [
            {"groupVersion": f"gateway.networking.k8s.io/{v}", "version": v} for v in versions
        ],
        "preferredVersion": {
            "groupVersion": f"gateway.networking.k8s.io/{versions[0]}",
            "version": versions[0],
        },
    }
    body = {"kind": "APIGroupList", "apiVersion": "v1", "groups": [group]}
    return lambda q: (200, "application/json", json.dumps(body).encode())


_NO_DISCOVERY: Callable[[str], Reply] = lambda q: (  # noqa: E731
    403,
    "application/json",
    b'{"kind":"Status","message":"no discovery for you"}',
)


def test_gateway_discovery_forbidden_makes_every_gateway_kind_not_visible(
    old_server: ThreadingHTTPServer, tmp_path: Path
) -> None:
    _serve_core(old_server)
    old_server.routes.update(
        {  # type: ignore[attr-defined]
            "/apis": _gateway_group(["v1"]),
            f"{GW}/v1": _NO_DISCOVERY,
        }
    )
    raw = load_live(
        LiveOptions(
            kubeconfig=str(_kubeconfig_for(tmp_path, _url(old_server))), all_namespaces=True
        )
    )
    assert raw.not_visible["Gateway"] == (f"forbidden: no discovery for you (discovery of {GW}/v1)")
    assert {"GatewayClass", "HTTPRoute", "BackendTLSPolicy"} <= raw.not_visible.keys()
    assert raw.objects["Pod"] == []  # the core kinds are read as ever


def test_discovery_of_every_group_forbidden(
    old_server: ThreadingHTTPServer, tmp_path: Path
) -> None:
    """``/apis`` refused: the Gateway API kinds and the not-evaluated policy kinds are not
    visible; the kinds at fixed paths (NetworkPolicy among them) are read as ever."""
    _serve_core(old_server)
    old_server.routes["/apis"] = _NO_DISCOVERY  # type: ignore[attr-defined]
    raw = load_live(
        LiveOptions(
            kubeconfig=str(_kubeconfig_for(tmp_path, _url(old_server))), all_namespaces=True
        )
    )
    assert raw.not_visible["Gateway"] == "forbidden: no discovery for you (discovery of /apis)"
    assert raw.not_visible["AdminNetworkPolicy"] == raw.not_visible["Gateway"]
    assert raw.objects["Pod"] == []


def test_a_version_that_vanishes_after_discovery_is_skipped(
    old_server: ThreadingHTTPServer, tmp_path: Path
) -> None:
    """The group lists v1 and v1beta1; v1 is gone by the time it is asked (an upgrade in
    progress): kpath reads what v1beta1 serves."""
    _serve_core(old_server)
    beta = {
        "kind": "APIResourceList",
        "groupVersion": "gateway.networking.k8s.io/v1beta1",
        "resources": [
            {
                "name": "httproutes",
                "kind": "HTTPRoute",
                "namespaced": True,
                "verbs": ["get", "list", "watch"],
            }
        ],
    }
    route = {
        "kind": "HTTPRoute",
        "apiVersion": "gateway.networking.k8s.io/v1beta1",
        "metadata": {"name": "r", "namespace": "shop"},
        "spec": {},
    }
    old_server.routes.update(
        {  # type: ignore[attr-defined]
            "/apis": _gateway_group(["v1", "v1beta1"]),
            f"{GW}/v1beta1": lambda q: (200, "application/json", json.dumps(beta).encode()),
            f"{GW}/v1beta1/httproutes": lambda q: _list("HTTPRoute", [route]),
        }
    )
    raw = load_live(
        LiveOptions(
            kubeconfig=str(_kubeconfig_for(tmp_path, _url(old_server))), all_namespaces=True
        )
    )
    assert [o["metadata"]["name"] for o in raw.objects["HTTPRoute"]] == ["r"]
    assert not any(k in raw.not_visible for k in ("HTTPRoute", "Gateway"))
    seen = [p for _, p, _ in old_server.seen]  # type: ignore[attr-defined]
    assert f"{GW}/v1" in seen and f"{GW}/v1beta1/httproutes" in seen


def test_a_gateway_discovery_server_error_is_one_line(
    old_server: ThreadingHTTPServer, tmp_path: Path
) -> None:
    _serve_core(old_server)
    old_server.routes.update(
        {  # type: ignore[attr-defined]
            "/apis": _gateway_group(["v1"]),
            f"{GW}/v1": lambda q: (
                503,
                "application/json",
                b'{"kind":"Status","message":"service unavailable"}',
            ),
        }
    )
    with pytest.raises(SourceError, match=rf"answered 503 to {GW}/v1: service unavailable$"):
        load_live(
            LiveOptions(
                kubeconfig=str(_kubeconfig_for(tmp_path, _url(old_server))), all_namespaces=True
            )
        )
