"""API dicts → records: the defaults the API server fills in, redaction, bad input.

Every parser is fed the smallest dict that shows one behaviour; a value of the wrong type
must come back as one `InputError` line naming the object, never a traceback.
"""

from __future__ import annotations

from typing import Any

import pytest

from kpath.cluster.parse import (
    Interner,
    parse_endpoints,
    parse_endpointslice,
    parse_ingress,
    parse_ingressclass,
    parse_node,
    parse_pod,
    parse_service,
    parser_of,
)
from kpath.cluster.raw import KINDS
from kpath.cluster.records import IngressBackend, LoadBalancerIngress, ObjectKey
from kpath.errors import InputError
from tests.builders import (
    Obj,
    backend,
    endpoint,
    endpoints_legacy,
    endpointslice,
    ingress,
    ingress_class,
    node,
    pod,
    rule,
    service,
    snapshot,
)

HOSTILE = ("[red]x[/]", "\x1b[31mred\x1b[0m", "[bold]\x1b]8;;http://x\x07y")


def _i() -> Interner:
    return Interner()


def test_every_kind_read_has_a_parser() -> None:
    # A kind's parser may live in another module (the Gateway API's are imported on first
    # use): each kind a source keeps (`raw.KINDS`) is parsed, none other.
    for kind in KINDS:
        assert callable(parser_of(kind)), kind
    for other in ("Deployment", "ConfigMap", "gateway"):
        with pytest.raises(KeyError):
            parser_of(other)


# ---------------------------------------------------------------- Node


def test_node_fields() -> None:
    raw = node("n1", "z1", ip="10.0.0.1")
    raw["spec"] = {"unschedulable": True}
    raw["status"]["addresses"].append({"type": "Hostname", "address": "n1.example.test"})
    n = parse_node(raw, _i())
    assert (n.name, n.zone, n.ready, n.unschedulable, n.ip) == ("n1", "z1", True, True, "10.0.0.1")
    assert n.address_of("Hostname", "InternalIP") == "n1.example.test"
    assert n.address_of("ExternalIP") is None


@pytest.mark.parametrize(
    ("conditions", "ready"),
    [
        ([{"type": "Ready", "status": "True"}], True),
        ([{"type": "Ready", "status": "False"}], False),
        ([{"type": "Ready", "status": "Unknown"}], False),
        ([{"type": "MemoryPressure", "status": "False"}], None),
        ([], None),
    ],
)
def test_node_readiness(conditions: list[Obj], ready: bool | None) -> None:
    raw = node("n1")
    raw["status"]["conditions"] = conditions
    assert parse_node(raw, _i()).ready is ready


def test_node_zone_is_the_ga_label_only() -> None:
    legacy = node("n1", None, labels={"failure-domain.beta.kubernetes.io/zone": "z9"})
    assert parse_node(legacy, _i()).zone is None
    assert parse_node(node("n1", "z1"), _i()).zone == "z1"


def test_redacted_node_address_is_unknown() -> None:
    n = parse_node(node("n1", ip="***HIDDEN***"), _i())
    assert n.addresses[0].address is None and n.ip is None


# ---------------------------------------------------------------- Pod


def test_pod_fields_and_defaults() -> None:
    p = parse_pod(
        pod(
            "a",
            "n1",
            "10.1.0.1",
            ports=[
                {"name": "http", "containerPort": 8080},
                {"containerPort": 53, "protocol": "UDP"},
            ],
        ),
        _i(),
    )
    assert (p.key, p.node, p.ip, p.phase, p.ready, p.terminating) == (
        ObjectKey("shop", "a"),
        "n1",
        "10.1.0.1",
        "Running",
        True,
        False,
    )
    assert [(c.name, c.port, c.protocol) for c in p.ports] == [
        ("http", 8080, "TCP"),
        (None, 53, "UDP"),
    ]
    bare = parse_pod({"metadata": {"name": "b"}}, _i())
    assert (bare.namespace, bare.phase, bare.ready, bare.ip, bare.node) == (
        "default",
        "Unknown",
        False,
        None,
        None,
    )


def test_pod_terminating_and_redacted() -> None:
    p = parse_pod(pod("a", "n1", "***HIDDEN***", terminating=True), _i())
    assert (p.terminating, p.ip) == (True, None)


def test_labels_are_shared_between_pods() -> None:
    i = _i()
    a, b = parse_pod(pod("a", "n1", "10.1.0.1"), i), parse_pod(pod("b", "n1", "10.1.0.2"), i)
    assert a.labels is b.labels and dict(a.labels) == {"app": "web"}


