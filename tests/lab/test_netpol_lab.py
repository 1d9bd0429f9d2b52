"""The netpol-shop scenario through real loopback sockets: what its policies allow answers,
what they deny gets no SYN-ACK (a timeout, not a refusal), on the source address each hop
of the lab's forwarding really has."""

from __future__ import annotations

import asyncio
import copy
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kpath.lab.runner import LabThread
from kpath.lab.store import Store

pytestmark = pytest.mark.lab

TIMEOUT = 0.5  # a client that gives up after half a second
ADMIN, REPORTS = 30081, 30082  # the scenario's Local and Cluster NodePorts
OUTSIDE_OFFICE = "127.1.0.1"  # a host address outside 127.0.0.0/16 and every lab block


@pytest.fixture(scope="module")
def lab() -> Iterator[LabThread]:
    with LabThread("netpol-shop", serve_api=False, store=Store()) as running:
        assert running.lab.warnings == []
        yield running


def _handshakes(address: tuple[str, int], source: str | None = None) -> bool:
    """Whether a bare TCP connect completes (False: no SYN-ACK before the client gave up;
    a refusal raises)."""
    with socket.socket() as sock:
        if source is not None:
            sock.bind((source, 0))
        sock.settimeout(TIMEOUT)
        try:
            sock.connect(address)
        except TimeoutError:
            return False
        return True


def _node(lab: LabThread, name: str) -> str:
    return next(n.address for n in lab.nodes if n.name == name)


def _pod_ip(lab: LabThread, ns: str, workload: str, replica: int = 0) -> str:
    return str(lab.pods(ns, workload)[replica]["status"]["podIP"])


def _get(url: str, *, source: str | None = None, **kwargs: Any) -> httpx.Response:
    transport = httpx.HTTPTransport(local_address=source) if source else None
    with httpx.Client(transport=transport, timeout=kwargs.pop("timeout", 5)) as client:
        return client.get(url, **kwargs)


def _lb(lab: LabThread, ns: str, name: str) -> str:
    svc = lab.store.get("Service", ns, name)
    assert svc is not None
    return str(svc["status"]["loadBalancer"]["ingress"][0]["ip"])


# ---------------------------------------------------------------- NodePorts
def test_local_nodeport_keeps_the_client_address_and_the_office_cidr_allows_it(
    lab: LabThread,
) -> None:
    answer = _get(f"http://{_node(lab, 'node-a')}:{ADMIN}/").json()
    assert answer["pod"].startswith("admin-")
    assert answer["client"].split(":")[0] == "127.0.0.1"


def test_local_nodeport_drops_a_client_outside_the_office_cidr(lab: LabThread) -> None:
    address = (_node(lab, "node-a"), ADMIN)
    assert not _handshakes(address, OUTSIDE_OFFICE)
    assert _handshakes(address)  # the same port, from the office: answered


def test_cluster_nodeport_at_a_node_without_the_pod_arrives_snated_and_is_dropped(
    lab: LabThread,
) -> None:
    for node in ("node-b", "node-c"):
        assert not _handshakes((_node(lab, node), REPORTS)), node


def test_cluster_nodeport_at_the_pods_own_node_is_snated_to_that_node_and_passes(
    lab: LabThread,
) -> None:
    answer = _get(f"http://{_node(lab, 'node-a')}:{REPORTS}/").json()
    assert answer["pod"].startswith("reports-")
    assert answer["client"].split(":")[0] == _node(lab, "node-a")  # the SNAT, really


