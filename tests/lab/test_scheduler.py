"""The lab scheduler turns manifests into API objects shaped as a real API server returns them."""

from __future__ import annotations

from typing import Any

import pytest

from kpath.errors import InputError
from kpath.lab.addresses import AddressPlan
from kpath.lab.scheduler import NODEPORT_RANGE, IngressControllerSpec, NodeSpec, Scheduler

try:
    from tests.lab.fixtures_dataplane import MiniStore
except ImportError:  # tests/lab imported as a rootdir-less folder
    from fixtures_dataplane import MiniStore  # type: ignore[no-redef]

PLAN = AddressPlan(77)
NODES = [NodeSpec("n1", "z1"), NodeSpec("n2", "z1"), NodeSpec("n3", "z2")]


def deployment(
    name: str,
    replicas: int = 2,
    ports: list[dict[str, Any]] | None = None,
    labels: dict[str, str] | None = None,
    ns: str = "default",
    node_selector: dict[str, str] | None = None,
) -> dict[str, Any]:
    labels = labels or {"app": name}
    spec: dict[str, Any] = {
        "containers": [
            {
                "name": "c",
                "image": "x",
                "ports": ports if ports is not None else [{"name": "http", "containerPort": 8080}],
            }
        ]
    }
    if node_selector:
        spec["nodeSelector"] = node_selector
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": spec},
        },
    }


def service(
    name: str, selector: dict[str, str] | None = None, ns: str = "default", **spec: Any
) -> dict[str, Any]:
    spec.setdefault("ports", [{"name": "http", "port": 80, "targetPort": "http"}])
    if selector is not None:
        spec["selector"] = selector
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    }


def run(*manifests: dict[str, Any], **kw: Any) -> tuple[Scheduler, MiniStore]:
    store = MiniStore()
    sched = Scheduler(store, PLAN, kw.pop("nodes", NODES), seed="test", **kw)
    sched.apply(manifests)
    return sched, store


def slices_of(store: MiniStore, name: str, ns: str = "default") -> list[dict[str, Any]]:
    return [
        s
        for s in store.list("EndpointSlice", ns)
        if s["metadata"]["labels"]["kubernetes.io/service-name"] == name
    ]


def endpoints_of(store: MiniStore, name: str) -> list[dict[str, Any]]:
    return [ep for s in slices_of(store, name) for ep in s["endpoints"]]


# ---------------------------------------------------------------- objects
def test_nodes_have_addresses_zones_and_ready_condition() -> None:
    _, store = run()
    nodes = store.list("Node")
    assert [n["metadata"]["name"] for n in nodes] == ["n1", "n2", "n3"]
    n3 = store.get("Node", None, "n3")
    assert n3 is not None
    assert n3["metadata"]["labels"]["topology.kubernetes.io/zone"] == "z2"
    assert n3["metadata"]["labels"]["kubernetes.io/hostname"] == "n3"
    assert n3["status"]["addresses"][0] == {"type": "InternalIP", "address": "127.77.0.3"}
    ready = [c for c in n3["status"]["conditions"] if c["type"] == "Ready"]
    assert ready[0]["status"] == "True"


