"""The scale generator at a tiny scale: the dump has the shapes a real cluster's has.

The benchmark's figures only mean something if the generated file looks like what
`kubectl get … -A -o json` prints for a real cluster, and if the objects agree with each
other (slices point at real pods on real nodes, node ports are unique, …).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from kubernetes.client import ApiClient

from benchmarks import bench_paths
from benchmarks.generate_cluster import Scale, generate
from kpath.cluster.dump import load_dump
from kpath.cluster.snapshot import build_snapshot
from kpath.routing.analysis import analyse

ROOT = Path(__file__).resolve().parents[2]
TINY = Scale(nodes=12, pods=400, services=40, external=8, ingresses=6, zones=3, seed=7)
#: One deployment of 392 replicas: its service needs four slices.
ONE_BIG = Scale(nodes=3, pods=400, services=5, external=1, ingresses=0, zones=2, seed=3)
DOC_NETS = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")]

Obj = dict[str, Any]


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gen") / "tiny.json"
    generate(path, TINY)
    return path


@pytest.fixture(scope="module")
def tiny(tiny_file: Path) -> Obj:
    return json.loads(tiny_file.read_bytes())


def of_kind(doc: Obj, kind: str) -> list[Obj]:
    return [i for i in doc["items"] if i["kind"] == kind]


def key(o: Obj) -> tuple[str, str]:
    return o["metadata"].get("namespace", ""), o["metadata"]["name"]


def test_one_kubectl_list_with_the_requested_counts(tiny: Obj) -> None:
    assert (tiny["kind"], tiny["apiVersion"]) == ("List", "v1")
    assert all(i.get("kind") and i.get("apiVersion") for i in tiny["items"])
    kinds = Counter(i["kind"] for i in tiny["items"])
    assert kinds["Node"] == 12 and kinds["Pod"] == 400 and kinds["Service"] == 40
    assert kinds["Ingress"] == 6 and kinds["IngressClass"] == 2
    assert kinds["EndpointSlice"] >= 30
    # kubectl lists kinds in the order asked for, objects by namespace and name
    order = ["Node", "Pod", "Service", "EndpointSlice", "Ingress", "IngressClass"]
    seen = [i["kind"] for i in tiny["items"]]
    assert sorted(seen, key=order.index) == seen
    services = of_kind(tiny, "Service")
    assert [key(s) for s in services] == sorted(key(s) for s in services)


API_TYPES = {
    "Node": "V1Node",
    "Pod": "V1Pod",
    "Service": "V1Service",
    "EndpointSlice": "V1EndpointSlice",
    "Ingress": "V1Ingress",
    "IngressClass": "V1IngressClass",
}


def unknown_fields(raw: Any, typed: Any, path: str = "") -> list[str]:
    """Fields of `raw` (with a value) that the typed round trip dropped: not in the API."""
    if isinstance(raw, dict):
        return [
            f
            for k, v in raw.items()
            if v is not None
            for f in (
                [f"{path}/{k}"]
                if not isinstance(typed, dict) or k not in typed
                else unknown_fields(v, typed[k], f"{path}/{k}")
            )
        ]
    if isinstance(raw, list):
        return [f for a, b in zip(raw, typed, strict=True) for f in unknown_fields(a, b, path)]
    return []


def test_every_object_is_a_valid_api_object(tiny: Obj) -> None:
    """The official client's typed models accept every item and know every field."""
    client = ApiClient()
    for item in tiny["items"]:
        typed = client.deserialize(json.dumps(item), API_TYPES[item["kind"]], "application/json")
        back = client.sanitize_for_serialization(typed)
        assert unknown_fields(item, back) == [], key(item)


def test_nodes_spread_over_zones_with_unready_and_control_plane(tiny: Obj) -> None:
    nodes = of_kind(tiny, "Node")
    zones = Counter(n["metadata"]["labels"]["topology.kubernetes.io/zone"] for n in nodes)
    assert len(zones) == 3
    ready = [c["status"] for n in nodes for c in n["status"]["conditions"] if c["type"] == "Ready"]
    assert "True" in ready and set(ready) - {"True"}
    assert any("node-role.kubernetes.io/control-plane" in n["metadata"]["labels"] for n in nodes)
    for n in nodes:
        assert (
            n["metadata"]["managedFields"] and n["status"]["addresses"][0]["type"] == "InternalIP"
        )