# ---------------------------------------------------------------- the ingress controller
def test_the_ingress_controller_reaches_the_storefront_from_its_own_pod(
    lab: LabThread,
) -> None:
    answer = _get(
        f"http://{_lb(lab, 'ingress-nginx', 'ingress-nginx-controller')}/",
        headers={"Host": "shop.example.com"},
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["namespace"] == "shop" and body["pod"].startswith("web-")
    controllers = {
        p["status"]["podIP"] for p in lab.pods("ingress-nginx", "ingress-nginx-controller")
    }
    assert body["client"].split(":")[0] in controllers


def test_the_ingress_controller_is_dropped_at_catalog(lab: LabThread) -> None:
    """Its second hop's SYN goes unanswered; nginx gives up with a 504 (here after the
    lab's connect timeout)."""
    answer = _get(
        f"http://{_lb(lab, 'ingress-nginx', 'ingress-nginx-controller')}/api",
        headers={"Host": "shop.example.com"},
        timeout=15,
    )
    assert answer.status_code == 504
    catalog = _pod_ip(lab, "shop", "catalog")
    controller = _pod_ip(lab, "ingress-nginx", "ingress-nginx-controller")
    assert not _handshakes((catalog, 9090), controller)


# ---------------------------------------------------------------- pod to pod
def test_a_pod_in_another_namespace_is_dropped_by_the_default_deny(lab: LabThread) -> None:
    toolbox = _pod_ip(lab, "tools", "toolbox")
    for workload, port in (("web", 8080), ("catalog", 9090), ("ledger", 7000)):
        assert not _handshakes((_pod_ip(lab, "shop", workload), port), toolbox), workload


def test_web_reaches_catalog_and_catalog_sees_the_web_pod(lab: LabThread) -> None:
    web = _pod_ip(lab, "shop", "web")
    answer = _get(f"http://{_pod_ip(lab, 'shop', 'catalog')}:9090/", source=web).json()
    assert answer["pod"].startswith("catalog-")
    assert answer["client"].split(":")[0] == web


def test_the_ledger_is_unreachable_from_everywhere(lab: LabThread) -> None:
    ledger = (_pod_ip(lab, "shop", "ledger"), 7000)
    sources = [
        None,
        _pod_ip(lab, "shop", "payments"),
        _pod_ip(lab, "shop", "web"),
        _node(lab, "node-b"),
        _pod_ip(lab, "tools", "toolbox"),
    ]
    ledger_node = lab.pods("shop", "ledger")[0]["spec"]["nodeName"]
    sources = [s for s in sources if s != _node(lab, ledger_node)]  # its own node may
    assert not any(_handshakes(ledger, s) for s in sources)


def test_unisolated_pods_answer_everyone(lab: LabThread) -> None:
    toolbox = (_pod_ip(lab, "tools", "toolbox"), 8080)
    assert _handshakes(toolbox) and _handshakes(toolbox, _pod_ip(lab, "shop", "web"))


# ---------------------------------------------------------------- policies follow the store
async def _put(lab: LabThread, obj: dict[str, Any]) -> None:
    lab.lab.store.put(copy.deepcopy(obj))


async def _delete(lab: LabThread, ns: str, name: str) -> None:
    lab.lab.store.delete("NetworkPolicy", ns, name)


async def _synced_after(lab: LabThread, change: Any) -> None:
    """Make a change in the store and wait for the data plane's own sync (its watch of the
    store; nothing here calls sync)."""
    plane = lab.lab.dataplane
    assert plane is not None
    before = plane.syncs
    await change
    for _ in range(500):
        if plane.syncs > before:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the data plane never synced after the change")


ALLOW_TOOLS = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "allow-tools", "namespace": "shop"},
    "spec": {
        "podSelector": {"matchLabels": {"app": "web"}},
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"purpose": "debug"}}}]}],
    },
}


def test_policies_and_namespace_labels_follow_the_store() -> None:
    with LabThread("netpol-shop", serve_api=False, store=Store()) as lab:
        toolbox = _pod_ip(lab, "tools", "toolbox")
        web = (_pod_ip(lab, "shop", "web"), 8080)
        assert not _handshakes(web, toolbox)
        lab.call(_synced_after(lab, _put(lab, ALLOW_TOOLS)))
        assert not _handshakes(web, toolbox)  # the tools namespace lacks the label
        tools = lab.lab.store.get("Namespace", None, "tools")
        assert tools is not None
        labelled = copy.deepcopy(tools)
        labelled["metadata"]["labels"]["purpose"] = "debug"
        lab.call(_synced_after(lab, _put(lab, labelled)))
        assert _handshakes(web, toolbox)
        lab.call(_synced_after(lab, _delete(lab, "shop", "allow-tools")))
        assert not _handshakes(web, toolbox)


def test_without_policies_nothing_is_gated() -> None:
    with LabThread("shop", serve_api=False, store=Store()) as lab:
        assert lab.lab.dataplane is not None and lab.lab.dataplane.gated() == {}
