"""The lab's object builders: lab state in, API objects out, as plain functions."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from kpath.errors import InputError
from kpath.lab.addresses import AddressPlan
from kpath.lab.objects import (
    EndpointGroup,
    LabNode,
    PodState,
    class_served,
    endpoint_conditions,
    endpoint_groups,
    endpoint_slice,
    ingress_class,
    ingress_object,
    meta_of,
    namespace_object,
    node_labels,
    node_object,
    pod_object,
    resolve_target_port,
    selector_matches,
    service_object,
)

PLAN = AddressPlan(77)
NODES = [LabNode("n1", "z1", 0, "127.77.0.1"), LabNode("n2", "z2", 1, "127.77.0.2")]
T0 = "2025-01-01T00:00:00Z"


def pod(
    name: str,
    node: int | None = 0,
    ip: str | None = "127.77.10.1",
    *,
    ns: str = "default",
    labels: dict[str, str] | None = None,
    ports: list[dict[str, Any]] | None = None,
    **state: Any,
) -> PodState:
    spec = {
        "containers": [
            {
                "name": "c",
                "image": "img",
                "ports": ports if ports is not None else [{"name": "http", "containerPort": 8080}],
            }
        ]
    }
    return PodState(
        ns,
        name,
        labels if labels is not None else {"app": "web"},
        {},
        spec,
        f"uid-{name}",
        T0,
        None,
        None,
        node,
        ip,
        **state,
    )


def service(**spec: Any) -> dict[str, Any]:
    spec.setdefault("selector", {"app": "web"})
    spec.setdefault(
        "ports", [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]
    )
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "uid": "svc-uid",
            "creationTimestamp": T0,
            "labels": {"team": "a"},
        },
        "spec": spec,
    }


class Allocator:
    """Counts what `service_object` asks for, handing out predictable values."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self._ports = itertools.count(30000)

    def cluster_ip(self) -> str:
        self.calls.append("cluster_ip")
        return "127.77.200.1"

    def node_port(self) -> int:
        self.calls.append("node_port")
        return next(self._ports)

    def lb_ip(self) -> str:
        self.calls.append("lb_ip")
        return "127.77.250.1"


def build(manifest: dict[str, Any], *, pending: bool = False) -> tuple[dict[str, Any], list[str]]:
    alloc = Allocator()
    obj = service_object(
        manifest,
        "default/web",
        cluster_ip=alloc.cluster_ip,
        node_port=alloc.node_port,
        lb_ip=None if pending else alloc.lb_ip,
    )
    return obj, alloc.calls


# ---------------------------------------------------------------- selectors and ports
def test_meta_of_tolerates_missing_or_malformed_metadata() -> None:
    assert meta_of({"metadata": {"name": "a"}}) == {"name": "a"}
    assert meta_of({}) == {}
    assert meta_of({"metadata": "oops"}) == {}


def test_named_target_port_resolves_through_container_port_names() -> None:
    spec = {
        "containers": [
            {"name": "a", "ports": [{"name": "web", "containerPort": 9000}]},
            {"name": "b", "ports": [{"name": "dns", "containerPort": 53, "protocol": "UDP"}]},
        ]
    }
    assert resolve_target_port({"port": 80, "targetPort": "web"}, spec) == 9000
    assert resolve_target_port({"port": 80, "targetPort": 7000}, spec) == 7000
    assert resolve_target_port({"port": 80, "targetPort": "7001"}, spec) == 7001
    assert resolve_target_port({"port": 81}, spec) == 81
    assert resolve_target_port({"port": 80, "targetPort": "missing"}, spec) is None
    # protocol must match too
    assert resolve_target_port({"port": 53, "targetPort": "dns"}, spec) is None
    assert resolve_target_port({"port": 53, "targetPort": "dns", "protocol": "UDP"}, spec) == 53


