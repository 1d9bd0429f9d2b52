"""kube-proxy's endpoint choice, case by case, from API-shaped EndpointSlices.

Every case builds a small cluster (three nodes: n1 and n2 in zone z1, n3 in z2), one
NodePort Service and its EndpointSlice, and asks what kube-proxy programs on one node: the
verdict, the chosen ``ip:port`` endpoints, whether the serving-terminating fallback is in
use and which topology hints applied. The rules are those of ``CategorizeEndpoints`` and
``topologyModeFromHints`` in kubernetes/pkg/proxy/topology.go.
"""

from __future__ import annotations

from typing import Any

import pytest

from kpath.routing.kubeproxy import Target, Verdict, choose, has_usable, topology_mode
from tests.builders import (
    Obj,
    addresses,
    analysed,
    choice_at,
    endpoint,
    endpointslice,
    group_of,
    key,
    node,
    service,
)

NODES = (node("n1", "z1"), node("n2", "z1"), node("n3", "z2"))


def at(
    node_name: str,
    eps: list[Obj],
    etp: str | None = None,
    itp: str | None = None,
    external: bool = True,
    nodes: tuple[Obj, ...] = NODES,
) -> Any:
    a = analysed(*nodes, service("web", "NodePort", etp=etp, itp=itp), endpointslice("web", eps))
    return choice_at(a, "web", node_name, external=external)


# ---------------------------------------------------------------- readiness and fallback

READINESS = [
    pytest.param(
        [endpoint("10.1.0.1", "n1"), endpoint("10.1.0.2", "n2", ready=False)],
        Verdict.FORWARD,
        ["10.1.0.1:8080"],
        False,
        id="not-ready-skipped",
    ),
    pytest.param(
        [endpoint("10.1.0.1", "n1", ready=None)],
        Verdict.FORWARD,
        ["10.1.0.1:8080"],
        False,
        id="nil-ready-means-ready",
    ),
    pytest.param(
        [
            endpoint("10.1.0.1", "n1", ready=False, serving=True, terminating=True),
            endpoint("10.1.0.2", "n2", ready=False),
        ],
        Verdict.FORWARD,
        ["10.1.0.1:8080"],
        True,
        id="fallback-serving-terminating",
    ),
    pytest.param(
        [
            endpoint("10.1.0.1", "n1", ready=False, serving=True, terminating=True),
            endpoint("10.1.0.2", "n2", ready=True),
        ],
        Verdict.FORWARD,
        ["10.1.0.2:8080"],
        False,
        id="ready-beats-terminating",
    ),
    pytest.param(
        [endpoint("10.1.0.1", "n1", ready=False, serving=False, terminating=True)],
        Verdict.REJECT,
        [],
        False,
        id="terminating-not-serving-never-used",
    ),
    pytest.param(
        [endpoint("10.1.0.1", "n1", ready=False, serving=True)],
        Verdict.REJECT,
        [],
        False,
        id="serving-but-not-terminating-not-a-fallback",
    ),
    # kube-proxy reads a nil serving as true (endpointslicecache.go), so a terminating
    # endpoint without a serving condition is still a fallback.
    pytest.param(
        [endpoint("10.1.0.1", "n1", ready=False, terminating=True)],
        Verdict.FORWARD,
        ["10.1.0.1:8080"],
        True,
        id="nil-serving-terminating-fallback",
    ),
    pytest.param(
        [endpoint("10.1.0.1", "n1", ready=False, serving=True, terminating=None)],
        Verdict.REJECT,
        [],
        False,
        id="nil-terminating-means-not-terminating",
    ),
    pytest.param([], Verdict.REJECT, [], False, id="no-endpoints-rejects"),
]


@pytest.mark.parametrize(("eps", "verdict", "chosen", "fallback"), READINESS)
def test_cluster_policy_readiness(
    eps: list[Obj], verdict: Verdict, chosen: list[str], fallback: bool
) -> None:
    c = at("n3", eps)
    assert (c.verdict, addresses(c), c.fallback) == (verdict, chosen, fallback)


