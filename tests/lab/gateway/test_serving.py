"""The lab serves the Gateway API like CRDs of the 2026 standard channel: discovery at the
served versions, lists/gets/watches with selectors and paging, Tables for kubectl, and the
objects of scenario manifests as they were given (status too); Namespace labels too."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from kpath.lab.addresses import AddressPlan
from kpath.lab.apiserver import ServerThread, serve_in_thread
from kpath.lab.resources import (
    CORE_RESOURCES,
    GATEWAY_STANDARD_2026,
    Served,
    _version_rank,
    gateway_resources,
)
from kpath.lab.runner import LabThread
from kpath.lab.scheduler import NodeSpec, Scheduler
from kpath.lab.store import Store
from kpath.lab.tables import table_for
from tests.lab.conftest import KUBECTL, run_kubectl

try:
    from tests.lab.fixtures_dataplane import MiniStore
except ImportError:  # tests/lab imported as a rootdir-less folder
    from fixtures_dataplane import MiniStore  # type: ignore[no-redef]

pytestmark = pytest.mark.lab

GROUP = "gateway.networking.k8s.io"
GW = f"/apis/{GROUP}"
MANIFESTS = Path(__file__).resolve().parents[4] / "shared" / "realworld" / "manifests"
needs_realworld = pytest.mark.skipif(
    not MANIFESTS.is_dir(), reason=f"real-world manifests not found at {MANIFESTS}"
)
Obj = dict[str, Any]


def gateway(name: str = "gw", ns: str = "infra", version: str = "v1", **labels: str) -> Obj:
    return {
        "apiVersion": f"{GROUP}/{version}",
        "kind": "Gateway",
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": labels,
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
        "spec": {
            "gatewayClassName": "lab",
            "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}],
        },
        "status": {
            "addresses": [{"type": "IPAddress", "value": "127.0.0.9"}],
            "conditions": [{"type": "Programmed", "status": "True"}],
        },
    }


def route(name: str, ns: str = "shop", *hosts: str) -> Obj:
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": ns, "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"parentRefs": [{"name": "gw", "namespace": "infra"}], "hostnames": list(hosts)},
    }


@pytest.fixture
def gw_api() -> Any:
    store = Store()
    for obj in (
        gateway(),
        gateway("edge", "infra", "v1beta1", tier="edge"),
        route("a", "shop", "a.example.test"),
        route("b", "shop"),
        route("c", "tools", "c.example.test", "d.example.test"),
        {
            "apiVersion": f"{GROUP}/v1",
            "kind": "GatewayClass",
            "metadata": {"name": "lab"},
            "spec": {"controllerName": "example.com/lab"},
        },
    ):
        store.put(obj)
    with serve_in_thread(store) as st:
        yield st


def get(st: ServerThread, path: str, **params: Any) -> httpx.Response:
    return httpx.get(st.server.url + path, params=params)


# ---------------------------------------------------------------- discovery


def test_discovery_serves_the_standard_channel_versions(gw_api: ServerThread) -> None:
    groups = {g["name"]: g for g in get(gw_api, "/apis").json()["groups"]}
    group = groups[GROUP]
    assert [v["version"] for v in group["versions"]] == ["v1", "v1beta1"]
    assert group["preferredVersion"] == {"groupVersion": f"{GROUP}/v1", "version": "v1"}
    assert get(gw_api, GW).json()["preferredVersion"]["version"] == "v1"
    v1 = {r["name"]: r for r in get(gw_api, f"{GW}/v1").json()["resources"]}
    assert {n for n in v1 if "/" not in n} == {
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
    }
    assert "gateways/status" in v1 and "referencegrants/status" not in v1
    assert v1["gatewayclasses"]["namespaced"] is False and v1["gateways"]["namespaced"]
    assert v1["gateways"]["kind"] == "Gateway" and "list" in v1["gateways"]["verbs"]
    beta = {r["name"] for r in get(gw_api, f"{GW}/v1beta1").json()["resources"]}
    assert {n for n in beta if "/" not in n} == {
        "gatewayclasses",
        "gateways",
        "httproutes",
        "referencegrants",
    }
    for gone in (
        f"{GW}/v1alpha2",
        f"{GW}/v1beta1/tlsroutes",
        f"{GW}/v1beta1/grpcroutes",
        f"{GW}/v1/widgets",
    ):
        assert get(gw_api, gone).status_code == 404, gone


def test_a_server_without_the_crds() -> None:
    with serve_in_thread(Store(), resources=CORE_RESOURCES) as st:
        assert GROUP not in {g["name"] for g in get(st, "/apis").json()["groups"]}
        assert get(st, GW).status_code == 404
        assert get(st, f"{GW}/v1/gateways").status_code == 404


def test_version_preference() -> None:
    assert sorted(["v1alpha2", "v1", "v1beta1", "v2", "v1alpha10"], key=_version_rank) == [
        "v2",
        "v1",
        "v1beta1",
        "v1alpha10",
        "v1alpha2",
    ]
    served = Served(gateway_resources({"TLSRoute": ("v1alpha2",), "Gateway": ("v1beta1",)}))
    assert served.groups[GROUP] == ("v1beta1", "v1alpha2")  # a tie: beta before alpha
    assert Served(gateway_resources(GATEWAY_STANDARD_2026)).groups[GROUP] == ("v1", "v1beta1")


# ---------------------------------------------------------------- reads


def test_lists_get_selectors_and_paging(gw_api: ServerThread) -> None:
    every = get(gw_api, f"{GW}/v1/httproutes").json()
    assert every["kind"] == "HTTPRouteList" and every["apiVersion"] == f"{GROUP}/v1"
    assert [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in every["items"]] == [
        ("shop", "a"),
        ("shop", "b"),
        ("tools", "c"),
    ]
    shop = get(gw_api, f"{GW}/v1/namespaces/shop/httproutes").json()["items"]
    assert [o["metadata"]["name"] for o in shop] == ["a", "b"]
    first = get(gw_api, f"{GW}/v1/httproutes", limit=2).json()
    assert len(first["items"]) == 2 and first["metadata"]["remainingItemCount"] == 1
    rest = get(
        gw_api, f"{GW}/v1/httproutes", limit=2, **{"continue": first["metadata"]["continue"]}
    ).json()
    assert [o["metadata"]["name"] for o in rest["items"]] == ["c"]
    edge = get(gw_api, f"{GW}/v1/gateways", labelSelector="tier=edge").json()["items"]
    assert [o["metadata"]["name"] for o in edge] == ["edge"]
    one = get(gw_api, f"{GW}/v1/namespaces/infra/gateways/gw").json()
    assert one["status"]["addresses"][0]["value"] == "127.0.0.9"  # status as stored
    assert (
        get(gw_api, f"{GW}/v1/gatewayclasses/lab").json()["spec"]["controllerName"]
        == "example.com/lab"
    )
    assert get(gw_api, f"{GW}/v1/namespaces/infra/gateways/nope").status_code == 404
    assert get(gw_api, f"{GW}/v1/namespaces/x/gatewayclasses").status_code == 404


def test_each_version_shows_its_own_api_version(gw_api: ServerThread) -> None:
    """Stored at v1beta1 or v1, an object reads at the version asked for (same schema)."""
    for version in ("v1", "v1beta1"):
        items = get(gw_api, f"{GW}/{version}/gateways").json()["items"]
        assert {o["apiVersion"] for o in items} == {f"{GROUP}/{version}"}
        one = get(gw_api, f"{GW}/{version}/namespaces/infra/gateways/edge").json()
        assert one["apiVersion"] == f"{GROUP}/{version}"


def test_watch_streams_gateway_objects(gw_api: ServerThread) -> None:
    with httpx.stream(
        "GET",
        gw_api.server.url + f"{GW}/v1beta1/httproutes",
        params={"watch": "true", "timeoutSeconds": "1"},
    ) as r:
        events = [json.loads(line) for line in r.iter_lines() if line]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "a"),
        ("ADDED", "b"),
        ("ADDED", "c"),
    ]
    assert {e["object"]["apiVersion"] for e in events} == {f"{GROUP}/v1beta1"}


def test_tables_have_the_crds_columns() -> None:
    gw = table_for("Gateway", [gateway()], 1)
    assert [c["name"] for c in gw["columnDefinitions"]] == [
        "Name",
        "Class",
        "Address",
        "Programmed",
        "Age",
    ]
    assert gw["rows"][0]["cells"][:4] == ["gw", "lab", "127.0.0.9", "True"]
    routes = table_for("HTTPRoute", [route("a", "shop", "a.example", "b.example"), route("b")], 1)
    assert [c["name"] for c in routes["columnDefinitions"]] == ["Name", "Hostnames", "Age"]
    assert [r["cells"][:2] for r in routes["rows"]] == [
        ["a", '["a.example","b.example"]'],
        ["b", ""],
    ]
    bare = table_for("Gateway", [{"metadata": {"name": "x"}, "spec": {}}], 1)
    assert bare["rows"][0]["cells"][:4] == ["x", "", "", ""]  # no status yet


# ---------------------------------------------------------------- scenario manifests

NODES = [NodeSpec("node-a", "zone-a")]


def apply(*manifests: Obj) -> tuple[Scheduler, MiniStore]:
    store = MiniStore()
    sched = Scheduler(store, AddressPlan(77), NODES, seed="gw")
    sched.apply(manifests)
    return sched, store


def test_scenario_objects_are_stored_as_given() -> None:
    istio = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "istio-gw"},
        "spec": {"servers": []},
    }
    first = route("dup", "shop", "old.example")
    second = route("dup", "shop", "new.example")
    sched, store = apply(
        gateway(),
        first,
        second,
        istio,
        # Another class: no controller of the lab's claims gw, so its given status stays.
        {
            "apiVersion": f"{GROUP}/v1",
            "kind": "GatewayClass",
            "metadata": {"name": "other"},
            "spec": {"controllerName": "example.com/lab"},
        },
        {
            "apiVersion": f"{GROUP}/v1",
            "kind": "ReferenceGrant",
            "metadata": {"name": "g"},  # no namespace: default, as kubectl apply
            "spec": {"from": [], "to": []},
        },
    )
    gw = store.get("Gateway", "infra", "gw")
    assert gw["status"]["addresses"][0]["value"] == "127.0.0.9"
    assert gw["spec"]["listeners"][0]["port"] == 80 and gw["metadata"]["uid"]
    assert store.get("HTTPRoute", "shop", "dup")["spec"]["hostnames"] == ["new.example"]
    assert store.get("GatewayClass", None, "other")["metadata"].get("namespace") is None
    assert store.get("ReferenceGrant", "default", "g") is not None
    assert store.get("Gateway", "default", "istio-gw") is None  # not the Gateway API's
    assert sched.ignored == {"Gateway": 1}
    assert {"infra", "shop"} <= set(sched.namespaces)


def test_namespace_labels_from_manifests_are_served() -> None:
    labelled = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "shop", "labels": {"shared-gateway-access": "true"}},
    }
    # The route (in shop) comes first: the Namespace manifest still labels it.
    _, store = apply(
        route("r", "shop"),
        labelled,
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "default", "labels": {"team": "core"}},
        },
    )
    shop = store.get("Namespace", None, "shop")["metadata"]["labels"]
    assert shop == {"kubernetes.io/metadata.name": "shop", "shared-gateway-access": "true"}
    assert store.get("Namespace", None, "default")["metadata"]["labels"]["team"] == "core"


def test_a_plain_store_namespace_gets_its_name_label() -> None:
    store = Store()
    store.put(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "shop", "labels": {"a": "b"}},
        }
    )
    with serve_in_thread(store) as st:
        ns = get(st, "/api/v1/namespaces/shop").json()
        listed = get(st, "/api/v1/namespaces", labelSelector="kubernetes.io/metadata.name=shop")
    assert ns["metadata"]["labels"] == {"a": "b", "kubernetes.io/metadata.name": "shop"}
    assert [n["metadata"]["name"] for n in listed.json()["items"]] == ["shop"]


@needs_realworld
def test_a_realworld_gateway_scenario_is_served() -> None:
    with LabThread(MANIFESTS / "gateway-api-cross-namespace-routing.yaml") as lab:
        base = lab.api_url
        routes = httpx.get(f"{base}{GW}/v1/httproutes").json()["items"]
        namespaces = httpx.get(
            f"{base}/api/v1/namespaces", params={"labelSelector": "shared-gateway-access=true"}
        ).json()
    assert sorted(f"{r['metadata']['namespace']}/{r['metadata']['name']}" for r in routes) == [
        "site-ns/home",
        "site-ns/login",
        "store-ns/store",
    ]
    assert sorted(n["metadata"]["name"] for n in namespaces["items"]) == [
        "infra-ns",
        "site-ns",
        "store-ns",
    ]


# ---------------------------------------------------------------- kubectl


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (not on PATH)")
def test_kubectl_get_gateways_and_httproutes(gw_api: ServerThread, tmp_path: Path) -> None:
    kc = gw_api.server.write_kubeconfig(tmp_path / "kc")
    result: subprocess.CompletedProcess[str] = run_kubectl(
        kc, "get", "gateways,httproutes", "-A", cache=tmp_path / "cache"
    )
    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines() if line.strip()]
    gw_header = lines[0]
    assert gw_header == ["NAMESPACE", "NAME", "CLASS", "ADDRESS", "PROGRAMMED", "AGE"]
    assert lines[1][:5] == [
        "infra",
        "gateway.gateway.networking.k8s.io/edge",
        "lab",
        "127.0.0.9",
        "True",
    ]
    route_header = next(i for i, line in enumerate(lines) if "HOSTNAMES" in line)
    assert lines[route_header] == ["NAMESPACE", "NAME", "HOSTNAMES", "AGE"]
    shown = {row[1]: row for row in lines[route_header + 1 :]}
    assert shown["httproute.gateway.networking.k8s.io/a"][2] == '["a.example.test"]'
    assert "httproute.gateway.networking.k8s.io/c" in shown
    one = run_kubectl(
        kc, "get", "httproute", "a", "-n", "shop", "-o", "json", cache=tmp_path / "cache"
    )
    assert one.returncode == 0, one.stderr
    assert json.loads(one.stdout)["apiVersion"] == f"{GROUP}/v1"