def test_endpoint_conditions_follow_the_endpointslice_controller() -> None:
    assert endpoint_conditions(pod_ready=True, terminating=False, publish_not_ready=False) == {
        "ready": True,
        "serving": True,
        "terminating": False,
    }
    assert endpoint_conditions(pod_ready=True, terminating=True, publish_not_ready=False) == {
        "ready": False,
        "serving": True,
        "terminating": True,
    }
    assert endpoint_conditions(pod_ready=False, terminating=False, publish_not_ready=False) == {
        "ready": False,
        "serving": False,
        "terminating": False,
    }
    assert endpoint_conditions(pod_ready=False, terminating=False, publish_not_ready=True) == {
        "ready": True,
        "serving": True,
        "terminating": False,
    }


def test_selectors() -> None:
    assert selector_matches({"app": "a"}, {"app": "a", "x": "y"})
    assert not selector_matches({"app": "a"}, {"app": "b"})
    assert not selector_matches({}, {"app": "a"})  # an empty service selector selects nothing
    assert not selector_matches(None, {"app": "a"})
    assert selector_matches({"port": 80}, {"port": "80"})  # values compare as strings


@pytest.mark.parametrize(
    ("expr", "labels", "expected"),
    [
        ({"key": "t", "operator": "In", "values": ["1", "2"]}, {"t": "2"}, True),
        ({"key": "t", "operator": "In", "values": ["1", "2"]}, {"t": "3"}, False),
        ({"key": "t", "operator": "NotIn", "values": ["1"]}, {"t": "2"}, True),
        ({"key": "t", "operator": "NotIn", "values": ["1"]}, {"t": "1"}, False),
        ({"key": "t", "operator": "Exists"}, {"t": ""}, True),
        ({"key": "t", "operator": "Exists"}, {}, False),
        ({"key": "t", "operator": "DoesNotExist"}, {}, True),
        ({"key": "t", "operator": "DoesNotExist"}, {"t": "x"}, False),
    ],
)
def test_match_expressions(expr: dict[str, Any], labels: dict[str, str], expected: bool) -> None:
    assert selector_matches({"matchExpressions": [expr]}, labels) is expected


def test_match_labels_and_expressions_must_all_hold() -> None:
    selector = {
        "matchLabels": {"app": "a"},
        "matchExpressions": [{"key": "tier", "operator": "Exists"}],
    }
    assert selector_matches(selector, {"app": "a", "tier": "web"})
    assert not selector_matches(selector, {"app": "a"})
    assert not selector_matches(selector, {"app": "b", "tier": "web"})


# ---------------------------------------------------------------- nodes, pods, namespaces
def test_node_labels_are_the_kubelets_with_the_scenarios_on_top() -> None:
    node = LabNode(
        "n1",
        "z1",
        0,
        "127.77.0.1",
        labels={"pool": "gpu", "node.kubernetes.io/instance-type": "big"},
    )
    labels = node_labels(node)
    assert labels["kubernetes.io/hostname"] == "n1"
    assert labels["topology.kubernetes.io/zone"] == "z1"
    assert labels["pool"] == "gpu"
    assert labels["node.kubernetes.io/instance-type"] == "big"


def test_node_object_reports_address_pod_cidr_and_readiness() -> None:
    node = LabNode("n2", "z2", 1, "127.77.0.2")
    obj = node_object(node, uid="u-1-2", created=T0, plan=PLAN)
    assert obj["metadata"]["name"] == "n2" and obj["metadata"]["uid"] == "u-1-2"
    assert obj["metadata"]["labels"] == node_labels(node)
    assert obj["spec"]["podCIDR"] == "127.77.11.0/24"  # node index 1 → pod octet 11
    assert obj["status"]["addresses"] == [
        {"type": "InternalIP", "address": "127.77.0.2"},
        {"type": "Hostname", "address": "n2"},
    ]
    assert obj["status"]["nodeInfo"]["machineID"] == "u12"
    statuses = {c["type"]: c["status"] for c in obj["status"]["conditions"]}
    assert statuses == {
        "MemoryPressure": "False",
        "DiskPressure": "False",
        "PIDPressure": "False",
        "Ready": "True",
    }

    node.ready = False
    down = node_object(node, uid="u-1-2", created=T0, plan=PLAN)
    assert {c["status"] for c in down["status"]["conditions"]} == {"Unknown"}
    assert {c["reason"] for c in down["status"]["conditions"]} == {"NodeStatusUnknown"}


