"""`kpath request` on the live lab: the shop, checked against the lab's own ingress controller;
Istio's Gateway API bookinfo, read through the lab's API server.

kpath reads the lab through its API server and says where each request goes; then the
request is sent for real to the address and port kpath names (the controller's load balancer
on loopback), with the URL's Host, and the pod that answers must belong to the backend kpath
named (the lab's controller routes with its own, separate matcher).
"""

from __future__ import annotations

import json

import httpx
import pytest

from kpath.cli import main
from kpath.cluster.live import LiveOptions, load_live
from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import build_snapshot
from kpath.routing.targets import service_targets

CONTROLLER = "ingress-nginx/ingress-nginx-controller"


def ask(kubeconfig, capsys, url: str, *extra: str) -> dict:
    assert main(["request", url, "--kubeconfig", str(kubeconfig), "-o", "json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def snapshot(shop_kubeconfig):
    return build_snapshot(
        load_live(LiveOptions(kubeconfig=str(shop_kubeconfig), all_namespaces=True))
    )


def backend_pods(snapshot, name: str, port: int) -> set[str]:
    svc = snapshot.services[ObjectKey(*name.split("/"))]
    sp = next(p for p in svc.ports if p.port == port)
    return {
        str(t.pod)
        for t in service_targets(snapshot, snapshot.service_slices(svc.key), sp)
        if t.ready
    }


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        ("http://shop.example.com/", "shop/storefront"),
        ("http://shop.example.com/api/items", "shop/catalog"),
        ("http://shop.example.com/api", "shop/catalog"),
        ("http://shop.example.com/apiary", "shop/storefront"),  # not under /api: "/" takes it
        ("http://shop.example.com/reviews/1", "shop/storefront"),  # /reviews is Exact
        ("http://SHOP.example.com/api/x?q=1", "shop/catalog"),
        ("http://admin.example.com/users", "shop/admin"),
    ],
)
def test_kpath_names_the_backend_the_lab_controller_uses(
    shop_kubeconfig, snapshot, capsys, url, backend
):
    doc = ask(shop_kubeconfig, capsys, url)
    (answer,) = doc["answers"]
    assert answer["entry"]["name"] == CONTROLLER and answer["outcome"] == "forward"
    (share,) = answer["backends"]
    assert share["name"] == backend and share["verdict"] == "forward"
    assert share["endpoints"] == len(backend_pods(snapshot, backend, share["port"]))
    entry = answer["entry"]
    assert entry["address"].startswith("127.")  # loopback only: the lab's load balancer
    # The pod that answers for real is one of the backend's.
    request = doc["request"]
    target = f"{request['path']}" + (
        "?" + "&".join(f"{q['name']}={q['value']}" for q in request["query"])
        if request["query"]
        else ""
    )
    reply = httpx.get(
        f"http://{entry['address']}:{entry['port']}{target}",
        headers={"Host": request["host"]},
        timeout=5,
    )
    assert reply.status_code == 200, reply.text
    seen = reply.json()
    assert f"{seen['namespace']}/{seen['pod']}" in backend_pods(snapshot, backend, share["port"])


def test_a_host_without_rules_is_the_controllers_own_404(shop_kubeconfig, capsys):
    assert ask(shop_kubeconfig, capsys, "http://nobody.example.com/")["answers"] == []
    doc = ask(shop_kubeconfig, capsys, "http://nobody.example.com/", "--via", CONTROLLER)
    (answer,) = doc["answers"]
    assert (answer["outcome"], answer["httpStatus"]) == ("not-found", 404)
    entry = answer["entry"]
    reply = httpx.get(
        f"http://{entry['address']}:{entry['port']}/",
        headers={"Host": "nobody.example.com"},
        timeout=5,
    )
    assert reply.status_code == 404


def test_text_on_the_live_lab(shop_kubeconfig, capsys):
    assert (
        main(["request", "http://shop.example.com/api/1", "--kubeconfig", str(shop_kubeconfig)])
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == f"ingress {CONTROLLER}: forward"
    assert lines[2].startswith("  entry    127.") and lines[2].endswith(":80, class nginx")
    assert lines[4].startswith("  backend  shop/catalog:80  100%  2 ready endpoint(s)")


@pytest.fixture(scope="module")
def bookinfo_kubeconfig(tmp_path_factory):
    # Istio's Gateway API bookinfo manifests as published, with Bookinfo's own app (the
    # scenario carries bookinfo.yaml, as Istio's guide applies it first).
    from kpath.lab.runner import LabThread

    with LabThread("istio-bookinfo-gateway-api") as lab:
        yield lab.write_kubeconfig(tmp_path_factory.mktemp("kc") / "kubeconfig")


def test_gateway_answers_from_a_live_api_server(bookinfo_kubeconfig, capsys):
    doc = ask(bookinfo_kubeconfig, capsys, "http://bookinfo.example/productpage")
    (answer,) = doc["answers"]
    assert (
        answer["entry"]["kind"],
        answer["entry"]["name"],
        answer["entry"]["listener"],
        answer["entry"]["class"],
    ) == ("gateway", "default/bookinfo-gateway", "http", "istio")
    assert answer["route"] == {
        "kind": "HTTPRoute",
        "name": "default/bookinfo",
        "rule": 0,
        "host": None,
        "path": "/productpage",
        "pathType": "Exact",
    }
    assert (answer["outcome"], answer["httpStatus"]) == ("forward", None)
    (backend,) = answer["backends"]
    assert (backend["name"], backend["port"], backend["share"]) == ("default/productpage", 9080, 1)
    assert backend["verdict"] == "forward" and backend["endpoints"] >= 1
    assert not {f["code"] for f in answer["findings"]} & {"KP430", "KP431", "KP432"}
    # Exact: /productpage/x is not it, and nothing else takes it
    miss = ask(bookinfo_kubeconfig, capsys, "http://bookinfo.example/productpage/x")
    assert [(a["outcome"], a["httpStatus"]) for a in miss["answers"]] == [("not-found", 404)]
    static = ask(
        bookinfo_kubeconfig,
        capsys,
        "http://bookinfo.example/static/app.css",
        "--via",
        "default/bookinfo-gateway",
    )
    assert static["answers"][0]["route"]["pathType"] == "PathPrefix"
