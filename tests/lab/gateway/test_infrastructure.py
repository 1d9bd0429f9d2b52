"""What the lab generates for each Gateway, named as each implementation names it."""

from __future__ import annotations

import hashlib

import pytest

from kpath.lab.gateway.infrastructure import (
    CILIUM,
    ENVOY,
    GATEWAY_NAME_LABEL,
    ISTIO,
    NGINX,
    GatewayInfraSpec,
    infrastructure,
    plan_infrastructure,
    service_protocol,
)


def gateway(name: str = "eg", ns: str = "default", listeners: list | None = None) -> dict:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": name, "namespace": ns, "uid": "uid-1"},
        "spec": {
            "gatewayClassName": "cls",
            "listeners": listeners
            if listeners is not None
            else [{"name": "http", "protocol": "HTTP", "port": 80}],
        },
    }


def gclass(controller: str, name: str = "cls") -> dict:
    return {
        "kind": "GatewayClass",
        "metadata": {"name": name},
        "spec": {"controllerName": controller},
    }


def service_of(infra) -> dict:
    return next(m for m in infra.manifests if m["kind"] == "Service")


def deployment_of(infra) -> dict:
    return next(m for m in infra.manifests if m["kind"] == "Deployment")


def test_envoy_gateway_names_its_service_by_hash_in_its_own_namespace() -> None:
    infra = infrastructure(gateway(), gclass(ENVOY))
    digest = hashlib.sha256(b"default/eg").hexdigest()[:8]
    assert digest == "e41e7b31"  # the name Envoy Gateway's own docs show for default/eg
    svc = service_of(infra)
    assert svc["metadata"]["namespace"] == "envoy-gateway-system"
    assert svc["metadata"]["name"] == "envoy-default-eg-e41e7b31"
    labels = svc["metadata"]["labels"]
    assert labels["gateway.envoyproxy.io/owning-gateway-name"] == "eg"
    assert labels["gateway.envoyproxy.io/owning-gateway-namespace"] == "default"
    assert svc["spec"]["externalTrafficPolicy"] == "Local"
    assert svc["spec"]["type"] == "LoadBalancer"
    # Privileged ports shift by 10000 inside the pod.
    assert svc["spec"]["ports"] == [
        {"name": "http-80", "port": 80, "protocol": "TCP", "targetPort": 10080}
    ]
    assert infra.ports == {80: 10080}
    assert any(
        m["kind"] == "Namespace" and m["metadata"]["name"] == "envoy-gateway-system"
        for m in infra.manifests
    )
    assert "ownerReferences" not in svc["metadata"]  # cross-namespace: no owner


def test_envoy_gateway_cuts_long_names_at_48_characters() -> None:
    infra = infrastructure(gateway("g" * 60, "ns"), gclass(ENVOY))
    name = service_of(infra)["metadata"]["name"]
    assert name.startswith("envoy-ns-" + "g" * 45 + "-")
    assert len(name) == len("envoy-") + 48 + 9


def test_istio_service_is_gateway_dash_class_with_status_port() -> None:
    listeners = [
        {"name": "web", "protocol": "HTTP", "port": 80},
        {"name": "web2", "protocol": "HTTP", "port": 80, "hostname": "a.example"},
        {"name": "secure", "protocol": "HTTPS", "port": 443},
    ]
    infra = infrastructure(gateway("bookinfo-gateway", "shop", listeners), gclass(ISTIO, "istio"))
    svc = service_of(infra)
    assert (svc["metadata"]["namespace"], svc["metadata"]["name"]) == (
        "shop",
        "bookinfo-gateway-istio",
    )
    assert svc["metadata"]["labels"][GATEWAY_NAME_LABEL] == "bookinfo-gateway"
    assert svc["spec"]["selector"] == {GATEWAY_NAME_LABEL: "bookinfo-gateway"}
    assert [(p["name"], p["port"], p.get("appProtocol")) for p in svc["spec"]["ports"]] == [
        ("status-port", 15021, "tcp"),
        ("web", 80, "http"),
        ("secure", 443, "https"),
    ]
    assert svc["spec"]["externalTrafficPolicy"] == "Cluster"
    assert svc["metadata"]["ownerReferences"][0]["kind"] == "Gateway"
    assert infra.protocols == {80: ("HTTP",), 443: ("HTTPS",)}