def test_running_pod_has_its_node_and_addresses() -> None:
    p = pod("web-1", node=1, ip="127.77.11.5")
    obj = pod_object(p, NODES[1], node_count=2)
    status = obj["status"]
    assert status["phase"] == "Running"
    assert (status["hostIP"], status["podIP"]) == ("127.77.0.2", "127.77.11.5")
    assert status["podIPs"] == [{"ip": "127.77.11.5"}]
    assert {c["type"]: c["status"] for c in status["conditions"]}["Ready"] == "True"
    assert status["containerStatuses"][0]["ready"] is True
    assert obj["spec"]["restartPolicy"] == "Always"
    assert "restartPolicy" not in p.spec  # defaults go on a copy, not the scheduler's state
    assert "deletionTimestamp" not in obj["metadata"]
    assert "ownerReferences" not in obj["metadata"]


@pytest.mark.parametrize(
    ("state", "node_ready"), [({"ready": False}, True), ({"terminating": True}, True), ({}, False)]
)
def test_pod_is_unready_when_itself_unready_terminating_or_on_a_notready_node(
    state: dict[str, bool], node_ready: bool
) -> None:
    node = LabNode("n1", "z1", 0, "127.77.0.1", ready=node_ready)
    obj = pod_object(pod("web-1", **state), node, node_count=1)
    assert {c["type"]: c["status"] for c in obj["status"]["conditions"]}["Ready"] == "False"
    assert obj["status"]["containerStatuses"][0]["ready"] is False
    assert ("deletionTimestamp" in obj["metadata"]) is bool(state.get("terminating"))


def test_owned_pod_has_owner_reference_and_generate_name() -> None:
    p = pod("web-7d9f-abcde")
    p.owner = {"kind": "ReplicaSet", "name": "web-7d9f"}
    meta = pod_object(p, NODES[0], node_count=2)["metadata"]
    assert meta["ownerReferences"] == [{"kind": "ReplicaSet", "name": "web-7d9f"}]
    assert meta["generateName"] == "web-7d9f-"


def test_unscheduled_pod_is_pending() -> None:
    obj = pod_object(pod("web-1", node=None, ip=None), None, node_count=3)
    assert obj["status"]["phase"] == "Pending"
    (cond,) = obj["status"]["conditions"]
    assert (cond["type"], cond["status"], cond["reason"]) == (
        "PodScheduled",
        "False",
        "Unschedulable",
    )
    assert cond["message"] == "0/3 nodes are available."
    assert "podIP" not in obj["status"]


def test_namespace_object_carries_its_name_label() -> None:
    obj = namespace_object("shop", uid="u", created=T0, labels={"team": "a"})
    assert obj["metadata"]["labels"] == {"kubernetes.io/metadata.name": "shop", "team": "a"}
    assert obj["metadata"]["uid"] == "u" and obj["status"] == {"phase": "Active"}


# ---------------------------------------------------------------- services
def test_cluster_ip_service_gets_defaults_and_one_address() -> None:
    manifest = service(clusterIP="10.0.0.1")
    manifest["spec"]["ports"] = [{"port": 80, "nodePort": 30001}]
    obj, calls = build(manifest)
    spec = obj["spec"]
    assert calls == ["cluster_ip"]
    assert spec["clusterIP"] == "127.77.200.1" and spec["clusterIPs"] == ["127.77.200.1"]
    assert spec["type"] == "ClusterIP" and spec["sessionAffinity"] == "None"
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    assert spec["internalTrafficPolicy"] == "Cluster"
    assert "externalTrafficPolicy" not in spec
    assert obj["status"] == {"loadBalancer": {}}
    assert manifest["spec"]["clusterIP"] == "10.0.0.1"  # the manifest itself is untouched