# ---------------------------------------------------------------- Service


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (None, 80),
        ("", 80),
        (8080, 8080),
        ("8080", 8080),
        ("http", "http"),
    ],
)
def test_service_target_port_defaults(target: Any, expected: int | str) -> None:
    port: Obj = {"port": 80}
    if target is not None:
        port["targetPort"] = target
    svc = parse_service(service("web", ports=[port]), _i())
    assert svc.ports[0].target_port == expected
    assert svc.ports[0].protocol == "TCP"


def test_service_defaults() -> None:
    svc = parse_service(
        {"metadata": {"name": "web", "namespace": "shop"}, "spec": {"ports": [{"port": 80}]}}, _i()
    )
    assert (
        svc.type,
        svc.external_traffic_policy,
        svc.internal_traffic_policy,
        svc.allocate_lb_node_ports,
        svc.selector,
        svc.session_affinity,
        svc.headless,
        svc.is_external,
    ) == ("ClusterIP", "Cluster", "Cluster", True, None, "None", False, False)


@pytest.mark.parametrize(
    ("etp", "expected"),
    [
        ("Local", "Local"),
        ("Cluster", "Cluster"),
        (None, "Cluster"),
        ("Global", "Cluster"),
    ],
)
def test_external_traffic_policy(etp: str | None, expected: str) -> None:
    assert (
        parse_service(service("web", "NodePort", etp=etp), _i()).external_traffic_policy == expected
    )


def test_service_addresses() -> None:
    raw = service(
        "web",
        "LoadBalancer",
        externalIPs=["198.51.100.1", "***HIDDEN***"],
        clusterIPs=["10.96.0.10", "fd00::10"],
        allocateLoadBalancerNodePorts=False,
        loadBalancerClass="example.test/lb",
    )
    raw["status"] = {
        "loadBalancer": {
            "ingress": [{"ip": "192.0.2.1", "ipMode": "Proxy"}, {"hostname": "lb.example.test"}]
        }
    }
    svc = parse_service(raw, _i())
    assert svc.cluster_ips == ("10.96.0.10", "fd00::10")
    assert svc.external_ips == ("198.51.100.1",)
    assert svc.load_balancer_ingress == (
        LoadBalancerIngress("192.0.2.1", None, "Proxy"),
        LoadBalancerIngress(None, "lb.example.test", None),
    )
    assert [i.address for i in svc.load_balancer_ingress] == ["192.0.2.1", "lb.example.test"]
    assert (svc.allocate_lb_node_ports, svc.load_balancer_class, svc.is_external) == (
        False,
        "example.test/lb",
        True,
    )


def test_headless_service() -> None:
    svc = parse_service(service("web", clusterIP="None"), _i())
    assert (svc.headless, svc.cluster_ips) == (True, ())


def test_service_keeps_only_annotations_that_shape_traffic() -> None:
    raw = service("web")
    raw["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/last-applied-configuration": "{...}",
        "team": "shop",
        "meta.helm.sh/release-name": "web",
        "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
    }
    assert dict(parse_service(raw, _i()).annotations) == {
        "service.beta.kubernetes.io/aws-load-balancer-type": "nlb"
    }


def test_ingress_drops_the_last_applied_copy() -> None:
    raw = ingress("web", rules=[])
    raw["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/last-applied-configuration": "{...}",
        "team": "shop",
    }
    assert dict(parse_ingress(raw, _i()).annotations) == {"team": "shop"}


# ---------------------------------------------------------------- EndpointSlice


@pytest.mark.parametrize(
    ("ready", "serving", "terminating", "expected"),
    [
        (None, None, None, (True, True, False)),
        (False, None, None, (False, True, False)),  # kube-proxy: nil serving is true
        (True, False, None, (True, False, False)),
        (False, True, True, (False, True, True)),
        (False, False, True, (False, False, True)),
    ],
)
def test_endpoint_condition_defaults(
    ready: bool | None,
    serving: bool | None,
    terminating: bool | None,
    expected: tuple[bool, bool, bool],
) -> None:
    raw = endpointslice(
        "web", [endpoint("10.1.0.1", "n1", ready=ready, serving=serving, terminating=terminating)]
    )
    (ep,) = parse_endpointslice(raw, _i()).endpoints
    assert (ep.ready, ep.serving, ep.terminating) == expected


def test_endpoint_without_conditions_is_ready() -> None:
    raw = endpointslice("web", [{"addresses": ["10.1.0.1"]}])
    (ep,) = parse_endpointslice(raw, _i()).endpoints
    assert (ep.ready, ep.serving, ep.terminating, ep.node) == (True, True, False, None)


