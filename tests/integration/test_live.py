"""The live source against the lab's API server: what kubectl users expect of kpath."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml

from kpath.cli import main
from kpath.cluster.live import LiveOptions, list_contexts, load_live
from kpath.cluster.snapshot import build_snapshot
from kpath.errors import InputError, SourceError
from kpath.lab.apiserver import serve_in_thread
from kpath.lab.store import Store
from kpath.routing.analysis import analyse


def test_reads_every_kind_and_routes_the_shop(shop_lab, shop_kubeconfig):
    raw = load_live(LiveOptions(kubeconfig=str(shop_kubeconfig), all_namespaces=True))
    assert raw.origin.startswith("context kpath-lab @ http://127.0.0.1:")
    for kind in ("Node", "Pod", "Service", "EndpointSlice", "Ingress", "IngressClass"):
        assert raw.objects.get(kind), kind
    assert sorted(n["metadata"]["name"] for n in raw.objects["Node"]) == [
        "node-a", "node-b", "node-c"]
    analysis = analyse(build_snapshot(raw))
    checkout = [p for p in analysis.paths
                if str(p.service) == "shop/checkout" and p.entry.kind.value == "nodeport"]
    verdicts = {g.label(): g.choice.verdict.value for g in checkout[0].groups}
    # checkout's pods sit on node-a and node-b; Local policy leaves node-c a black hole.
    assert verdicts["node-c"] == "drop"


def test_pages_are_fetched_with_continue(shop_lab, shop_kubeconfig):
    api = shop_lab.lab._api
    before = len(api.requests)
    raw = load_live(LiveOptions(kubeconfig=str(shop_kubeconfig), all_namespaces=True,
                                page_size=2))
    requests = list(api.requests)[before:]
    pods = [r for r in requests if r.path == "/api/v1/pods"]
    assert len(pods) >= len(raw.objects["Pod"]) // 2
    assert all("limit=2" in r.query for r in pods)
    assert any("continue=" in r.query for r in pods)
    assert {r.method for r in requests} == {"GET"}  # kpath never writes


def test_namespace_flag_limits_what_is_read(shop_lab, shop_kubeconfig):
    api = shop_lab.lab._api
    before = len(api.requests)
    raw = load_live(LiveOptions(kubeconfig=str(shop_kubeconfig), namespace="shop"))
    paths = {r.path for r in list(api.requests)[before:]}
    assert "/api/v1/namespaces/shop/pods" in paths and "/api/v1/pods" not in paths
    assert {s["metadata"]["namespace"] for s in raw.objects["Service"]} == {"shop"}


def _objects() -> list[dict]:
    return [
        {"kind": "Node", "apiVersion": "v1", "metadata": {"name": "n1"},
         "status": {"conditions": [{"type": "Ready", "status": "True"}]}},
        {"kind": "Service", "apiVersion": "v1", "metadata": {"name": "web", "namespace": "a"},
         "spec": {"type": "NodePort", "selector": {"app": "web"},
                  "ports": [{"port": 80, "nodePort": 30080}]}},
        {"kind": "Endpoints", "apiVersion": "v1", "metadata": {"name": "web", "namespace": "a"},
         "subsets": [{"addresses": [{"ip": "10.0.0.5", "nodeName": "n1"}],
                      "ports": [{"port": 8080}]}]},
    ]


def _server(tmp_path: Path, **kw):
    store = Store()
    for obj in _objects():
        store.put(obj)
    return serve_in_thread(store, **kw)


def test_forbidden_kinds_are_not_visible_and_the_rest_loads(tmp_path):
    with _server(tmp_path, deny=("nodes", "endpointslices")) as st:
        kc = st.server.write_kubeconfig(tmp_path / "kc")
        raw = load_live(LiveOptions(kubeconfig=str(kc), all_namespaces=True))
    assert "Node" in raw.not_visible and "forbidden" in raw.not_visible["Node"]
    # Without slices, kpath falls back to legacy Endpoints and still routes.
    assert [e["metadata"]["name"] for e in raw.objects["Endpoints"]] == ["web"]
    analysis = analyse(build_snapshot(raw))
    assert any(f.code == "KP301" for f in analysis.findings)
    (path,) = [p for p in analysis.paths if p.entry.kind.value == "nodeport"]
    assert [t.endpoint for g in path.groups for t in g.choice.targets][:1] == ["10.0.0.5:8080"]


def test_tls_and_token(tmp_path):
    with _server(tmp_path, tls=True, token="s3cret") as st:
        kc = st.server.write_kubeconfig(tmp_path / "kc")
        raw = load_live(LiveOptions(kubeconfig=str(kc), all_namespaces=True))
        assert st.server.url.startswith("https://")
        assert len(raw.objects["Service"]) == 1
        doc = yaml.safe_load(kc.read_text())
        doc["users"][0]["user"]["token"] = "wrong"
        kc.write_text(yaml.safe_dump(doc))
        with pytest.raises(SourceError, match="rejected the credentials"):
            load_live(LiveOptions(kubeconfig=str(kc), all_namespaces=True))


def test_kubeconfig_list_and_context_selection(tmp_path, monkeypatch):
    with _server(tmp_path) as st:
        one = st.server.write_kubeconfig(tmp_path / "one", context="lab-one")
        doc = yaml.safe_load(one.read_text())
        # Split as people do: clusters+contexts in one file, users in another.
        users = {"apiVersion": "v1", "kind": "Config", "users": doc.pop("users")}
        (tmp_path / "users").write_text(yaml.safe_dump(users))
        one.write_text(yaml.safe_dump(doc))
        monkeypatch.setenv("KUBECONFIG", f"{one}:{tmp_path / 'users'}")
        assert list_contexts() == (["lab-one"], "lab-one")
        raw = load_live(LiveOptions(context="lab-one", all_namespaces=True))
        assert raw.origin.startswith("context lab-one @")
        with pytest.raises(InputError, match=r"context 'nope' not found \(contexts: lab-one\)"):
            load_live(LiveOptions(context="nope"))


def test_unreachable_server_is_one_clear_error(tmp_path, capsys):
    with _server(tmp_path) as st:
        kc = st.server.write_kubeconfig(tmp_path / "kc")
    started = time.monotonic()
    assert main(["paths", "--kubeconfig", str(kc), "-A"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kpath: error: cannot reach the API server at http://127.0.0.1:")
    assert "connection refused" in err and err.count("\n") == 1
    assert time.monotonic() - started < 30  # fails, rather than hanging


def test_malformed_kubeconfig_is_an_input_error(tmp_path):
    bad = tmp_path / "kc"
    bad.write_text("apiVersion: v1\nclusters: [\n")
    with pytest.raises(InputError, match="kubeconfig"):
        load_live(LiveOptions(kubeconfig=str(bad)))


def test_route_reads_the_services_namespace(shop_lab, shop_kubeconfig, capsys):
    assert main(["route", "shop/checkout", "--node", "node-c", "-o", "json",
                 "--kubeconfig", str(shop_kubeconfig)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["external"]["verdict"] == "drop"
    assert doc["internal"]["verdict"] == "forward"
    assert {e["node"] for e in doc["internal"]["endpoints"]} == {"node-a", "node-b"}
    assert all(e["crossNode"] for e in doc["internal"]["endpoints"])