def test_headless_and_external_name_services_get_no_cluster_ip() -> None:
    headless, calls = build(service(clusterIP="None"))
    assert calls == [] and headless["spec"]["clusterIPs"] == ["None"]
    ext, calls = build(
        service(
            type="ExternalName",
            externalName="example.com",
            clusterIP="10.0.0.1",
            ports=[{"port": 80}],
        )
    )
    assert calls == []
    assert "clusterIP" not in ext["spec"] and "ipFamilies" not in ext["spec"]
    assert ext["spec"]["ports"] == [{"port": 80, "protocol": "TCP"}]  # no targetPort default


def test_node_port_service_allocates_missing_node_ports_only() -> None:
    manifest = service(type="NodePort", ports=[{"port": 80}, {"port": 81, "nodePort": 31000}])
    obj, calls = build(manifest)
    assert calls == ["cluster_ip", "node_port"]
    assert [p["nodePort"] for p in obj["spec"]["ports"]] == [30000, 31000]
    assert obj["spec"]["externalTrafficPolicy"] == "Cluster"
    assert "healthCheckNodePort" not in obj["spec"]


def test_local_load_balancer_gets_health_check_port_and_address() -> None:
    obj, calls = build(
        service(type="LoadBalancer", externalTrafficPolicy="Local", loadBalancerIP="1.2.3.4")
    )
    assert calls == ["cluster_ip", "node_port", "node_port", "lb_ip"]
    assert obj["spec"]["ports"][0]["nodePort"] == 30000
    assert obj["spec"]["healthCheckNodePort"] == 30001
    assert obj["spec"]["allocateLoadBalancerNodePorts"] is True
    assert obj["spec"]["loadBalancerIP"] == "1.2.3.4"  # only a LoadBalancer keeps it
    assert obj["status"]["loadBalancer"] == {"ingress": [{"ip": "127.77.250.1", "ipMode": "VIP"}]}


def test_load_balancer_options() -> None:
    pending, calls = build(service(type="LoadBalancer"), pending=True)
    assert "lb_ip" not in calls and pending["status"] == {"loadBalancer": {}}
    direct, calls = build(service(type="LoadBalancer", allocateLoadBalancerNodePorts=False))
    assert calls == ["cluster_ip", "lb_ip"]
    assert "nodePort" not in direct["spec"]["ports"][0]
    # a ClusterIP service drops node-port and load-balancer fields it cannot use
    plain, _ = build(service(healthCheckNodePort=32000, loadBalancerIP="1.2.3.4"))
    assert "healthCheckNodePort" not in plain["spec"]
    assert "loadBalancerIP" not in plain["spec"]


def test_invalid_services_fail_before_allocating() -> None:
    alloc = Allocator()
    with pytest.raises(InputError, match="unknown type 'Weird'"):
        service_object(
            service(type="Weird"),
            "default/web",
            cluster_ip=alloc.cluster_ip,
            node_port=alloc.node_port,
            lb_ip=alloc.lb_ip,
        )
    with pytest.raises(InputError, match="port #2 has no numeric 'port'"):
        service_object(
            service(type="NodePort", ports=[{"port": 80}, {"port": "http"}]),
            "default/web",
            cluster_ip=alloc.cluster_ip,
            node_port=alloc.node_port,
            lb_ip=alloc.lb_ip,
        )
    assert alloc.calls == []


# ---------------------------------------------------------------- endpoint slices
def test_endpoint_groups_take_matching_running_pods_of_the_namespace() -> None:
    pods = [
        pod("b", node=1, ip="127.77.11.1"),
        pod("a", node=0, ip="127.77.10.1"),
        pod("other-ns", ns="shop"),
        pod("pending", node=None, ip=None),
        pod("unlabelled", labels={"app": "db"}),
    ]
    (group,) = endpoint_groups(service(), pods, NODES)
    assert group.signature == (("http", 8080, "TCP"),)
    assert group.ports == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    assert [ep["targetRef"]["name"] for ep in group.endpoints] == ["a", "b"]  # by address
    first = group.endpoints[0]
    assert first == {
        "addresses": ["127.77.10.1"],
        "conditions": {"ready": True, "serving": True, "terminating": False},
        "nodeName": "n1",
        "targetRef": {"kind": "Pod", "namespace": "default", "name": "a", "uid": "uid-a"},
        "zone": "z1",
    }


