"""Session affinity in words, in kpath.paths/v1, and in KP109."""

from __future__ import annotations

from typing import Any

import pytest

from kpath.cluster.records import Service
from kpath.export.jsonout import paths_json
from kpath.routing.affinity import affinity_json, affinity_note, cross_share_note, duration
from kpath.routing.analysis import Analysis
from tests.builders import analysed, endpoint, endpointslice, key, node, pod, service, snapshot


def svc(**spec: Any) -> Service:
    return snapshot(service("web", "NodePort", **spec)).services[key("web")]


PINNED = {
    "sessionAffinity": "ClientIP",
    "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 600}},
}


@pytest.mark.parametrize(
    ("s", "said"), [(10800, "3h"), (600, "10m"), (5400, "1h30m"), (90, "90s"), (86400, "24h")]
)
def test_duration(s: int, said: str) -> None:
    assert duration(s) == said


def test_note_with_the_timeout_and_only_where_kube_proxy_chooses() -> None:
    pinned = svc(**PINNED)
    assert affinity_note(pinned) == (
        "ClientIP affinity: each client stays on one pod for 10m after its last connection"
    )
    assert affinity_note(pinned, "controller") is None  # an Ingress controller picks the pod
    assert affinity_note(svc()) is None and affinity_note(None) is None


def test_cross_share_is_per_client_under_affinity() -> None:
    assert cross_share_note(svc(**PINNED), 0.5) == (
        "50% of clients land on another node's pod (ClientIP affinity: each always the same pod)"
    )
    assert cross_share_note(svc(), 0.5) == "50% of connections cross to another node"
    assert cross_share_note(svc(**PINNED), 0.0) is None


def test_affinity_json() -> None:
    assert affinity_json(svc(**PINNED)) == {"type": "ClientIP", "timeoutSeconds": 600}
    assert affinity_json(svc(sessionAffinity="ClientIP")) == {
        "type": "ClientIP",
        "timeoutSeconds": 10800,
    }
    assert affinity_json(svc()) is None
    assert affinity_json(svc(**PINNED), "gateway") is None


def two_nodes(**spec: Any) -> Analysis:
    # One pod on n1: entering by n2 crosses (50% of the nodes' traffic).
    return analysed(
        node("n1"),
        node("n2"),
        pod("web-1", "n1", "10.1.0.1"),
        service("web", "NodePort", **spec),
        endpointslice("web", [endpoint("10.1.0.1", "n1", "web-1")]),
    )


def test_every_path_in_the_json_carries_session_affinity() -> None:
    doc = paths_json(two_nodes(**PINNED))
    got = {p["entry"]["kind"]: p["sessionAffinity"] for p in doc["paths"]}
    assert got == {
        "nodeport": {"type": "ClientIP", "timeoutSeconds": 600},
        "clusterip": {"type": "ClientIP", "timeoutSeconds": 600},
    }
    assert all(p["sessionAffinity"] is None for p in paths_json(two_nodes())["paths"])


def test_kp109_says_the_share_is_of_clients_under_affinity() -> None:
    (pinned,) = [f.message for f in two_nodes(**PINNED).findings if f.code == "KP109"]
    assert pinned.startswith("shop/web: 50% of external traffic crosses to another node")
    assert pinned.endswith(
        "ClientIP affinity: that share of clients always lands on another "
        "node's pod, each on the same one"
    )
    (plain,) = [f.message for f in two_nodes().findings if f.code == "KP109"]
    assert "affinity" not in plain
