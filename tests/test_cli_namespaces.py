"""Namespaces and selectors as kubectl users expect them, against the lab's real API server
(scenario shop: the services in ``shop``, the Ingress controller in ``ingress-nginx``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kpath.cli import main
from kpath.cluster.live import LiveOptions, load_live
from kpath.cluster.namespaces import list_namespaces
from kpath.cluster.snapshot import build_snapshot
from kpath.lab.rbac import load_policy
from kpath.lab.runner import LabThread
from kpath.routing.analysis import analyse
from kpath.routing.scope import ViewScope
from tests.lab.conftest import KUBECTL, run_kubectl

pytestmark = pytest.mark.lab

RBAC_YAML = Path(__file__).resolve().parents[1] / "deploy" / "rbac.yaml"
DUMPS = Path(__file__).resolve().parents[2] / "shared" / "realworld" / "dumps"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LabThread, Path, Path]]:
    """The lab, a kubeconfig whose context names no namespace, and one naming ``shop``."""
    tmp = tmp_path_factory.mktemp("ns")
    with LabThread("shop") as running:
        yield (
            running,
            running.write_kubeconfig(tmp / "kc"),
            running.write_kubeconfig(tmp / "kc-shop", namespace="shop"),
        )


@pytest.fixture
def unrestricted(lab: tuple[LabThread, Path, Path]) -> Iterator[tuple[LabThread, Path, Path]]:
    yield lab
    lab[0].enforce(None)


def kpath(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def paths_doc(capsys: pytest.CaptureFixture[str], kc: Path, *argv: str) -> dict:
    code, out, err = kpath(capsys, "paths", "-o", "json", "--kubeconfig", str(kc), *argv)
    assert code == 0, err
    return json.loads(out)


# -- which namespaces were read, said in the JSON ------------------------------------------


def test_no_namespace_reads_the_contexts_or_default_and_says_so(lab, capsys) -> None:
    _, kc, kc_shop = lab
    doc = paths_doc(capsys, kc, "--all")
    assert (doc["namespaces"], doc["allNamespaces"]) == (["default"], False)
    assert {p["service"].split("/")[0] for p in doc["paths"]} <= {"default"}
    doc = paths_doc(capsys, kc_shop)
    assert (doc["namespaces"], doc["allNamespaces"]) == (["shop"], False)
    assert doc["paths"] and {p["service"].split("/")[0] for p in doc["paths"]} == {"shop"}


def test_all_namespaces_is_null(lab, capsys) -> None:
    doc = paths_doc(capsys, lab[1], "-A")
    assert (doc["namespaces"], doc["allNamespaces"]) == (None, True)
    assert {"shop", "ingress-nginx"} <= {p["service"].split("/")[0] for p in doc["paths"]}


def test_snapshot_namespaces_read_follows_the_load(lab) -> None:
    _, kc, kc_shop = lab
    read = [
        build_snapshot(load_live(o)).namespaces_read
        for o in (
            LiveOptions(kubeconfig=str(kc)),
            LiveOptions(kubeconfig=str(kc_shop)),
            LiveOptions(kubeconfig=str(kc), namespace="ingress-nginx"),
            LiveOptions(kubeconfig=str(kc), namespace="shop", all_namespaces=True),
        )
    ]
    assert read == [frozenset({"default"}), frozenset({"shop"}), frozenset({"ingress-nginx"}), None]


# -- the Ingress controller in another namespace ----------------------------------------------


def test_n_shop_finds_the_controller_in_ingress_nginx(lab, capsys) -> None:
    doc = paths_doc(capsys, lab[1], "-n", "shop")
    assert not [f for f in doc["findings"] if f["code"] == "KP204"]
    ingress = [p for p in doc["paths"] if p["entry"]["kind"] == "ingress"]
    assert ingress and all(p["service"].startswith("shop/") for p in doc["paths"])
    # The controller's own Service was read to route through it, but it is neither in
    # view nor counted.
    internal = paths_doc(capsys, lab[1], "-n", "shop", "--all")
    shop_services = {p["service"] for p in internal["paths"]}
    assert all(s.startswith("shop/") for s in shop_services)
    assert doc["summary"]["services"] == len(shop_services) > 5
    # Same ways in as when every namespace is read.
    every = paths_doc(capsys, lab[1], "-A")
    assert {json.dumps(p, sort_keys=True) for p in ingress} == {
        json.dumps(p, sort_keys=True)
        for p in every["paths"]
        if p["entry"]["kind"] == "ingress" and p["service"].startswith("shop/")
    }


def test_a_role_in_one_namespace_still_gets_a_result_and_kp204_says_why(
    unrestricted, capsys
) -> None:
    running, kc, _ = unrestricted
    running.enforce(load_policy(RBAC_YAML, "Role", namespace="shop"))
    assert list_namespaces(LiveOptions(kubeconfig=str(kc))) is None  # 403: no check
    doc = paths_doc(capsys, kc, "-n", "shop")
    assert doc["namespaces"] == ["shop"] and doc["paths"]
    (kp204,) = [f["message"] for f in doc["findings"] if f["code"] == "KP204"]
    assert "outside what could be read" in kp204 and "not found" not in kp204


# -- unknown namespaces ------------------------------------------------------------------------


def test_list_namespaces_is_the_clusters(lab, tmp_path) -> None:
    listed = list_namespaces(LiveOptions(kubeconfig=str(lab[1])))
    assert listed is not None and {"default", "ingress-nginx", "shop"} <= set(listed)
    assert listed == sorted(listed)
    if KUBECTL is not None:
        got = run_kubectl(lab[1], "get", "ns", "-o", "name", cache=tmp_path / "kc-cache")
        assert sorted(n.split("/")[1] for n in got.stdout.split()) == listed


@pytest.mark.parametrize(
    "argv",
    [
        ("paths", "-n", "nope"),
        ("route", "web", "-n", "nope", "--node", "node-a"),
        ("route", "nope/web", "--node", "node-a"),
        ("reach", "a", "b", "-n", "nope", "--port", "80"),
        ("request", "http://shop.example.com/", "--via", "nope/x"),
        ("probe", "web", "-n", "nope"),
        ("snapshot", "--svg", "/nonexistent/x.svg", "--service", "web", "-n", "nope"),
    ],
)
def test_unknown_namespace_is_exit_2_naming_those_that_exist(lab, capsys, argv) -> None:
    code, out, err = kpath(capsys, *argv, "--kubeconfig", str(lab[1]))
    assert (code, out) == (2, "")
    listed = ", ".join(list_namespaces(LiveOptions(kubeconfig=str(lab[1]))) or ["?"])
    assert "ingress-nginx, " in listed
    assert err == f'kpath: error: namespace "nope" not found (namespaces: {listed})\n'


@pytest.mark.skipif(not (DUMPS / "sonobuoy-aws-3node").exists(), reason=f"{DUMPS} not found")
def test_unknown_namespace_in_a_dump(tmp_path, capsys) -> None:
    dump = DUMPS / "sonobuoy-aws-3node"
    code, _, err = kpath(capsys, "paths", "--dump", str(dump), "-n", "kube-sytem")
    assert code == 2 and 'namespace "kube-sytem" not found' in err and "kube-system" in err
    code, out, err = kpath(capsys, "paths", "--dump", str(dump), "-n", "kube-system", "-o", "json")
    assert code == 0, err
    assert json.loads(out)["namespaces"] == ["kube-system"]
    code, out, _ = kpath(capsys, "paths", "--dump", str(dump), "-o", "json")
    assert json.loads(out)["allNamespaces"] is True  # a dump holds what it holds


# -- NAME -n NS --------------------------------------------------------------------------------


def test_route_name_with_n_is_route_ns_slash_name(lab, capsys) -> None:
    kc = str(lab[1])
    qualified = kpath(
        capsys, "route", "shop/checkout", "--node", "node-c", "-o", "json", "--kubeconfig", kc
    )
    assert qualified[0] == 0, qualified[2]
    assert (
        kpath(
            capsys,
            "route",
            "checkout",
            "-n",
            "shop",
            "--node",
            "node-c",
            "-o",
            "json",
            "--kubeconfig",
            kc,
        )
        == qualified
    )
    # Without -n, the context's namespace.
    assert (
        kpath(
            capsys,
            "route",
            "checkout",
            "--node",
            "node-c",
            "-o",
            "json",
            "--kubeconfig",
            str(lab[2]),
        )
        == qualified
    )
    code, _, err = kpath(capsys, "route", "checkout", "--node", "node-c", "--kubeconfig", kc)
    assert code == 2 and "default/checkout" in err


def test_reach_pod_names_with_n(lab, capsys) -> None:
    kc = str(lab[1])
    snap = build_snapshot(load_live(LiveOptions(kubeconfig=kc, namespace="shop")))
    web, other = sorted(k.name for k in snap.pods if k.namespace == "shop")[:2]
    qualified = kpath(
        capsys,
        "reach",
        f"shop/{web}",
        f"shop/{other}",
        "--port",
        "80",
        "-o",
        "json",
        "--kubeconfig",
        kc,
    )
    assert qualified[0] == 0, qualified[2]
    assert (
        kpath(
            capsys,
            "reach",
            web,
            other,
            "-n",
            "shop",
            "--port",
            "80",
            "-o",
            "json",
            "--kubeconfig",
            kc,
        )
        == qualified
    )


# -- kubectl's selectors, as kubectl reads them ---------------------------------------------

SELECTORS = [
    "app in (web,catalog)",
    "app notin (web)",
    "!app",
    "app",
    "app.kubernetes.io/name=ingress-nginx",
    "app!=web",
    "app==web,app",
    "app in (web), !tier",
]


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (not on PATH)")
@pytest.mark.parametrize("selector", SELECTORS)
def test_selection_agrees_with_kubectl(lab, tmp_path, selector) -> None:
    kc = lab[1]
    got = run_kubectl(
        kc, "get", "svc", "-A", "-l", selector, "-o", "json", cache=tmp_path / "kc-cache"
    )
    assert got.returncode == 0, got.stderr
    kubectl = {
        f"{i['metadata']['namespace']}/{i['metadata']['name']}"
        for i in json.loads(got.stdout)["items"]
    }
    analysis = analyse(
        build_snapshot(load_live(LiveOptions(kubeconfig=str(kc), all_namespaces=True)))
    )
    ours = {str(k) for k in ViewScope(None, selector, internal=True).services(analysis)}
    assert ours == kubectl
    # And the lab's API server, given the selector as kpath passes it (labelSelector):
    # what it serves is the selection, plus the LoadBalancer and NodePort Services read to
    # find ingress controllers, which the scope keeps out of view.
    served = analyse(
        build_snapshot(
            load_live(LiveOptions(kubeconfig=str(kc), all_namespaces=True, selector=selector))
        )
    )
    assert {str(k) for k in ViewScope(None, selector, internal=True).services(served)} == kubectl
    extra = {k: s for k, s in served.snapshot.services.items() if str(k) not in kubectl}
    assert all(s.type in ("LoadBalancer", "NodePort") for s in extra.values())


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (not on PATH)")
@pytest.mark.parametrize("selector", ["app in (a b)", "x,,y", "!app=web", "app=-web"])
def test_kubectl_and_kpath_refuse_the_same_selectors(lab, tmp_path, capsys, selector) -> None:
    got = run_kubectl(lab[1], "get", "svc", "-A", "-l", selector, cache=tmp_path / "kc-cache")
    assert got.returncode != 0
    code, out, err = kpath(capsys, "paths", "-A", "-l", selector, "--kubeconfig", str(lab[1]))
    assert (code, out) == (2, "") and err.startswith("kpath: error: label selector")
    assert err.count("\n") == 1


# -- a Gateway in another namespace -------------------------------------------------------------


def test_n_reads_the_gateway_a_route_attaches_to_in_another_namespace(tmp_path, capsys) -> None:
    with LabThread("gateway-api-cross-namespace-routing") as running:
        kc = running.write_kubeconfig(tmp_path / "kc")
        narrowed = paths_doc(capsys, kc, "-n", "site-ns")
        every = paths_doc(capsys, kc, "-A")
    assert narrowed["namespaces"] == ["site-ns"]
    assert not [f for f in narrowed["findings"] if f["code"] == "KP416"]
    gateway = sorted(
        json.dumps(p, sort_keys=True) for p in narrowed["paths"] if p["entry"]["kind"] == "gateway"
    )
    assert gateway and gateway == sorted(
        json.dumps(p, sort_keys=True)
        for p in every["paths"]
        if p["entry"]["kind"] == "gateway" and p["service"].startswith("site-ns/")
    )


def test_probe_name_with_n_probes_that_service_and_says_every_namespace_was_read(
    lab, capsys
) -> None:
    code, out, err = kpath(
        capsys, "probe", "storefront", "-n", "shop", "-o", "json", "--kubeconfig", str(lab[1])
    )
    assert code in (0, 1), err
    doc = json.loads(out)
    assert (doc["namespaces"], doc["allNamespaces"]) == (None, True)
    assert doc["paths"] and {p["service"] for p in doc["paths"]} == {"shop/storefront"}
