"""Service port → endpoint addresses, as kube-proxy programs them.

Covers slice port matching by name, named targetPorts resolved per pod (when kpath derives
endpoints from pods), legacy Endpoints, redacted addresses, and kube-proxy's own reading
of slices: the first address only, ports without a number ignored, each ip:port once.
"""

from __future__ import annotations

import pytest

from kpath.cluster.records import ContainerPort, Pod, ServicePort
from kpath.routing.kubeproxy import Verdict
from kpath.routing.targets import resolve_port
from tests.builders import (
    Obj,
    addresses,
    analysed,
    choice_at,
    endpoint,
    endpoints_legacy,
    endpointslice,
    key,
    node,
    pod,
    service,
)

NODES = (node("n1", "z1"), node("n2", "z1"))
POD_ONLY = ("Node", "Pod", "Service")
LEGACY = ("Node", "Pod", "Service", "Endpoints")
BOTH = ("Node", "Pod", "Service", "EndpointSlice", "Endpoints")

TWO_PORTS = [
    {"name": "http", "port": 80, "targetPort": "web", "protocol": "TCP"},
    {"name": "metrics", "port": 9100, "targetPort": 9100, "protocol": "TCP"},
]


def targets(
    *objects: Obj,
    kinds: tuple[str, ...] = ("Node", "Pod", "Service", "EndpointSlice"),
    port: int = 0,
) -> list[str]:
    a = analysed(*objects, kinds=kinds)
    return sorted(t.endpoint for t in a.routes[key("web")][port].targets)


def test_slice_ports_matched_by_service_port_name() -> None:
    objs = (
        *NODES,
        service("web", ports=TWO_PORTS),
        endpointslice(
            "web",
            [endpoint("10.1.0.1", "n1")],
            ports=[
                {"name": "metrics", "port": 9100, "protocol": "TCP"},
                {"name": "http", "port": 8080, "protocol": "TCP"},
            ],
        ),
    )
    assert targets(*objs, port=0) == ["10.1.0.1:8080"]
    assert targets(*objs, port=1) == ["10.1.0.1:9100"]


def test_slice_port_of_another_protocol_does_not_match() -> None:
    objs = (
        *NODES,
        service("web"),
        endpointslice(
            "web",
            [endpoint("10.1.0.1", "n1")],
            ports=[{"name": "", "port": 8080, "protocol": "UDP"}],
        ),
    )
    assert targets(*objs) == []


@pytest.mark.parametrize(
    "ports",
    [
        pytest.param([], id="no-ports"),
        pytest.param([{"name": "", "protocol": "TCP"}], id="port-without-number"),
    ],
)
def test_slice_without_a_port_number_gives_no_endpoints(ports: list[Obj]) -> None:
    # kube-proxy skips such ports ("TODO: handle nil ports to mean all"): every node rejects.
    a = analysed(
        *NODES,
        service("web", "NodePort"),
        endpointslice("web", [endpoint("10.1.0.1", "n1")], ports=ports),
    )
    assert a.routes[key("web")][0].targets == ()
    assert choice_at(a, "web", "n1").verdict == Verdict.REJECT


def test_only_the_first_address_of_an_endpoint_is_programmed() -> None:
    objs = (
        *NODES,
        service("web"),
        endpointslice("web", [endpoint(["10.1.0.1", "10.1.0.99"], "n1")]),
    )
    assert targets(*objs) == ["10.1.0.1:8080"]


def test_an_address_in_two_slices_is_programmed_once() -> None:
    objs = (
        *NODES,
        service("web"),
        endpointslice("web", [endpoint("10.1.0.1", "n1")], suffix="a"),
        endpointslice("web", [endpoint("10.1.0.1", "n1"), endpoint("10.1.0.2", "n2")], suffix="b"),
    )
    assert targets(*objs) == ["10.1.0.1:8080", "10.1.0.2:8080"]


# ---------------------------------------------------------------- named targetPort


def _named_pods() -> tuple[Obj, ...]:
    return (
        pod("a", "n1", "10.1.0.1", ports=[{"name": "web", "containerPort": 8080}]),
        pod("b", "n2", "10.1.0.2", ports=[{"name": "web", "containerPort": 9090}]),
    )


def test_named_target_port_resolves_per_pod_in_a_derived_slice() -> None:
    a = analysed(*NODES, service("web", ports=TWO_PORTS), *_named_pods(), kinds=POD_ONLY)
    http, metrics = a.routes[key("web")]
    assert sorted(t.endpoint for t in http.targets) == ["10.1.0.1:8080", "10.1.0.2:9090"]
    assert sorted(t.endpoint for t in metrics.targets) == ["10.1.0.1:9100", "10.1.0.2:9100"]
    assert {str(t.pod) for t in http.targets} == {"shop/a", "shop/b"}
    assert [f.code for f in a.findings if f.code == "KP105"] == []
    assert "KP302" in {f.code for f in a.findings}


def test_named_target_port_no_container_exposes_is_kp105() -> None:
    pods = (
        pod("a", "n1", "10.1.0.1", ports=[{"name": "web", "containerPort": 8080}]),
        pod("c", "n2", "10.1.0.3", ports=[{"name": "http", "containerPort": 8080}]),
    )
    a = analysed(*NODES, service("web", ports=TWO_PORTS[:1]), *pods, kinds=POD_ONLY)
    assert sorted(t.endpoint for t in a.routes[key("web")][0].targets) == [
        "10.1.0.1:8080",
        "10.1.0.3:?",
    ]
    kp105 = [f for f in a.findings if f.code == "KP105"]
    assert len(kp105) == 1
    assert "shop/c" in kp105[0].message and "'web'" in kp105[0].message
    assert "shop/a" not in kp105[0].message
    assert kp105[0].service == key("web") and kp105[0].port == "http:80/TCP"