LOCAL = [
    pytest.param(
        "n1",
        [endpoint("10.1.0.1", "n1"), endpoint("10.1.0.2", "n2")],
        Verdict.FORWARD,
        ["10.1.0.1:8080"],
        False,
        id="local-ready-only-local",
    ),
    pytest.param(
        "n3",
        [endpoint("10.1.0.1", "n1"), endpoint("10.1.0.2", "n2")],
        Verdict.DROP,
        [],
        False,
        id="black-hole-elsewhere-ready",
    ),
    pytest.param(
        "n3",
        [endpoint("10.1.0.1", "n1", ready=False, serving=True, terminating=True)],
        Verdict.DROP,
        [],
        False,
        id="black-hole-elsewhere-terminating",
    ),
    pytest.param(
        "n1",
        [endpoint("10.1.0.1", "n1", ready=False)],
        Verdict.REJECT,
        [],
        False,
        id="reject-none-anywhere",
    ),
    pytest.param(
        "n1",
        [
            endpoint("10.1.0.1", "n1", ready=False, serving=True, terminating=True),
            endpoint("10.1.0.2", "n2"),
        ],
        Verdict.FORWARD,
        ["10.1.0.1:8080"],
        True,
        id="local-terminating-when-no-local-ready",
    ),
    pytest.param(
        "n1",
        [
            endpoint("10.1.0.1", "n1", ready=False, serving=True, terminating=True),
            endpoint("10.1.0.3", "n1"),
        ],
        Verdict.FORWARD,
        ["10.1.0.3:8080"],
        False,
        id="local-ready-beats-local-terminating",
    ),
    pytest.param(
        "n1",
        [
            endpoint("10.1.0.1", "n1", ready=False, serving=False, terminating=True),
            endpoint("10.1.0.2", "n2"),
        ],
        Verdict.DROP,
        [],
        False,
        id="local-terminating-not-serving-drops",
    ),
    pytest.param(
        "n2",
        [
            endpoint("10.1.0.1", "n1", hint_zones=["z1"]),
            endpoint("10.1.0.2", "n3", hint_zones=["z2"]),
        ],
        Verdict.DROP,
        [],
        False,
        id="hints-do-not-apply-under-local",
    ),
]


@pytest.mark.parametrize(("at_node", "eps", "verdict", "chosen", "fallback"), LOCAL)
def test_local_policy(
    at_node: str, eps: list[Obj], verdict: Verdict, chosen: list[str], fallback: bool
) -> None:
    c = at(at_node, eps, etp="Local")
    assert (c.verdict, addresses(c), c.fallback) == (verdict, chosen, fallback)


def test_local_drop_rule_names_the_node_and_the_black_hole() -> None:
    c = at("n3", [endpoint("10.1.0.1", "n1")], etp="Local")
    assert "n3" in c.rule and "black hole" in c.rule


# ---------------------------------------------------------------- Cluster policy, cross-node


def test_cluster_policy_takes_every_ready_endpoint_and_marks_cross_node() -> None:
    a = analysed(
        *NODES,
        service("web", "NodePort"),
        endpointslice(
            "web",
            [
                endpoint("10.1.0.1", "n1"),
                endpoint("10.1.0.2", "n2"),
                endpoint("10.1.0.9", "n2", ready=False),
            ],
        ),
    )
    groups = a.routes[key("web")][0].external
    assert groups is not None
    g1, g3 = group_of(groups, "n1"), group_of(groups, "n3")
    assert addresses(g1.choice) == addresses(g3.choice) == ["10.1.0.1:8080", "10.1.0.2:8080"]
    # n1 hosts one of the two: half its traffic crosses. n3 hosts none: all of it does.
    assert (g1.local, g1.per_node, g1.cross_node, g1.cross_share) == (1, 2, True, 0.5)
    assert (g3.local, g3.per_node, g3.cross_node, g3.cross_share) == (0, 2, True, 1.0)