def test_pods_carry_what_kubectl_prints(tiny: Obj) -> None:
    pods = of_kind(tiny, "Pod")
    node_ip = {
        n["metadata"]["name"]: n["status"]["addresses"][0]["address"] for n in of_kind(tiny, "Node")
    }
    assert len({p["metadata"]["uid"] for p in pods}) == len(pods)
    assert len({key(p) for p in pods}) == len(pods)
    running = [p for p in pods if p["status"]["phase"] == "Running"]
    assert len(running) >= len(pods) * 0.95
    for p in pods:
        meta, spec = p["metadata"], p["spec"]
        for field in (
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "ownerReferences",
            "managedFields",
            "labels",
        ):
            assert meta[field], field
        c = spec["containers"][0]
        for field in ("image", "ports", "resources", "env", "volumeMounts", "readinessProbe"):
            assert c[field], field
        assert spec["volumes"] and spec["tolerations"] and spec["serviceAccountName"]
    for p in running:
        ip = ipaddress.ip_address(p["status"]["podIP"])
        assert ip in ipaddress.ip_network("10.0.0.0/8")
        assert p["status"]["hostIP"] == node_ip[p["spec"]["nodeName"]]
        assert p["status"]["podIPs"] == [{"ip": p["status"]["podIP"]}]
        assert p["status"]["containerStatuses"]
    # A kube-proxy pod on every node, on the node's network.
    proxies = [p for p in pods if p["metadata"]["name"].startswith("kube-proxy-")]
    assert len(proxies) == 12
    assert all(
        p["spec"]["hostNetwork"] and p["status"]["podIP"] == p["status"]["hostIP"] for p in proxies
    )
    # Pod IPs are unique, except host-network pods sharing their node's.
    ips = Counter(p["status"]["podIP"] for p in running if not p["spec"].get("hostNetwork"))
    assert max(ips.values()) == 1


def test_pods_weigh_what_real_ones_do(tiny_file: Path, tiny: Obj) -> None:
    sizes = [len(json.dumps(p, separators=(",", ":"))) for p in of_kind(tiny, "Pod")]
    mean = sum(sizes) / len(sizes)
    assert 4000 <= mean <= 7500, mean


def test_services_exposed_as_asked(tiny: Obj) -> None:
    services = of_kind(tiny, "Service")
    types = Counter(s["spec"]["type"] for s in services)
    assert types["NodePort"] + types["LoadBalancer"] == 8
    node_ports = [
        p["nodePort"] for s in services for p in s["spec"].get("ports", ()) if "nodePort" in p
    ]
    node_ports += [
        s["spec"]["healthCheckNodePort"] for s in services if "healthCheckNodePort" in s["spec"]
    ]
    assert len(node_ports) == len(set(node_ports))
    assert all(30000 <= p <= 32767 for p in node_ports)
    for s in services:
        spec = s["spec"]
        if spec["type"] != "ExternalName" and spec["clusterIP"] != "None":
            assert ipaddress.ip_address(spec["clusterIP"]) in ipaddress.ip_network("10.96.0.0/12")
        if "healthCheckNodePort" in spec:
            assert (spec["type"], spec["externalTrafficPolicy"]) == ("LoadBalancer", "Local")
        for lb in s["status"]["loadBalancer"].get("ingress", ()):
            if "ip" in lb:
                assert any(ipaddress.ip_address(lb["ip"]) in n for n in DOC_NETS)
    controller = next(
        s for s in services if key(s) == ("ingress-nginx", "ingress-nginx-controller")
    )
    assert controller["spec"]["externalTrafficPolicy"] == "Local"
    assert {p["targetPort"] for p in controller["spec"]["ports"]} == {"http", "https"}


def test_slices_point_at_the_pods_their_service_selects(tiny: Obj) -> None:
    pods = {key(p): p for p in of_kind(tiny, "Pod")}
    services = {key(s): s for s in of_kind(tiny, "Service")}
    zone = {
        n["metadata"]["name"]: n["metadata"]["labels"]["topology.kubernetes.io/zone"]
        for n in of_kind(tiny, "Node")
    }
    conditions: Counter[str] = Counter()
    for s in of_kind(tiny, "EndpointSlice"):
        ns = s["metadata"]["namespace"]
        svc = services[(ns, s["metadata"]["labels"]["kubernetes.io/service-name"])]
        endpoints = s["endpoints"] or []
        assert len(endpoints) <= 100
        selector = svc["spec"].get("selector")
        for ep in endpoints:
            if "targetRef" not in ep:  # the API server's own endpoints
                assert svc["metadata"]["name"] == "kubernetes"
                continue
            pod = pods[(ns, ep["targetRef"]["name"])]
            assert ep["targetRef"]["uid"] == pod["metadata"]["uid"]
            assert ep["addresses"] == [pod["status"]["podIP"]]
            assert ep["nodeName"] == pod["spec"]["nodeName"]
            assert ep["zone"] == zone[ep["nodeName"]]
            assert selector and all(
                pod["metadata"]["labels"].get(k) == v for k, v in selector.items()
            )
            ready = any(
                c["type"] == "Ready" and c["status"] == "True" for c in pod["status"]["conditions"]
            )
            c = ep["conditions"]
            assert c["ready"] == ready
            assert c["terminating"] == ("deletionTimestamp" in pod["metadata"])
            conditions.update(k for k, v in c.items() if v)
    assert conditions["ready"] > 300


