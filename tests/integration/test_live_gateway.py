"""Reading the Gateway API live from the lab's API server: versions discovered, never
assumed; a server without the CRDs is normal; what RBAC forbids is "not visible"."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kpath.cli import main
from kpath.cluster.gatewaykinds import GATEWAY_KINDS
from kpath.cluster.live import (
    LiveOptions,
    load_live,
    parent_gateways,
    preferred_versions,
    served_resources,
)
from kpath.cluster.raw import RawCluster
from kpath.cluster.snapshot import build_snapshot
from kpath.lab.apiserver import RecordedRequest, ServerThread, serve_in_thread
from kpath.lab.rbac import load_policy
from kpath.lab.resources import (
    CORE_RESOURCES,
    GATEWAY_STANDARD_2026,
    Resource,
    gateway_resources,
)
from kpath.lab.store import Store
from kpath.routing.visibility import not_visible_lines
from tests.integration.following import Delivered, following
from tests.integration.watching import eventually

pytestmark = pytest.mark.lab

GROUP = "gateway.networking.k8s.io"
GW = f"/apis/{GROUP}"
RBAC_YAML = Path(__file__).resolve().parents[2] / "deploy" / "rbac.yaml"
Obj = dict[str, Any]


def _obj(kind: str, name: str, ns: str | None, version: str = "v1", **spec: Any) -> Obj:
    meta: Obj = {"name": name, **({"namespace": ns} if ns else {})}
    return {"apiVersion": f"{GROUP}/{version}", "kind": kind, "metadata": meta, "spec": spec}


def gateway_objects() -> list[Obj]:
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "shop", "labels": {"shared-gateway-access": "true"}},
        },
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "infra"}},
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {
                "type": "ClusterIP",
                "clusterIP": "10.96.0.10",
                "selector": {"app": "web"},
                "ports": [{"port": 80, "protocol": "TCP"}],
            },
        },
        _obj("GatewayClass", "lab", None, controllerName="example.com/lab"),
        {
            **_obj(
                "Gateway",
                "gw",
                "infra",
                gatewayClassName="lab",
                listeners=[
                    {
                        "name": "http",
                        "port": 80,
                        "protocol": "HTTP",
                        "allowedRoutes": {
                            "namespaces": {
                                "from": "Selector",
                                "selector": {"matchLabels": {"shared-gateway-access": "true"}},
                            }
                        },
                    }
                ],
            ),
            "status": {"addresses": [{"type": "IPAddress", "value": "127.0.0.9"}]},
        },
        *(
            _obj(
                "HTTPRoute",
                f"r{i}",
                "shop",
                parentRefs=[{"name": "gw", "namespace": "infra"}],
                hostnames=[f"r{i}.example.test"],
                rules=[{"backendRefs": [{"name": "web", "port": 80}]}],
            )
            for i in range(3)
        ),
        _obj(
            "TLSRoute",
            "tls",
            "shop",
            parentRefs=[{"name": "gw", "namespace": "infra"}],
            rules=[{"backendRefs": [{"name": "web", "port": 443}]}],
        ),
    ]


def store_of(objs: list[Obj]) -> Store:
    store = Store()
    for o in objs:
        store.put(json.loads(json.dumps(o)))
    return store


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., tuple[ServerThread, Path]]]:
    """``serve(objs, **server_kwargs)`` → a running lab API server and its kubeconfig."""
    running: list[ServerThread] = []

    def start(objs: list[Obj], **kwargs: Any) -> tuple[ServerThread, Path]:
        st = ServerThread(store_of(objs), **kwargs)
        st.start()
        running.append(st)
        return st, st.server.write_kubeconfig(tmp_path / f"kc{len(running)}")

    yield start
    for st in running:
        st.stop()


def read(st: ServerThread, kc: Path, **options: Any) -> tuple[RawCluster, list[RecordedRequest]]:
    before = len(st.server.requests)
    raw = load_live(LiveOptions(kubeconfig=str(kc), **options))
    return raw, list(st.server.requests)[before:]


def gateway_paths(requests: list[RecordedRequest]) -> set[str]:
    return {r.path for r in requests if r.path.startswith(GW) or r.path == "/api/v1/namespaces"}


# ---------------------------------------------------------------- the lab with objects


def test_kpath_reads_the_gateway_api_at_the_preferred_version(serve: Any) -> None:
    st, kc = serve(gateway_objects())
    raw, requests = read(st, kc, all_namespaces=True, page_size=2)
    snap = build_snapshot(raw)
    g = snap.gateways
    assert list(g.classes) == ["lab"]
    (gw,) = g.gateways.values()
    assert gw.addresses[0].value == "127.0.0.9"  # status as the server holds it
    assert gw.listeners[0].allowed_routes.selector.match_labels == (
        ("shared-gateway-access", "true"),
    )
    assert sorted(r.name for r in g.routes) == ["r0", "r1", "r2", "tls"]
    assert set(g.versions.values()) == {f"{GROUP}/v1"}
    assert snap.namespaces["shop"].labels["shared-gateway-access"] == "true"
    assert snap.namespaces["infra"].labels["kubernetes.io/metadata.name"] == "infra"
    assert raw.not_visible == {} and raw.warnings == []
    # The group from the one list of groups (/apis), one discovery of v1 (it serves every
    # kind: v1beta1 is not asked), every list paged like the other kinds.
    assert {r.path for r in requests if r.path.startswith(GW) and r.path.count("/") <= 3} == {
        f"{GW}/v1"
    }
    assert [r.path for r in requests].count("/apis") == 1
    routes = [r for r in requests if r.path == f"{GW}/v1/httproutes"]
    assert len(routes) == 2 and all("limit=2" in r.query for r in routes)
    assert {r.method for r in requests} == {"GET"}


def test_namespace_flag_scopes_the_namespaced_kinds(serve: Any) -> None:
    st, kc = serve(gateway_objects())
    raw, requests = read(st, kc, namespace="shop")
    paths = gateway_paths(requests)
    assert f"{GW}/v1/namespaces/shop/httproutes" in paths
    assert f"{GW}/v1/gatewayclasses" in paths and "/api/v1/namespaces" in paths
    assert {o["metadata"]["name"] for o in raw.objects["HTTPRoute"]} == {"r0", "r1", "r2"}
    # The Gateway lives in infra: read (one list of every namespace's Gateways) because
    # the routes read attach to it; the view still holds shop alone.
    assert f"{GW}/v1/gateways" in paths
    assert [
        f"{o['metadata']['namespace']}/{o['metadata']['name']}" for o in raw.objects["Gateway"]
    ] == sorted(f"{ns}/{name}" for ns, name in parent_gateways(raw, "shop"))
    assert raw.objects["Gateway"] and raw.namespaces_read == frozenset({"shop"})


# ---------------------------------------------------------------- versions


def test_a_kind_served_only_at_an_older_version_is_read_there(serve: Any) -> None:
    """TLSRoute before v1.5: only v1alpha2; the other kinds at v1."""
    versions = {**GATEWAY_STANDARD_2026, "TLSRoute": ("v1alpha2",)}
    objs = [
        o if o["kind"] != "TLSRoute" else {**o, "apiVersion": f"{GROUP}/v1alpha2"}
        for o in gateway_objects()
    ]
    st, kc = serve(objs, resources=CORE_RESOURCES + gateway_resources(versions))
    raw, requests = read(st, kc, all_namespaces=True)
    assert f"{GW}/v1alpha2/tlsroutes" in gateway_paths(requests)
    assert f"{GW}/v1/tlsroutes" not in gateway_paths(requests)
    g = build_snapshot(raw).gateways
    assert g.versions["TLSRoute"] == f"{GROUP}/v1alpha2"
    assert g.versions["HTTPRoute"] == f"{GROUP}/v1"
    assert [r.name for r in g.routes if r.kind == "TLSRoute"] == ["tls"]


def test_a_version_no_longer_served_is_not_asked_for(serve: Any) -> None:
    """Since v1.5 the standard channel serves TLSRoute at v1 only: kpath never asks for
    v1alpha2 (a 404 would make it "not visible")."""
    st, kc = serve(gateway_objects())
    raw, requests = read(st, kc, all_namespaces=True)
    assert not any("v1alpha2" in p for p in gateway_paths(requests))
    assert raw.objects["TLSRoute"][0]["apiVersion"] == f"{GROUP}/v1"
    assert raw.not_visible == {}


def test_an_old_server_at_v1beta1(serve: Any) -> None:
    """Gateway API v0.8: Gateway and HTTPRoute at v1beta1 (preferred), no GRPCRoute."""
    versions = {
        "GatewayClass": ("v1beta1",),
        "Gateway": ("v1beta1",),
        "HTTPRoute": ("v1beta1",),
        "ReferenceGrant": ("v1beta1",),
        "TLSRoute": ("v1alpha2",),
    }
    st, kc = serve(gateway_objects(), resources=CORE_RESOURCES + gateway_resources(versions))
    raw, requests = read(st, kc, all_namespaces=True)
    paths = gateway_paths(requests)
    assert {f"{GW}/v1beta1", f"{GW}/v1alpha2", f"{GW}/v1beta1/httproutes"} <= paths
    assert f"{GW}/v1/httproutes" not in paths and not any("grpcroutes" in p for p in paths)
    snap = build_snapshot(raw)
    assert snap.gateways.versions["Gateway"] == f"{GROUP}/v1beta1"
    assert "GRPCRoute" not in raw.objects and "GRPCRoute" not in raw.not_visible
    assert len(snap.gateways.routes) == 4


def test_an_experimental_listenerset_is_read_where_the_group_has_none(serve: Any) -> None:
    """Gateway API v1.3/v1.4 with the experimental channel: XListenerSet in
    gateway.networking.x-k8s.io, read as a ListenerSet."""
    x_group = "gateway.networking.x-k8s.io"
    versions = {k: v for k, v in GATEWAY_STANDARD_2026.items() if k != "ListenerSet"}
    experimental = Resource(
        x_group, "v1alpha1", "xlistenersets", "XListenerSet", True, (), "xlistenerset", ("status",)
    )
    lset = {
        "apiVersion": f"{x_group}/v1alpha1",
        "kind": "XListenerSet",
        "metadata": {"name": "extra", "namespace": "infra"},
        "spec": {
            "parentRef": {"name": "gw"},
            "listeners": [{"name": "alt", "port": 8080, "protocol": "HTTP"}],
        },
    }
    st, kc = serve(
        [*gateway_objects(), lset],
        resources=(*CORE_RESOURCES, *gateway_resources(versions), experimental),
    )
    raw, requests = read(st, kc, all_namespaces=True)
    assert f"/apis/{x_group}/v1alpha1/xlistenersets" in {r.path for r in requests}
    (ls,) = build_snapshot(raw).gateways.listener_sets
    assert (ls.name, ls.parent.name, ls.listeners[0].port) == ("extra", "gw", 8080)
    # With the standard channel's ListenerSet, the experimental group is not asked.
    st2, kc2 = serve(gateway_objects())
    _, requests = read(st2, kc2, all_namespaces=True)
    assert not any(x_group in r.path for r in requests)


def test_a_server_without_the_crds_is_normal(serve: Any) -> None:
    objs = [o for o in gateway_objects() if not o["apiVersion"].startswith(GROUP)]
    st, kc = serve(objs, resources=CORE_RESOURCES)
    raw, requests = read(st, kc, all_namespaces=True)
    # The list of groups (/apis) does not hold it: nothing asked, nothing said.
    assert gateway_paths(requests) == set() and "/apis" in {r.path for r in requests}
    assert raw.not_visible == {} and raw.warnings == []
    snap = build_snapshot(raw)
    assert snap.gateways.routes == () and snap.namespaces == {}


def test_discovery_readers_are_pure() -> None:
    group = {
        "versions": [{"version": "v1beta1"}, {"version": "v1"}, None, {"version": 3}],
        "preferredVersion": {"version": "v1"},
    }
    assert preferred_versions(group) == ["v1", "v1beta1"]
    assert preferred_versions([]) == []
    listing = {
        "resources": [
            {"name": "gateways", "kind": "Gateway", "namespaced": True, "verbs": ["list"]},
            {"name": "gateways/status", "kind": "Gateway", "verbs": ["get"]},
            {"name": "gatewayclasses", "kind": "GatewayClass", "namespaced": False},
            {"name": "widgets", "kind": "Widget", "verbs": ["get"]},
            "junk",
        ]
    }
    assert [(r.kind, r.plural, r.namespaced) for r in served_resources(listing, "g/v1")] == [
        ("Gateway", "gateways", True),
        ("GatewayClass", "gatewayclasses", False),
    ]


# ---------------------------------------------------------------- RBAC


def test_forbidden_gateways_are_not_visible_and_say_what_that_hides(
    serve: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    st, kc = serve(gateway_objects(), deny=("gateways",))
    raw, _ = read(st, kc, all_namespaces=True)
    assert set(raw.not_visible) == {"Gateway"}
    assert "forbidden" in raw.not_visible["Gateway"]
    assert len(raw.objects["HTTPRoute"]) == 3  # the rest is still read
    assert main(["paths", "-A", "--all", "--kubeconfig", str(kc)]) in (0, 1)
    out = capsys.readouterr().out
    assert "gateways not visible: Gateway ways in not shown" in out
    assert main(["paths", "-A", "-o", "json", "--kubeconfig", str(kc)]) in (0, 1)
    doc = json.loads(capsys.readouterr().out)
    assert set(doc["source"]["notVisible"]) == {"Gateway"}


def test_a_namespaced_role_cannot_read_classes_or_namespaces(serve: Any) -> None:
    role = load_policy(RBAC_YAML, "Role", namespace="shop")
    st, kc = serve(gateway_objects(), rbac=role)
    raw, requests = read(st, kc, namespace="shop")
    assert set(raw.not_visible) == {"Node", "IngressClass", "GatewayClass", "Namespace"}
    assert len(raw.objects["HTTPRoute"]) == 3
    forbidden = {r.authz.resource for r in requests if r.authz and r.status == 403}
    # gateways and services: those of other namespaces, looked at for the routes' Gateway
    # and Gateways' Services (refused: said by controllers_unread, not as not visible)
    assert forbidden == {
        "nodes",
        "ingressclasses",
        "gatewayclasses",
        "namespaces",
        "gateways",
        "services",
    }
    assert raw.controllers_unread is not None and "outside namespace shop" in raw.controllers_unread
    lines = not_visible_lines(raw.not_visible, raw.objects.keys())
    assert any(
        line.startswith(
            "namespaces not visible: allowedRoutes namespace selectors cannot be evaluated"
        )
        for line in lines
    )


def test_the_cluster_role_reads_every_gateway_kind(serve: Any) -> None:
    st, kc = serve(gateway_objects(), rbac=load_policy(RBAC_YAML))
    raw, requests = read(st, kc, all_namespaces=True)
    assert raw.not_visible == {}
    assert {r.status for r in requests} == {200}
    assert len(build_snapshot(raw).gateways.routes) == 4


def test_with_the_lab_serving_it_kpath_paths_still_works_without_objects(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with serve_in_thread(store_of(gateway_objects()[:3])) as st:
        kc = st.server.write_kubeconfig(tmp_path / "kc")
        assert main(["paths", "-A", "-o", "json", "--kubeconfig", str(kc)]) in (0, 1)
    doc = json.loads(capsys.readouterr().out)
    assert doc["source"]["notVisible"] == {}


# ---------------------------------------------------------------- watching


def test_gateway_kinds_are_followed_at_their_served_version(serve: Any) -> None:
    versions = {**GATEWAY_STANDARD_2026, "TLSRoute": ("v1alpha2",)}
    st, kc = serve(gateway_objects(), resources=CORE_RESOURCES + gateway_resources(versions))
    options = LiveOptions(kubeconfig=str(kc), all_namespaces=True)
    raw = load_live(options)
    with following(options, raw) as (delivered, _):
        assert eventually(lambda: st.call(lambda: st.store.watcher_count) >= 5)
        assert delivered.changes() == []  # an unchanged cluster says nothing
        st.call(st.store.put, _obj("HTTPRoute", "new", "shop", parentRefs=[{"name": "gw"}]))
        assert delivered.wait(lambda: "HTTPRoute" in kinds_of(delivered)), delivered.events
        tls = _obj("TLSRoute", "tls2", "shop", "v1alpha2", parentRefs=[{"name": "gw"}])
        st.call(st.store.put, tls)
        assert delivered.wait(lambda: "TLSRoute" in kinds_of(delivered)), delivered.events
    # TLSRoute is served at v1alpha2 only: hearing it means its stream used that version.
    watched = {w.kind for w in st.server.watches.opened}
    assert {"GatewayClass", "HTTPRoute", "TLSRoute", "Service"} <= watched


def test_without_the_crds_no_gateway_kind_is_followed(serve: Any) -> None:
    st, kc = serve([], resources=CORE_RESOURCES)
    options = LiveOptions(kubeconfig=str(kc), all_namespaces=True)
    raw = load_live(options)
    with following(options, raw) as (delivered, _):
        assert eventually(lambda: st.call(lambda: st.store.watcher_count) >= 1)
        st.call(
            st.store.put,
            {
                "kind": "Service",
                "apiVersion": "v1",
                "metadata": {"name": "s", "namespace": "shop"},
                "spec": {"ports": [{"port": 80}]},
            },
        )
        assert delivered.wait(lambda: "Service" in kinds_of(delivered)), delivered.events
    assert not any(r.path.startswith(f"{GW}/") for r in st.server.requests)
    assert not {w.kind for w in st.server.watches.opened} & set(GATEWAY_KINDS)


def kinds_of(delivered: Delivered) -> set[str]:
    return {c.kind for c in delivered.changes()}