def test_pods_resolving_named_ports_differently_split_into_groups() -> None:
    pods = [
        pod("a", ip="127.77.10.1"),
        pod("b", ip="127.77.10.2", ports=[{"name": "http", "containerPort": 9090}]),
        pod("c", ip="127.77.10.3", ports=[]),
    ]
    manifest = service(
        ports=[
            {
                "name": "http",
                "port": 80,
                "targetPort": "http",
                "protocol": "TCP",
                "appProtocol": "http",
            }
        ]
    )
    groups = endpoint_groups(manifest, pods, NODES)
    assert [g.signature for g in groups] == [(), (("http", 8080, "TCP"),), (("http", 9090, "TCP"),)]
    assert [len(g.endpoints) for g in groups] == [1, 1, 1]
    assert groups[1].ports[0]["appProtocol"] == "http"


def test_endpoint_readiness_follows_pod_and_node() -> None:
    down = [LabNode("n1", "z1", 0, "127.77.0.1", ready=False)]
    (group,) = endpoint_groups(service(), [pod("a")], down)
    assert group.endpoints[0]["conditions"]["ready"] is False
    (group,) = endpoint_groups(service(publishNotReadyAddresses=True), [pod("a")], down)
    assert group.endpoints[0]["conditions"]["ready"] is True


@pytest.mark.parametrize(
    ("distribution", "hints"),
    [
        (None, None),
        ("PreferClose", {"forZones": [{"name": "z2"}]}),
        ("PreferSameZone", {"forZones": [{"name": "z2"}]}),
        ("PreferSameNode", {"forZones": [{"name": "z2"}], "forNodes": [{"name": "n2"}]}),
    ],
)
def test_traffic_distribution_hints_each_endpoint_to_its_own_place(
    distribution: str | None, hints: dict[str, Any] | None
) -> None:
    manifest = service(trafficDistribution=distribution) if distribution else service()
    (group,) = endpoint_groups(manifest, [pod("a", node=1)], NODES)
    assert group.endpoints[0].get("hints") == hints


def test_no_hints_when_any_endpoint_lacks_a_zone() -> None:
    nodes = [NODES[0], LabNode("n2", "", 1, "127.77.0.2")]
    pods = [pod("a", node=0, ip="127.77.10.1"), pod("b", node=1, ip="127.77.11.1")]
    (group,) = endpoint_groups(service(trafficDistribution="PreferClose"), pods, nodes)
    assert all("hints" not in ep for ep in group.endpoints)
    assert "zone" not in group.endpoints[1]


def test_endpoint_groups_placeholder_and_none() -> None:
    assert endpoint_groups(service(selector={"app": "typo"}), [pod("a")], NODES) == [
        EndpointGroup((), [], [])
    ]
    assert endpoint_groups(service(selector={}), [pod("a")], NODES) == []
    assert endpoint_groups(service(type="ExternalName"), [pod("a")], NODES) == []


def test_endpoint_slice_is_labelled_for_and_owned_by_its_service() -> None:
    manifest = service()
    group = EndpointGroup(
        (("http", 8080, "TCP"),), [{"name": "http", "port": 8080, "protocol": "TCP"}], [{"x": 1}]
    )
    obj = endpoint_slice(manifest, group, name="web-abcde", uid="slice-uid")
    meta = obj["metadata"]
    assert (meta["name"], meta["generateName"], meta["namespace"], meta["uid"]) == (
        "web-abcde",
        "web-",
        "default",
        "slice-uid",
    )
    assert meta["labels"] == {
        "team": "a",
        "kubernetes.io/service-name": "web",
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
    }
    assert meta["ownerReferences"][0]["uid"] == "svc-uid"
    assert meta["creationTimestamp"] == T0
    assert (obj["ports"], obj["endpoints"]) == (group.ports, group.endpoints)
    assert manifest["metadata"]["labels"] == {"team": "a"}  # the Service's labels untouched