def test_a_large_service_is_cut_into_slices_of_100(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    generate(path, ONE_BIG)
    doc = json.loads(path.read_bytes())
    big = Counter(
        s["metadata"]["labels"]["kubernetes.io/service-name"]
        for s in of_kind(doc, "EndpointSlice")
        if s["endpoints"]
    )
    name, slices = big.most_common(1)[0]
    assert slices == 4  # 392 replicas, fewer the pending ones
    sizes = sorted(
        len(s["endpoints"])
        for s in of_kind(doc, "EndpointSlice")
        if s["metadata"]["labels"]["kubernetes.io/service-name"] == name
    )
    assert sizes[1:] == [100, 100, 100]


def test_ingresses_point_at_services_and_known_classes(tiny: Obj) -> None:
    services = {key(s) for s in of_kind(tiny, "Service")}
    classes = {c["metadata"]["name"]: c for c in of_kind(tiny, "IngressClass")}
    defaults = [
        c
        for c in classes.values()
        if c["metadata"].get("annotations", {}).get("ingressclass.kubernetes.io/is-default-class")
        == "true"
    ]
    assert len(defaults) == 1
    for ing in of_kind(tiny, "Ingress"):
        assert ing["spec"]["ingressClassName"] in classes
        assert 1 <= len(ing["spec"]["rules"]) <= 4
        for rule in ing["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                name = path["backend"]["service"]["name"]
                ns = ing["metadata"]["namespace"]
                assert (ns, name) in services or name.endswith("-old")


def test_same_seed_same_bytes_other_seed_other_cluster(tmp_path: Path, tiny_file: Path) -> None:
    again, other = tmp_path / "again.json", tmp_path / "other.json"
    generate(again, TINY)
    generate(other, Scale(**{**TINY.__dict__, "seed": 8}))
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (tiny_file, again, other)]
    assert digest[0] == digest[1] != digest[2]


def test_indented_output_is_the_same_list(tmp_path: Path, tiny: Obj) -> None:
    path = tmp_path / "indented.json"
    generate(path, TINY, indent=True)
    text = path.read_text()
    assert text.startswith('{\n    "apiVersion": "v1",\n    "items": [\n        {\n')
    assert json.loads(text) == tiny


def test_kpath_reads_and_routes_the_dump(tiny_file: Path, tiny: Obj) -> None:
    snapshot = build_snapshot(load_dump([tiny_file]))
    assert len(snapshot.nodes) == 12
    assert len(snapshot.pods) == 400
    assert len(snapshot.services) == 40
    assert len(snapshot.ingresses) == 6
    analysis = analyse(snapshot)
    exposed = {
        key(s)
        for s in of_kind(tiny, "Service")
        if s["spec"]["type"] in ("NodePort", "LoadBalancer")
    }
    routed = {(k.namespace, k.name) for k in analysis.routes}
    assert exposed <= routed


def test_cli_writes_a_summary_and_refuses_impossible_counts(tmp_path: Path) -> None:
    script = str(ROOT / "benchmarks" / "generate_cluster.py")
    out = tmp_path / "cli.json"
    ok = subprocess.run(
        [
            sys.executable,
            script,
            "--out",
            str(out),
            "--nodes",
            "4",
            "--pods",
            "60",
            "--services",
            "8",
            "--external",
            "2",
            "--ingresses",
            "1",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "Pod 60" in ok.stdout and out.is_file()
    bad = subprocess.run(
        [sys.executable, script, "--out", str(out), "--nodes", "100", "--pods", "50"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "--pods must be at least" in bad.stderr


def test_bench_reports_medians_for_every_figure(tiny_file: Path, tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    status = bench_paths.main(["--file", str(tiny_file), "--repeat", "1", "--json", str(results)])
    assert status in (0, 1)  # 1: a target missed; the figures are still all there
    medians = json.loads(results.read_text())["medians"]
    assert set(medians) == {"json-gc", "json-nogc", "kpath", "kept"}
    assert medians["kpath"]["pods"] == 400
    assert medians["kept"]["kept_bytes"] > 0
    assert all(medians[m]["seconds"] > 0 for m in ("json-gc", "json-nogc", "kpath"))
