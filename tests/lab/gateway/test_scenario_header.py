"""The scenario header's Gateway fields: installer-made GatewayClasses and per-Gateway
infrastructure, each mistake one line naming the field."""

from __future__ import annotations

import pytest

from kpath.errors import InputError
from kpath.lab.gateway.infrastructure import GatewayInfraSpec
from kpath.lab.scenario import parse_scenario

GATEWAY = """
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: web}
spec:
  gatewayClassName: nginx
  listeners: [{name: http, protocol: HTTP, port: 80}]
"""


def header(extra: str) -> str:
    return (
        "kind: LabScenario\nname: t\nnodes: [{name: n1, zone: z}, {name: n2, zone: z}]\n"
        + extra
        + GATEWAY
    )


def test_gateway_classes_become_gateway_class_objects() -> None:
    sc = parse_scenario(
        header(
            "gatewayClasses: [{name: nginx, controllerName: gateway.nginx.org/nginx-gateway-"
            "controller}]\n"
        )
    )
    assert sc.gateway_classes == (
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "GatewayClass",
            "metadata": {"name": "nginx"},
            "spec": {"controllerName": "gateway.nginx.org/nginx-gateway-controller"},
        },
    )


def test_gateway_infrastructure_is_read() -> None:
    sc = parse_scenario(
        header(
            "gatewayInfrastructure:\n  web/gw: {externalTrafficPolicy: Local, replicas: 2, "
            "nodes: [n2]}\n"
        )
    )
    assert sc.gateway_infrastructure == {"web/gw": GatewayInfraSpec("Local", 2, ("n2",))}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("gatewayClasses: {name: x}\n", "gatewayClasses must be a list"),
        ("gatewayClasses: [{name: x}]\n", "gatewayClass x needs a controllerName"),
        ("gatewayClasses: [{controllerName: a/b}]\n", "gatewayClasses #1 needs a name"),
        (
            "gatewayClasses: [{name: x, controllerName: a/b, extra: 1}]\n",
            "gatewayClasses #1 must be {name, controllerName}",
        ),
        (
            "gatewayClasses: [{name: x, controllerName: a/b}, {name: x, controllerName: a/c}]\n",
            "gatewayClass x is listed twice",
        ),
        ("gatewayInfrastructure: [web/gw]\n", "gatewayInfrastructure must map"),
        ("gatewayInfrastructure: {gw: {}}\n", "key 'gw' must be 'namespace/gateway'"),
        (
            "gatewayInfrastructure: {web/gw: {externalTrafficPolicy: Sometimes}}\n",
            "externalTrafficPolicy must be Local or Cluster",
        ),
        ("gatewayInfrastructure: {web/gw: {replicas: -1}}\n", "replicas must be an integer"),
        ("gatewayInfrastructure: {web/gw: {nodes: [n9]}}\n", "no node n9; nodes: n1, n2"),
        ("gatewayInfrastructure: {web/gw: {zone: a}}\n", "unknown field(s) zone"),
    ],
)
def test_header_mistakes_are_one_line(extra: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        parse_scenario(header(extra), origin="t.yaml")
    text = str(err.value)
    assert message in text and "\n" not in text and text.startswith("scenario t.yaml:")
