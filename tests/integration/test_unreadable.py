"""A server that lets kpath read nothing: every list forbidden (the lab's deny list), or not
a Kubernetes API server at all (a plain web server on loopback). Exit 2 and one line saying
which; a partly readable cluster still shows what it can. And ``-l`` when Services are
forbidden."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from kpath.cli import main
from kpath.cluster.live import LiveOptions, load_live
from kpath.lab.apiserver import serve_in_thread
from tests.integration.test_live_source import new_store

pytestmark = pytest.mark.lab

PLURALS = (
    "nodes",
    "pods",
    "services",
    "endpointslices",
    "endpoints",
    "ingresses",
    "ingressclasses",
    "namespaces",
    "gatewayclasses",
    "gateways",
    "listenersets",
    "httproutes",
    "grpcroutes",
    "tlsroutes",
    "tcproutes",
    "udproutes",
    "referencegrants",
    "backendtlspolicies",
    "networkpolicies",
)


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("kpath: error: "), err
    return err


@pytest.mark.parametrize(
    "argv",
    [
        ["paths", "-A"],
        ["paths", "-n", "shop", "-o", "json"],
        ["probe", "shop/web"],
        ["route", "shop/web", "--node", "n1"],
    ],
)
def test_every_list_forbidden_is_exit_2_naming_the_kinds(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve_in_thread(new_store(), deny=PLURALS) as st:
        kc = st.server.write_kubeconfig(tmp_path / "kc")
        assert main([*argv, "--kubeconfig", str(kc)]) == 2
    err = one_error_line(capsys)
    assert f"the API server at {st.server.url} lets context kpath-lab list nothing" in err
    assert (
        "403 Forbidden on Node, IngressClass, Pod, Service, EndpointSlice, Endpoints, "
        "Ingress" in err
    )
    assert all(r.method == "GET" for r in st.server.requests)


@pytest.fixture
def web_server(tmp_path: Path) -> Iterator[str]:
    """A plain web server on loopback with nothing to serve: 404 for every path."""
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_server_that_is_not_kubernetes_is_exit_2_saying_so(
    web_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kc = tmp_path / "kc"
    kc.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "web",
                "clusters": [{"name": "web", "cluster": {"server": web_server}}],
                "users": [{"name": "web", "user": {}}],
                "contexts": [{"name": "web", "context": {"cluster": "web", "user": "web"}}],
            }
        )
    )
    assert main(["paths", "--kubeconfig", str(kc), "-A"]) == 2
    err = one_error_line(capsys)
    assert f"{web_server} is not a Kubernetes API server: it answered 404 Not Found" in err


def test_a_partly_readable_cluster_still_shows_what_it_can(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve_in_thread(new_store(), deny=("nodes", "ingresses")) as st:
        kc = st.server.write_kubeconfig(tmp_path / "kc")
        assert main(["paths", "--kubeconfig", str(kc), "-A", "-o", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc["source"]["notVisible"]) == {"Node", "Ingress"}
    assert {p["service"] for p in doc["paths"]} >= {"shop/web", "shop/api"}


def test_a_selector_when_services_are_forbidden_reads_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve_in_thread(new_store(), deny=("services",)) as st:
        kc = st.server.write_kubeconfig(tmp_path / "kc")
        raw = load_live(LiveOptions(kubeconfig=str(kc), all_namespaces=True, selector="app=web"))
        assert main(["paths", "--kubeconfig", str(kc), "-A", "-l", "app=web", "-o", "json"]) == 0
    assert "Service" in raw.not_visible and raw.objects["Node"] and raw.objects["Pod"]
    # No Service could be selected, so nothing that refers to one is kept.
    assert raw.objects["EndpointSlice"] == [] and raw.objects["Ingress"] == []
    doc = json.loads(capsys.readouterr().out)
    assert doc["paths"] == [] and "Service" in doc["source"]["notVisible"]
