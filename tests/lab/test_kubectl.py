"""The real kubectl against the lab API server, through an ordinary kubeconfig."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from kpath.lab.apiserver import ServerThread, serve_in_thread
from kpath.lab.rbac import load_policy
from tests.lab.conftest import KUBECTL, filled_store, run_kubectl, wait_for_watchers

Obj = dict[str, object]
Kubectl = Callable[..., subprocess.CompletedProcess[str]]

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (not on PATH)"),
]


@pytest.fixture
def kubectl(kubeconfig: Path, tmp_path: Path) -> Kubectl:
    """`kubectl(*args)` → CompletedProcess, against the per-test server, own cache dir."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_kubectl(kubeconfig, *args, cache=tmp_path / "kube-cache")

    return run


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.strip().splitlines() if line.strip()]


def test_get_every_kind_across_namespaces(kubectl: Kubectl) -> None:
    out = ok(kubectl("get", "nodes,pods,svc,endpointslices,ingress,ingressclass", "-A"))
    for name in (
        "node/node-a",
        "pod/web-1",
        "pod/probe-1",
        "service/front",
        "endpointslice.discovery.k8s.io/web-x1",
        "ingress.networking.k8s.io/web",
        "ingressclass.networking.k8s.io/nginx",
    ):
        assert name in out, name
    pods = [r for r in rows(out) if len(r) > 1 and r[1].startswith("pod/")]
    assert pods[3][:4] == ["shop", "pod/web-3", "0/1", "Pending"]
    svc = next(r for r in rows(out) if "service/front" in r)
    assert svc[2] == "LoadBalancer" and svc[5] == "443:30443/TCP"


def test_wide_output_shows_pod_ip_and_node(kubectl: Kubectl, address_plan) -> None:
    table = rows(ok(kubectl("get", "pods", "-A", "-o", "wide")))
    header = table[0]
    assert header[:2] == ["NAMESPACE", "NAME"] and "IP" in header and "NODE" in header
    web1 = next(r for r in table if r[1] == "web-1")
    assert web1[header.index("IP")] == address_plan.pod_ip(0, 0)
    assert web1[header.index("NODE")] == "node-a"
    narrow = rows(ok(kubectl("get", "pods", "-A")))[0]
    assert "IP" not in narrow and "NODE" not in narrow
    nodes = rows(ok(kubectl("get", "nodes", "-o", "wide")))
    assert nodes[1][nodes[0].index("INTERNAL-IP")] == address_plan.node_ip(0)
    services = rows(ok(kubectl("get", "svc", "-n", "shop", "-o", "wide")))
    assert services[0][-1] == "SELECTOR" and services[1][-1] == "app=db"


def test_json_output_is_a_list_of_full_objects(kubectl: Kubectl) -> None:
    doc = json.loads(ok(kubectl("get", "endpointslices", "-A", "-o", "json")))
    assert doc["kind"] == "List"
    assert doc["items"][0]["kind"] == "EndpointSlice"
    assert doc["items"][0]["addressType"] == "IPv4"
    pod = json.loads(ok(kubectl("get", "pod", "-n", "shop", "web-2", "-o", "json")))
    assert pod["spec"]["nodeName"] == "node-b"


def test_label_selector_and_chunked_lists(kubectl: Kubectl) -> None:
    names = [r[0] for r in rows(ok(kubectl("get", "pods", "-n", "shop", "-l", "app=web")))[1:]]
    assert names == ["web-1", "web-2", "web-3"]
    chunked = rows(ok(kubectl("get", "pods", "-A", "--chunk-size=2", "-o", "name")))
    assert [r[0] for r in chunked] == [
        "pod/db-1",
        "pod/web-1",
        "pod/web-2",
        "pod/web-3",
        "pod/probe-1",
    ]
    table = rows(ok(kubectl("get", "pods", "-A", "--chunk-size=2")))
    assert len(table) == 6  # header + five pods, across three pages


def test_kubectl_pages_with_limit_and_continue(api: ServerThread, kubectl: Kubectl) -> None:
    ok(kubectl("get", "pods", "-A", "--chunk-size=2"))
    pages = [r.query for r in api.server.requests if r.path == "/api/v1/pods"]
    assert len(pages) == 3
    assert all("limit=2" in q for q in pages)
    assert sum("continue=" in q for q in pages) == 2


def test_raw_pod_proxy_reaches_the_pod(kubectl: Kubectl, web1_backend: str) -> None:
    out = ok(kubectl("get", "--raw", "/api/v1/namespaces/shop/pods/web-1:8080/proxy/"))
    assert out == "web-1 saw /"
    svc = ok(kubectl("get", "--raw", "/api/v1/namespaces/shop/services/web:http/proxy/hi"))
    assert svc == "web-1 saw /hi"


def test_delete_is_refused_as_read_only(api: ServerThread, kubectl: Kubectl) -> None:
    with api.server.deliberate():  # this test's own write, not kpath's
        result = kubectl("delete", "pod", "-n", "shop", "web-1")
    assert result.returncode != 0
    assert "read-only" in result.stderr
    assert api.call(api.store.get, "Pod", "shop", "web-1") is not None
    assert ("DELETE", 405) in [(r.method, r.status) for r in api.server.requests]