@pytest.mark.parametrize(
    ("target", "ports", "protocol", "expected"),
    [
        (8080, (), "TCP", 8080),
        ("web", (ContainerPort("web", 3000, "TCP"),), "TCP", 3000),
        ("web", (ContainerPort("web", 3000, "UDP"),), "TCP", None),
        ("web", (ContainerPort("other", 3000, "TCP"),), "TCP", None),
    ],
)
def test_resolve_port(
    target: int | str, ports: tuple[ContainerPort, ...], protocol: str, expected: int | None
) -> None:
    p = Pod("shop", "a", "n1", "10.1.0.1", False, "Running", True, False, {}, ports)
    sp = ServicePort("http", protocol, 80, target, None, None)
    assert resolve_port(sp, p) == expected


def test_resolve_named_port_without_a_pod_is_unknown() -> None:
    assert resolve_port(ServicePort(None, "TCP", 80, "web", None, None), None) is None


# ---------------------------------------------------------------- legacy Endpoints


def test_legacy_endpoints_ready_addresses_only() -> None:
    a = analysed(
        *NODES,
        service("web", "NodePort"),
        endpoints_legacy("web", ready=[("10.1.0.1", "n1")], not_ready=[("10.1.0.2", "n2")]),
        kinds=LEGACY,
    )
    c = choice_at(a, "web", "n2")
    assert (c.verdict, addresses(c)) == (Verdict.FORWARD, ["10.1.0.1:8080"])


def test_legacy_endpoints_not_ready_only_rejects() -> None:
    a = analysed(
        *NODES,
        service("web", "NodePort"),
        endpoints_legacy("web", not_ready=[("10.1.0.2", "n2")]),
        kinds=LEGACY,
    )
    assert choice_at(a, "web", "n2").verdict == Verdict.REJECT
    assert "KP102" in {f.code for f in a.findings}


def test_slices_preferred_over_legacy_endpoints() -> None:
    a = analysed(
        *NODES,
        service("web"),
        endpointslice("web", [endpoint("10.1.0.5", "n1")]),
        endpoints_legacy("web", ready=[("10.1.0.1", "n1")]),
        kinds=BOTH,
    )
    assert sorted(t.endpoint for t in a.routes[key("web")][0].targets) == ["10.1.0.5:8080"]
    assert a.snapshot.endpoint_origin(key("web")) == "EndpointSlice"


def test_legacy_endpoints_used_for_a_service_without_slices() -> None:
    a = analysed(
        *NODES,
        service("web"),
        service("api"),
        endpointslice("web", [endpoint("10.1.0.5", "n1")]),
        endpoints_legacy("api", ready=[("10.1.0.1", "n1")]),
        kinds=BOTH,
    )
    assert [t.endpoint for t in a.routes[key("api")][0].targets] == ["10.1.0.1:8080"]
    assert a.snapshot.endpoint_origin(key("api")) == "Endpoints"


# ---------------------------------------------------------------- redacted addresses


def test_redacted_addresses_are_unknown_not_a_crash() -> None:
    a = analysed(
        *NODES,
        service("web", "NodePort"),
        endpointslice(
            "web", [endpoint("***HIDDEN***", "n1", "a"), endpoint("***HIDDEN***", "n2", "b")]
        ),
    )
    ts = a.routes[key("web")][0].targets
    # Two unknown addresses stay two endpoints: they are not the same one.
    assert [(t.address, t.endpoint) for t in ts] == [(None, "?:8080"), (None, "?:8080")]
    c = choice_at(a, "web", "n1")
    assert c.verdict == Verdict.FORWARD and len(c.targets) == 2


def test_redacted_pod_ip_in_a_derived_slice() -> None:
    a = analysed(*NODES, service("web"), pod("a", "n1", "***HIDDEN***"), kinds=POD_ONLY)
    (t,) = a.routes[key("web")][0].targets
    assert (t.address, t.port, str(t.pod)) == (None, 8080, "shop/a")


# ---------------------------------------------------------------- derived readiness


@pytest.mark.parametrize(
    ("ready", "terminating", "publish", "expected"),
    [
        (True, False, False, (True, True, False)),
        (False, False, False, (False, False, False)),
        (True, True, False, (False, True, True)),
        (False, True, False, (False, False, True)),
        (False, False, True, (True, False, False)),
        (True, True, True, (True, True, True)),
    ],
)
def test_derived_conditions_follow_the_endpointslice_controller(
    ready: bool, terminating: bool, publish: bool, expected: tuple[bool, bool, bool]
) -> None:
    svc = service("web", publishNotReadyAddresses=publish)
    a = analysed(
        *NODES,
        svc,
        pod("a", "n1", "10.1.0.1", ready=ready, terminating=terminating),
        kinds=POD_ONLY,
    )
    (t,) = a.routes[key("web")][0].targets
    assert (t.ready, t.serving, t.terminating) == expected


@pytest.mark.parametrize("phase", ["Succeeded", "Failed"])
def test_finished_pods_are_not_endpoints(phase: str) -> None:
    a = analysed(
        *NODES, service("web"), pod("a", "n1", "10.1.0.1", phase=phase, ready=False), kinds=POD_ONLY
    )
    assert a.routes[key("web")][0].targets == ()