def test_pods_spread_over_nodes_with_addresses_from_their_node() -> None:
    _, store = run(deployment("web", replicas=3))
    pods = store.list("Pod")
    assert sorted(p["spec"]["nodeName"] for p in pods) == ["n1", "n2", "n3"]
    for pod in pods:
        node_index = int(pod["spec"]["nodeName"][1]) - 1
        assert pod["status"]["podIP"].startswith(f"127.77.{10 + node_index}.")
        assert pod["status"]["hostIP"] == f"127.77.0.{node_index + 1}"
        assert pod["status"]["podIPs"] == [{"ip": pod["status"]["podIP"]}]
        assert pod["status"]["phase"] == "Running"
        assert {"type": "Ready", "status": "True"}.items() <= next(
            c for c in pod["status"]["conditions"] if c["type"] == "Ready"
        ).items()
        assert pod["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
        assert pod["metadata"]["name"].startswith("web-")


def test_replicas_are_capped_and_node_selector_is_honoured() -> None:
    _, store = run(
        deployment("big", replicas=50, node_selector={"topology.kubernetes.io/zone": "z1"}),
        max_replicas=3,
    )
    pods = store.list("Pod")
    assert len(pods) == 3
    assert {p["spec"]["nodeName"] for p in pods} == {"n1", "n2"}


def test_statefulset_and_daemonset_pods() -> None:
    sts = deployment("db", replicas=2)
    sts["kind"] = "StatefulSet"
    ds = deployment("agent")
    ds["kind"] = "DaemonSet"
    _, store = run(sts, ds)
    names = sorted(p["metadata"]["name"] for p in store.list("Pod"))
    assert "db-0" in names and "db-1" in names
    agents = [p for p in store.list("Pod") if p["metadata"]["name"].startswith("agent-")]
    assert sorted(p["spec"]["nodeName"] for p in agents) == ["n1", "n2", "n3"]


def test_named_target_ports_resolve_per_pod_into_separate_slices() -> None:
    # Two workloads behind one Service name the same port "http" with different numbers.
    a = deployment(
        "a",
        replicas=1,
        ports=[{"name": "http", "containerPort": 8080}],
        labels={"app": "shared", "v": "a"},
    )
    b = deployment(
        "b",
        replicas=1,
        ports=[{"name": "http", "containerPort": 9090}],
        labels={"app": "shared", "v": "b"},
    )
    _, store = run(a, b, service("shared", {"app": "shared"}))
    slices = slices_of(store, "shared")
    assert sorted(s["ports"][0]["port"] for s in slices) == [8080, 9090]
    for sl in slices:
        assert sl["addressType"] == "IPv4"
        assert (
            sl["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"]
            == "endpointslice-controller.k8s.io"
        )
        assert sl["metadata"]["ownerReferences"][0]["kind"] == "Service"
        assert len(sl["endpoints"]) == 1


def test_unresolvable_named_port_leaves_the_port_out() -> None:
    _, store = run(
        deployment("web", replicas=1),
        service("web", {"app": "web"}, ports=[{"name": "m", "port": 9, "targetPort": "metrics"}]),
    )
    (sl,) = slices_of(store, "web")
    assert sl["ports"] == []
    assert len(sl["endpoints"]) == 1


def test_endpoints_carry_node_zone_and_pod_reference() -> None:
    _, store = run(deployment("web", replicas=3), service("web", {"app": "web"}))
    eps = endpoints_of(store, "web")
    pods = {p["metadata"]["name"]: p for p in store.list("Pod")}
    assert len(eps) == 3
    for ep in eps:
        pod = pods[ep["targetRef"]["name"]]
        assert ep["targetRef"]["kind"] == "Pod"
        assert ep["targetRef"]["uid"] == pod["metadata"]["uid"]
        assert ep["addresses"] == [pod["status"]["podIP"]]
        assert ep["nodeName"] == pod["spec"]["nodeName"]
        assert ep["zone"] == ("z2" if ep["nodeName"] == "n3" else "z1")
        assert ep["conditions"] == {"ready": True, "serving": True, "terminating": False}
        assert "hints" not in ep


def test_prefer_close_gives_each_endpoint_a_hint_for_its_own_zone() -> None:
    _, store = run(
        deployment("web", replicas=3),
        service("web", {"app": "web"}, trafficDistribution="PreferClose"),
    )
    eps = endpoints_of(store, "web")
    assert {ep["zone"] for ep in eps} == {"z1", "z2"}
    for ep in eps:
        assert ep["hints"] == {"forZones": [{"name": ep["zone"]}]}


def test_unready_and_terminating_pods_in_slices() -> None:
    sched, store = run(deployment("web", replicas=2), service("web", {"app": "web"}))
    first, second = sched.pods_of("default", "web")
    sched.set_pod_ready("default", first, False)
    sched.kill_pod("default", second, graceful=True)
    by_pod = {ep["targetRef"]["name"]: ep["conditions"] for ep in endpoints_of(store, "web")}
    assert by_pod[first] == {"ready": False, "serving": False, "terminating": False}
    assert by_pod[second] == {"ready": False, "serving": True, "terminating": True}
    terminating = store.get("Pod", "default", second)
    assert terminating is not None and "deletionTimestamp" in terminating["metadata"]
    # the Deployment already started a replacement, which is ready
    assert len(by_pod) == 3
    assert sum(c["ready"] for c in by_pod.values()) == 1


def test_service_without_matching_pods_keeps_an_empty_slice() -> None:
    _, store = run(deployment("web"), service("broken", {"app": "typo"}))
    (sl,) = slices_of(store, "broken")
    assert sl["endpoints"] == []


def test_selectorless_and_external_name_services_get_no_slices() -> None:
    _, store = run(
        service("manual"), service("ext", type="ExternalName", externalName="example.com", ports=[])
    )
    assert slices_of(store, "manual") == [] and slices_of(store, "ext") == []
    ext = store.get("Service", "default", "ext")
    assert ext is not None and "clusterIP" not in ext["spec"]


def test_cluster_ips_and_node_ports_are_allocated() -> None:
    _, store = run(
        service("c", {"app": "x"}),
        service("np", {"app": "x"}, type="NodePort"),
        service(
            "lb",
            {"app": "x"},
            type="LoadBalancer",
            ports=[{"name": "a", "port": 80}, {"name": "b", "port": 81}],
        ),
        service("headless", {"app": "x"}, clusterIP="None"),
    )
    svcs = {s["metadata"]["name"]: s["spec"] for s in store.list("Service")}
    assert svcs["c"]["clusterIP"].startswith("127.77.200.")
    assert svcs["c"]["clusterIPs"] == [svcs["c"]["clusterIP"]]
    assert "nodePort" not in svcs["c"]["ports"][0]
    assert svcs["headless"]["clusterIP"] == "None"
    ports = [p["nodePort"] for s in ("np", "lb") for p in svcs[s]["ports"]]
    assert len(set(ports)) == 3
    assert all(NODEPORT_RANGE[0] <= p <= NODEPORT_RANGE[1] for p in ports)
    assert svcs["np"]["externalTrafficPolicy"] == "Cluster"
    assert "healthCheckNodePort" not in svcs["lb"]
    assert svcs["c"]["internalTrafficPolicy"] == "Cluster"


def test_fixed_node_ports_are_respected_even_when_listed_later() -> None:
    _, store = run(
        *[service(f"s{i}", {"app": "x"}, type="NodePort") for i in range(30)],
        service("fixed", {"app": "x"}, type="NodePort", ports=[{"port": 80, "nodePort": 31000}]),
    )
    fixed = store.get("Service", "default", "fixed")
    assert fixed is not None and fixed["spec"]["ports"][0]["nodePort"] == 31000
    others = [
        p["nodePort"]
        for s in store.list("Service")
        if s["metadata"]["name"] != "fixed"
        for p in s["spec"]["ports"]
    ]
    assert 31000 not in others


def test_duplicate_fixed_node_port_is_an_input_error() -> None:
    with pytest.raises(InputError, match="31000 is already allocated"):
        run(
            service("a", {"app": "x"}, type="NodePort", ports=[{"port": 80, "nodePort": 31000}]),
            service("b", {"app": "x"}, type="NodePort", ports=[{"port": 80, "nodePort": 31000}]),
        )


def test_load_balancers_get_addresses_health_check_ports_and_can_stay_pending() -> None:
    _, store = run(
        service("local", {"app": "x"}, type="LoadBalancer", externalTrafficPolicy="Local"),
        service("cluster", {"app": "x"}, type="LoadBalancer"),
        service("waiting", {"app": "x"}, type="LoadBalancer"),
        service("np-local", {"app": "x"}, type="NodePort", externalTrafficPolicy="Local"),
        service(
            "direct",
            {"app": "x"},
            type="LoadBalancer",
            loadBalancerClass="example/ip",
            allocateLoadBalancerNodePorts=False,
        ),
        pending=["default/waiting"],
    )
    svc = {s["metadata"]["name"]: s for s in store.list("Service")}
    hc = svc["local"]["spec"]["healthCheckNodePort"]
    assert NODEPORT_RANGE[0] <= hc <= NODEPORT_RANGE[1]
    assert hc != svc["local"]["spec"]["ports"][0]["nodePort"]
    assert "healthCheckNodePort" not in svc["cluster"]["spec"]
    assert "healthCheckNodePort" not in svc["np-local"]["spec"]  # only LoadBalancers get one
    ips = [svc[n]["status"]["loadBalancer"]["ingress"][0]["ip"] for n in ("local", "cluster")]
    assert all(ip.startswith("127.77.250.") for ip in ips) and ips[0] != ips[1]
    assert svc["waiting"]["status"]["loadBalancer"] == {}
    assert "nodePort" not in svc["direct"]["spec"]["ports"][0]


def test_ingress_status_is_the_controller_address() -> None:
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "i", "namespace": "default"},
        "spec": {
            "rules": [
                {
                    "host": "a.example",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "web", "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ]
        },
    }
    foreign = {
        **ingress,
        "metadata": {"name": "other", "namespace": "default"},
        "spec": {**ingress["spec"], "ingressClassName": "elsewhere"},
    }
    cls = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": "elsewhere"},
        "spec": {"controller": "example.com/x"},
    }
    sched, store = run(ingress, foreign, cls)
    assert sched.ingress_controller() == ("ingress-lab", "ingress-lab-controller")
    controller = store.get("Service", "ingress-lab", "ingress-lab-controller")
    assert controller is not None
    address = controller["status"]["loadBalancer"]["ingress"][0]["ip"]
    got = store.get("Ingress", "default", "i")
    assert got is not None and got["status"]["loadBalancer"]["ingress"] == [{"ip": address}]
    assert store.get("IngressClass", None, "elsewhere") is not None
    # a controller limited to some classes leaves other classes' Ingresses alone
    sched2, store2 = run(
        ingress, foreign, cls, ingress_controller=IngressControllerSpec(classes=("mine",))
    )
    other = store2.get("Ingress", "default", "other")
    assert other is not None and other["status"]["loadBalancer"] == {}
    assert [i["metadata"]["name"] for i in sched2.served_ingresses()] == ["i"]


