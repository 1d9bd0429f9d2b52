"""A Local-policy NodePort on a node without a local endpoint drops the SYN, as kube-proxy
does: through real loopback sockets, a bare TCP connect there times out (no handshake),
and the port switches to forwarding as soon as a local pod appears (and back)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from kpath.lab.runner import LabThread
from kpath.lab.scenario import parse_scenario

try:
    from tests.lab.fixtures_dataplane import MiniStore
except ImportError:
    from fixtures_dataplane import MiniStore  # type: ignore[no-redef]

pytestmark = pytest.mark.lab

TIMEOUT = 0.5  # a client that gives up after half a second

SCENARIO = """
kind: LabScenario
name: blackhole-test
nodes: [{name: n1}, {name: n2}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: solo}
spec:
  replicas: 1
  selector: {matchLabels: {app: solo}}
  template:
    metadata: {labels: {app: solo}}
    spec:
      containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: solo}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  selector: {app: solo}
  ports: [{name: http, port: 80, targetPort: http}]
"""


@pytest.fixture
def lab() -> Iterator[LabThread]:
    scenario = parse_scenario(SCENARIO, origin="test")
    with LabThread(scenario, serve_api=False, store=MiniStore()) as running:
        assert running.lab.warnings == []
        yield running


def _node_port(lab: LabThread) -> int:
    svc = lab.store.get("Service", "default", "solo")
    assert svc is not None
    return int(svc["spec"]["ports"][0]["nodePort"])


def _address(lab: LabThread, node: str) -> tuple[str, int]:
    return next(n.address for n in lab.nodes if n.name == node), _node_port(lab)


def _pod_nodes(lab: LabThread) -> set[str]:
    return {p["spec"]["nodeName"] for p in lab.pods("default", "solo")}


def _handshakes(address: tuple[str, int]) -> bool:
    """Whether a bare TCP connect completes (False: no SYN-ACK before the client gave up)."""
    try:
        with socket.create_connection(address, timeout=TIMEOUT):
            return True
    except TimeoutError:
        return False


def test_black_holed_node_port_never_completes_a_handshake(lab: LabThread) -> None:
    (home,) = _pod_nodes(lab)
    other = ({"n1", "n2"} - {home}).pop()
    assert _handshakes(_address(lab, home))
    reply = httpx.get("http://{}:{}/".format(*_address(lab, home)), timeout=TIMEOUT).json()
    assert reply["node"] == home
    assert not _handshakes(_address(lab, other))
    with pytest.raises(httpx.ConnectTimeout):  # silent from the first packet, not held
        httpx.get("http://{}:{}/".format(*_address(lab, other)), timeout=TIMEOUT)
    assert lab.lab.dataplane is not None
    assert lab.lab.dataplane.black_holes() == {_address(lab, other)}


def test_black_hole_switches_to_forwarding_when_a_local_pod_appears(lab: LabThread) -> None:
    (home,) = _pod_nodes(lab)
    other = ({"n1", "n2"} - {home}).pop()
    assert not _handshakes(_address(lab, other))
    lab.scale("default", "solo", 2)
    assert _pod_nodes(lab) == {"n1", "n2"}  # one per node: now both have a local endpoint
    reply = httpx.get("http://{}:{}/".format(*_address(lab, other)), timeout=TIMEOUT).json()
    assert reply["node"] == other
    assert lab.lab.dataplane is not None
    assert lab.lab.dataplane.black_holes() == set()
    lab.scale("default", "solo", 1)
    (left,) = _pod_nodes(lab)
    gone = ({"n1", "n2"} - {left}).pop()
    assert not _handshakes(_address(lab, gone))
    assert _handshakes(_address(lab, left))


def test_no_endpoint_anywhere_is_a_refusal_not_a_black_hole(lab: LabThread) -> None:
    (home,) = _pod_nodes(lab)
    other = ({"n1", "n2"} - {home}).pop()
    assert not _handshakes(_address(lab, other))
    lab.scale("default", "solo", 0)
    for node in ("n1", "n2"):
        with pytest.raises(httpx.TransportError) as caught:  # reset: kube-proxy's REJECT
            httpx.get("http://{}:{}/".format(*_address(lab, node)), timeout=TIMEOUT)
        assert not isinstance(caught.value, httpx.TimeoutException)
    assert lab.lab.dataplane is not None
    assert lab.lab.dataplane.black_holes() == set()


def test_a_down_node_completes_no_handshake_and_comes_back(lab: LabThread) -> None:
    """A node that is off answers no SYN on any of its addresses: its NodePort and the pod
    on it (a bare TCP connect must not mistake it for a healthy server that waits)."""
    (home,) = _pod_nodes(lab)
    (pod,) = lab.pods("default", "solo")
    pod_address = (pod["status"]["podIP"], 8080)
    assert _handshakes(_address(lab, home)) and _handshakes(pod_address)
    lab.inject({"kind": "node-down", "node": home})
    assert not _handshakes(_address(lab, home))
    assert not _handshakes(pod_address)
    lab.clear({"kind": "node-down", "node": home})
    assert _handshakes(_address(lab, home)) and _handshakes(pod_address)