def test_node_whose_only_choice_is_local_is_not_cross_node() -> None:
    a = analysed(
        *NODES, service("web", "NodePort"), endpointslice("web", [endpoint("10.1.0.1", "n1")])
    )
    groups = a.routes[key("web")][0].external
    assert groups is not None
    g1 = group_of(groups, "n1")
    assert (g1.cross_node, g1.cross_share) == (False, 0.0)
    assert group_of(groups, "n2").cross_node is True


# ---------------------------------------------------------------- topology hints

HINTS = [
    pytest.param(
        "n1",
        [
            endpoint("10.1.0.1", "n1", hint_zones=["z1"]),
            endpoint("10.1.0.3", "n3", hint_zones=["z2"]),
        ],
        ["10.1.0.1:8080"],
        "zone",
        id="zone-hints-narrow",
    ),
    pytest.param(
        "n3",
        [
            endpoint("10.1.0.1", "n1", hint_zones=["z1"]),
            endpoint("10.1.0.3", "n3", hint_zones=["z2"]),
        ],
        ["10.1.0.3:8080"],
        "zone",
        id="zone-hints-other-zone",
    ),
    pytest.param(
        "n1",
        [endpoint("10.1.0.1", "n1", hint_zones=["z1"]), endpoint("10.1.0.3", "n3")],
        ["10.1.0.1:8080", "10.1.0.3:8080"],
        None,
        id="one-ready-without-hint",
    ),
    pytest.param(
        "n1",
        [
            endpoint("10.1.0.1", "n1", hint_zones=["z1"]),
            endpoint("10.1.0.3", "n3", hint_zones=["z2"]),
            endpoint("10.1.0.5", "n2", ready=False),
        ],
        ["10.1.0.1:8080"],
        "zone",
        id="not-ready-without-hint-ignored",
    ),
    pytest.param(
        "n1",
        [
            endpoint("10.1.0.1", "n2", hint_zones=["z2"]),
            endpoint("10.1.0.3", "n3", hint_zones=["z2"]),
        ],
        ["10.1.0.1:8080", "10.1.0.3:8080"],
        None,
        id="no-hint-for-this-zone",
    ),
    pytest.param(
        "n1",
        [
            endpoint("10.1.0.1", "n1", hint_zones=["z1"], hint_nodes=["n1"]),
            endpoint("10.1.0.2", "n2", hint_zones=["z1"], hint_nodes=["n2"]),
            endpoint("10.1.0.3", "n3", hint_zones=["z2"], hint_nodes=["n3"]),
        ],
        ["10.1.0.1:8080"],
        "node",
        id="node-hints-first",
    ),
    pytest.param(
        "n2",
        [
            endpoint("10.1.0.1", "n1", hint_zones=["z1"], hint_nodes=["n1"]),
            endpoint("10.1.0.2", "n2", hint_zones=["z1"], hint_nodes=["n2"]),
            endpoint("10.1.0.3", "n3", hint_zones=["z2"], hint_nodes=["n3"]),
        ],
        ["10.1.0.2:8080"],
        "node",
        id="node-hints-second-node-same-zone",
    ),
    pytest.param(
        "n1",
        [
            endpoint("10.1.0.1", "n1", hint_zones=["z1"], hint_nodes=["n1"]),
            endpoint("10.1.0.2", "n2", hint_zones=["z1"]),
            endpoint("10.1.0.3", "n3", hint_zones=["z2"], hint_nodes=["n3"]),
        ],
        ["10.1.0.1:8080", "10.1.0.2:8080"],
        "zone",
        id="node-hints-incomplete-zone-used",
    ),
    pytest.param(
        "n2",
        [
            endpoint("10.1.0.1", "n1", hint_zones=["z1"], hint_nodes=["n1"]),
            endpoint("10.1.0.3", "n3", hint_zones=["z2"], hint_nodes=["n3"]),
        ],
        ["10.1.0.1:8080"],
        "zone",
        id="node-hints-not-for-this-node",
    ),
]