def test_get_all_and_api_resources(kubectl: Kubectl) -> None:
    everything = ok(kubectl("get", "all", "-n", "shop", "-o", "name")).split()
    assert "pod/web-1" in everything and "service/web" in everything
    assert not any(n.startswith("endpointslice") for n in everything)
    resources = ok(kubectl("api-resources", "--no-headers"))
    names = [line.split()[0] for line in resources.splitlines()]
    assert {"pods", "services", "endpointslices", "ingresses", "ingressclasses"} <= set(names)


def test_version_and_describe(kubectl: Kubectl) -> None:
    assert "Server Version: v1.32.0-kpath-lab" in ok(kubectl("version"))
    described = ok(kubectl("describe", "pod", "-n", "shop", "web-1"))
    assert "node-a" in described and "app=web" in described


def test_forbidden_resource_is_reported(objects: list[Obj], tmp_path: Path) -> None:
    with serve_in_thread(filled_store(objects), deny=("pods",)) as st:
        kc = st.server.write_kubeconfig(tmp_path / "kc")
        result = run_kubectl(kc, "get", "pods", "-A", cache=tmp_path / "cache")
        assert result.returncode != 0
        assert "Forbidden" in result.stderr and "pods is forbidden" in result.stderr
        assert "node-a" in ok(run_kubectl(kc, "get", "nodes", cache=tmp_path / "cache"))


RBAC_YAML = Path(__file__).resolve().parents[2] / "deploy" / "rbac.yaml"


def test_kubectl_with_kpaths_cluster_role_lists_services_everywhere(
    objects: list[Obj], tmp_path: Path
) -> None:
    with serve_in_thread(filled_store(objects), rbac=load_policy(RBAC_YAML)) as st:
        kc = st.server.write_kubeconfig(tmp_path / "kc")
        table = rows(ok(run_kubectl(kc, "get", "svc", "-A", cache=tmp_path / "cache")))
    assert [r[:2] for r in table] == [
        ["NAMESPACE", "NAME"],
        ["shop", "db"],
        ["shop", "front"],
        ["shop", "web"],
    ]
    assert {r.status for r in st.server.requests} == {200}


def test_kubectl_with_kpaths_role_reads_its_namespace_only(
    objects: list[Obj], tmp_path: Path
) -> None:
    role = load_policy(RBAC_YAML, "Role", namespace="shop")
    with serve_in_thread(filled_store(objects), rbac=role) as st:
        kc = st.server.write_kubeconfig(tmp_path / "kc")
        names = [
            r[0]
            for r in rows(
                ok(run_kubectl(kc, "get", "svc", "-n", "shop", cache=tmp_path / "cache"))
            )[1:]
        ]
        everywhere = run_kubectl(kc, "get", "svc", "-A", cache=tmp_path / "cache")
    assert names == ["db", "front", "web"]
    assert everywhere.returncode != 0
    assert (
        'services is forbidden: User "kpath-lab-user" cannot list resource "services" in '
        'API group "" at the cluster scope'
    ) in everywhere.stderr


def test_tls_and_token_through_the_kubeconfig(objects: list[Obj], tmp_path: Path) -> None:
    with serve_in_thread(filled_store(objects), tls=True, token="t0ken") as st:
        kc = st.server.write_kubeconfig(tmp_path / "kc", namespace="shop")
        names = [
            r[0] for r in rows(ok(run_kubectl(kc, "get", "svc", cache=tmp_path / "cache")))[1:]
        ]
        assert names == ["db", "front", "web"]  # the context's namespace applies


def test_a_client_certificate_through_the_kubeconfig(objects: list[Obj], tmp_path: Path) -> None:
    with serve_in_thread(filled_store(objects), tls=True, client_certs=True) as st:
        kc = st.server.write_kubeconfig(tmp_path / "kc", namespace="shop")
        names = [
            r[0] for r in rows(ok(run_kubectl(kc, "get", "svc", cache=tmp_path / "cache")))[1:]
        ]
        assert names == ["db", "front", "web"]
        assert {r.status for r in st.server.requests} == {200}


def test_watch_prints_a_later_change(
    api: ServerThread, kubeconfig: Path, tmp_path: Path, objects: list[Obj]
) -> None:
    """`kubectl get -w` asks for Table rows on the watch and prints them as they come."""
    assert KUBECTL is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    env["KUBECACHEDIR"] = str(tmp_path / "cache")
    proc = subprocess.Popen(
        [
            KUBECTL,
            "--kubeconfig",
            str(kubeconfig),
            "get",
            "pods",
            "-n",
            "tools",
            "-w",
            "--request-timeout=30s",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        header = proc.stdout.readline().split()
        first = proc.stdout.readline().split()
        assert header[:3] == ["NAME", "READY", "STATUS"] and first[0] == "probe-1"
        wait_for_watchers(api)
        new = {**objects[6], "metadata": {"name": "probe-2", "namespace": "tools"}}
        api.call(api.store.put, new)
        later = proc.stdout.readline().split()
        assert later[:3] == ["probe-2", "1/1", "Running"]
    finally:
        proc.kill()
        proc.wait(10)
