"""A small shop cluster with NetworkPolicies, as API dicts, for the path verdict tests.

Nodes n1 and n2 (zone z1) host the `web` pods; n3 (198.51.100.7, inside the office CIDR)
and n4 host none. `shop/allow-office` lets only 198.51.100.0/24 reach app=web on 8080.
"""

from __future__ import annotations

from typing import Any

from kpath.routing.analysis import Analysis, analyse
from tests import builders as b

Obj = dict[str, Any]
OFFICE = "198.51.100.0/24"
NODE_IPS = {"n1": "10.0.1.1", "n2": "10.0.2.1", "n3": "198.51.100.7", "n4": "10.0.4.1"}
KINDS = (*b.SLICE_KINDS, "Namespace", "NetworkPolicy")


def namespace(name: str, **labels: str) -> Obj:
    return {
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name, **labels}},
    }


def netpol(
    name: str,
    ns: str = "shop",
    select: dict[str, str] | None = None,
    ingress: list[Obj] | None = None,
    egress: list[Obj] | None = None,
    types: list[str] | None = None,
) -> Obj:
    spec: Obj = {"podSelector": {"matchLabels": select} if select else {}}
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    if types is not None:
        spec["policyTypes"] = types
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    }


def from_cidr(cidr: str, port: int | None = 8080) -> Obj:
    rule: Obj = {"from": [{"ipBlock": {"cidr": cidr}}]}
    if port is not None:
        rule["ports"] = [{"protocol": "TCP", "port": port}]
    return rule


def allow_office() -> Obj:
    return netpol("allow-office", select={"app": "web"}, ingress=[from_cidr(OFFICE)])


def base(nodes: tuple[str, ...] = ("n1", "n2", "n3", "n4")) -> list[Obj]:
    return [
        *(b.node(n, ip=NODE_IPS[n]) for n in nodes),
        namespace("shop"),
        namespace("ingress-nginx"),
        b.pod("web-1", "n1", "10.244.1.10", ports=[{"name": "http", "containerPort": 8080}]),
        b.pod("web-2", "n2", "10.244.2.10", ports=[{"name": "http", "containerPort": 8080}]),
        b.endpointslice(
            "web",
            [b.endpoint("10.244.1.10", "n1", "web-1"), b.endpoint("10.244.2.10", "n2", "web-2")],
        ),
    ]


def web(type_: str = "LoadBalancer", etp: str = "Cluster", **spec: Any) -> Obj:
    return b.service(
        "web",
        type_,
        etp=etp if type_ != "ClusterIP" else None,
        lb_ip="192.0.2.50" if type_ == "LoadBalancer" else None,
        **spec,
    )


def analysed(*objects: Obj, client: str | None = None) -> Analysis:
    return analyse(b.snapshot(*objects, kinds=KINDS), client)