def test_no_built_in_controller_when_every_ingress_is_served_from_outside() -> None:
    alb = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "alb",
            "namespace": "default",
            "annotations": {"kubernetes.io/ingress.class": "alb"},
        },
        "spec": {
            "rules": [
                {
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "web", "port": {"number": 80}}},
                            }
                        ]
                    }
                }
            ]
        },
    }
    sched, store = run(alb)
    assert sched.ingress_controller() is None and sched.served_ingresses() == []
    assert store.get("Namespace", None, "ingress-lab") is None
    got = store.get("Ingress", "default", "alb")
    assert got is not None and got["status"]["loadBalancer"] == {}
    plain = {**alb, "metadata": {"name": "plain", "namespace": "default"}}
    sched2, _ = run(alb, plain)
    assert [i["metadata"]["name"] for i in sched2.served_ingresses()] == ["plain"]


def test_changes_reach_the_store_as_events() -> None:
    sched, store = run(deployment("web", replicas=2), service("web", {"app": "web"}))
    store.events.clear()
    sched.scale("default", "web", 3)
    added = [e for e in store.events if e[0] == "ADDED" and e[1] == "Pod"]
    assert len(added) == 1
    assert ("MODIFIED", "EndpointSlice") in {(e[0], e[1]) for e in store.events}
    store.events.clear()
    victim = sched.pods_of("default", "web")[0]
    replacement = sched.kill_pod("default", victim)
    assert ("DELETED", "Pod", "default", victim) in store.events
    assert ("ADDED", "Pod", "default", replacement) in store.events
    assert len(endpoints_of(store, "web")) == 3
    store.events.clear()
    sched.resync()
    assert store.events == []  # nothing changed, nothing sent