# ---------------------------------------------------------------- ingress
def ingress(cls: str | None = None, annotation: str | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "kind": "Ingress",
        "metadata": {"name": "i", "namespace": "default"},
        "spec": {"rules": []},
    }
    if cls:
        obj["spec"]["ingressClassName"] = cls
    if annotation:
        obj["metadata"]["annotations"] = {"kubernetes.io/ingress.class": annotation}
    return obj


def test_ingress_class_from_field_then_annotation() -> None:
    assert ingress_class(ingress("a", annotation="b")) == "a"
    assert ingress_class(ingress(annotation="b")) == "b"
    assert ingress_class(ingress()) is None


def test_class_served() -> None:
    default = {
        "nginx": {
            "metadata": {
                "name": "nginx",
                "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"},
            }
        }
    }
    # no classes given (the built-in controller): every class run in the cluster...
    assert class_served(ingress(annotation="anything"), (), {}) and class_served(ingress(), (), {})
    assert class_served(ingress("nginx"), (), default)
    # ...whose IngressClass exists, when the Ingress names it by the field
    assert not class_served(ingress("missing"), (), default)
    assert class_served(ingress("nginx"), ("nginx",), {})
    assert not class_served(ingress("other"), ("nginx",), default)
    assert class_served(ingress(annotation="nginx"), ("nginx",), {})
    # without a class: served when no default class is marked, or when it is a default
    assert class_served(ingress(), ("nginx",), {})
    assert class_served(ingress(), ("nginx",), default)
    assert not class_served(ingress(), ("contour",), default)


def ingress_classes(**controllers: str) -> dict[str, Any]:
    return {
        name.replace("_", "-"): {
            "metadata": {"name": name.replace("_", "-")},
            "spec": {"controller": ctl},
        }
        for name, ctl in controllers.items()
    }


def test_the_built_in_controller_never_answers_for_a_cloud_load_balancer() -> None:
    assert not class_served(ingress(annotation="alb"), (), {})  # aws-lbc-2048's Ingress
    assert not class_served(ingress("gce"), (), {})
    cloud = ingress_classes(my_alb="ingress.k8s.aws/alb", nginx="k8s.io/ingress-nginx")
    assert not class_served(ingress("my-alb"), (), cloud)  # by the class's controller
    assert class_served(ingress("nginx"), (), cloud)
    # a class-less Ingress falls to the default class, and that one is a cloud's
    cloud["my-alb"]["metadata"]["annotations"] = {
        "ingressclass.kubernetes.io/is-default-class": "true"
    }
    assert not class_served(ingress(), (), cloud)


def test_a_controller_takes_every_class_naming_its_controller() -> None:
    classes = ingress_classes(
        keep="traefik.io/ingress-controller",
        drop="traefik.io/ingress-controller",
        other="not.traefik.io/ingress-controller",
    )
    assert class_served(ingress("drop"), ("keep",), classes)
    assert not class_served(ingress("other"), ("keep",), classes)
    assert not class_served(ingress("unknown"), ("keep",), classes)
    assert class_served(ingress("keep"), ("keep",), {})  # named by the scenario, no object


def test_ingress_object_shows_the_address_only_when_served() -> None:
    address = [{"ip": "127.77.250.1"}]
    src = ingress()
    assert ingress_object(src, address, served=True)["status"] == {
        "loadBalancer": {"ingress": address}
    }
    assert ingress_object(src, address, served=False)["status"] == {"loadBalancer": {}}
    assert ingress_object(src, [], served=True)["status"] == {"loadBalancer": {}}
    assert "status" not in src