def test_nginx_gateway_fabric_and_cilium_and_others() -> None:
    ngf = service_of(infrastructure(gateway("gateway"), gclass(NGINX, "nginx")))
    assert ngf["metadata"]["name"] == "gateway-nginx"
    assert ngf["spec"]["externalTrafficPolicy"] == "Local"
    assert ngf["spec"]["ports"][0]["name"] == "port-80"
    cilium = service_of(infrastructure(gateway("my-gateway"), gclass(CILIUM, "cilium")))
    assert cilium["metadata"]["name"] == "cilium-gateway-my-gateway"
    assert cilium["metadata"]["labels"]["io.cilium.gateway/owning-gateway"] == "my-gateway"
    other = service_of(infrastructure(gateway("shared"), gclass("example.net/gw", "x")))
    assert other["metadata"]["name"] == "shared"
    assert other["metadata"]["labels"] == {GATEWAY_NAME_LABEL: "shared"}


def test_scenario_spec_sets_policy_replicas_and_nodes() -> None:
    spec = GatewayInfraSpec("Cluster", 2, ("node-a", "node-c"))
    infra = infrastructure(gateway(), gclass(ENVOY), spec)
    assert service_of(infra)["spec"]["externalTrafficPolicy"] == "Cluster"
    dep = deployment_of(infra)
    assert dep["spec"]["replicas"] == 2
    term = dep["spec"]["template"]["spec"]["affinity"]["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]["nodeSelectorTerms"][0]
    assert term["matchExpressions"][0]["values"] == ["node-a", "node-c"]
    # The Deployment's pods carry the labels the Service selects.
    assert (
        service_of(infra)["spec"]["selector"].items()
        <= dep["spec"]["template"]["metadata"]["labels"].items()
    )


def test_only_gateways_of_existing_classes_get_infrastructure() -> None:
    a, b = gateway("a"), gateway("b")
    b["spec"]["gatewayClassName"] = "missing"
    planned = plan_infrastructure([a, b], {"cls": gclass(ISTIO)}, {})
    assert [p.gateway for p in planned] == [("default", "a")]


def test_service_protocol_per_listener_port() -> None:
    assert service_protocol(("HTTP",)) == "http"
    assert service_protocol(("HTTPS",)) == "https"
    assert service_protocol(("TLS",)) == "tls"
    assert service_protocol(("TCP",)) == "tcp"
    assert service_protocol(("UDP",)) == "udp"


def test_listener_sets_naming_the_gateway_add_their_ports() -> None:
    mine = {
        "kind": "ListenerSet",
        "metadata": {"name": "extra", "namespace": "default"},
        "spec": {
            "parentRef": {"name": "a"},
            "listeners": [
                {"name": "tls", "protocol": "HTTPS", "port": 8443, "hostname": "x.example"}
            ],
        },
    }
    other = {
        "kind": "ListenerSet",
        "metadata": {"name": "o", "namespace": "default"},
        "spec": {
            "parentRef": {"name": "b"},
            "listeners": [{"name": "t", "protocol": "TCP", "port": 9999}],
        },
    }
    [infra] = plan_infrastructure([gateway("a")], {"cls": gclass(ISTIO)}, {}, [mine, other])
    assert sorted(infra.ports) == [80, 8443]
    assert infra.hostnames[8443] == ("x.example",)
    assert [p["port"] for p in service_of(infra)["spec"]["ports"]] == [15021, 80, 8443]


@pytest.mark.lab
def test_a_pending_gateway_gets_no_address() -> None:
    from kpath.lab.runner import LabThread
    from kpath.lab.scenario import parse_scenario

    text = """
kind: LabScenario
name: pending-gateway
pendingLoadBalancers: [default/gw]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: cls}
spec: {controllerName: example.net/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: cls
  listeners: [{name: http, protocol: HTTP, port: 80}]
"""
    with LabThread(parse_scenario(text), serve_api=False) as lab:
        svc = lab.store.get("Service", "default", "gw")
        assert svc is not None and svc["status"]["loadBalancer"] == {}
        status = lab.store.get("Gateway", "default", "gw")["status"]
        assert status["addresses"] == []
        programmed = next(c for c in status["conditions"] if c["type"] == "Programmed")
        assert (programmed["status"], programmed["reason"]) == ("False", "AddressNotAssigned")


def test_gateway_infrastructure_labels_and_annotations_are_copied() -> None:
    gw = gateway()
    gw["spec"]["infrastructure"] = {
        "labels": {"team": "web", GATEWAY_NAME_LABEL: "spoof"},
        "annotations": {"lb.example/scheme": "internal"},
    }
    infra = infrastructure(gw, gclass("example.net/gw"))
    svc, dep = service_of(infra), deployment_of(infra)
    assert svc["metadata"]["labels"] == {"team": "web", GATEWAY_NAME_LABEL: "eg"}
    assert svc["metadata"]["annotations"] == {"lb.example/scheme": "internal"}
    template = dep["spec"]["template"]["metadata"]
    assert template["labels"]["team"] == "web"
    assert template["annotations"] == {"lb.example/scheme": "internal"}
    assert svc["spec"]["selector"] == {GATEWAY_NAME_LABEL: "eg"}