def test_node_not_ready_marks_its_pods_and_endpoints_unready() -> None:
    sched, store = run(deployment("web", replicas=3), service("web", {"app": "web"}))
    sched.set_node_ready("n2", False)
    node = store.get("Node", None, "n2")
    assert node is not None
    assert (
        next(c for c in node["status"]["conditions"] if c["type"] == "Ready")["status"] == "Unknown"
    )
    for ep in endpoints_of(store, "web"):
        assert ep["conditions"]["ready"] is (ep["nodeName"] != "n2")
    # new pods avoid the NotReady node
    sched.scale("default", "web", 6)
    assert all(
        p["spec"]["nodeName"] != "n2"
        for p in store.list("Pod")
        if p["metadata"]["name"]
        not in {e["targetRef"]["name"] for e in endpoints_of(store, "web") if e["nodeName"] == "n2"}
    )


def test_bad_manifests_are_input_errors() -> None:
    with pytest.raises(InputError, match=r"no metadata\.name"):
        run({"kind": "Service", "metadata": {}})
    with pytest.raises(InputError, match="unknown type"):
        run(service("x", type="Weird"))
    with pytest.raises(InputError, match="defined twice"):
        run(service("x"), service("x"))
    with pytest.raises(InputError, match="no workload"):
        sched, _ = run()
        sched.scale("default", "nope", 1)


def test_other_kinds_are_counted_not_applied() -> None:
    sched, store = run(
        {"kind": "ConfigMap", "metadata": {"name": "c"}},
        {"kind": "ConfigMap", "metadata": {"name": "d"}},
    )
    assert sched.ignored == {"ConfigMap": 2}
    assert store.list("ConfigMap") == []
