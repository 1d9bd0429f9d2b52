"""The lab API server over real sockets, driven by the official Python client and httpx.

Also the pure parts it is built from: label/field selectors and Table rendering.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from kpath.errors import SourceError
from kpath.lab.apiserver import LabApiServer, ServerThread, serve_in_thread
from kpath.lab.kubeconfig import make_tls
from kpath.lab.selectors import field_matches, label_matches, parse_fields, parse_labels
from kpath.lab.store import Store
from kpath.lab.tables import table_for
from tests.lab.conftest import filled_store, wait_for_watchers

pytestmark = pytest.mark.lab

Obj = dict[str, Any]
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


def api_client(st: ServerThread, tmp_path: Path, name: str = "kubeconfig") -> client.ApiClient:
    path = st.server.write_kubeconfig(tmp_path / name)
    return config.new_client_from_config(config_file=str(path))


@pytest.fixture
def core(api: ServerThread, tmp_path: Path) -> Iterator[client.CoreV1Api]:
    with api_client(api, tmp_path) as c:
        yield client.CoreV1Api(c)


@pytest.fixture(scope="module")
def shared_client(
    shared_api: ServerThread, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[client.ApiClient]:
    with api_client(shared_api, tmp_path_factory.mktemp("kc")) as c:
        yield c


def names(items: list[Any]) -> list[str]:
    return [i.metadata.name for i in items]


# -- pure parts ------------------------------------------------------------------------------

LABELLED = {"metadata": {"labels": {"app": "web", "tier": "front"}}}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", True),
        ("app==web", True),
        ("app=db", False),
        ("app!=db", True),
        ("app!=web", False),
        ("app in (db, web)", True),
        ("app notin (db,web)", False),
        ("tier", True),
        ("zone", False),
        ("!zone", True),
        ("!app", False),
        ("app=web,tier in (front),!zone", True),
        ("app=web,tier=back", False),
        ("", True),
        ("missing!=x", True),
        ("missing notin (x)", True),
        ("missing in (x)", False),
    ],
)
def test_label_selectors(selector: str, expected: bool) -> None:
    assert label_matches(LABELLED, parse_labels(selector)) is expected


def test_field_selectors_read_nested_fields() -> None:
    pod = {
        "metadata": {"name": "web-1", "namespace": "shop"},
        "spec": {"nodeName": "node-a"},
        "status": {"phase": "Running"},
    }
    assert field_matches(pod, parse_fields("spec.nodeName=node-a,status.phase==Running"))
    assert field_matches(pod, parse_fields("metadata.namespace!=tools"))
    assert not field_matches(pod, parse_fields("metadata.name=web-2"))
    assert field_matches({"metadata": {}}, parse_fields("spec.nodeName="))


@pytest.mark.parametrize("bad", ["app in (web", "a b c", "=x"])
def test_bad_selectors_raise_value_error(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_labels(bad)


def test_field_selector_without_operator_is_rejected() -> None:
    with pytest.raises(ValueError):
        parse_fields("spec.nodeName")


def test_tables_have_wide_columns_and_row_metadata(objects: list[Obj]) -> None:
    pods = [o for o in objects if o["kind"] == "Pod"]
    table = table_for("Pod", pods, 7)
    cols = {c["name"]: c["priority"] for c in table["columnDefinitions"]}
    assert cols["Name"] == cols["Status"] == 0
    assert cols["IP"] == cols["Node"] == 1
    first = dict(zip(cols, table["rows"][0]["cells"], strict=True))
    assert first["Name"] == "web-1" and first["Node"] == "node-a" and first["Ready"] == "1/1"
    assert table["rows"][0]["object"]["metadata"]["namespace"] == "shop"
    assert table["metadata"]["resourceVersion"] == "7"
    svc = [o for o in objects if o["metadata"]["name"] == "front"]
    cells = table_for("Service", svc, 1)["rows"][0]["cells"]
    assert cells[1:5] == [
        "LoadBalancer",
        svc[0]["spec"]["clusterIP"],
        svc[0]["status"]["loadBalancer"]["ingress"][0]["ip"],
        "443:30443/TCP",
    ]


def test_every_served_kind_has_its_own_columns(objects: list[Obj]) -> None:
    for kind in ("Node", "Pod", "Service", "EndpointSlice", "Ingress", "IngressClass"):
        objs = [o for o in objects if o["kind"] == kind]
        table = table_for(kind, objs, 1)
        assert len(table["columnDefinitions"]) > 2, kind
        assert len(table["rows"]) == len(objs)


# -- discovery and errors --------------------------------------------------------------------


def test_discovery_shapes_kubectl_relies_on(shared_api: ServerThread) -> None:
    base = shared_api.server.url
    core = httpx.get(f"{base}/api/v1").json()
    assert core["groupVersion"] == "v1"
    by_name = {r["name"]: r for r in core["resources"]}
    assert {
        "nodes",
        "pods",
        "services",
        "endpoints",
        "namespaces",
        "pods/proxy",
        "services/proxy",
    } <= set(by_name)
    assert by_name["services"]["shortNames"] == ["svc"]
    assert by_name["services/proxy"]["singularName"] == ""
    assert "shortNames" not in by_name["services/proxy"]
    groups = {g["name"] for g in httpx.get(f"{base}/apis").json()["groups"]}
    assert groups == {"discovery.k8s.io", "networking.k8s.io", "gateway.networking.k8s.io"}
    net = httpx.get(f"{base}/apis/networking.k8s.io/v1").json()
    assert {r["name"] for r in net["resources"]} == {
        "ingresses",
        "ingressclasses",
        "networkpolicies",
    }
    assert (
        httpx.get(f"{base}/apis/networking.k8s.io").json()["preferredVersion"]["groupVersion"]
        == "networking.k8s.io/v1"
    )
    assert httpx.get(f"{base}/api").json()["versions"] == ["v1"]
    assert httpx.get(f"{base}/version").json()["major"] == "1"
    assert httpx.get(f"{base}/healthz").text == "ok"
    assert httpx.get(f"{base}/readyz").status_code == 200


def test_unknown_paths_answer_a_404_status(shared_api: ServerThread) -> None:
    for path in (
        "/nope",
        "/api/v1/widgets",
        "/apis/apps",
        "/apis/apps/v1/deployments",
        "/api/v1/namespaces/shop/pods/ghost",
        "/api/v2",
        "/apis/apps/v1",
        "/api/v1/namespaces/shop/nodes",
        "/api/v1/pods/web-1",
        "/api/v1/namespaces/shop/pods/web-1/status",
    ):
        r = httpx.get(shared_api.server.url + path)
        assert r.status_code == 404, path
        body = r.json()
        assert (body["kind"], body["status"], body["code"]) == ("Status", "Failure", 404)


def test_bad_selector_and_bad_continue_are_400(shared_api: ServerThread) -> None:
    url = shared_api.server.url + "/api/v1/pods"
    assert httpx.get(url, params={"labelSelector": "app in (x"}).json()["code"] == 400
    assert httpx.get(url, params={"continue": "garbage", "limit": "1"}).status_code == 400


# -- list and get through the Python client --------------------------------------------------


def test_python_client_lists_every_kind(shared_client: client.ApiClient) -> None:
    core = client.CoreV1Api(shared_client)
    assert names(core.list_node().items) == ["node-a", "node-b"]
    assert names(core.list_pod_for_all_namespaces().items) == [
        "db-1",
        "web-1",
        "web-2",
        "web-3",
        "probe-1",
    ]
    assert names(core.list_namespaced_pod("tools").items) == ["probe-1"]
    assert names(core.list_service_for_all_namespaces().items) == ["db", "front", "web"]
    assert names(core.list_namespace().items) == ["default", "kube-system", "shop", "tools"]
    assert core.list_endpoints_for_all_namespaces().items == []
    slices = client.DiscoveryV1Api(shared_client).list_endpoint_slice_for_all_namespaces()
    assert [len(s.endpoints) for s in slices.items] == [3]
    net = client.NetworkingV1Api(shared_client)
    assert net.list_ingress_for_all_namespaces().items[0].spec.rules[0].host == "shop.example"
    assert names(net.list_ingress_class().items) == ["nginx"]


def test_lists_carry_kind_api_version_and_resource_version(shared_api: ServerThread) -> None:
    body = httpx.get(shared_api.server.url + "/apis/discovery.k8s.io/v1/endpointslices").json()
    assert (body["kind"], body["apiVersion"]) == ("EndpointSliceList", "discovery.k8s.io/v1")
    assert int(body["metadata"]["resourceVersion"]) >= 12


def test_selectors_filter_lists(shared_client: client.ApiClient) -> None:
    core = client.CoreV1Api(shared_client)
    pods = core.list_pod_for_all_namespaces
    assert names(pods(label_selector="app=web").items) == ["web-1", "web-2", "web-3"]
    assert names(pods(label_selector="app in (db),tier=data").items) == ["db-1"]
    assert names(pods(label_selector="!app").items) == ["probe-1"]
    assert names(pods(label_selector="app,app!=web").items) == ["db-1"]
    assert names(pods(field_selector="spec.nodeName=node-b").items) == ["db-1", "web-2"]
    assert names(pods(field_selector="status.phase!=Running").items) == ["web-3"]
    assert names(pods(field_selector="metadata.namespace=tools").items) == ["probe-1"]
    assert names(pods(field_selector="metadata.name=web-2").items) == ["web-2"]
    assert names(
        core.list_namespaced_pod(
            "shop", label_selector="app=web", field_selector="spec.nodeName=node-a"
        ).items
    ) == ["web-1", "web-3"]


def test_limit_and_continue_page_through_five_pods(shared_client: client.ApiClient) -> None:
    core = client.CoreV1Api(shared_client)
    pages, token, remaining = [], None, []
    while True:
        page = core.list_pod_for_all_namespaces(limit=2, _continue=token)
        pages.append(names(page.items))
        remaining.append(page.metadata.remaining_item_count)
        token = page.metadata._continue
        if not token:
            break
    assert pages == [["db-1", "web-1"], ["web-2", "web-3"], ["probe-1"]]
    assert remaining == [3, 1, None]


def test_continue_with_a_selector_pages_only_matches(shared_client: client.ApiClient) -> None:
    core = client.CoreV1Api(shared_client)
    first = core.list_pod_for_all_namespaces(limit=2, label_selector="app=web")
    assert names(first.items) == ["web-1", "web-2"]
    second = core.list_pod_for_all_namespaces(
        limit=2, label_selector="app=web", _continue=first.metadata._continue
    )
    assert names(second.items) == ["web-3"]
    assert second.metadata._continue is None


def test_pages_neither_repeat_nor_skip_when_objects_change_between_pages(
    api: ServerThread, core: client.CoreV1Api, objects: list[Obj]
) -> None:
    first = core.list_namespaced_pod("shop", limit=2)
    assert names(first.items) == ["db-1", "web-1"]
    api.call(api.store.delete, "Pod", "shop", "db-1")  # before the position
    extra = {**objects[2], "metadata": {"name": "web-25", "namespace": "shop"}}
    api.call(api.store.put, extra)  # after the position
    rest = core.list_namespaced_pod("shop", _continue=first.metadata._continue)
    assert names(rest.items) == ["web-2", "web-25", "web-3"]


def test_paging_a_large_list_yields_each_object_once() -> None:
    store = Store()
    for i in range(2000):
        store.put(
            {
                "kind": "Pod",
                "apiVersion": "v1",
                "metadata": {"name": f"p{i:05d}", "namespace": f"ns{i % 7}"},
            }
        )
    with serve_in_thread(store) as st:
        seen: list[str] = []
        token = ""
        with httpx.Client(base_url=st.server.url) as http:
            while True:
                params = {"limit": "300", **({"continue": token} if token else {})}
                body = http.get("/api/v1/pods", params=params).json()
                seen += [
                    f"{i['metadata']['namespace']}/{i['metadata']['name']}" for i in body["items"]
                ]
                token = body["metadata"].get("continue", "")
                if not token:
                    break
    assert len(seen) == len(set(seen)) == 2000
    assert seen == sorted(seen, key=lambda s: tuple(s.split("/")))


def test_get_returns_the_object_and_missing_is_404(shared_client: client.ApiClient) -> None:
    core = client.CoreV1Api(shared_client)
    pod = core.read_namespaced_pod("web-2", "shop")
    assert (pod.spec.node_name, pod.status.phase) == ("node-b", "Running")
    assert core.read_node("node-a").metadata.labels["topology.kubernetes.io/zone"] == "zone-a"
    assert core.read_namespace("shop").status.phase == "Active"
    ing = client.NetworkingV1Api(shared_client).read_namespaced_ingress("web", "shop")
    assert ing.spec.ingress_class_name == "nginx"
    with pytest.raises(ApiException) as err:
        core.read_namespaced_pod("web-1", "tools")
    assert err.value.status == 404
    assert json.loads(err.value.body)["reason"] == "NotFound"


def test_table_for_list_and_get(shared_api: ServerThread) -> None:
    url = shared_api.server.url
    table = httpx.get(f"{url}/api/v1/pods", headers={"Accept": TABLE}).json()
    assert table["kind"] == "Table"
    assert [r["cells"][0] for r in table["rows"]] == ["db-1", "web-1", "web-2", "web-3", "probe-1"]
    one = httpx.get(f"{url}/api/v1/nodes/node-b", headers={"Accept": TABLE}).json()
    assert one["rows"][0]["cells"][0] == "node-b"
    paged = httpx.get(f"{url}/api/v1/pods", params={"limit": "2"}, headers={"Accept": TABLE}).json()
    assert len(paged["rows"]) == 2 and paged["metadata"]["continue"]


def test_namespaces_put_explicitly_replace_the_derived_ones(
    api: ServerThread, core: client.CoreV1Api
) -> None:
    api.call(
        api.store.put,
        {
            "kind": "Namespace",
            "apiVersion": "v1",
            "metadata": {"name": "only-this"},
            "status": {"phase": "Active"},
        },
    )
    assert names(core.list_namespace().items) == ["only-this"]


# -- access control and read-only ------------------------------------------------------------


def test_denied_resource_is_403_and_others_still_work(objects: list[Obj], tmp_path: Path) -> None:
    with (
        serve_in_thread(filled_store(objects), deny=("pods", "endpointslices")) as st,
        api_client(st, tmp_path) as c,
    ):
        core = client.CoreV1Api(c)
        for call in (
            core.list_pod_for_all_namespaces,
            lambda: core.read_namespaced_pod("web-1", "shop"),
            client.DiscoveryV1Api(c).list_endpoint_slice_for_all_namespaces,
        ):
            with pytest.raises(ApiException) as err:
                call()
            assert err.value.status == 403
            assert json.loads(err.value.body)["reason"] == "Forbidden"
        assert names(core.list_node().items) == ["node-a", "node-b"]
        got = httpx.get(f"{st.server.url}/api/v1/namespaces/shop/pods/web-1").json()
        assert 'cannot get resource "pods"' in got["message"]
        watch_url = f"{st.server.url}/api/v1/pods?watch=true&timeoutSeconds=1"
        assert httpx.get(watch_url).status_code == 403


def test_writes_are_405_recorded_and_change_nothing(
    api: ServerThread, core: client.CoreV1Api
) -> None:
    # This test's own writes, marked so the session's read-only check does not count them.
    with api.server.deliberate():
        with pytest.raises(ApiException) as err:
            core.delete_namespaced_pod("web-1", "shop")
        for method in ("POST", "PUT", "PATCH"):
            r = httpx.request(
                method, f"{api.server.url}/api/v1/namespaces/shop/pods/web-1", json={}
            )
            assert r.status_code == 405
    assert err.value.status == 405
    body = json.loads(err.value.body)
    assert body["reason"] == "MethodNotAllowed" and "read-only" in body["message"]
    assert core.read_namespaced_pod("web-1", "shop").metadata.name == "web-1"
    writes = [(r.method, r.path, r.status) for r in api.server.requests if r.method != "GET"]
    assert writes == [
        ("DELETE", "/api/v1/namespaces/shop/pods/web-1", 405),
        ("POST", "/api/v1/namespaces/shop/pods/web-1", 405),
        ("PUT", "/api/v1/namespaces/shop/pods/web-1", 405),
        ("PATCH", "/api/v1/namespaces/shop/pods/web-1", 405),
    ]


def test_requests_are_recorded_with_query_and_status(api: ServerThread) -> None:
    httpx.get(f"{api.server.url}/api/v1/pods", params={"labelSelector": "app=web"})
    httpx.get(f"{api.server.url}/api/v1/nodes/ghost")
    last = list(api.server.requests)[-2:]
    assert [(r.path, r.query, r.status) for r in last] == [
        ("/api/v1/pods", "labelSelector=app%3Dweb", 200),
        ("/api/v1/nodes/ghost", "", 404),
    ]


def test_bearer_token_is_required_when_set(objects: list[Obj], tmp_path: Path) -> None:
    with serve_in_thread(filled_store(objects), token="s3cret") as st:
        r = httpx.get(f"{st.server.url}/api/v1/nodes")
        assert r.status_code == 401 and r.json()["reason"] == "Unauthorized"
        wrong = httpx.get(f"{st.server.url}/api/v1/nodes", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        with api_client(st, tmp_path) as c:
            assert names(client.CoreV1Api(c).list_node().items) == ["node-a", "node-b"]


def test_tls_server_is_trusted_through_the_kubeconfig_ca(
    objects: list[Obj], tmp_path: Path
) -> None:
    with serve_in_thread(filled_store(objects), tls=True) as st:
        assert st.server.url.startswith("https://127.0.0.1:")
        with api_client(st, tmp_path) as c:
            assert names(client.CoreV1Api(c).list_node().items) == ["node-a", "node-b"]
        with pytest.raises(httpx.ConnectError):  # not trusted without the lab's CA
            httpx.get(f"{st.server.url}/version")
        assert st.server.ca_pem is not None
        trusting = ssl.create_default_context(cadata=st.server.ca_pem.decode())
        assert httpx.get(f"{st.server.url}/version", verify=trusting).status_code == 200


def test_a_client_certificate_from_the_lab_ca_authenticates(
    objects: list[Obj], tmp_path: Path
) -> None:
    with serve_in_thread(filled_store(objects), tls=True, client_certs=True) as st:
        with api_client(st, tmp_path) as c:  # the kubeconfig's client-certificate-data
            assert names(client.CoreV1Api(c).list_node().items) == ["node-a", "node-b"]
        ca = st.server.ca_pem
        assert ca is not None and st.server.client_pem is not None
        url = f"{st.server.url}/api/v1/nodes"

        def presenting(cert: tuple[bytes, bytes] | None) -> ssl.SSLContext:
            context = ssl.create_default_context(cadata=ca.decode())
            if cert is not None:
                (tmp_path / "c.crt").write_bytes(cert[0])
                (tmp_path / "c.key").write_bytes(cert[1])
                context.load_cert_chain(tmp_path / "c.crt", tmp_path / "c.key")
            return context

        assert httpx.get(url, verify=presenting(st.server.client_pem)).status_code == 200
        refused = httpx.get(url, verify=presenting(None))  # asked for, not required
        assert refused.status_code == 401 and refused.json()["reason"] == "Unauthorized"
        stranger = make_tls("127.0.0.1", client_certs=True).client
        with pytest.raises(httpx.TransportError):  # another CA's: the handshake fails
            httpx.get(url, verify=presenting(stranger))
    with pytest.raises(ValueError, match="tls=True"):
        LabApiServer(Store(), client_certs=True)


def test_two_servers_run_at_once_on_their_own_ports(objects: list[Obj]) -> None:
    with (
        serve_in_thread(filled_store(objects[:2])) as one,
        serve_in_thread(filled_store(objects[1:2])) as two,
    ):
        assert one.server.url != two.server.url
        a = httpx.get(f"{one.server.url}/api/v1/nodes").json()["items"]
        b = httpx.get(f"{two.server.url}/api/v1/nodes").json()["items"]
        assert (len(a), len(b)) == (2, 1)


def test_added_latency_makes_an_impatient_client_time_out(objects: list[Obj]) -> None:
    with serve_in_thread(filled_store(objects), latency=1.0) as st:
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(f"{st.server.url}/api/v1/nodes", timeout=0.05)
        # A patient client gets the normal answer.
        assert len(httpx.get(f"{st.server.url}/api/v1/nodes", timeout=30).json()["items"]) == 2


def test_derived_namespaces_have_an_age(shared_api: ServerThread) -> None:
    items = httpx.get(f"{shared_api.server.url}/api/v1/namespaces").json()["items"]
    assert all(i["metadata"]["creationTimestamp"].endswith("Z") for i in items)


def test_a_taken_port_is_one_clear_source_error(shared_api: ServerThread) -> None:
    with pytest.raises(SourceError, match=r"cannot listen on 127\.0\.0\.1:"):
        ServerThread(Store(), port=shared_api.server.port).start()


def test_kubeconfig_names_context_and_namespace(api: ServerThread, tmp_path: Path) -> None:
    path = api.server.write_kubeconfig(tmp_path / "kc", context="lab-x", namespace="shop")
    contexts, current = config.list_kube_config_contexts(config_file=str(path))
    assert current["name"] == "lab-x"
    assert current["context"]["namespace"] == "shop"
    assert len(contexts) == 1


# -- watch -----------------------------------------------------------------------------------


def test_watch_sees_a_put_made_after_it_started(
    api: ServerThread, core: client.CoreV1Api, objects: list[Obj]
) -> None:
    rv = core.list_pod_for_all_namespaces().metadata.resource_version
    new = {
        **objects[2],
        "metadata": {"name": "web-9", "namespace": "shop", "labels": {"app": "web"}},
    }

    def later() -> None:
        wait_for_watchers(api)
        api.call(api.store.put, new)

    writer = threading.Thread(target=later)
    writer.start()
    w = watch.Watch()
    seen = []
    for event in w.stream(
        core.list_pod_for_all_namespaces, resource_version=rv, timeout_seconds=20
    ):
        seen.append((event["type"], event["object"].metadata.name))
        w.stop()
    writer.join()
    assert seen == [("ADDED", "web-9")]


def test_watch_resumes_from_a_resource_version(api: ServerThread, core: client.CoreV1Api) -> None:
    rv = core.list_namespaced_pod("shop").metadata.resource_version
    pod = api.call(lambda: dict(api.store.get("Pod", "shop", "web-1")))
    api.call(api.store.put, {**pod, "status": {"phase": "Failed"}})
    api.call(api.store.delete, "Pod", "shop", "web-2")
    api.call(api.store.delete, "Pod", "tools", "probe-1")  # other namespace: filtered out
    events = [
        (e["type"], e["object"].metadata.name, e["object"].status.phase)
        for e in watch.Watch().stream(
            core.list_namespaced_pod, "shop", resource_version=rv, timeout_seconds=1
        )
    ]
    assert events == [("MODIFIED", "web-1", "Failed"), ("DELETED", "web-2", "Running")]


def test_watch_from_zero_lists_current_objects_as_added(shared_client: client.ApiClient) -> None:
    core = client.CoreV1Api(shared_client)
    events = list(watch.Watch().stream(core.list_node, resource_version="0", timeout_seconds=1))
    assert [(e["type"], e["object"].metadata.name) for e in events] == [
        ("ADDED", "node-a"),
        ("ADDED", "node-b"),
    ]


def test_too_old_resource_version_is_410(objects: list[Obj], tmp_path: Path) -> None:
    store = Store(log_size=3)
    for obj in objects:
        store.put(obj)
    with serve_in_thread(store) as st, api_client(st, tmp_path) as c:
        core = client.CoreV1Api(c)
        with pytest.raises(ApiException) as err:
            list(
                watch.Watch().stream(
                    core.list_pod_for_all_namespaces, resource_version="2", timeout_seconds=1
                )
            )
        assert err.value.status == 410
        line = httpx.get(
            f"{st.server.url}/api/v1/pods", params={"watch": "1", "resourceVersion": "2"}
        ).text.splitlines()[0]
        event = json.loads(line)
        assert event["type"] == "ERROR"
        assert (event["object"]["kind"], event["object"]["reason"]) == ("Status", "Expired")


def test_watch_filters_by_selectors(
    api: ServerThread, core: client.CoreV1Api, objects: list[Obj]
) -> None:
    rv = core.list_pod_for_all_namespaces().metadata.resource_version
    for name, app in (("web-7", "web"), ("db-7", "db"), ("web-8", "web")):
        api.call(
            api.store.put,
            {**objects[2], "metadata": {"name": name, "namespace": "shop", "labels": {"app": app}}},
        )
    by_label = [
        e["object"].metadata.name
        for e in watch.Watch().stream(
            core.list_pod_for_all_namespaces,
            resource_version=rv,
            label_selector="app=web",
            timeout_seconds=1,
        )
    ]
    by_field = [
        e["object"].metadata.name
        for e in watch.Watch().stream(
            core.list_pod_for_all_namespaces,
            resource_version=rv,
            field_selector="metadata.name=db-7",
            timeout_seconds=1,
        )
    ]
    assert (by_label, by_field) == (["web-7", "web-8"], ["db-7"])


def watch_lines(
    url: str, params: dict[str, str], headers: dict[str, str] | None = None
) -> list[Obj]:
    with httpx.stream(
        "GET", url, params={"watch": "true", **params}, headers=headers, timeout=20
    ) as r:
        assert r.status_code == 200
        return [json.loads(line) for line in r.iter_lines() if line]


def test_watch_bookmarks_and_timeout_end_the_stream(api: ServerThread) -> None:
    rv = str(api.call(lambda: api.store.resource_version))
    events = watch_lines(
        f"{api.server.url}/api/v1/pods",
        {"resourceVersion": rv, "allowWatchBookmarks": "true", "timeoutSeconds": "1"},
    )
    assert [e["type"] for e in events] == ["BOOKMARK"]
    bookmark = events[0]["object"]
    assert (bookmark["kind"], bookmark["apiVersion"]) == ("Pod", "v1")
    assert bookmark["metadata"]["resourceVersion"] == rv


def test_watch_events_as_table_rows(api: ServerThread) -> None:
    events = watch_lines(
        f"{api.server.url}/api/v1/namespaces/shop/services",
        {"resourceVersion": "0", "timeoutSeconds": "1"},
        {"Accept": TABLE},
    )
    assert [e["object"]["kind"] for e in events] == ["Table"] * 3
    assert [e["object"]["rows"][0]["cells"][0] for e in events] == ["db", "front", "web"]
    assert events[0]["object"]["columnDefinitions"]
    assert not events[1]["object"]["columnDefinitions"]


def test_legacy_watch_path_streams_events(shared_api: ServerThread) -> None:
    url = f"{shared_api.server.url}/api/v1/watch/namespaces/shop/services"
    r = httpx.get(url, params={"resourceVersion": "0", "timeoutSeconds": "1"}, timeout=20)
    events = [json.loads(line) for line in r.text.splitlines()]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "db"),
        ("ADDED", "front"),
        ("ADDED", "web"),
    ]


def test_stop_ends_open_watch_streams(objects: list[Obj]) -> None:
    st = ServerThread(filled_store(objects))
    st.start()
    lines: list[bytes] = []

    def follow() -> None:
        with httpx.stream(
            "GET",
            f"{st.server.url}/api/v1/pods",
            params={"watch": "true", "resourceVersion": "0"},
            timeout=30,
        ) as r:
            lines.extend(r.iter_lines())

    reader = threading.Thread(target=follow)
    reader.start()
    wait_for_watchers(st)
    st.stop()
    reader.join(30)
    assert not reader.is_alive()
    assert len(lines) == 5  # the ADDED events, then a clean end of stream


# -- proxy -----------------------------------------------------------------------------------


def test_pod_proxy_forwards_to_the_pod_ip(api: ServerThread, web1_backend: str) -> None:
    base = f"{api.server.url}/api/v1/namespaces/shop/pods"
    by_port = httpx.get(f"{base}/web-1:8080/proxy/hello", params={"x": "1", "timeout": "5s"})
    assert by_port.status_code == 200
    assert by_port.text == "web-1 saw /hello?x=1"  # kubectl's ?timeout= is not forwarded
    assert by_port.headers["X-Served-By"] == "web-1"
    assert httpx.get(f"{base}/web-1/proxy/").text == "web-1 saw /"  # first container port
    assert httpx.get(f"{base}/web-1:http/proxy/a/b").text == "web-1 saw /a/b"


def test_service_proxy_goes_to_a_ready_endpoint(
    api: ServerThread, web1_backend: str, core: client.CoreV1Api
) -> None:
    # web-3 (not ready) is the slice's first endpoint; only web-1 has a listener.
    base = f"{api.server.url}/api/v1/namespaces/shop/services"
    assert httpx.get(f"{base}/web:http/proxy/x").text == "web-1 saw /x"
    assert httpx.get(f"{base}/web:80/proxy/x").text == "web-1 saw /x"
    assert httpx.get(f"{base}/web/proxy/").text == "web-1 saw /"
    answer = core.connect_get_namespaced_service_proxy_with_path("web:http", "shop", "y")
    assert answer == "web-1 saw /y"


def test_proxy_failures_are_503_statuses(api: ServerThread) -> None:
    base = f"{api.server.url}/api/v1/namespaces/shop"
    for path in (
        "pods/web-2:8080/proxy/",  # nothing listens on web-2's address
        "pods/ghost/proxy/",
        "pods/web-1:nope/proxy/",
        "services/db/proxy/",  # no EndpointSlice
        "services/web:9999/proxy/",
        "services/ghost/proxy/",
    ):
        r = httpx.get(f"{base}/{path}")
        assert r.status_code == 503, path
        assert r.json()["reason"] == "ServiceUnavailable"