@pytest.mark.parametrize(("at_node", "eps", "chosen", "mode"), HINTS)
def test_topology_hints(at_node: str, eps: list[Obj], chosen: list[str], mode: str | None) -> None:
    c = at(at_node, eps)
    assert (c.verdict, addresses(c), c.topology) == (Verdict.FORWARD, chosen, mode)


def test_zone_hints_ignored_when_node_has_no_zone_label() -> None:
    nodes = (node("n1", None), node("n2", "z1"), node("n3", "z2"))
    eps = [
        endpoint("10.1.0.2", "n2", hint_zones=["z1"]),
        endpoint("10.1.0.3", "n3", hint_zones=["z2"]),
    ]
    c = at("n1", eps, nodes=nodes)
    assert (addresses(c), c.topology) == (["10.1.0.2:8080", "10.1.0.3:8080"], None)
    assert at("n2", eps, nodes=nodes).topology == "zone"


def test_zone_hints_ignored_when_the_node_has_only_the_deprecated_zone_label() -> None:
    # kube-proxy reads topology.kubernetes.io/zone only (topology.go, LabelTopologyZone).
    legacy = node("n1", None, labels={"failure-domain.beta.kubernetes.io/zone": "z1"})
    eps = [
        endpoint("10.1.0.2", "n2", hint_zones=["z1"]),
        endpoint("10.1.0.3", "n3", hint_zones=["z2"]),
    ]
    c = at("n1", eps, nodes=(legacy, node("n2", "z1"), node("n3", "z2")))
    assert (addresses(c), c.topology) == (["10.1.0.2:8080", "10.1.0.3:8080"], None)


def test_fallback_ignores_hints() -> None:
    eps = [
        endpoint("10.1.0.1", "n1", ready=False, serving=True, terminating=True, hint_zones=["z1"]),
        endpoint("10.1.0.3", "n3", ready=False, serving=True, terminating=True, hint_zones=["z2"]),
    ]
    c = at("n1", eps)
    assert (addresses(c), c.fallback, c.topology) == (
        ["10.1.0.1:8080", "10.1.0.3:8080"],
        True,
        None,
    )


# ---------------------------------------------------------------- which policy governs what


def test_external_policy_governs_nodeport_and_internal_governs_clusterip() -> None:
    eps = [endpoint("10.1.0.1", "n1")]
    assert at("n3", eps, etp="Local").verdict == Verdict.DROP
    assert at("n3", eps, etp="Local", external=False).verdict == Verdict.FORWARD
    assert at("n3", eps, itp="Local").verdict == Verdict.FORWARD
    assert at("n3", eps, itp="Local", external=False).verdict == Verdict.DROP
    assert addresses(at("n1", eps, itp="Local", external=False)) == ["10.1.0.1:8080"]


# ---------------------------------------------------------------- the pure functions


def _t(
    ip: str,
    node_name: str | None,
    ready: bool = True,
    serving: bool | None = None,
    terminating: bool = False,
    zones: tuple[str, ...] = (),
) -> Target:
    return Target(
        ip,
        80,
        None,
        node_name,
        None,
        ready,
        ready if serving is None else serving,
        terminating,
        zones,
    )


@pytest.mark.parametrize(
    ("targets", "usable"),
    [
        ([], False),
        ([_t("a", "n1", ready=False)], False),
        ([_t("a", "n1", ready=False, serving=True, terminating=True)], True),
        ([_t("a", "n1")], True),
    ],
)
def test_has_usable(targets: list[Target], usable: bool) -> None:
    assert has_usable(targets) is usable


def test_topology_mode_without_ready_endpoints_is_none() -> None:
    assert topology_mode([_t("a", "n1", ready=False, zones=("z1",))], "n1", "z1") is None


def test_choose_local_without_a_node_name_drops() -> None:
    assert choose([_t("a", "n1")], "Local", None, "z1").verdict == Verdict.DROP
    assert choose([_t("a", "n1")], "Local", "n1", "z1").verdict == Verdict.FORWARD