def test_endpointslice_fields() -> None:
    raw = endpointslice(
        "web",
        [endpoint("10.1.0.1", "n1", "a", zone="z1", hint_zones=["z1"], hint_nodes=["n1"])],
        port_name="",
    )
    raw["endpoints"][0]["targetRef"].pop("namespace")
    s = parse_endpointslice(raw, _i())
    (ep,) = s.endpoints
    assert (s.service, s.origin, s.ports[0].name, s.ports[0].port) == (
        "web",
        "EndpointSlice",
        None,
        8080,
    )
    assert (ep.zone, ep.hint_zones, ep.hint_nodes, ep.target_kind, ep.target) == (
        "z1",
        ("z1",),
        ("n1",),
        "Pod",
        ObjectKey("shop", "a"),
    )


def test_legacy_endpoints() -> None:
    (s,) = parse_endpoints(
        endpoints_legacy("web", ready=[("10.1.0.1", "n1")], not_ready=[("10.1.0.2", None)]), _i()
    )
    assert s.origin == "Endpoints" and s.service == "web"
    assert [
        (e.address, e.ready, e.serving, e.terminating, e.node, e.hint_zones) for e in s.endpoints
    ] == [("10.1.0.1", True, True, False, "n1", ()), ("10.1.0.2", False, False, False, None, ())]


# ---------------------------------------------------------------- Ingress, IngressClass


def test_ingress_fields() -> None:
    raw = ingress(
        "shop",
        class_name="nginx",
        tls_hosts=["a.test"],
        lb_ip="192.0.2.5",
        default_backend=backend("web", "http"),
        rules=[rule("a.test", ("/x", "Exact", backend("web", 80)))],
    )
    raw["spec"]["rules"][0]["http"]["paths"].append({"backend": backend("web", 80)})
    ing = parse_ingress(raw, _i())
    assert (ing.class_name, ing.class_from_annotation, ing.tls_hosts) == (
        "nginx",
        False,
        ("a.test",),
    )
    assert ing.default_backend == IngressBackend("web", None, "http", None)
    (r,) = ing.rules
    assert [(p.path, p.path_type, p.backend.port_number) for p in r.paths] == [
        ("/x", "Exact", 80),
        ("/", "ImplementationSpecific", 80),
    ]
    assert ing.load_balancer_ingress[0].ip == "192.0.2.5"


def test_ingress_class_from_legacy_annotation_and_v1beta1_backend() -> None:
    raw = ingress("shop", annotations={"kubernetes.io/ingress.class": "nginx"})
    raw["spec"]["backend"] = {"serviceName": "web", "servicePort": 80}
    ing = parse_ingress(raw, _i())
    assert (ing.class_name, ing.class_from_annotation) == ("nginx", True)
    assert ing.default_backend == IngressBackend("web", 80, None, None)


def test_ingress_resource_backend_label() -> None:
    raw = ingress("shop", default_backend={"resource": {"kind": "Bucket", "name": "b"}})
    b = parse_ingress(raw, _i()).default_backend
    assert b is not None and b.label() == "resource Bucket/b"


def test_ingress_class_default() -> None:
    assert parse_ingressclass(ingress_class("a", "x/y", default=True), _i()).is_default
    c = parse_ingressclass(ingress_class("b", "x/y"), _i())
    assert (c.name, c.controller, c.is_default) == ("b", "x/y", False)


# ---------------------------------------------------------------- bad input


def _ing(**spec: Any) -> Obj:
    return {**ingress("web"), "spec": spec}


@pytest.mark.parametrize(
    ("obj", "words"),
    [
        pytest.param(
            {"kind": "Node", "metadata": {}},
            ["Node #1", "metadata.name is missing"],
            id="node-without-name",
        ),
        pytest.param(
            {**service("web"), "spec": {"ports": [{"port": "eighty"}]}},
            ["Service shop/web", "spec.ports[0].port is a string, not a port number"],
            id="port-not-a-number",
        ),
        pytest.param(
            {**service("web"), "spec": {"ports": [{"port": 70000}]}},
            ["Service shop/web", "spec.ports[0].port is a number, not a port number"],
            id="port-out-of-range",
        ),
        pytest.param(
            {**service("web"), "spec": {"ports": [{"port": True}]}},
            ["spec.ports[0].port is a boolean"],
            id="port-a-boolean",
        ),
        pytest.param(
            {**pod("a", "n1", "10.1.0.1"), "metadata": {"name": "a", "labels": ["x"]}},
            ["Pod default/a", "metadata.labels is a list, not a mapping"],
            id="labels-not-a-mapping",
        ),
        pytest.param(
            {**endpointslice("web", []), "endpoints": [{"conditions": "yes"}]},
            ["EndpointSlice shop/web-abc", "endpoints[0].conditions is a string"],
            id="conditions-not-a-mapping",
        ),
        pytest.param(
            {"kind": "Pod", "metadata": "nope"},
            ["Pod #1", "metadata is a string, not a mapping"],
            id="metadata-not-a-mapping",
        ),
        # The four places issue 9 found with mutated real dumps:
        pytest.param(
            _ing(rules=[{"host": [None]}]),
            ["Ingress shop/web", "spec.rules[0].host is a list, not a string"],
            id="ingress-host-list",
        ),
        pytest.param(
            _ing(rules=[{"host": {"a": "b"}}]),
            ["spec.rules[0].host is a mapping, not a string"],
            id="ingress-host-mapping",
        ),
        pytest.param(
            _ing(defaultBackend={"service": {"name": [], "port": {"number": 80}}}),
            ["spec.defaultBackend.service.name is a list, not a string"],
            id="backend-service-name-list",
        ),
        pytest.param(
            _ing(ingressClassName=[None]),
            ["spec.ingressClassName is a list, not a string"],
            id="ingress-class-list",
        ),
        pytest.param(
            {
                **endpointslice("web", []),
                "metadata": {
                    "name": "s",
                    "namespace": "shop",
                    "labels": {"kubernetes.io/service-name": ["web"]},
                },
            },
            [
                "EndpointSlice shop/s",
                "metadata.labels['kubernetes.io/service-name'] is a list, not a string",
            ],
            id="service-name-label-list",
        ),
        pytest.param(
            {**node("n1"), "status": {"conditions": [{"type": "Ready", "status": True}]}},
            ["Node n1", "status.conditions[0].status is a boolean, not a string"],
            id="condition-status-boolean",
        ),
        pytest.param(
            _ing(rules=[{"http": {"paths": [{"backend": {"service": {}}}]}}]),
            ["spec.rules[0].http.paths[0].backend.service.name is missing"],
            id="backend-without-name",
        ),
    ],
)
def test_bad_values_are_one_input_error_naming_the_object(obj: Obj, words: list[str]) -> None:
    with pytest.raises(InputError) as err:
        snapshot(obj)
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith("test: ")  # the source (a dump's file name; here the test's origin)
    for w in words:
        assert w in msg


@pytest.mark.parametrize(
    ("obj", "check"),
    [
        pytest.param(
            _ing(rules=[{"host": None, "http": None}], ingressClassName=None),
            lambda s: s.ingresses[0].rules[0].host is None and s.ingresses[0].class_name is None,
            id="ingress-nulls",
        ),
        pytest.param(
            {
                **service("web"),
                "metadata": {"name": "web", "namespace": "shop", "labels": {"a": None}},
            },
            lambda s: dict(s.services[ObjectKey("shop", "web")].labels) == {"a": ""},
            id="null-label-is-empty",
        ),
        pytest.param(
            {**pod("a", "n1", "10.1.0.1"), "spec": {"containers": [None], "nodeName": None}},
            lambda s: s.pods[ObjectKey("shop", "a")].node is None,
            id="null-list-item",
        ),
        pytest.param(
            service("web", externalIPs=[None, "192.0.2.1"]),
            lambda s: s.services[ObjectKey("shop", "web")].external_ips == ("192.0.2.1",),
            id="null-string-in-list",
        ),
    ],
)
def test_null_is_absent(obj: Obj, check: Any) -> None:
    """As the API server's decoder reads it: null is the field left out."""
    assert check(snapshot(obj))


# ---------------------------------------------------------------- hostile text


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_survive_parsing_unchanged(text: str) -> None:
    i = _i()
    n = parse_node(node(f"n-{text}", zone=text), i)
    p = parse_pod(pod(text, n.name, "10.1.0.1", labels={"app": text}), i)
    svc = parse_service(service(text, selector={"app": text}), i)
    ing = parse_ingress(
        ingress(
            text,
            class_name=text,
            rules=[rule(f"{text}.test", (f"/{text}", "Prefix", backend(text, text)))],
        ),
        i,
    )
    assert (n.name, n.zone) == (f"n-{text}", text)
    assert (p.name, p.node, dict(p.labels)) == (text, f"n-{text}", {"app": text})
    assert (svc.name, dict(svc.selector or {})) == (text, {"app": text})
    (r,) = ing.rules
    assert (ing.name, ing.class_name, r.host, r.paths[0].path, r.paths[0].backend.port_name) == (
        text,
        text,
        f"{text}.test",
        f"/{text}",
        text,
    )
